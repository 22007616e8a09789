// Synthesis images as 8-bit pixels people look at (HWC uint8, 1 or 3 channels): upstream's `blend` (the image
// faded into gray where the gradient was weak) and a plain display stretch. Pure functions on typed arrays (no
// Node modules), shared by the CLI's outputs (outputs.ts) and the browser page.

/** An image size: S for the square S x S images of the DualNeuron twins, or [H, W] (a trained twin's input). */
export type ImageSize = number | readonly [number, number];
export const hwOf = (S: ImageSize): [number, number] => (typeof S === 'number' ? [S, S] : [S[0], S[1]]);

function percentileOf(v: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(v).sort();
  const pos = (q / 100) * (s.length - 1), lo = Math.floor(pos), hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * upstream synthesis/visualize.py `blend`: denormalise the image (img * std * boost + mean, clipped to [0, 1]),
 * average alpha over channels and cap it at its `alphacut` percentile, divide by its max, and return
 * img * alpha + mean * (1 - alpha). Returns HWC uint8 (1 or 3 channels).
 */
export function blend(image: Float32Array, alpha: Float32Array, C: number, S: ImageSize, o: { mean?: number; std?: number; boost?: number; alphacut?: number } = {}): Uint8Array {
  const mean = o.mean ?? 0.45, std = o.std ?? 0.25, boost = o.boost ?? 1, cut = o.alphacut ?? 90;
  const [H, W] = hwOf(S), hw = H * W;
  const a = new Float64Array(hw);
  for (let c = 0; c < C; c++) for (let i = 0; i < hw; i++) a[i] += alpha[c * hw + i] / C;
  const cap = percentileOf(a, cut);
  let mx = 0;
  for (let i = 0; i < hw; i++) { a[i] = Math.min(a[i], cap); mx = Math.max(mx, a[i]); }
  const out = new Uint8Array(hw * C);
  for (let i = 0; i < hw; i++) {
    const al = a[i] / (mx + 1e-8);
    for (let c = 0; c < C; c++) {
      const v = Math.min(1, Math.max(0, image[c * hw + i] * std * boost + mean));
      out[i * C + c] = Math.round(255 * (v * al + mean * (1 - al)));
    }
  }
  return out;
}

/**
 * The image alone for figures (HWC uint8): 'stretch' (default) maps [-m, m] to [0, 255] with m the 99.5th
 * percentile of |value|, so 0 stays mid-gray and low-contrast MEIs stay visible; 'denormalize' is upstream's
 * img * std + mean.
 */
export function toDisplay(image: Float32Array, C: number, S: ImageSize, o: { mode?: 'stretch' | 'denormalize'; mean?: number; std?: number } = {}): Uint8Array {
  const [H, W] = hwOf(S), hw = H * W;
  const out = new Uint8Array(hw * C);
  let f: (v: number) => number;
  if ((o.mode ?? 'stretch') === 'stretch') {
    const m = percentileOf(Float64Array.from(image, Math.abs), 99.5) || 1;
    f = (v) => 0.5 + 0.5 * (v / m);
  } else {
    const mean = o.mean ?? 0.45, std = o.std ?? 0.25;
    f = (v) => v * std + mean;
  }
  for (let i = 0; i < hw; i++) for (let c = 0; c < C; c++) out[i * C + c] = Math.round(255 * Math.min(1, Math.max(0, f(image[c * hw + i]))));
  return out;
}
