// A screen's most and least activating images (MAIs, LAIs) as an image set for `analyze metrics`: per neuron the
// k highest and k lowest from the screen's ordered files, preprocessed as the twin saw them (model inputs, the
// screen's preset, aperture and norm).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import { readImageRef } from '../input/tar-images.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadMask, weightsHome } from '../../models/weights/store.js';
import { imageToInput, makePipeline } from '../input/pipeline.js';
import { parseImagesTxt } from '../screening/images-list.js';
import { screenPreset, unitFile } from '../cli/screen.js';
import type { ImageLabel, ImageSet } from './image-set.js';

export function imagesFromScreen(dir: string, id: TwinId, neurons: number[], k: number, weightsDir?: string): ImageSet {
  const spec = TWINS[id];
  const [C, H, W] = spec.inputShape;
  const pipe = makePipeline(spec, loadMask(id, weightsHome(weightsDir)), screenPreset(dir) ?? 'rendered');
  const paths = parseImagesTxt(readFileSync(join(dir, 'images.txt'), 'utf8'));
  const images: Float64Array[] = [], labels: ImageLabel[] = [];
  for (const n of neurons) {
    const resp = toFloat32(readNpy(unitFile(dir, 'responses', n)));
    const idx = readNpy(unitFile(dir, 'indices', n)).data as BigInt64Array;
    const m = resp.length;
    if (m === 0) throw new InputError(`${dir}: neuron ${n} has no screened images`);
    const ranks = [...Array.from({ length: Math.min(k, m) }, (_, i) => m - 1 - i), ...Array.from({ length: Math.min(k, m) }, (_, i) => i)];
    ranks.forEach((r, j) => {
      const path = paths.get(Number(idx[r]));
      if (path === undefined) throw new InputError(`${dir}/images.txt has no image ${idx[r]}: the screen's files do not belong together`);
      const x = imageToInput(pipe, readImageRef(path));
      // gray from the model input's channels, as the .npy image sets
      const g = new Float64Array(H * W);
      if (C === 1) g.set(x.subarray(0, H * W));
      else for (let i = 0; i < H * W; i++) g[i] = 0.299 * x[i] + 0.587 * x[H * W + i] + 0.114 * x[2 * H * W + i];
      images.push(g);
      labels.push({ index: labels.length, neuron: n, seed: null, pole: j < Math.min(k, m) ? `mai_${j}` : `lai_${j - Math.min(k, m)}` });
    });
  }
  return { h: H, w: W, images, labels };
}
