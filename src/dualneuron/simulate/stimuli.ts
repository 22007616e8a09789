// Stimuli of the simulated population: the procedural scenes of `dualneuron render` (render/scenes.ts) at the
// simulation's size, converted to gray with PIL's 'L' rule. Scene i of seed s is exactly
// `dualneuron render --seed s --size S` image i, converted to gray.
import { renderScene } from '../render/scenes.js';
import { lumaPIL } from '../../io/image/convert.js';
import { deriveSeed } from '../../tensor/random.js';
import { HostRng } from '../render/rng.js';

/** Scene `index` of `seed` as S*S gray uint8 (row-major). */
export function grayScene(index: number, size: number, seed: bigint): Uint8Array {
  const rgb = renderScene(index, { size, seed });
  const out = new Uint8Array(size * size);
  for (let k = 0; k < out.length; k++) out[k] = lumaPIL(rgb[3 * k], rgb[3 * k + 1], rgb[3 * k + 2]);
  return out;
}

/** The model's input: the contrast image x = pixel / 255 - 0.5 (float64). */
export function contrastImage(gray: Uint8Array): Float64Array {
  const x = new Float64Array(gray.length);
  for (let k = 0; k < x.length; k++) x[k] = gray[k] / 255 - 0.5;
  return x;
}

/**
 * Scene contrast: every pixel moved away from the image's mean by `factor`, rounded (half away from zero, as
 * Math.round for these non-negative values) and clipped to 0..255: y = clip(round(m + factor (g - m))). Factors
 * above 1 give the high-contrast patterns natural scenes at their own contrast rarely contain (the regime MEIs live
 * in); clipping keeps every image a valid 8-bit stimulus.
 */
export function scaleContrast(gray: Uint8Array, factor: number): Uint8Array {
  let m = 0;
  for (const v of gray) m += v;
  m /= gray.length;
  return gray.map((v) => Math.min(255, Math.max(0, Math.round(m + factor * (v - m)))));
}

/** The contrast factor of stimulus `index`: log-uniform in [lo, hi], from its own stream (independent of I and N). */
export function stimulusContrast(seed: bigint, stream: number, index: number, range: readonly [number, number]): number {
  const u = new HostRng(deriveSeed(seed, stream, index)).uniform();
  return Math.exp(Math.log(range[0]) + u * (Math.log(range[1]) - Math.log(range[0])));
}
