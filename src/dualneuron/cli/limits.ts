// Resource limits of the command line, checked before any work: a request that cannot fit is refused (or, for the
// synthesis batch, split) with a message naming the limit, instead of an out-of-memory abort hours later.
import os from 'node:os';
import { InputError } from '../../errors.js';
import type { TwinId } from '../../models/twins/registry.js';

/** Results (neuron x seed x pole) one synthesize/poles command may ask for; each needs its own folder and files. */
export const MAX_RESULTS = 1_000_000;

export function checkResultCount(results: number, what: string): void {
  if (results > MAX_RESULTS) {
    throw new InputError(`${what} asks for ${results.toLocaleString('en-US')} results; one command computes at most ${MAX_RESULTS.toLocaleString('en-US')}. Split the neurons or seeds over several commands (each with its own --out).`);
  }
}

/** Memory one decode worker may use: a thread with its own heap plus a decoded image of up to a few hundred MB. */
const WORKER_BYTES = 512 * 2 ** 20;

/** The most decode workers this machine can run: one per core and one per 512 MiB of free memory, at least 1. */
export function maxWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism(), Math.floor(os.freemem() / WORKER_BYTES)));
}

/** Side of rendered scenes and patches: below 16 there is nothing to crop; 4096 keeps one image under 48 MiB. */
export const IMAGE_SIDE = { min: 16, max: 4096 } as const;
/** Images per render/patches command (file names have six digits). */
export const MAX_IMAGES = 1_000_000;

/**
 * The largest tensor of one synthesis step, in float32 elements per crop, for each twin's model: V1 (ConvNeXt at
 * 93x93) is the inverted-bottleneck hidden layer of stage 0, 160 x 23 x 23 (measured: 84640); V4 (ResNet-50 to
 * layer3.0 at 100x100) the stem and layer1 outputs, 64 x 50 x 50 and 256 x 25 x 25 (160000).
 */
const LARGEST_PER_CROP: Record<TwinId, number> = { v1: 84_640, v4: 160_000, v4g: 160_000 };

/** DreamSim guidance (ViT-B/16 at 224): the MLP hidden layer, 197 tokens x 3072, per guided image (one per run). */
const LARGEST_PER_GUIDED_RUN = 197 * 3072;

/**
 * The most synthesis runs one batch can hold on an adapter whose buffers hold at most `maxBufferBytes`: every step
 * evaluates nbCrops crops of every run at once (rendered at oversample times the size before resampling), so
 * the largest tensor of a step grows with the number of runs. A factor 2 of headroom covers the rounding of
 * buffer sizes and tensors this estimate does not name.
 */
export function maxRunsPerBatch(id: TwinId, r: { channels: number; size: number; nbCrops: number; oversample: number; guided: boolean }, maxBufferBytes: number): number {
  const perCrop = Math.max(LARGEST_PER_CROP[id], r.channels * (r.size * r.oversample) ** 2);
  const perRun = Math.max(perCrop * r.nbCrops, r.guided ? LARGEST_PER_GUIDED_RUN : 0);
  return Math.max(1, Math.floor(maxBufferBytes / (2 * 4 * perRun)));
}

/** The largest buffer an adapter allows: a storage binding and a buffer must both hold it. */
export function maxBufferBytes(limits: { maxStorageBufferBindingSize: number; maxBufferSize: number }): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/**
 * Refuses a screen/predict --batch whose forward pass would need a tensor larger than the adapter's buffers (the
 * same estimate as synthesis, one image per input); screening results are reproducible only for a given batch,
 * so the batch is not split silently.
 */
export function checkImageBatch(id: TwinId, batch: number, maxBytes: number): void {
  const cap = Math.max(1, Math.floor(maxBytes / (2 * 4 * LARGEST_PER_CROP[id])));
  if (batch > cap) throw new InputError(`--batch ${batch} is more than this adapter's buffers hold (${(maxBytes / 2 ** 20).toFixed(0)} MiB per buffer): at most ${cap} images per batch for the ${id} twin`);
}
