// Element types of tensors. Every dtype takes 4 bytes on the GPU; `bool` is stored as u32 0/1.
import { DTypeError } from '../errors.js';

export type DType = 'f32' | 'i32' | 'u32' | 'bool';
export const DTYPES: readonly DType[] = ['f32', 'i32', 'u32', 'bool'];

export type TypedArrayFor<D extends DType> = D extends 'f32' ? Float32Array : D extends 'i32' ? Int32Array : Uint32Array;
export type AnyTypedArray = Float32Array | Int32Array | Uint32Array | Uint8Array | Float64Array;

export const BYTES_PER_ELEMENT = 4;

export function typedArrayFor(dtype: DType, n: number): Float32Array | Int32Array | Uint32Array {
  switch (dtype) {
    case 'f32': return new Float32Array(n);
    case 'i32': return new Int32Array(n);
    case 'u32': case 'bool': return new Uint32Array(n);
  }
}

/** The dtype a typed array holds; Uint8Array is taken as bool (0/1). */
export function dtypeOfArray(a: ArrayLike<number>): DType {
  if (a instanceof Float32Array || a instanceof Float64Array) return 'f32';
  if (a instanceof Int32Array || a instanceof Int16Array || a instanceof Int8Array) return 'i32';
  if (a instanceof Uint32Array || a instanceof Uint16Array) return 'u32';
  if (a instanceof Uint8Array) return 'bool';
  return 'f32';
}

export function isFloat(d: DType): boolean { return d === 'f32'; }
export function isInt(d: DType): boolean { return d === 'i32' || d === 'u32'; }

/** WGSL scalar type used to store this dtype. */
export function wgslType(d: DType): 'f32' | 'i32' | 'u32' {
  return d === 'bool' ? 'u32' : d;
}

export function assertSameDType(op: string, a: DType, b: DType, what = 'operands'): void {
  if (a !== b) throw new DTypeError(`${op}: ${what} must have the same dtype, got ${a} and ${b}; convert one with .to('${a}') or .to('${b}')`);
}

export function assertDType(op: string, got: DType, allowed: readonly DType[], what = 'input'): void {
  if (!allowed.includes(got)) throw new DTypeError(`${op}: ${what} must be ${allowed.join(' or ')}, got ${got}`);
}
