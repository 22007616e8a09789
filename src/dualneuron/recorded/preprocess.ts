// Model inputs from a data set's images, two ways:
//   - 'notebook' (the Allen notebook's CustomDataset): PIL convert('L'), torchvision Resize((H, W)) on the PIL
//     image (PIL bilinear with its antialiasing support, reimplemented exactly in io/image/resize.ts), ToTensor
//     (/255): float32 (I, 1, H, W) in [0, 1]; the notebook used 60 x 96.
//   - 'twin' (DualNeuron's twins): input/pipeline.ts as screening does it (crop, resize, grayscale, ImageNet
//     normalisation, the twin's aperture, L2 norm); the caller builds the pipeline for its twin.
import { ShapeError } from '../../errors.js';
import { resizeBilinearPIL, toL, type RawImage } from '../../io/image/index.js';
import { imageToInput, type InputPipeline } from '../input/pipeline.js';
import type { ImageStack } from './types.js';

export const NOTEBOOK_SIZE: readonly [number, number] = [60, 96];

/** Image k of a stack as a PIL-mode image ('L' or 'RGB'). */
export function stackImage(s: ImageStack, k: number): RawImage {
  const px = s.height * s.width * s.channels;
  if (!(k >= 0 && k < s.count)) throw new ShapeError(`image ${k} is outside the stack of ${s.count}`);
  return { width: s.width, height: s.height, mode: s.channels === 1 ? 'L' : 'RGB', data: s.data.slice(k * px, (k + 1) * px) };
}

/** The notebook's preprocessing of every image (or of `indices`): float32 (count, 1, H, W). */
export function preprocessNotebook(s: ImageStack, size: readonly [number, number] = NOTEBOOK_SIZE, indices?: readonly number[]): { data: Float32Array; shape: [number, 1, number, number] } {
  const [H, W] = size;
  if (!(Number.isInteger(H) && Number.isInteger(W) && H > 0 && W > 0)) throw new ShapeError(`image size must be positive integers (H, W), got (${H}, ${W})`);
  const idx = indices ?? Array.from({ length: s.count }, (_, k) => k);
  const out = new Float32Array(idx.length * H * W);
  idx.forEach((k, j) => {
    const img = resizeBilinearPIL(toL(stackImage(s, k)), W, H);
    const d = img.data as Uint8Array;
    for (let p = 0; p < H * W; p++) out[j * H * W + p] = d[p]! / 255;
  });
  return { data: out, shape: [idx.length, 1, H, W] };
}

/** The twins' preprocessing (input/pipeline.ts) of every image (or of `indices`): float32 (count, C, S, S). */
export function preprocessForTwin(s: ImageStack, pipe: InputPipeline, indices?: readonly number[]): { data: Float32Array; shape: [number, number, number, number] } {
  const [C, H, W] = pipe.spec.inputShape;
  const idx = indices ?? Array.from({ length: s.count }, (_, k) => k);
  const out = new Float32Array(idx.length * C * H * W);
  idx.forEach((k, j) => out.set(imageToInput(pipe, stackImage(s, k)), j * C * H * W));
  return { data: out, shape: [idx.length, C, H, W] };
}
