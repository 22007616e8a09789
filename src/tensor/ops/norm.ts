// Normalisation layers as functions, each with its VJP: layerNorm (last dims), layerNorm2d (channels-first, as
// ConvNeXt), batchNorm (eval: running statistics; train: batch statistics and an in-place running update) and
// ConvNeXt-V2's GRN. Kernels: shaders/norm.ts (WebGPU) and backend/cpu/norm.ts (float64 oracle).
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { tidy } from '../scope.js';
import { fmt, numel, shapesEqual } from '../shape.js';
import { kernelsFor } from '../backend/registry.js';
import type { NormDims } from '../backend/kernels/norm.js';
import { backendOf, wrap } from './core.js';
import { fma } from './elementwise.js';
import { sumSquares } from './reduce.js';

const kernels = (t: Tensor) => kernelsFor(t.backend, 'norm');

/** x itself when contiguous, else a contiguous copy made without recording (the caller owns it). */
function dense(x: Tensor): Tensor {
  return x.isContiguous ? x : noGrad(() => x.contiguous());
}

function checkF32(op: string, what: string, t: Tensor | null | undefined): void {
  if (t && t.dtype !== 'f32') throw new DTypeError(`${op}: ${what} must be f32, got ${t.dtype}`);
}

function checkParam(op: string, what: string, t: Tensor | null | undefined, shape: readonly number[]): void {
  if (!t) return;
  checkF32(op, what, t);
  if (!shapesEqual(t.shape, shape)) throw new ShapeError(`${op}: ${what} must have shape ${fmt(shape)}, got ${fmt(t.shape)}`);
}

/**
 * Normalise x read as [outer, D, inner] over D with optional per-D weight and bias (of shape `paramShape`);
 * the fused kernel's VJP gives the input gradient, and weight/bias gradients are row sums.
 */
function normRows(op: string, x: Tensor, d: NormDims, paramShape: readonly number[], weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const b = backendOf(op, x, weight, bias);
  if (!(eps >= 0)) throw new ShapeError(`${op}: eps must be a non-negative number, got ${eps}`);
  const inputs = [x, weight, bias].filter((t): t is Tensor => !!t);
  const needGrad = isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const xc = dense(x), wc = weight && dense(weight), bc = bias && dense(bias);
  const r = kernels(x).layerNorm(b, xc.backendView(op), d, wc?.backendView(op) ?? null, bc?.backendView(op) ?? null, eps, needGrad);
  if (bc && bc !== bias) bc.dispose();
  const out = wrap(b, r.out, x.shape, 'f32');
  if (!needGrad) {
    if (xc !== x) xc.dispose();
    if (wc && wc !== weight) wc.dispose();
    return out;
  }
  const mean = wrap(b, r.mean!, [d.outer * d.inner], 'f32'), rstd = wrap(b, r.rstd!, [d.outer * d.inner], 'f32');
  const rowSum = (t: Tensor) => t.reshape([d.outer, d.D, d.inner]).sum([0, 2]).reshape(paramShape);
  record(op, out, inputs, (g) => {
    const gc = dense(g);
    const wantX = x.requiresGrad, wantW = !!weight?.requiresGrad, wantB = !!bias?.requiresGrad;
    let dx: Tensor | null = null, dw: Tensor | null = null;
    if (wantX || wantW) {
      const v = `${op} backward`;
      const k = kernels(x).layerNormBackward(b, gc.backendView(v), xc.backendView(v), mean.backendView(v), rstd.backendView(v), wc?.backendView(v) ?? null, d, wantW);
      dx = wrap(b, k.dx, x.shape, 'f32');
      if (k.gxhat) {
        const gx = wrap(b, k.gxhat, x.shape, 'f32');
        dw = rowSum(gx);
        gx.dispose();
      }
      if (!wantX) { dx.dispose(); dx = null; }
    }
    const db = wantB ? rowSum(gc) : null;
    if (gc !== g) gc.dispose();
    const grads: (Tensor | null)[] = [dx];
    if (weight) grads.push(dw);
    if (bias) grads.push(db);
    return grads;
  });
  return out;
}

