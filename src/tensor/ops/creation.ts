// Creating tensors: constants, ranges, identity, and seeded random numbers (Philox, see ../random.ts).
import { ShapeError } from '../../errors.js';
import { Tensor, type CreateOptions } from '../tensor.js';
import type { DType } from '../dtype.js';
import { checkShape, numel, fmt } from '../shape.js';
import { getBackend } from '../runtime.js';
import { defaultGenerator, type Generator } from '../random.js';
import { wrap } from './core.js';

export interface TensorOptions extends CreateOptions { dtype?: DType }

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad_();
  return t;
}

export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  checkShape('full', shape);
  const b = opts.backend ?? getBackend();
  const dtype = opts.dtype ?? 'f32';
  return finish(wrap(b, b.fill(numel(shape), value, dtype), shape, dtype), opts);
}
export const zeros = (shape: readonly number[], opts: TensorOptions = {}) => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts: TensorOptions = {}) => full(shape, 1, opts);

/** Values start, start+step, ... below stop (like torch.arange); arange(n) = 0..n-1. */
export function arange(start: number, stop?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (stop === undefined) { stop = start; start = 0; }
  if (step === 0) throw new ShapeError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const b = opts.backend ?? getBackend();
  const dtype = opts.dtype ?? (Number.isInteger(start) && Number.isInteger(step) && Number.isInteger(stop) ? 'i32' : 'f32');
  return finish(wrap(b, b.arange(n, start, step, dtype), [n], dtype), opts);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ShapeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  const b = opts.backend ?? getBackend();
  // computed on the host in float64 so the endpoint is exact, as torch.linspace
  const vals = Float64Array.from({ length: steps }, (_, i) => (i === steps - 1 && steps > 1 ? end : start + i * step));
  return finish(Tensor.from(vals, [steps], { backend: b, dtype: opts.dtype ?? 'f32' }), opts);
}

export function eye(n: number, m = n, opts: TensorOptions = {}): Tensor {
  const vals = new Float32Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) vals[i * m + i] = 1;
  return finish(Tensor.from(vals, [n, m], { backend: opts.backend, dtype: opts.dtype ?? 'f32' }), opts);
}

/** A tensor from a (nested) JS array of numbers. */
export function tensor(values: number | NestedNumbers, opts: TensorOptions = {}): Tensor {
  const shape: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v)) { shape.push(v.length); v = v[0]; }
  const flat: number[] = [];
  const walk = (x: unknown, d: number) => {
    if (d === shape.length) { if (typeof x !== 'number') throw new ShapeError('tensor: nested arrays must hold numbers'); flat.push(x); return; }
    if (!Array.isArray(x) || x.length !== shape[d]) throw new ShapeError(`tensor: ragged nested array (expected length ${shape[d]} at depth ${d}, shape ${fmt(shape)})`);
    for (const y of x) walk(y, d + 1);
  };
  walk(values, 0);
  return finish(Tensor.from(flat, shape, { backend: opts.backend, dtype: opts.dtype ?? 'f32' }), opts);
}
export type NestedNumbers = (number | NestedNumbers)[];

export interface RandomOptions extends TensorOptions { generator?: Generator }

function random(kind: 'uniform' | 'normal' | 'randint', shape: readonly number[], params: number[], dtype: DType, opts: RandomOptions): Tensor {
  checkShape(kind, shape);
  const b = opts.backend ?? getBackend();
  const gen = opts.generator ?? defaultGenerator;
  const n = numel(shape);
  const offset = gen.take(n);
  return finish(wrap(b, b.random(kind, n, [gen.seed], offset, params, dtype), shape, dtype), opts);
}

/**
 * Independent random streams, one per row: row r of the result (shape [seeds.length, ...rowShape]) holds the
 * numbers a generator seeded with seeds[r] produces from block `offsetBlocks` on. A batch of independent runs
 * thus draws exactly what each run would draw alone.
 */
export function randomRows(kind: 'uniform' | 'normal', seeds: readonly bigint[], rowShape: readonly number[], opts: TensorOptions & { offsetBlocks?: bigint; low?: number; high?: number; mean?: number; std?: number } = {}): Tensor {
  checkShape(kind, rowShape);
  const b = opts.backend ?? getBackend();
  const params = kind === 'uniform' ? [opts.low ?? 0, opts.high ?? 1] : [opts.mean ?? 0, opts.std ?? 1];
  return finish(wrap(b, b.random(kind, numel(rowShape), seeds, opts.offsetBlocks ?? 0n, params, 'f32'), [seeds.length, ...rowShape], 'f32'), opts);
}

/** Uniform on [low, high) (24-bit resolution). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  return random('uniform', shape, [opts.low ?? 0, opts.high ?? 1], 'f32', opts);
}
/** Normal(mean, std) by Box-Muller. */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  return random('normal', shape, [opts.mean ?? 0, opts.std ?? 1], 'f32', opts);
}
/** Integers uniform on [low, high) as i32. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new ShapeError(`randint: need integers low < high, got ${low}, ${high}`);
  return random('randint', shape, [low, high], 'i32', opts);
}
