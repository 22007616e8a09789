// Image sets for `analyze axis` as DreamSim inputs: a neuron's MEIs or LEIs from a poles folder (every seed),
// model-space images from a .npy stack, or image files (a screen's MAIs / LAIs). Image files go through the
// embedding pipeline as `dualneuron axis` does (dream/preprocess.ts). Model-space arrays (MEIs, LEIs, .npy) are
// first shown as the poles figures show them (toDisplay's stretch: 0.5 + 0.5 v / p99.5(|v|), 8-bit) and then go
// through the same pipeline without its centre crop (a crop sized for photographs would frame a 93-pixel MEI in
// black); aperture, norm and clipping as for files.
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import { readImage, type RawImage } from '../../io/image/index.js';
import { toDisplay } from '../synthesis/outputs.js';
import { imageToEmbedInput, type EmbedPipeline } from '../dream/preprocess.js';
import { poleImage, type PolesFolder } from './poles-folder.js';
import type { Pole } from '../synthesis/poles.js';

export interface AxisImage { label: string; load: () => Float32Array }

/** One model-space image (C, H, W), C 1 or 3, as a DreamSim input (3, size, size) in [0, 1]. */
export function arrayToEmbedInput(pipe: EmbedPipeline, x: Float32Array, C: number, H: number, W: number): Float32Array {
  if (C !== 1 && C !== 3) throw new InputError(`an image has ${C} channels; expected 1 or 3`);
  const img: RawImage = { width: W, height: H, mode: C === 1 ? 'L' : 'RGB', data: toDisplay(x, C, [H, W]) };
  return imageToEmbedInput({ ...pipe, crop: null }, img);
}

/** A neuron's MEIs (pole 'most') or LEIs ('least') over the folder's seeds. */
export function polesSet(pipe: EmbedPipeline, p: PolesFolder, neuron: number, pole: Pole, shape: [number, number, number]): AxisImage[] {
  const [C, H, W] = shape;
  return p.seeds.map((s) => ({ label: `${pole === 'most' ? 'mei' : 'lei'}_seed_${Number(s)}`, load: () => arrayToEmbedInput(pipe, poleImage(p, neuron, s, pole, shape), C, H, W) }));
}

/** Model-space images from a .npy: (N, C, H, W) with C 1 or 3, or (N, H, W). */
export function npySet(pipe: EmbedPipeline, path: string, name: string): AxisImage[] {
  const a = readNpy(path), s = a.shape;
  let N: number, C: number, H: number, W: number;
  if (s.length === 3) [N, C, H, W] = [s[0], 1, s[1], s[2]];
  else if (s.length === 4 && (s[1] === 1 || s[1] === 3)) [N, C, H, W] = [s[0], s[1], s[2], s[3]];
  else throw new InputError(`${path}: shape (${s.join(', ')}); expected images (N, C, H, W) with C 1 or 3, or (N, H, W)`);
  if (N === 0) throw new InputError(`${path} holds no images (shape (${s.join(', ')})): an axis needs at least one image per set`);
  const d = toFloat32(a), per = C * H * W;
  if (!d.every(Number.isFinite)) throw new InputError(`${path} holds non-finite values`);
  return Array.from({ length: N }, (_, i) => ({ label: `${name}_${i}`, load: () => arrayToEmbedInput(pipe, d.subarray(i * per, (i + 1) * per), C, H, W) }));
}

/** Image files through the embedding pipeline. */
export function filesSet(pipe: EmbedPipeline, paths: string[], labels: string[]): AxisImage[] {
  return paths.map((p, i) => ({ label: labels[i], load: () => imageToEmbedInput(pipe, readImage(p)) }));
}