/**
 * torch.nn.functional.layer_norm: normalises over the last `normalizedShape.length` dims (biased variance),
 * then `* weight + bias` (both of shape normalizedShape, optional).
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  x.backendView(op);
  checkF32(op, 'input', x);
  const k = normalizedShape.length;
  if (k === 0 || k > x.rank || normalizedShape.some((s, i) => s !== x.shape[x.rank - k + i])) {
    throw new ShapeError(`${op}: normalizedShape ${fmt(normalizedShape)} must be the last dims of the input shape ${fmt(x.shape)}`);
  }
  const D = numel(normalizedShape);
  if (D === 0) throw new ShapeError(`${op}: cannot normalise over an empty shape ${fmt(normalizedShape)}`);
  checkParam(op, 'weight', weight, normalizedShape);
  checkParam(op, 'bias', bias, normalizedShape);
  return normRows(op, x, { outer: x.size / D, D, inner: 1 }, normalizedShape, weight ?? null, bias ?? null, eps);
}

/**
 * Channels-first LayerNorm over C of an (N, C, ...) tensor at every position (ConvNeXt's
 * `data_format='channels_first'`): mean and biased variance over C, then `* weight[c] + bias[c]`.
 * eps defaults to ConvNeXt's 1e-6.
 */
export function layerNorm2d(x: Tensor, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-6): Tensor {
  const op = 'layerNorm2d';
  x.backendView(op);
  checkF32(op, 'input', x);
  if (x.rank < 2) throw new ShapeError(`${op}: input must be (N, C, H, W) (or (N, C, ...)), got shape ${fmt(x.shape)}`);
  const C = x.shape[1];
  if (C === 0) throw new ShapeError(`${op}: input ${fmt(x.shape)} has no channels`);
  checkParam(op, 'weight', weight, [C]);
  checkParam(op, 'bias', bias, [C]);
  return normRows(op, x, { outer: x.shape[0], D: C, inner: numel(x.shape.slice(2)) }, [C], weight ?? null, bias ?? null, eps);
}

// ------------------------------------------------------------------ batch norm
/** out = x * scale[c] + shift[c] over (outer, C, inner), with VJPs for x, scale and shift. */
function channelAffine(x: Tensor, d: NormDims, scale: Tensor, shift: Tensor): Tensor {
  const op = 'batchNorm';
  const b = x.backend;
  const xc = dense(x), sc = dense(scale), hc = dense(shift);
  const out = wrap(b, kernels(x).channelAffine(b, xc.backendView(op), d, sc.backendView(op), hc.backendView(op)), x.shape, 'f32');
  if (hc !== shift) hc.dispose();
  if (!(isGradEnabled() && (x.requiresGrad || scale.requiresGrad || shift.requiresGrad))) {
    if (xc !== x) xc.dispose();
    if (sc !== scale) sc.dispose();
    return out;
  }
  const perChannel = (t: Tensor) => t.reshape([d.outer, d.D, d.inner]).sum([0, 2]);
  record(op, out, [x, scale, shift], (g) => {
    const gc = dense(g);
    const v = `${op} backward`;
    const dx = x.requiresGrad ? wrap(b, kernels(x).channelAffine(b, gc.backendView(v), d, sc.backendView(v), null), x.shape, 'f32') : null;
    const dscale = scale.requiresGrad ? perChannel(gc.mul(xc)).reshape(scale.shape) : null;
    const dshift = shift.requiresGrad ? perChannel(gc).reshape(shift.shape) : null;
    if (gc !== g) gc.dispose();
    return [dx, dscale, dshift];
  });
  return out;
}

