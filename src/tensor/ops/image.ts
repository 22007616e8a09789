// Image helpers for synthesis: Gaussian kernels and separable reflect-padded blur (WGSL filter kernels with
// VJPs), per-pixel colour matrices, forward differences and total-variation penalties (compositions of ops).
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor, type CreateOptions } from '../tensor.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { tidy } from '../scope.js';
import { fmt, shapesEqual } from '../shape.js';
import { kernelsFor } from '../backend/registry.js';
import type { FilterDims } from '../backend/kernels/image.js';
import { getBackend } from '../runtime.js';
import { backendOf, wrap } from './core.js';
import { matmul } from './matmul.js';
import type { SliceSpec } from './shape-ops.js';

/**
 * Normalised 1-D Gaussian taps at offsets -(size-1)/2 .. (size-1)/2 (torchvision's _get_gaussian_kernel1d),
 * in float64. size 5, sigma 1.5 gives [0.12007838, 0.23388076, 0.29208172, 0.23388076, 0.12007838].
 */
export function gaussianTaps(size: number, sigma: number): number[] {
  if (!Number.isInteger(size) || size < 1) throw new ShapeError(`gaussianKernel1d: size must be a positive integer, got ${size}`);
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ShapeError(`gaussianKernel1d: sigma must be a positive number, got ${sigma}`);
  const half = (size - 1) / 2;
  const pdf = Array.from({ length: size }, (_, i) => Math.exp(-0.5 * ((i - half) / sigma) ** 2));
  const s = pdf.reduce((p, q) => p + q, 0);
  return pdf.map((v) => v / s);
}

/** gaussianTaps as a 1-D f32 tensor. */
export function gaussianKernel1d(size: number, sigma: number, opts: CreateOptions = {}): Tensor {
  return Tensor.from(Float64Array.from(gaussianTaps(size, sigma)), [size], { backend: opts.backend ?? getBackend(), dtype: 'f32', requiresGrad: opts.requiresGrad });
}

/** fn's intermediates are disposed at once when no input needs gradients (else the graph holds them). */
function composite(inputs: (Tensor | null | undefined)[], fn: () => Tensor): Tensor {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad) ? fn() : tidy(fn);
}

/** Filter x read as [outer, L, inner] along L with reflect padding; VJP by the adjoint kernel. */
function filterReflect(x: Tensor, d: FilterDims, taps: readonly number[]): Tensor {
  const op = 'gaussianBlur2d';
  const b = x.backend;
  const k = kernelsFor(b, 'image');
  const xc = x.isContiguous ? x : noGrad(() => x.contiguous());
  const out = wrap(b, k.filter1dReflect(b, xc.backendView(op), d, taps), x.shape, 'f32');
  if (xc !== x) xc.dispose();
  if (isGradEnabled() && x.requiresGrad) {
    record(op, out, [x], (g) => {
      const gc = g.isContiguous ? g : g.contiguous();
      const dx = wrap(b, k.filter1dReflectBackward(b, gc.backendView(`${op} backward`), d, taps), x.shape, 'f32');
      if (gc !== g) gc.dispose();
      return [dx];
    });
  }
  return out;
}

export interface GaussianBlurOptions {
  /** odd kernel size, or [kx, ky] (width first, as torchvision) */
  kernelSize: number | readonly [number, number];
  /** standard deviation, or [sx, sy]; default torchvision's 0.3 * ((k - 1) * 0.5 - 1) + 0.8 */
  sigma?: number | readonly [number, number];
}

/**
 * torchvision.transforms.functional.gaussian_blur on (..., H, W) f32: reflect padding by kernelSize // 2 (no
 * edge repeat, so the radius must be smaller than the size), then a separable pass along W and one along H.
 */
export function gaussianBlur2d(x: Tensor, opts: GaussianBlurOptions): Tensor {
  const op = 'gaussianBlur2d';
  x.backendView(op);
  if (x.dtype !== 'f32') throw new DTypeError(`${op}: input must be f32, got ${x.dtype}`);
  if (x.rank < 2) throw new ShapeError(`${op}: input must be (N, C, H, W) (or (..., H, W)), got shape ${fmt(x.shape)}`);
  const ks = typeof opts.kernelSize === 'number' ? [opts.kernelSize, opts.kernelSize] : [...opts.kernelSize];
  if (ks.length !== 2 || !ks.every((k) => Number.isInteger(k) && k > 0 && k % 2 === 1)) throw new ShapeError(`${op}: kernelSize must be odd positive integers, got ${fmt(ks)}`);
  const sg = opts.sigma === undefined ? ks.map((k) => 0.3 * ((k - 1) * 0.5 - 1) + 0.8) : typeof opts.sigma === 'number' ? [opts.sigma, opts.sigma] : [...opts.sigma];
  if (sg.length !== 2 || !sg.every((s) => s > 0 && Number.isFinite(s))) throw new ShapeError(`${op}: sigma must be positive numbers, got ${fmt(sg)}`);
  const [H, W] = x.shape.slice(-2);
  const [kx, ky] = ks;
  if ((kx - 1) / 2 >= W || (ky - 1) / 2 >= H) {
    throw new ShapeError(`${op}: reflect padding ${fmt([(kx - 1) / 2, (ky - 1) / 2])} (kernel ${fmt(ks)}) must be smaller than the image size ${fmt([W, H])} (width, height) of input ${fmt(x.shape)}`);
  }
  const planes = x.size / (H * W);
  let y = x;
  if (kx > 1) y = filterReflect(y, { outer: planes * H, L: W, inner: 1 }, gaussianTaps(kx, sg[0]));
  if (ky > 1) {
    const prev = y;
    y = filterReflect(y, { outer: planes, L: H, inner: W }, gaussianTaps(ky, sg[1]));
    if (prev !== x && !y.requiresGrad) prev.dispose();
  }
  return y === x ? x.contiguous() : y;
}

