// Plain CPU-side n-d arrays as read from and written to files (.npy, .safetensors, PyTorch checkpoints).
// No tensor or GPU dependency: a HostArray is just a dtype, a C-order shape and a typed array.
//
// Storage per dtype: f16 and bf16 keep their raw 16-bit patterns in a Uint16Array, i64 is a BigInt64Array,
// bool is a Uint8Array of 0/1. All multi-byte data is in host (little-endian) byte order.
import { DTypeError, ShapeError } from '../errors.js';

export type HostDType = 'f16' | 'bf16' | 'f32' | 'f64' | 'i64' | 'i32' | 'i16' | 'i8' | 'u8' | 'bool';

export type TypedArray =
  | Float32Array
  | Float64Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

export interface HostArray {
  dtype: HostDType;
  /** C-order (row-major) shape; [] is a scalar holding one element. */
  shape: number[];
  data: TypedArray;
}

export const HOST_DTYPES: readonly HostDType[] = ['f16', 'bf16', 'f32', 'f64', 'i64', 'i32', 'i16', 'i8', 'u8', 'bool'];

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<HostDType, number>> = {
  f16: 2, bf16: 2, f32: 4, f64: 8, i64: 8, i32: 4, i16: 2, i8: 1, u8: 1, bool: 1,
};

type TypedArrayCtor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

const CTORS: Readonly<Record<HostDType, TypedArrayCtor>> = {
  f16: Uint16Array, bf16: Uint16Array, f32: Float32Array, f64: Float64Array, i64: BigInt64Array,
  i32: Int32Array, i16: Int16Array, i8: Int8Array, u8: Uint8Array, bool: Uint8Array,
};

export function isHostDType(s: unknown): s is HostDType {
  return typeof s === 'string' && (HOST_DTYPES as readonly string[]).includes(s);
}

/** Number of elements of a shape (1 for the scalar shape []). Throws ShapeError for a bad dimension. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ShapeError(`invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new ShapeError(`shape [${shape.join(', ')}] has too many elements`);
  return n;
}

/** C-order strides (in elements) of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** A zero-filled typed array of the right kind for `dtype`. */
export function allocTyped(dtype: HostDType, length: number): TypedArray {
  return new CTORS[dtype](length);
}

/** A zero-filled HostArray. */
export function zerosHost(dtype: HostDType, shape: readonly number[]): HostArray {
  return { dtype, shape: [...shape], data: allocTyped(dtype, numel(shape)) };
}

