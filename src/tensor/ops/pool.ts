// 2-D pooling over NCHW (or CHW) tensors with PyTorch semantics: maxPool2d, avgPool2d, adaptiveAvgPool2d, each
// with its VJP. Kernels: shaders/pool.ts (WebGPU) and backend/cpu/pool.ts (float64 oracle).
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import type { View } from '../backend/backend.js';
import { fmt } from '../shape.js';
import { kernelsFor } from '../backend/registry.js';
import type { AdaptiveGeometry, AvgPoolOptions, Pool2dGeometry } from '../backend/kernels/pool.js';
import { wrap } from './core.js';

/** a size for both spatial dims, or [height, width] */
type IntPair = number | readonly [number, number];

export interface MaxPool2dOptions {
  kernelSize: IntPair;
  /** default: kernelSize */
  stride?: IntPair | null;
  padding?: IntPair;
  dilation?: IntPair;
  ceilMode?: boolean;
}

export interface AvgPool2dOptions {
  kernelSize: IntPair;
  /** default: kernelSize */
  stride?: IntPair | null;
  padding?: IntPair;
  ceilMode?: boolean;
  /** count padded zeros in the divisor (default true, as PyTorch) */
  countIncludePad?: boolean;
  /** divide every window sum by this instead */
  divisorOverride?: number | null;
}

const pool = (x: Tensor) => kernelsFor(x.backend, 'pool');

function pairOf(op: string, what: string, v: IntPair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (typeof v !== 'number' && v.length !== 2) throw new ShapeError(`${op}: ${what} must be a number or a pair, got [${v.join(', ')}]`);
  if (!p.every((a) => Number.isInteger(a) && a >= min)) throw new ShapeError(`${op}: ${what} must be ${min > 0 ? 'positive' : 'non-negative'} integers, got ${fmt(p)}`);
  return p;
}

/** PyTorch's pooling_output_shape (floor or ceil mode; a last window must start inside the input or left padding). */
export function poolOutputSize(size: number, k: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  const num = size + 2 * pad - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0);
  let out = Math.floor(num / stride) + 1;
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** Checks dtype, rank (N, C, H, W) or (C, H, W) and non-empty C, H, W. */
function checkInput(op: string, x: Tensor): void {
  x.backendView(op);
  if (x.dtype !== 'f32') throw new DTypeError(`${op}: input must be f32, got ${x.dtype}`);
  if (x.rank !== 3 && x.rank !== 4) throw new ShapeError(`${op}: input must be (N, C, H, W) or (C, H, W), got shape ${fmt(x.shape)}`);
  if (x.shape.slice(-3).some((s) => s === 0)) throw new ShapeError(`${op}: input ${fmt(x.shape)} has an empty channel or spatial dim`);
}

/** Run fn on a contiguous view of x (a temporary copy when x is strided; kernels honour the offset). */
function withContiguous<T>(op: string, x: Tensor, fn: (v: View) => T): T {
  if (x.isContiguous) return fn(x.backendView(op));
  const c = noGrad(() => x.contiguous());
  try { return fn(c.backendView(op)); } finally { c.dispose(); }
}

function windowGeometry(op: string, x: Tensor, kernelSize: IntPair, stride: IntPair | null | undefined, padding: IntPair,
  dilation: IntPair, ceilMode: boolean): Pool2dGeometry {
  const [kH, kW] = pairOf(op, 'kernelSize', kernelSize, 1);
  const [sH, sW] = stride === null || stride === undefined ? [kH, kW] : pairOf(op, 'stride', stride, 1);
  const [pH, pW] = pairOf(op, 'padding', padding, 0);
  const [dH, dW] = pairOf(op, 'dilation', dilation, 1);
  const [H, W] = x.shape.slice(-2);
  if (pH > Math.floor(kH / 2) || pW > Math.floor(kW / 2)) {
    throw new ShapeError(`${op}: padding ${fmt([pH, pW])} must be at most half the kernel size ${fmt([kH, kW])} (as PyTorch); use a larger kernel or pad the input first`);
  }
  const eH = dH * (kH - 1) + 1, eW = dW * (kW - 1) + 1;
  if (eH > H + 2 * pH || eW > W + 2 * pW) {
    throw new ShapeError(`${op}: the kernel (extent ${fmt([eH, eW])} with dilation ${fmt([dH, dW])}) is larger than the padded input ${fmt([H + 2 * pH, W + 2 * pW])} of input shape ${fmt(x.shape)}`);
  }
  const OH = poolOutputSize(H, kH, pH, sH, dH, ceilMode), OW = poolOutputSize(W, kW, pW, sW, dW, ceilMode);
  if (OH < 1 || OW < 1) throw new ShapeError(`${op}: input ${fmt(x.shape)} gives an empty output ${fmt([OH, OW])}`);
  const planes = x.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  return { planes, H, W, OH, OW, kH, kW, sH, sW, pH, pW, dH, dW };
}

