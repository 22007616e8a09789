// Recorded data as training arrays: every image preprocessed as the Allen notebook (grayscale, PIL bilinear resize
// to the twin's size, /255) and standardised with the mean and standard deviation of the training images' pixels
// (recorded in the manifest, so predict/evaluate apply the same); targets are each neuron's mean over the
// recorded repeats of an image. Images are split by image (splitImages, seeded): repeats stay with their image.
import { InputError } from '../../errors.js';
import type { RecordedData } from '../recorded/types.js';
import { cubeIndex } from '../recorded/types.js';
import { preprocessNotebook } from '../recorded/preprocess.js';
import { splitImages, type ImageSplit } from '../recorded/split.js';

export interface InputNormalisation { mean: number; std: number }

export interface TrainingData {
  /** (I, 1, H, W) float32 in model space, data-set image order */
  inputs: Float32Array;
  inputShape: [number, number, number];
  /** (I, N) float32: mean over recorded repeats */
  targets: Float32Array;
  images: number;
  neurons: number;
  split: ImageSplit;
  normalisation: InputNormalisation;
}

/** (I, N) mean over recorded repeats; an image without any recorded repeat of a neuron is NaN. */
export function meanResponses(rec: RecordedData): Float64Array {
  const c = rec.responses, out = new Float64Array(c.images * c.neurons);
  for (let i = 0; i < c.images; i++) {
    for (let n = 0; n < c.neurons; n++) {
      let s = 0, k = 0;
      for (let r = 0; r < c.repeats; r++) { const v = c.data[cubeIndex(c, r, i, n)]!; if (!Number.isNaN(v)) { s += v; k++; } }
      out[i * c.neurons + n] = k ? s / k : NaN;
    }
  }
  return out;
}

/** Every image a twin is trained or evaluated on needs a response of every neuron (else: a clear error). */
export function checkResponsesPresent(rec: RecordedData, means: Float64Array, images: readonly number[], what: string): void {
  const N = rec.responses.neurons;
  for (const i of images) {
    for (let n = 0; n < N; n++) {
      if (Number.isNaN(means[i * N + n]!)) {
        const hint = rec.layout === 'trial-table' ? ' (a trial table without rows for silent trials: --missing-rows zero counts them as 0 spikes)' : '';
        throw new InputError(`${rec.source}: neuron ${rec.neuronIds[n]} (index ${n}) has no recorded response (all NaN) to image ${rec.imageIds[i]} (index ${i}), ` +
          `which is in the ${what} images; every ${what} image needs a response of every neuron: drop the neuron or the image${hint}`);
      }
    }
  }
}

export function normalisedInputs(rec: RecordedData, size: [number, number], norm: InputNormalisation): Float32Array {
  if (!rec.images) throw new InputError(`${rec.source}: no images; a trial table or matrix needs --images (a folder or images.npy)`);
  const x = preprocessNotebook(rec.images, size).data;
  for (let k = 0; k < x.length; k++) x[k] = (x[k]! - norm.mean) / norm.std;
  return x;
}

export function prepareTrainingData(rec: RecordedData, o: { size: [number, number]; seed: bigint; validation: number; test: number }): TrainingData {
  if (!rec.images) throw new InputError(`${rec.source}: no images; a trial table or matrix needs --images (a folder or images.npy)`);
  const split = splitImages(rec.responses.images, { seed: o.seed, validation: o.validation, test: o.test });
  if (split.validation.length < 2) throw new InputError(`${rec.source}: ${split.validation.length} validation image(s) of ${rec.responses.images}; early stopping needs at least 2 (raise --validation or give more images)`);
  const means = meanResponses(rec);
  checkResponsesPresent(rec, means, [...split.train, ...split.validation], 'training and validation');
  const [H, W] = o.size;
  const raw = preprocessNotebook(rec.images, o.size).data;
  let s = 0, ss = 0;
  const px = H * W;
  for (const i of split.train) for (let p = 0; p < px; p++) { const v = raw[i * px + p]!; s += v; ss += v * v; }
  const n = split.train.length * px;
  const mean = s / n;
  const std = Math.sqrt(Math.max(ss / n - mean * mean, 0));
  if (!(std > 1e-6)) throw new InputError(`${rec.source}: the training images are constant (pixel standard deviation ${std}); a twin cannot learn from them`);
  const norm = { mean: Math.fround(mean), std: Math.fround(std) };
  for (let k = 0; k < raw.length; k++) raw[k] = (raw[k]! - norm.mean) / norm.std;
  const N = rec.responses.neurons;
  return { inputs: raw, inputShape: [1, H, W], targets: Float32Array.from(means), images: rec.responses.images, neurons: N, split, normalisation: norm };
}

/** Rows of an (I, F) array for some images, packed. */
export function rowsOf(a: Float32Array, perRow: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * perRow);
  rows.forEach((r, j) => out.set(a.subarray(r * perRow, (r + 1) * perRow), j * perRow));
  return out;
}
