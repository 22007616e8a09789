// Reductions over any set of axes (with keepdim), arg-reductions, and the statistics composed from them.
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { record, noGrad } from '../autograd.js';
import type { ReduceOp } from '../backend/backend.js';
import { fmt, normalizeAxes, numel } from '../shape.js';
import { wrap } from './core.js';
import { zeros } from './creation.js';

export type Axes = number | readonly number[] | null | undefined;

/** Raw reduction (no gradient recording): reduces `axes` of x. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  const ax = normalizeAxes(op, axes, x.rank);
  const kept = x.shape.map((_, i) => i).filter((i) => !ax.includes(i));
  const outShape = keepdim ? x.shape.map((s, i) => (ax.includes(i) ? 1 : s)) : kept.map((i) => x.shape[i]);
  const isArg = op === 'argmax' || op === 'argmin';
  const outDType = isArg ? 'i32' : x.dtype;
  const inner = numel(ax.map((i) => x.shape[i]));
  if (inner === 0) {
    if (op === 'sum') return zeros(outShape, { dtype: outDType, backend: x.backend });
    throw new ShapeError(`${op}: cannot reduce over an empty axis (shape ${fmt(x.shape)}, axes [${ax.join(', ')}])`);
  }
  const perm = [...kept, ...ax];
  const v = x.backendView(op);
  const view = { ...v, shape: perm.map((i) => x.shape[i]), strides: perm.map((i) => x.strides[i]) };
  return wrap(x.backend, x.backend.reduce(op, view, ax.length, outDType), outShape, outDType);
}

/** Shape of x with the reduced axes kept as size 1. */
function keepShape(x: Tensor, axes: Axes): number[] {
  const ax = normalizeAxes('reduce', axes, x.rank);
  return x.shape.map((s, i) => (ax.includes(i) ? 1 : s));
}

export function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  if (x.dtype === 'bool') throw new DTypeError("sum: input is bool; convert it first with .to('i32') or .to('f32')");
  const y = reduceRaw('sum', x, axes, keepdim);
  if (x.requiresGrad) record('sum', y, [x], (g) => [g.reshape(keepShape(x, axes)).expand(x.shape)]);
  return y;
}

/** Sum of squares over axes in one pass (no squared temporary). */
export function sumSquares(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  if (x.dtype !== 'f32') throw new DTypeError(`sumSquares: input must be f32, got ${x.dtype}`);
  const y = reduceRaw('sumsq', x, axes, keepdim);
  if (x.requiresGrad) record('sumSquares', y, [x], (g) => [g.reshape(keepShape(x, axes)).mul(x).mul(2)]);
  return y;
}

export function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  if (x.dtype !== 'f32') throw new DTypeError(`mean: input must be f32, got ${x.dtype}`);
  const n = numel(normalizeAxes('mean', axes, x.rank).map((i) => x.shape[i]));
  return sum(x, axes, keepdim).mul(1 / n);
}

function maxMin(op: 'max' | 'min', x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  const y = reduceRaw(op, x, axes, keepdim);
  if (x.requiresGrad) {
    record(op, y, [x], (g) => {
      // the gradient goes to every element equal to the extreme, shared evenly among ties (torch.amax)
      const ks = keepShape(x, axes);
      const mask = x.eq(y.reshape(ks)).to('f32');
      const count = mask.sum(axes, true);
      return [g.reshape(ks).mul(mask).div(count)];
    });
  }
  return y;
}

export const max = (x: Tensor, axes?: Axes, keepdim = false) => maxMin('max', x, axes, keepdim);
export const min = (x: Tensor, axes?: Axes, keepdim = false) => maxMin('min', x, axes, keepdim);

/** Index of the largest value along `axis` (of the flattened tensor when axis is omitted); first among ties. */
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) return reduceRaw('argmax', x.reshape([x.size]), 0, false);
  return reduceRaw('argmax', x, axis, keepdim);
}
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) return reduceRaw('argmin', x.reshape([x.size]), 0, false);
  return reduceRaw('argmin', x, axis, keepdim);
}

export interface VarOptions { correction?: number; keepdim?: boolean }

/** Variance with Bessel-style `correction` (default 1, as torch.var). */
export function variance(x: Tensor, axes?: Axes, opts: VarOptions = {}): Tensor {
  const correction = opts.correction ?? 1;
  const n = numel(normalizeAxes('var', axes, x.rank).map((i) => x.shape[i]));
  const d = x.sub(mean(x, axes, true));
  return sum(d.square(), axes, opts.keepdim ?? false).mul(1 / Math.max(0, n - correction));
}

export function std(x: Tensor, axes?: Axes, opts: VarOptions = {}): Tensor {
  return variance(x, axes, opts).sqrt();
}

/** Vector norm over `axes`: p = 1, 2 or Infinity. */
export function norm(x: Tensor, p: 1 | 2 | number = 2, axes?: Axes, keepdim = false): Tensor {
  if (p === 1) return sum(x.abs(), axes, keepdim);
  if (p === 2) return sumSquares(x, axes, keepdim).sqrt();
  if (p === Infinity) return max(x.abs(), axes, keepdim);
  if (p > 0) return sum(x.abs().pow(p), axes, keepdim).pow(1 / p);
  throw new ShapeError(`norm: p must be 1, 2, Infinity or a positive number, got ${p}`);
}

export function logsumexp(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const m = noGrad(() => max(x, axes, true));
  const y = x.sub(m).exp().sum(axes, true).log().add(m);
  m.dispose();
  return keepdim ? y : y.reshape(normalizeAxes('logsumexp', axes, x.rank).length ? x.shape.filter((_, i) => !normalizeAxes('logsumexp', axes, x.rank).includes(i)) : []);
}

export function softmax(x: Tensor, axis = -1): Tensor {
  const m = noGrad(() => max(x, axis, true));
  const e = x.sub(m).exp();
  m.dispose();
  return e.div(e.sum(axis, true));
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return x.sub(logsumexp(x, axis, true));
}