/** Per-channel batch mean and biased variance, each with its VJP (dmean/dx = 1/M, dvar/dx = 2(x - mean)/M). */
function channelStats(x: Tensor, d: NormDims): { mean: Tensor; variance: Tensor } {
  const op = 'batchNorm';
  const b = x.backend;
  const xc = dense(x);
  const r = kernels(x).channelStats(b, xc.backendView(op), d);
  const mean = wrap(b, r.mean, [d.D], 'f32'), variance = wrap(b, r.variance, [d.D], 'f32');
  if (!(isGradEnabled() && x.requiresGrad)) {
    if (xc !== x) xc.dispose();
    return { mean, variance };
  }
  const M = d.outer * d.inner;
  const perChannel = (g: Tensor) => g.reshape([1, d.D, 1]);
  record(`${op} mean`, mean, [x], (g) => [perChannel(g).mul(1 / M).expand([d.outer, d.D, d.inner]).reshape(x.shape)]);
  record(`${op} variance`, variance, [x], (g) => [xc.reshape([d.outer, d.D, d.inner]).sub(perChannel(mean)).mul(perChannel(g).mul(2 / M)).reshape(x.shape)]);
  return { mean, variance };
}

/**
 * x * scale + shift with scale = weight / sqrt(var + eps), shift = bias - mean * scale (PyTorch's CPU transform).
 * Intermediates are disposed at once when nothing needs gradients; `keep` are the caller's.
 */
function affineFromStats(x: Tensor, d: NormDims, mean: Tensor, variance: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, keep: Tensor[]): Tensor {
  const temps: Tensor[] = [];
  const t = (y: Tensor) => { temps.push(y); return y; };
  const inv = t(t(variance.add(eps)).rsqrt());
  const scale = weight ? t(inv.mul(weight)) : inv;
  const ms = t(mean.mul(scale));
  const shift = t(bias ? bias.sub(ms) : ms.neg());
  const out = channelAffine(x, d, scale, shift);
  if (!out.requiresGrad) for (const y of temps) if (!keep.includes(y)) y.dispose();
  return out;
}

export interface BatchNormOptions {
  /** batch statistics and a running-statistics update (true) or the running statistics (false) */
  training: boolean;
  /** running update r = (1 - momentum) r + momentum * batchStat (default 0.1) */
  momentum?: number;
  eps?: number;
}

/**
 * torch.nn.functional.batch_norm over x (N, C, ...): per-channel `(x - mean) / sqrt(var + eps) * weight + bias`.
 * Eval uses runningMean/runningVar (an affine map). Training normalises with the batch mean and biased variance
 * (gradients flow through both) and, when running tensors are given, updates them in place with the batch mean
 * and the unbiased variance.
 */
