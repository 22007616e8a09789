// Discrete Fourier transforms with torch.fft semantics: fft, ifft, rfft, irfft along one dim and fft2, ifft2,
// rfft2, irfft2 over the last two (spatial) dims, batched over every other dim, any size (radix 2/3/4/5/7/8
// Stockham passes, Bluestein for other prime factors), norms 'backward' | 'ortho' | 'forward', with VJPs.
//
// Complex layout: a complex tensor is an f32 tensor whose LAST dim has size 2 holding (real, imag), exactly like
// torch.view_as_real. A complex (B, C, H, W) tensor has shape (B, C, H, W, 2); dims of the complex tensor are
// counted without that trailing 2 (so fft's `dim = -1` is W). Gradients follow the same convention: the
// gradient of a real loss with respect to a complex tensor is (dL/dRe, dL/dIm), which is what PyTorch's complex
// autograd gives once viewed as real.
//
// Adjoints (as PyTorch's autograd): a c2c transform with scale s has the opposite-direction transform with the
// same scale as its VJP; rfft's is Re(c2c inverse of the zero-extended gradient); irfft's is rfft of the
// gradient with the columns 1 .. n - (n/2 + 1) doubled (each stands for itself and its mirror image).
//
// Kernels: backend/kernels/fft.ts (one batched 1-D transform along an axis); the first transform of a size
// uploads its tables into the backend's plan cache (fftCacheInfo, fftClearCache).
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { fmt, numel } from '../shape.js';
import { kernelsFor } from '../backend/registry.js';
import type { Backend } from '../backend/backend.js';
import type { FftCacheInfo, FftInputMode, FftOutputMode } from '../backend/kernels/fft.js';
import { getBackend } from '../runtime.js';
import { wrap } from './core.js';
import { pad, slice, type SliceSpec } from './shape-ops.js';

export type FftNorm = 'backward' | 'ortho' | 'forward';

export interface FftOptions {
  /** 'backward' (default): no scaling forward, 1/n inverse; 'ortho': 1/sqrt(n) both ways; 'forward': 1/n forward */
  norm?: FftNorm;
}

export interface Fft1dOptions extends FftOptions {
  /** the dim to transform (of the complex tensor, not counting the trailing 2; default -1) */
  dim?: number;
  /** transform length: the input is cropped or zero-padded to n along dim (default: its size; irfft: 2 (size - 1)) */
  n?: number;
}

export interface Irfft2Options extends FftOptions {
  /** output [H, W]; default [H_in, 2 (W_in - 1)] */
  size?: readonly [number, number];
}

/** One 1-D transform along `axis` of the logical dims (complex tensors: without the trailing 2). */
interface Step {
  axis: number;
  n: number;
  lin: number;
  lout: number;
  input: FftInputMode;
  output: FftOutputMode;
  inverse: boolean;
  scale: number;
  double: number;
  /** zero-pad the output along the axis to this length (the adjoint of the Hermitian fill-in) */
  padTo: number;
}

const fftk = (b: Backend) => kernelsFor(b, 'fft');

function scaleOf(op: string, norm: FftNorm | undefined, n: number, inverse: boolean): number {
  const m = norm ?? 'backward';
  if (m === 'ortho') return 1 / Math.sqrt(n);
  if (m === 'backward') return inverse ? 1 / n : 1;
  if (m === 'forward') return inverse ? 1 : 1 / n;
  throw new ShapeError(`${op}: norm must be 'backward', 'ortho' or 'forward', got '${String(norm)}'`);
}

/** Run one step (no gradient recording): a kernel call on a contiguous (even-offset) copy if needed. */
function runStep(op: string, x: Tensor, st: Step): Tensor {
  const b = x.backend;
  const cin = st.input !== 'real';
  const dims = cin ? x.shape.slice(0, -1) : [...x.shape];
  if (dims[st.axis] !== st.lin) throw new ShapeError(`internal (${op}): dim ${st.axis} of ${fmt(x.shape)} is not ${st.lin}`);
  const outer = numel(dims.slice(0, st.axis)), inner = numel(dims.slice(st.axis + 1));
  const xc = x.isContiguous && (!cin || x.offset % 2 === 0) ? x : x.contiguousCopy();
  const buf = fftk(b).fft1d(b, {
    x: xc.backendView(op), outer, inner, n: st.n, lin: st.lin, lout: st.lout,
    input: st.input, output: st.output, inverse: st.inverse, scale: st.scale, double: st.double,
  });
  if (xc !== x) xc.dispose();
  const outDims = dims.slice();
  outDims[st.axis] = st.lout;
  const shape = st.output === 'complex' ? [...outDims, 2] : outDims;
  let y = wrap(b, buf, shape, 'f32');
  if (st.padTo > st.lout) {
    const padded = pad(y, padsAfter(shape.length, st.axis, st.padTo - st.lout));
    y.dispose();
    y = padded;
  }
  return y;
}

/** torch-style pad list (pairs from the last dim) adding `extra` zeros at the end of dim `axis`. */
function padsAfter(rank: number, axis: number, extra: number): number[] {
  const pads: number[] = [];
  for (let d = rank - 1; d >= axis; d--) pads.push(0, d === axis ? extra : 0);
  return pads;
}