/** Builds a HostArray, checking that `data` is the typed array kind for `dtype` and has numel(shape) elements. */
export function hostArray(dtype: HostDType, shape: readonly number[], data: TypedArray): HostArray {
  if (!isHostDType(dtype)) throw new DTypeError(`unknown host dtype ${String(dtype)}; expected one of ${HOST_DTYPES.join(', ')}`);
  const ctor = CTORS[dtype];
  if (!(data instanceof ctor)) {
    throw new DTypeError(`dtype ${dtype} needs its data in a ${ctor.name}, got ${data?.constructor?.name ?? typeof data}`);
  }
  const n = numel(shape);
  if (data.length !== n) {
    throw new ShapeError(`data has ${data.length} elements but shape [${shape.join(', ')}] needs ${n}`);
  }
  return { dtype, shape: [...shape], data };
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of every `itemSize`-byte element of `bytes`, in place. */
export function byteSwapInPlace(bytes: Uint8Array, itemSize: number): void {
  if (itemSize <= 1) return;
  for (let i = 0; i + itemSize <= bytes.length; i += itemSize) {
    for (let a = i, b = i + itemSize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * A HostArray over `bytes` (numel(shape) * itemsize bytes, little-endian unless `littleEndian: false`).
 * Returns a zero-copy view when the bytes are suitably aligned and in host order and `copy` is not set;
 * otherwise copies (and byte-swaps when needed). The caller checks that `bytes` is long enough.
 */
export function hostArrayFromBytes(
  dtype: HostDType,
  shape: readonly number[],
  bytes: Uint8Array,
  opts: { littleEndian?: boolean; copy?: boolean } = {},
): HostArray {
  const n = numel(shape);
  const size = DTYPE_BYTES[dtype];
  const nbytes = n * size;
  if (bytes.length < nbytes) throw new ShapeError(`need ${nbytes} bytes for ${dtype}[${shape.join(', ')}], got ${bytes.length}`);
  const ctor = CTORS[dtype];
  const swap = size > 1 && (opts.littleEndian ?? true) !== LITTLE_ENDIAN_HOST;
  if (!swap && !opts.copy && bytes.byteOffset % size === 0) {
    return { dtype, shape: [...shape], data: new ctor(bytes.buffer, bytes.byteOffset, n) };
  }
  const copy = new Uint8Array(nbytes);
  copy.set(bytes.subarray(0, nbytes));
  if (swap) byteSwapInPlace(copy, size);
  return { dtype, shape: [...shape], data: new ctor(copy.buffer, 0, n) };
}

/** The bytes of a HostArray's data (a view, host byte order). */
export function hostArrayBytes(a: HostArray): Uint8Array {
  return new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
}

// ---- half and bfloat16 -----------------------------------------------------------------------------------

const F32_SCRATCH = new Float32Array(1);
const U32_SCRATCH = new Uint32Array(F32_SCRATCH.buffer);

/** Exact value of an IEEE binary16 bit pattern. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Exact value of a bfloat16 bit pattern (the top 16 bits of a float32). */
export function bf16BitsToNumber(b: number): number {
  U32_SCRATCH[0] = (b & 0xffff) << 16;
  return F32_SCRATCH[0]!;
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5 || (d === 0.5 && f % 2 !== 0)) return f + 1;
  return f;
}

/** IEEE binary16 bits of `x`, rounded to nearest even (overflow gives ±Infinity, NaN stays NaN). */
export function numberToF16Bits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24); // subnormal; 1024 is the smallest normal, still right
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  let q = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (q === 1024) { e++; q = 0; }
  if (e + 15 >= 31) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | q;
}

/** bfloat16 bits of `x` (via float32), rounded to nearest even; NaN stays NaN. */
export function numberToBf16Bits(x: number): number {
  F32_SCRATCH[0] = x;
  const bits = U32_SCRATCH[0]!;
  if (Number.isNaN(F32_SCRATCH[0]!)) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---- conversions -----------------------------------------------------------------------------------------

function convert<T extends Float32Array | Float64Array>(a: HostArray, out: T): T {
  const d = a.data;
  const n = out.length;
  if (d.length !== n) throw new ShapeError(`data has ${d.length} elements but shape [${a.shape.join(', ')}] needs ${n}`);
  switch (a.dtype) {
    case 'f16':
      for (let i = 0; i < n; i++) out[i] = f16BitsToNumber((d as Uint16Array)[i]!);
      break;
    case 'bf16': {
      // bf16 -> f32 is a 16-bit shift; do it in bulk through a Uint32 view.
      const tmp = new Float32Array(n);
      const u = new Uint32Array(tmp.buffer);
      for (let i = 0; i < n; i++) u[i] = (d as Uint16Array)[i]! << 16;
      out.set(tmp);
      break;
    }
    case 'i64':
      for (let i = 0; i < n; i++) out[i] = Number((d as BigInt64Array)[i]!);
      break;
    default:
      out.set(d as Exclude<TypedArray, BigInt64Array>);
  }
  return out;
}

/** A new Float32Array holding every element converted to float32 (f16/bf16 decoded exactly, i64 via Number). */
export function toFloat32(a: HostArray): Float32Array {
  return convert(a, new Float32Array(numel(a.shape)));
}

/** A new Float64Array holding every element converted to float64 (exact for all dtypes except i64 beyond 2^53). */
export function toFloat64(a: HostArray): Float64Array {
  return convert(a, new Float64Array(numel(a.shape)));
}

/** A HostArray of dtype f32 (copy) from any HostArray. */
export function castToF32(a: HostArray): HostArray {
  return { dtype: 'f32', shape: [...a.shape], data: toFloat32(a) };
}

/** A copy of `a` whose data does not alias the original (nor any file buffer it was read from). */
export function cloneHostArray(a: HostArray): HostArray {
  return { dtype: a.dtype, shape: [...a.shape], data: a.data.slice() as TypedArray };
}
