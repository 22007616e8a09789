// The DATA folder (binding format, README "Recorded data and oracle reliability"): dataset.json, responses.npy
// float32 (R, I, N) with NaN for repeats not recorded, images.npy uint8 (I, H, W[, 3]) in image_ids order.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { checkResponseValues, idList, imageStackOf, responsesToFloat64 } from './checks.js';
import type { RecordedData } from './types.js';

export const DATASET_FORMAT = 'dualneuron-recorded';

export function isDataFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'dataset.json'));
}

function positiveInt(d: Record<string, unknown>, key: string, file: string): number {
  const v = d[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new InputError(`${file}: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads a DATA folder; images.npy is read only when `images` is true (its header is always checked). */
export function readDataFolder(dir: string, o: { images: boolean }): RecordedData {
  const file = join(dir, 'dataset.json');
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message}); see the README section "Recorded data and oracle reliability" for the format`);
  }
  if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new InputError(`${file}: must hold a JSON object`);
  if (d.format !== DATASET_FORMAT) throw new InputError(`${file}: "format" is ${JSON.stringify(d.format)}, expected "${DATASET_FORMAT}"`);
  if (d.version !== 1) throw new InputError(`${file}: "version" ${JSON.stringify(d.version)} is not supported (this version of dualneuron reads version 1)`);
  const I = positiveInt(d, 'images', file), N = positiveInt(d, 'neurons', file), R = positiveInt(d, 'repeats', file);
  const shape = d.image_shape;
  if (!Array.isArray(shape) || !(shape.length === 2 || (shape.length === 3 && shape[2] === 3)) || !shape.every((x) => Number.isSafeInteger(x) && x > 0)) {
    throw new InputError(`${file}: "image_shape" must be [H, W] or [H, W, 3] with positive integers, got ${JSON.stringify(shape)}`);
  }
  const neuronIds = idList(d.neuron_ids, 'neuron_ids', N, file);
  const imageIds = idList(d.image_ids, 'image_ids', I, file);
  const unit = d.response_unit;
  if (unit !== 'spike_count' && unit !== 'rate') throw new InputError(`${file}: "response_unit" must be "spike_count" or "rate", got ${JSON.stringify(unit)}`);
  const windowS = d.window_s ?? null;
  if (windowS !== null && (typeof windowS !== 'number' || !(windowS > 0))) throw new InputError(`${file}: "window_s" must be a positive number of seconds or null, got ${JSON.stringify(windowS)}`);
  const rfile = join(dir, 'responses.npy');
  if (!existsSync(rfile)) throw new InputError(`${rfile} is missing; a DATA folder holds dataset.json, responses.npy and images.npy`);
  const ra = readNpy(rfile);
  if (ra.shape.length !== 3 || ra.shape[0] !== R || ra.shape[1] !== I || ra.shape[2] !== N) {
    throw new InputError(`${rfile}: shape (${ra.shape.join(', ')}), but dataset.json says (repeats, images, neurons) = (${R}, ${I}, ${N}); ` +
      'responses.npy is (R, I, N) with NaN where an image has fewer than R repeats');
  }
  const responses = { repeats: R, images: I, neurons: N, data: responsesToFloat64(ra, rfile) };
  checkResponseValues(responses, unit, rfile, neuronIds, imageIds);
  const ifile = join(dir, 'images.npy');
  if (!existsSync(ifile)) throw new InputError(`${ifile} is missing; a DATA folder holds dataset.json, responses.npy and images.npy`);
  // the stack is checked against dataset.json even when it is not kept (so a bad folder fails early)
  const images = imageStackOf(readNpy(ifile), ifile, I, shape as number[]);
  return {
    source: dir, layout: 'folder', neuronIds, imageIds, responses, images: o.images ? images : null,
    responseUnit: unit, windowS: windowS as number | null, origin: typeof d.source === 'string' ? d.source : '',
  };
}