/**
 * Per-pixel colour transform of (N, 3, H, W) or (3, H, W): out_j = sum_i in_i * m[i][j] (a row vector times m),
 * with m a 3x3 nested array or a (3, 3) tensor (differentiable).
 */
export function colorMatrix(x: Tensor, m: readonly (readonly number[])[] | Tensor): Tensor {
  const op = 'colorMatrix';
  backendOf(op, x, m instanceof Tensor ? m : null);
  if (x.dtype !== 'f32') throw new DTypeError(`${op}: input must be f32, got ${x.dtype}`);
  if ((x.rank !== 4 && x.rank !== 3) || x.shape[x.rank - 3] !== 3) throw new ShapeError(`${op}: input must be (N, 3, H, W) or (3, H, W), got shape ${fmt(x.shape)}`);
  let mt: Tensor | null = null;
  if (m instanceof Tensor) {
    if (!shapesEqual(m.shape, [3, 3])) throw new ShapeError(`${op}: the matrix must be 3x3, got shape ${fmt(m.shape)}`);
    if (m.dtype !== 'f32') throw new DTypeError(`${op}: the matrix must be f32, got ${m.dtype}`);
    mt = m;
  } else {
    if (m.length !== 3 || m.some((row) => row.length !== 3 || row.some((v) => typeof v !== 'number'))) throw new ShapeError(`${op}: the matrix must be 3 rows of 3 numbers`);
  }
  const N = x.rank === 4 ? x.shape[0] : 1;
  const [H, W] = x.shape.slice(-2);
  // out[n, j, p] = sum_i m[i][j] x[n, i, p] = (mᵀ · x[n])[j, p]
  return composite([x, mt], () => {
    const mm = mt ?? Tensor.from(Float64Array.from((m as readonly (readonly number[])[]).flat()), [3, 3], { backend: x.backend, dtype: 'f32' });
    return matmul(mm.mT, x.reshape([N, 3, H * W])).reshape(x.shape);
  });
}

/** Forward differences over the last two dims: dx = x[..., :, 1:] - x[..., :, :-1], dy = x[..., 1:, :] - x[..., :-1, :]. */
export function tvDiffs(x: Tensor): { dx: Tensor; dy: Tensor } {
  x.backendView('tvDiffs');
  if (x.dtype !== 'f32') throw new DTypeError(`tvDiffs: input must be f32, got ${x.dtype}`);
  if (x.rank < 2) throw new ShapeError(`tvDiffs: input must have at least 2 dims (..., H, W), got shape ${fmt(x.shape)}`);
  const lead: SliceSpec[] = x.shape.slice(0, -2).map(() => null);
  const dx = composite([x], () => x.slice([...lead, null, [1, null]]).sub(x.slice([...lead, null, [0, -1]])));
  const dy = composite([x], () => x.slice([...lead, [1, null], null]).sub(x.slice([...lead, [0, -1], null])));
  return { dx, dy };
}

/**
 * Per-sample total-variation sums of x (N, ..., H, W): s[n] = sum over the H x W planes of sample n of the squared
 * differences of horizontal and vertical neighbours (the sum tvDiffs' dx^2 + dy^2 make per sample), as (N). One
 * kernel forward (a reduction with its prologue) and one backward (a 5-point stencil) instead of ~12 and ~20.
 */
export function tvSquares(x: Tensor): Tensor {
  const op = 'tvSquares';
  const b = x.backend;
  x.backendView(op);
  if (x.dtype !== 'f32') throw new DTypeError(`${op}: input must be f32, got ${x.dtype}`);
  if (x.rank < 3) throw new ShapeError(`${op}: input must be (N, ..., H, W) with at least 3 dims (samples first), got shape ${fmt(x.shape)}`);
  const [H, W] = x.shape.slice(-2) as [number, number];
  const N = x.shape[0]!, P = x.shape.slice(1, -2).reduce((p, q) => p * q, 1);
  const d = { N, P, H, W };
  const xc = x.isContiguous ? x : noGrad(() => x.contiguous());
  const k = kernelsFor(b, 'image');
  const s = wrap(b, k.tvSquares(b, xc.backendView(op), d), [N], 'f32');
  if (!(isGradEnabled() && x.requiresGrad)) {
    if (xc !== x) xc.dispose();
    return s;
  }
  record(op, s, [x], (g) => {
    const gc = g.isContiguous ? g : g.contiguous();
    const dx = wrap(b, k.tvSquaresBackward(b, xc.backendView(`${op} backward`), gc.backendView(`${op} backward`), d), x.shape, 'f32');
    if (gc !== g) gc.dispose();
    return [dx];
  });
  return s;
}

export type TotalVariationKind = 'l2global' | 'l1' | 'l2';

/**
 * Total variation of x over its last two dims, summed over everything, as a scalar:
 * 'l2global' (default, upstream DualNeuron's) sqrt(sum dx² + sum dy² + 1e-8); 'l1' sum |dx| + sum |dy|;
 * 'l2' sum dx² + sum dy².
 */
export function totalVariation(x: Tensor, opts: { kind?: TotalVariationKind } = {}): Tensor {
  const kind = opts.kind ?? 'l2global';
  if (kind !== 'l2global' && kind !== 'l1' && kind !== 'l2') throw new ShapeError(`totalVariation: kind must be 'l2global', 'l1' or 'l2', got '${kind as string}'`);
  return composite([x], () => {
    const { dx, dy } = tvDiffs(x);
    if (kind === 'l1') return dx.abs().sum().add(dy.abs().sum());
    const s = dx.square().sum().add(dy.square().sum());
    return kind === 'l2' ? s : s.add(1e-8).sqrt();
  });
}