function outShape(x: Tensor, OH: number, OW: number): number[] {
  return [...x.shape.slice(0, -2), OH, OW];
}

function maxPoolImpl(x: Tensor, opts: MaxPool2dOptions, wantIndices: boolean): { out: Tensor; indices: Tensor | null } {
  const op = 'maxPool2d';
  checkInput(op, x);
  const g = windowGeometry(op, x, opts.kernelSize, opts.stride, opts.padding ?? 0, opts.dilation ?? 1, opts.ceilMode ?? false);
  const needGrad = isGradEnabled() && x.requiresGrad;
  const b = x.backend;
  const r = withContiguous(op, x, (v) => pool(x).maxPool2d(b, v, g, needGrad || wantIndices));
  const shape = outShape(x, g.OH, g.OW);
  const out = wrap(b, r.out, shape, 'f32');
  const indices = r.indices ? wrap(b, r.indices, shape, 'i32') : null;
  if (needGrad && indices) {
    record(op, out, [x], (gy) => [wrap(b, withContiguous('maxPool2d backward', gy,
      (v) => pool(gy).maxPool2dBackward(b, v, indices.backendView('maxPool2d backward'), g)), x.shape, 'f32')]);
  }
  return { out, indices };
}

/**
 * torch.nn.functional.max_pool2d: the maximum of each window; padding counts as -inf, so every window holds at
 * least one input value. The gradient goes to the first maximum of each window (PyTorch CPU's tie rule).
 */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  return maxPoolImpl(x, opts, false).out;
}

/** maxPool2d that also returns PyTorch's `return_indices`: i32 positions h*W+w within each input plane. */
export function maxPool2dWithIndices(x: Tensor, opts: MaxPool2dOptions): { out: Tensor; indices: Tensor } {
  const r = maxPoolImpl(x, opts, true);
  return { out: r.out, indices: r.indices! };
}

/** torch.nn.functional.avg_pool2d (count_include_pad, divisor_override, ceil_mode as PyTorch). */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const op = 'avgPool2d';
  checkInput(op, x);
  const g = windowGeometry(op, x, opts.kernelSize, opts.stride, opts.padding ?? 0, 1, opts.ceilMode ?? false);
  const div = opts.divisorOverride ?? 0;
  if (opts.divisorOverride !== undefined && opts.divisorOverride !== null && (!Number.isInteger(div) || div === 0)) {
    throw new ShapeError(`${op}: divisorOverride must be a non-zero integer, got ${opts.divisorOverride}`);
  }
  const o: AvgPoolOptions = { countIncludePad: opts.countIncludePad ?? true, divisor: div };
  const b = x.backend;
  const out = wrap(b, withContiguous(op, x, (v) => pool(x).avgPool2d(b, v, g, o)), outShape(x, g.OH, g.OW), 'f32');
  if (x.requiresGrad) {
    record(op, out, [x], (gy) => [wrap(b, withContiguous('avgPool2d backward', gy, (v) => pool(gy).avgPool2dBackward(b, v, g, o)), x.shape, 'f32')]);
  }
  return out;
}

/**
 * torch.nn.functional.adaptive_avg_pool2d: output bin i of n over an axis of length L averages
 * [floor(i*L/n), ceil((i+1)*L/n)). `outputSize` is a number or [OH, OW] (null keeps that input size).
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = 'adaptiveAvgPool2d';
  checkInput(op, x);
  const [H, W] = x.shape.slice(-2);
  const req = typeof outputSize === 'number' ? [outputSize, outputSize] : [outputSize[0] ?? H, outputSize[1] ?? W];
  if (typeof outputSize !== 'number' && outputSize.length !== 2) throw new ShapeError(`${op}: outputSize must be a number or a pair, got [${outputSize.join(', ')}]`);
  if (!req.every((s) => Number.isInteger(s) && s > 0)) throw new ShapeError(`${op}: outputSize must be positive integers, got ${fmt(req)}`);
  const [OH, OW] = req;
  const g: AdaptiveGeometry = { planes: x.shape.slice(0, -2).reduce((p, q) => p * q, 1), H, W, OH, OW };
  const b = x.backend;
  const out = wrap(b, withContiguous(op, x, (v) => pool(x).adaptiveAvgPool2d(b, v, g)), outShape(x, OH, OW), 'f32');
  if (x.requiresGrad) {
    record(op, out, [x], (gy) => [wrap(b, withContiguous('adaptiveAvgPool2d backward', gy, (v) => pool(gy).adaptiveAvgPool2dBackward(b, v, g)), x.shape, 'f32')]);
  }
  return out;
}
