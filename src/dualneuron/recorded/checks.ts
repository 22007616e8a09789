// Checks shared by every recorded-data layout: response values, id lists, image stacks. Errors are InputErrors
// that name the file, the key or column, the position and what to do.
import { InputError } from '../../errors.js';
import type { HostArray } from '../../io/host-array.js';
import type { ImageStack, ResponseCube } from './types.js';

/** Response arrays must be numbers: float32/float64 (NaN = not recorded) or integers (every entry recorded). */
export function responsesToFloat64(a: HostArray, file: string): Float64Array {
  if (a.dtype === 'f32' || a.dtype === 'f64') return Float64Array.from(a.data as Float32Array | Float64Array);
  if (a.dtype === 'i64') return Float64Array.from(a.data as BigInt64Array, (v) => Number(v));
  if (a.dtype === 'i32' || a.dtype === 'i16' || a.dtype === 'i8' || a.dtype === 'u8') return Float64Array.from(a.data as Int32Array);
  throw new InputError(`${file}: responses of dtype ${a.dtype} cannot be read; save them as float32 (NaN where a repeat was not recorded): arr.astype(np.float32)`);
}

/** (repeat, image, neuron) of a flat index, for messages. */
function where(c: ResponseCube, k: number, neuronIds: readonly string[], imageIds: readonly string[]): string {
  const n = k % c.neurons, i = Math.floor(k / c.neurons) % c.images, r = Math.floor(k / (c.neurons * c.images));
  return `[repeat ${r}, image ${i} (id ${imageIds[i]}), neuron ${n} (id ${neuronIds[n]})]`;
}

/** No infinities; no negative values for spike counts. NaN means "not recorded" and is allowed. */
export function checkResponseValues(c: ResponseCube, unit: 'spike_count' | 'rate', file: string, neuronIds: readonly string[], imageIds: readonly string[]): void {
  for (let k = 0; k < c.data.length; k++) {
    const v = c.data[k]!;
    if (v === Infinity || v === -Infinity) {
      throw new InputError(`${file}: response ${where(c, k, neuronIds, imageIds)} is ${v}; responses must be finite (NaN marks a repeat that was not recorded)`);
    }
    if (unit === 'spike_count' && v < 0) {
      throw new InputError(`${file}: spike count ${where(c, k, neuronIds, imageIds)} is negative (${v}); spike counts are >= 0 (if these are rates or dF/F, set "response_unit": "rate")`);
    }
  }
}

/** Ids as strings: JSON strings or integers, unique, as many as `count`. */
export function idList(v: unknown, key: string, count: number, file: string): string[] {
  if (!Array.isArray(v)) throw new InputError(`${file}: "${key}" must be a list of ${count} ids (strings or integers)`);
  if (v.length !== count) throw new InputError(`${file}: "${key}" has ${v.length} ids but the data have ${count}; list one id per entry`);
  const kinds = new Set(v.map((x) => typeof x));
  const out = v.map((x, k) => {
    if (typeof x === 'string' && x.length > 0) return x;
    if (typeof x === 'number' && Number.isSafeInteger(x)) return String(x);
    throw new InputError(`${file}: "${key}"[${k}] is ${JSON.stringify(x)}; ids must be non-empty strings or integers`);
  });
  if (kinds.size > 1) throw new InputError(`${file}: "${key}" mixes strings and numbers (e.g. ${JSON.stringify(v.find((x) => typeof x === 'string'))} and ${JSON.stringify(v.find((x) => typeof x === 'number'))}); use one type for every id`);
  const seen = new Map<string, number>();
  out.forEach((id, k) => {
    const prev = seen.get(id);
    if (prev !== undefined) throw new InputError(`${file}: "${key}" lists id ${id} twice (entries ${prev} and ${k}); ids must be unique`);
    seen.set(id, k);
  });
  return out;
}

/** An images.npy array as an ImageStack: uint8, (I, H, W) or (I, H, W, 3). */
export function imageStackOf(a: HostArray, file: string, expectCount?: number, expectShape?: readonly number[]): ImageStack {
  if (a.dtype !== 'u8') throw new InputError(`${file}: images must be uint8 (0..255), got ${a.dtype}; convert with np.clip(x, 0, 255).astype(np.uint8) (x in 0..255)`);
  const s = a.shape;
  if (!(s.length === 3 || (s.length === 4 && s[3] === 3))) {
    throw new InputError(`${file}: images have shape (${s.join(', ')}); expected (I, H, W) gray or (I, H, W, 3) RGB`);
  }
  if (expectCount !== undefined && s[0] !== expectCount) {
    throw new InputError(`${file}: ${s[0]} images but the responses have ${expectCount} images; give one image per image id, in image_ids order`);
  }
  if (expectShape && (expectShape.length !== s.length - 1 || expectShape.some((d, k) => d !== s[k + 1]))) {
    throw new InputError(`${file}: images have shape (${s.slice(1).join(', ')}) each, but dataset.json says image_shape [${expectShape.join(', ')}]; fix image_shape or the images`);
  }
  return { count: s[0]!, height: s[1]!, width: s[2]!, channels: s.length === 4 ? 3 : 1, data: a.data as Uint8Array };
}
