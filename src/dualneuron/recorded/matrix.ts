// A bare responses matrix .npy: (R, I, N) with NaN for repeats not recorded, or (I, N) (one repeat; no oracle).
// Neuron and image ids are their positions ('0', '1', ...); images, when given, are matched by position.
import { InputError } from '../../errors.js';
import type { HostArray } from '../../io/host-array.js';
import { checkResponseValues, responsesToFloat64 } from './checks.js';
import type { RecordedData } from './types.js';

export function matrixToRecorded(a: HostArray, file: string, unit: 'spike_count' | 'rate'): RecordedData {
  if (a.shape.length !== 2 && a.shape.length !== 3) {
    throw new InputError(`${file}: shape (${a.shape.join(', ')}); a responses matrix is (repeats, images, neurons) or (images, neurons)`);
  }
  const [R, I, N] = a.shape.length === 3 ? (a.shape as [number, number, number]) : [1, a.shape[0]!, a.shape[1]!];
  if (R < 1 || I < 1 || N < 1) throw new InputError(`${file}: shape (${a.shape.join(', ')}) has an empty axis`);
  const responses = { repeats: R, images: I, neurons: N, data: responsesToFloat64(a, file) };
  const neuronIds = Array.from({ length: N }, (_, n) => String(n)), imageIds = Array.from({ length: I }, (_, i) => String(i));
  checkResponseValues(responses, unit, file, neuronIds, imageIds);
  return { source: file, layout: 'matrix', neuronIds, imageIds, responses, images: null, responseUnit: unit, windowS: null, origin: `responses matrix ${file}` };
}