export function batchNorm(x: Tensor, runningMean: Tensor | null | undefined, runningVar: Tensor | null | undefined,
  weight?: Tensor | null, bias?: Tensor | null, opts: BatchNormOptions = { training: false }): Tensor {
  const op = 'batchNorm';
  const b = backendOf(op, x, runningMean, runningVar, weight, bias);
  checkF32(op, 'input', x);
  if (x.rank < 2) throw new ShapeError(`${op}: input must be (N, C, ...) with at least 2 dims, got shape ${fmt(x.shape)}`);
  const C = x.shape[1];
  for (const [what, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) checkParam(op, what, t, [C]);
  const eps = opts.eps ?? 1e-5, momentum = opts.momentum ?? 0.1;
  if (!(eps >= 0)) throw new ShapeError(`${op}: eps must be a non-negative number, got ${eps}`);
  const d: NormDims = { outer: x.shape[0], D: C, inner: numel(x.shape.slice(2)) };
  if (!opts.training) {
    if (!runningMean || !runningVar) throw new ShapeError(`${op}: eval mode needs runningMean and runningVar (or pass { training: true })`);
    return affineFromStats(x, d, runningMean, runningVar, weight ?? null, bias ?? null, eps, []);
  }
  const M = d.outer * d.inner;
  if (M <= 1) throw new ShapeError(`${op}: training needs more than 1 value per channel, got input shape ${fmt(x.shape)}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new ShapeError(`${op}: momentum must be in [0, 1], got ${momentum}`);
  const { mean, variance } = channelStats(x, d);
  const out = affineFromStats(x, d, mean, variance, weight ?? null, bias ?? null, eps, [mean, variance]);
  if (runningMean || runningVar) {
    noGrad(() => tidy(() => {
      const update = (r: Tensor, stat: Tensor, factor: number) => {
        const next = r.mul(1 - momentum).add(stat.mul(momentum * factor));
        b.assign(r.backendView(`${op} running update`), next.backendView(`${op} running update`));
        r.bumpVersion();
      };
      if (runningMean) update(runningMean, mean, 1);
      if (runningVar) update(runningVar, variance, M / (M - 1));
    }));
  }
  if (!out.requiresGrad) { mean.dispose(); variance.dispose(); }
  return out;
}

// ------------------------------------------------------------------ GRN
/** sqrt of a sum of squares; its VJP is 0 where the sum is 0 (as torch.norm), not NaN. */

/**
 * ConvNeXt-V2 Global Response Normalization on channels-last x (N, H, W, C), as HF transformers'
 * ConvNextV2GRN: G = ||x||_2 over (H, W) per (n, c), Nx = G / (mean_c G + eps),
 * out = gamma * (x * Nx) + beta + x, with gamma and beta of shape (1, 1, 1, C) (or (C)).
 * Grouped: gamma and beta of shape (K, 1, 1, C) with N a multiple of K give each block of N / K consecutive
 * samples its own parameters (K models' GRNs in one call, e.g. an ensemble's members stacked on the batch).
 */
export function grn(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-6): Tensor {
  const op = 'grn';
  const b = backendOf(op, x, gamma, beta);
  checkF32(op, 'input', x);
  if (x.rank !== 4) throw new ShapeError(`${op}: input must be channels-last (N, H, W, C), got shape ${fmt(x.shape)}`);
  const [N, H, W, C] = x.shape;
  const K = gamma.rank === 4 ? gamma.shape[0] : 1;
  for (const [what, t] of [['gamma', gamma], ['beta', beta]] as const) {
    checkF32(op, what, t);
    if (!(shapesEqual(t.shape, [K, 1, 1, C]) || (K === 1 && shapesEqual(t.shape, [C])))) {
      throw new ShapeError(`${op}: ${what} must have shape [1, 1, 1, ${C}] or [${C}] (or [K, 1, 1, ${C}] for K groups, as gamma), got ${fmt(t.shape)}`);
    }
  }
  if (K < 1 || N % K !== 0) throw new ShapeError(`${op}: ${K} groups of parameters (gamma ${fmt(gamma.shape)}) must divide the batch of ${N} samples`);
  const per = N / K; // samples per group (0 for an empty batch: the kernels then do nothing)
  // Forward in two passes over x (sum of squares, then y = x * (1 + gamma * Nx) + beta); the VJP is written out
  // so the backward also makes few passes: with s = 1 + gamma * Nx, t = sum_hw(g * x) and G = ||x||_hw,
  //   dNx = gamma * t,  dG = dNx / (m + eps) - mean_c(dNx * G) / (m + eps)^2  (m = mean_c G),
  //   dx = g * s + x * dG / G  (0 where G = 0, as torch.norm),  dgamma = sum_n t * Nx,  dbeta = sum g
  // (sums over n within each group when grouped).
  const grouped = (t: Tensor, inner: number) => t.reshape([K, per, inner, C]);
  // the per-(n, c) chains (G, its channel mean, Nx, s; and in the backward dG / G) are one kernel each
  const nc = [N, 1, 1, C];
  const stats = noGrad(() => tidy(() => {
    const S = sumSquares(x, [1, 2], true); // (N, 1, 1, C), contiguous
    const r = kernelsFor(b, 'norm').grnStats(b, S.backendView(op), N, C, gamma.contiguous().backendView(op), eps, Math.max(1, per));
    return { G: wrap(b, r.G, nc, 'f32'), m: wrap(b, r.m, [N, 1, 1, 1], 'f32'), Nx: wrap(b, r.Nx, nc, 'f32'), s: wrap(b, r.s, nc, 'f32') };
  }));
  const y = noGrad(() => tidy(() => (K === 1 ? fma(x, stats.s, beta.reshape([1, 1, 1, C])) : fma(grouped(x, H * W), grouped(stats.s, 1), beta.reshape([K, 1, 1, C])).reshape(x.shape))));
  const needs = [x, gamma, beta].some((t) => t.requiresGrad) && isGradEnabled();
  if (!needs) { for (const v of Object.values(stats)) v.dispose(); return y; }
  record(op, y, [x, gamma, beta], (g) => {
    const { G, m, Nx, s: sc } = stats;
    const t = gamma.requiresGrad || x.requiresGrad ? g.mul(x).sum([1, 2], true) : null; // (N, 1, 1, C)
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const k = wrap(b, kernelsFor(b, 'norm').grnBackwardScale(b, t!.backendView(op), G.backendView(op), m.backendView(op), gamma.contiguous().backendView(op), N, C, eps, Math.max(1, per)), nc, 'f32');
      dx = fma(x, k, g.mul(sc));
    }
    const dgamma = gamma.requiresGrad ? grouped(t!.mul(Nx), 1).sum(1).reshape(gamma.shape) : null;
    const dbeta = beta.requiresGrad ? grouped(g, H * W).sum([1, 2]).reshape(beta.shape) : null;
    return [dx, dgamma, dbeta];
  });
  return y;
}

// ------------------------------------------------------------------ per-sample L2 scaling
/**
 * Each sample of x (N, ...) scaled to L2 norm `target`: x * target / (||x_n||_2 + eps), the norm taken over all
 * dims but the first (synthesis normalises its images and crops so). Two kernels forward (sum of squares, scale)
 * and three backward. Gradient, with nrm = ||x_n||, den = nrm + eps:
 * dx = g * target / den - x * target * sum(g * x) / (den^2 * nrm), the second term 0 where nrm = 0.
 */
export function l2Scale(x: Tensor, target: number, eps = 1e-8): Tensor {
  const op = 'l2Scale';
  const b = x.backend;
  x.backendView(op);
  checkF32(op, 'input', x);
  if (x.rank < 2) throw new ShapeError(`${op}: input must be (N, ...) with at least 2 dims (samples first), got shape ${fmt(x.shape)}`);
  if (!Number.isFinite(target) || !Number.isFinite(eps) || eps < 0) throw new ShapeError(`${op}: target must be a finite number and eps a finite number >= 0, got ${target} and ${eps}`);
  const N = x.shape[0], inner = numel(x.shape.slice(1));
  const axes = x.shape.slice(1).map((_, k) => k + 1);
  const xc = dense(x);
  const S = noGrad(() => sumSquares(xc, axes)); // (N), contiguous
  const y = wrap(b, kernels(x).l2Scale(b, xc.backendView(op), S.backendView(op), N, inner, target, eps), x.shape, 'f32');
  if (!(isGradEnabled() && x.requiresGrad)) {
    S.dispose();
    if (xc !== x) xc.dispose();
    return y;
  }
  record(op, y, [x], (g) => {
    const gc = dense(g);
    const D = gc.mul(xc).sum(axes); // (N)
    const v = `${op} backward`;
    const dx = wrap(b, kernels(x).l2ScaleBackward(b, gc.backendView(v), xc.backendView(v), S.backendView(v), D.backendView(v), N, inner, target, eps), x.shape, 'f32');
    D.dispose();
    if (gc !== g) gc.dispose();
    return [dx];
  });
  return y;
}
