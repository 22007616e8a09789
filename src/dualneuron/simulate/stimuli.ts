// Stimuli of the simulated population: the procedural scenes of `dualneuron render` (render/scenes.ts) at the
// simulation's size, converted to gray with PIL's 'L' rule. Scene i of seed s is exactly
// `dualneuron render --seed s --size S` image i, converted to gray.
import { renderScene } from '../render/scenes.js';
import { lumaPIL } from '../../io/image/convert.js';

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