function runSteps(op: string, x: Tensor, steps: readonly Step[]): Tensor {
  let y = x;
  for (const st of steps) {
    const next = runStep(op, y, st);
    if (y !== x) y.dispose();
    y = next;
  }
  return y;
}

/** The steps of the adjoint (the VJP), in reverse order. */
function adjointSteps(op: string, steps: readonly Step[]): Step[] {
  return steps.slice().reverse().map((st): Step => {
    if (st.double !== 0 || st.padTo > st.lout) throw new Error(`internal (${op}): no adjoint for a doubled or padded step`);
    const base = { axis: st.axis, n: st.n, inverse: !st.inverse, scale: st.scale, double: 0, padTo: 0 };
    if (st.input === 'hermitian') {
      // x = Re(C2R(h)): the adjoint is the onesided forward transform, doubling the columns that stand for
      // their mirror images too, then zeros for stored columns past n/2 + 1
      const half = Math.floor(st.n / 2) + 1;
      const lout = Math.min(st.lin, half);
      return { ...base, lin: st.lout, input: 'real', lout, output: 'complex', double: st.n - half, padTo: st.lin };
    }
    const input: FftInputMode = st.output === 'real' ? 'real' : 'complex';
    const output: FftOutputMode = st.input === 'real' ? 'real' : 'complex';
    return { ...base, lin: st.lout, lout: st.lin, input, output };
  });
}

/** A differentiable chain of steps: one tape node whose VJP runs the adjoint chain. */
function transform(op: string, x: Tensor, steps: readonly Step[]): Tensor {
  const y = noGrad(() => runSteps(op, x, steps));
  if (isGradEnabled() && x.requiresGrad) {
    const adj = adjointSteps(op, steps);
    record(op, y, [x], (g) => [runSteps(`${op} backward`, g, adj)]);
  }
  return y;
}

// ------------------------------------------------------------------ validation
function checkComplex(op: string, z: Tensor, minDims: number): number[] {
  z.backendView(op);
  if (z.dtype !== 'f32') throw new DTypeError(`${op}: input must be f32 (complex as a trailing dim of 2), got ${z.dtype}`);
  if (z.rank < minDims + 1 || z.shape[z.rank - 1] !== 2) {
    throw new ShapeError(`${op}: input must be complex: (..., ${minDims === 2 ? 'H, W' : 'n'}, 2) with (real, imag) in the last dim, got shape ${fmt(z.shape)}; make one with complex(re, im) or polar(mag, phase)`);
  }
  return z.shape.slice(0, -1);
}

function checkReal(op: string, x: Tensor, minDims: number): number[] {
  x.backendView(op);
  if (x.dtype !== 'f32') throw new DTypeError(`${op}: input must be f32, got ${x.dtype}`);
  if (x.rank < minDims) throw new ShapeError(`${op}: input must have at least ${minDims} dim(s) (${minDims === 2 ? '..., H, W' : '..., n'}), got shape ${fmt(x.shape)}`);
  return [...x.shape];
}

