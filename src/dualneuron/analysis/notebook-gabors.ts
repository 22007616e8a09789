// The Allen notebook's `most_exc_gabors` and `mean_gabor` (seeds/003), for any bank of Gabors and responses:
// the k Gabors with the highest responses, and their mean scaled to [0, 1] (the notebook's `scale`).
import { createGabor, type GaborParams } from './gabor.js';

/** Indices of the k largest responses, largest first; equal responses keep their bank order (Python's stable sort). */
export function mostExcitingGabors(responses: ArrayLike<number>, k = 3): number[] {
  const idx = Array.from({ length: responses.length }, (_, i) => i);
  idx.sort((a, b) => (responses[b] - responses[a]) || (a - b));
  return idx.slice(0, k);
}

/** `scale(img, c, d)`: c + (img - min) (d - c) / (max - min) */
export function scaleTo(img: ArrayLike<number>, c = 0, d = 1): Float64Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < img.length; i++) { lo = Math.min(lo, img[i]); hi = Math.max(hi, img[i]); }
  return Float64Array.from(img, (v) => c + ((v - lo) * (d - c)) / (hi - lo));
}

/** `mean_gabor`: the mean of the given Gabors (h x w each), scaled to [0, 1]. */
export function meanGabor(h: number, w: number, gabors: readonly GaborParams[]): Float64Array {
  const acc = new Float64Array(h * w);
  for (const p of gabors) {
    const g = createGabor(h, w, p);
    for (let i = 0; i < acc.length; i++) acc[i] += g[i];
  }
  for (let i = 0; i < acc.length; i++) acc[i] /= gabors.length;
  return scaleTo(acc);
}