function checkLength(op: string, what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${op}: ${what} must be a positive integer, got ${n}`);
}

function dimOf(op: string, dim: number | undefined, rank: number): number {
  const d = dim ?? -1;
  const a = d < 0 ? d + rank : d;
  if (!Number.isInteger(d) || a < 0 || a >= rank) throw new ShapeError(`${op}: dim ${d} is out of range for ${rank} (complex: not counting the trailing 2) dims`);
  return a;
}

/** Crop x along a logical axis to `len` (a differentiable view). */
function cropTo(x: Tensor, axis: number, len: number): Tensor {
  const specs: SliceSpec[] = x.shape.map(() => null);
  specs[axis] = [0, len];
  return slice(x, specs);
}

const c2c = (axis: number, n: number, lin: number, inverse: boolean, scale: number): Step =>
  ({ axis, n, lin, lout: n, input: 'complex', output: 'complex', inverse, scale, double: 0, padTo: 0 });

// ------------------------------------------------------------------ 1-D
function fft1(op: string, z: Tensor, opts: Fft1dOptions, inverse: boolean): Tensor {
  const dims = checkComplex(op, z, 1);
  const axis = dimOf(op, opts.dim, dims.length);
  const n = opts.n ?? dims[axis];
  checkLength(op, 'n', n);
  const x = dims[axis] > n ? cropTo(z, axis, n) : z;
  return transform(op, x, [c2c(axis, n, Math.min(dims[axis], n), inverse, scaleOf(op, opts.norm, n, inverse))]);
}

/** torch.fft.fft along `dim` of a complex (..., 2) tensor. */
export function fft(z: Tensor, opts: Fft1dOptions = {}): Tensor { return fft1('fft', z, opts, false); }

/** torch.fft.ifft along `dim` of a complex (..., 2) tensor. */
export function ifft(z: Tensor, opts: Fft1dOptions = {}): Tensor { return fft1('ifft', z, opts, true); }

/** torch.fft.rfft: a real tensor to the onesided spectrum, floor(n/2) + 1 complex values along `dim`. */
export function rfft(x: Tensor, opts: Fft1dOptions = {}): Tensor {
  const op = 'rfft';
  const dims = checkReal(op, x, 1);
  const axis = dimOf(op, opts.dim, dims.length);
  const n = opts.n ?? dims[axis];
  checkLength(op, 'n', n);
  const xin = dims[axis] > n ? cropTo(x, axis, n) : x;
  return transform(op, xin, [{ axis, n, lin: Math.min(dims[axis], n), lout: Math.floor(n / 2) + 1, input: 'real', output: 'complex',
    inverse: false, scale: scaleOf(op, opts.norm, n, false), double: 0, padTo: 0 }]);
}

/** torch.fft.irfft: a onesided spectrum (..., m, 2) to a real signal of length n (default 2 (m - 1)) along `dim`. */
export function irfft(z: Tensor, opts: Fft1dOptions = {}): Tensor {
  const op = 'irfft';
  const dims = checkComplex(op, z, 1);
  const axis = dimOf(op, opts.dim, dims.length);
  const n = opts.n ?? 2 * (dims[axis] - 1);
  checkLength(op, 'the output length n', n);
  return transform(op, z, [{ axis, n, lin: dims[axis], lout: n, input: 'hermitian', output: 'real',
    inverse: true, scale: scaleOf(op, opts.norm, n, true), double: 0, padTo: 0 }]);
}

// ------------------------------------------------------------------ 2-D
function fft2d(op: string, z: Tensor, opts: FftOptions, inverse: boolean): Tensor {
  const dims = checkComplex(op, z, 2);
  const r = dims.length;
  const [H, W] = dims.slice(-2);
  return transform(op, z, [
    c2c(r - 1, W, W, inverse, scaleOf(op, opts.norm, W, inverse)),
    c2c(r - 2, H, H, inverse, scaleOf(op, opts.norm, H, inverse)),
  ]);
}

/** torch.fft.fft2 over the last two dims (H, W) of a complex (..., H, W, 2) tensor. */
export function fft2(z: Tensor, opts: FftOptions = {}): Tensor { return fft2d('fft2', z, opts, false); }

/** torch.fft.ifft2 over the last two dims (H, W) of a complex (..., H, W, 2) tensor. */
export function ifft2(z: Tensor, opts: FftOptions = {}): Tensor { return fft2d('ifft2', z, opts, true); }

/** torch.fft.rfft2: real (..., H, W) to the onesided spectrum (..., H, floor(W/2) + 1, 2). */
export function rfft2(x: Tensor, opts: FftOptions = {}): Tensor {
  const op = 'rfft2';
  const dims = checkReal(op, x, 2);
  const r = dims.length;
  const [H, W] = dims.slice(-2);
  return transform(op, x, [
    { axis: r - 1, n: W, lin: W, lout: Math.floor(W / 2) + 1, input: 'real', output: 'complex', inverse: false, scale: scaleOf(op, opts.norm, W, false), double: 0, padTo: 0 },
    c2c(r - 2, H, H, false, scaleOf(op, opts.norm, H, false)),
  ]);
}

/**
 * torch.fft.irfft2: a onesided spectrum (..., H_in, W_in, 2) to a real (..., H, W) image, size [H, W] (default
 * [H_in, 2 (W_in - 1)]). The first dim is cropped or zero-padded to H; the last is read as the Hermitian half of
 * a length-W spectrum, ignoring the imaginary parts of the DC (and, for even W, Nyquist) column as torch does.
 */
export function irfft2(z: Tensor, opts: Irfft2Options = {}): Tensor {
  const op = 'irfft2';
  const dims = checkComplex(op, z, 2);
  const r = dims.length;
  const [Hin, Win] = dims.slice(-2);
  if (opts.size !== undefined && (!Array.isArray(opts.size) || opts.size.length !== 2)) throw new ShapeError(`${op}: size must be [H, W], got ${String(opts.size)}`);
  const [H, W] = opts.size ?? [Hin, 2 * (Win - 1)];
  checkLength(op, 'the output height', H);
  checkLength(op, 'the output width', W);
  const x = Hin > H ? cropTo(z, r - 2, H) : z;
  return transform(op, x, [
    c2c(r - 2, H, Math.min(Hin, H), true, scaleOf(op, opts.norm, H, true)),
    { axis: r - 1, n: W, lin: Win, lout: W, input: 'hermitian', output: 'real', inverse: true, scale: scaleOf(op, opts.norm, W, true), double: 0, padTo: 0 },
  ]);
}

// ------------------------------------------------------------------ plan cache
/** Sizes whose FFT tables are resident on the backend (default: the current one), and their bytes. */
export function fftCacheInfo(b: Backend = getBackend()): FftCacheInfo { return fftk(b).cacheInfo(b); }

/** Free the backend's FFT tables (later transforms rebuild the ones they need). */
export function fftClearCache(b: Backend = getBackend()): void { fftk(b).clearCache(b); }
