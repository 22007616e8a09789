// Complex helpers over the library's complex layout: a complex tensor is an f32 tensor whose LAST dim has size
// 2 holding (real, imag), exactly like torch.view_as_real, so a complex (B, C, H, W) tensor has shape
// (B, C, H, W, 2). Every helper is differentiable, with gradients taken on that real representation: the
// gradient with respect to a complex tensor is (dL/dRe, dL/dIm), as PyTorch's complex autograd viewed as real.
// Operands broadcast over the leading (complex-element) dims as in PyTorch. complex, polar and the VJPs of real
// and imag are small kernels of the fft family (one dispatch each); the rest are compositions of ops.
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { tidy } from '../scope.js';
import { broadcastShapes, fmt, numel, shapesEqual } from '../shape.js';
import type { Backend } from '../backend/backend.js';
import { kernelsFor } from '../backend/registry.js';
import { backendOf, sumToShape, wrap } from './core.js';
import { where } from './elementwise.js';
import { expand, select, stack } from './shape-ops.js';

function checkComplex(op: string, z: Tensor): void {
  z.backendView(op);
  if (z.dtype !== 'f32') throw new DTypeError(`${op}: input must be f32 (complex as a trailing dim of 2), got ${z.dtype}`);
  if (z.rank < 1 || z.shape[z.rank - 1] !== 2) throw new ShapeError(`${op}: input must be complex, with (real, imag) in a last dim of size 2, got shape ${fmt(z.shape)}`);
}

function checkReal(op: string, what: string, x: Tensor): void {
  x.backendView(op);
  if (x.dtype !== 'f32') throw new DTypeError(`${op}: ${what} must be f32, got ${x.dtype}`);
}

/** fn's intermediates are disposed at once when no input needs gradients (else the graph holds them). */
function composite(inputs: Tensor[], fn: () => Tensor): Tensor {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad) ? fn() : tidy(fn);
}

const fftk = (b: Backend) => kernelsFor(b, 'fft');

/** A contiguous tensor of x's values with the given (broadcast) shape (x itself when nothing is to be done). */
function dense(x: Tensor, shape: readonly number[]): Tensor {
  const e = shapesEqual(x.shape, shape) ? x : expand(x, shape);
  return e.isContiguous ? e : e.contiguousCopy();
}

/** complex (re, im) from real tensors of one shape (a missing part is 0): one kernel, no gradient recording. */
function fromParts(op: string, re: Tensor | null, im: Tensor | null, shape: readonly number[]): Tensor {
  const b = (re ?? im)!.backend;
  const [r, i] = [re, im].map((t) => (t ? dense(t, shape) : null));
  const out = wrap(b, fftk(b).complexFromParts(b, r?.backendView(op) ?? null, i?.backendView(op) ?? null, numel(shape)), [...shape, 2], 'f32');
  if (r && r !== re) r.dispose();
  if (i && i !== im) i.dispose();
  return out;
}

/** torch.complex: the complex tensor re + i im (shapes broadcast). */
export function complex(re: Tensor, im: Tensor): Tensor {
  const op = 'complex';
  backendOf(op, re, im);
  checkReal(op, 'the real part', re);
  checkReal(op, 'the imaginary part', im);
  const shape = broadcastShapes(op, re.shape, im.shape);
  const out = noGrad(() => fromParts(op, re, im, shape));
  if (isGradEnabled() && (re.requiresGrad || im.requiresGrad)) {
    record(op, out, [re, im], (g) => [
      re.requiresGrad ? sumToShape(part(g, 0).contiguous(), re.shape) : null,
      im.requiresGrad ? sumToShape(part(g, 1).contiguous(), im.shape) : null,
    ]);
  }
  return out;
}

/** The real (k = 0) or imaginary (k = 1) part of a complex tensor as a view, without gradient recording. */
function part(z: Tensor, k: 0 | 1): Tensor {
  const r = z.rank - 1;
  return z.viewAs(z.shape.slice(0, r), z.strides.slice(0, r), z.offset + k * z.strides[r]);
}

function partOp(op: 'real' | 'imag', z: Tensor, k: 0 | 1): Tensor {
  checkComplex(op, z);
  const y = part(z, k);
  if (isGradEnabled() && z.requiresGrad) {
    record(op, y, [z], (g) => [k === 0 ? fromParts(`${op} backward`, g, null, g.shape) : fromParts(`${op} backward`, null, g, g.shape)]);
  }
  return y;
}

/** The real part of a complex (..., 2) tensor: (...). A view, no copy; its VJP writes (g, 0) in one kernel. */
export function real(z: Tensor): Tensor { return partOp('real', z, 0); }

/** The imaginary part of a complex (..., 2) tensor: (...). A view, no copy; its VJP writes (0, g). */
export function imag(z: Tensor): Tensor { return partOp('imag', z, 1); }

/** The complex conjugate (re, -im). */
export function conj(z: Tensor): Tensor {
  checkComplex('conj', z);
  return composite([z], () => z.mul(Tensor.from([1, -1], [2], { backend: z.backend, dtype: 'f32' })));
}

/**
 * |z| = sqrt(re^2 + im^2) of a complex (..., 2) tensor: (...). Gradient g z / |z|, and 0 where z = 0 (as
 * PyTorch's abs of a complex tensor).
 */
export function cabs(z: Tensor): Tensor {
  const op = 'cabs';
  checkComplex(op, z);
  const r = noGrad(() => tidy(() => z.square().sum(-1).sqrt()));
  if (isGradEnabled() && z.requiresGrad) {
    record(op, r, [z], (g) => {
      const safe = where(r.gt(0), r, 1); // z / 1 = 0 where z = 0
      return [z.mul(g.div(safe).unsqueeze(-1))];
    });
  }
  return r;
}

/**
 * The phase atan2(im, re) of a complex (..., 2) tensor, in [-pi, pi]: (...); 0 at z = 0 with gradient 0 there
 * (as PyTorch's angle), elsewhere the gradient (-im, re) g / |z|^2.
 */
export function angle(z: Tensor): Tensor {
  const op = 'angle';
  checkComplex(op, z);
  const [re, im] = [part(z, 0), part(z, 1)];
  const y = noGrad(() => tidy(() => where(re.eq(0).logicalAnd(im.eq(0)), 0, im.atan2(re))));
  if (isGradEnabled() && z.requiresGrad) {
    record(op, y, [z], (g) => {
      const r2 = re.square().add(im.square());
      const f = g.div(where(r2.gt(0), r2, 1)); // z = 0 there, so the gradient is 0
      return [fromParts(`${op} backward`, im.neg().mul(f), re.mul(f), g.shape)];
    });
  }
  return y;
}

/**
 * The magnitude as the polar kernels read it: a contiguous tensor broadcast over leading dims only (read at
 * e % magSize), or expanded to the full shape.
 */
function polarMag(mag: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - mag.rank;
  const trailing = mag.shape.every((s, d) => s === shape[lead + d]);
  if (trailing) return mag.isContiguous ? mag : mag.contiguousCopy();
  return dense(mag, shape);
}

/** torch.polar: mag (cos phase + i sin phase), shapes broadcast. One kernel forward, one backward. */
export function polar(mag: Tensor, phase: Tensor): Tensor {
  const op = 'polar';
  const b = backendOf(op, mag, phase);
  checkReal(op, 'the magnitude', mag);
  checkReal(op, 'the phase', phase);
  const shape = broadcastShapes(op, mag.shape, phase.shape);
  const size = numel(shape);
  const run = <T>(fn: (m: Tensor, p: Tensor) => T): T => {
    const m = polarMag(mag, shape), p = dense(phase, shape);
    try { return fn(m, p); } finally { if (m !== mag) m.dispose(); if (p !== phase) p.dispose(); }
  };
  const out = noGrad(() => run((m, p) => wrap(b, fftk(b).polar(b, { mag: m.backendView(op), phase: p.backendView(op), size, magSize: m.size }), [...shape, 2], 'f32')));
  if (isGradEnabled() && (mag.requiresGrad || phase.requiresGrad)) {
    record(op, out, [mag, phase], (g) => run((m, p) => {
      const gc = g.isContiguous && g.offset % 2 === 0 ? g : g.contiguousCopy();
      const r = fftk(b).polarBackward(b, { mag: m.backendView(op), phase: p.backendView(op), size, magSize: m.size, g: gc.backendView(op), wantMag: mag.requiresGrad });
      if (gc !== g) gc.dispose();
      const dphase = wrap(b, r.dphase, shape, 'f32');
      let dmag: Tensor | null = r.dmag ? wrap(b, r.dmag, shape, 'f32') : null;
      if (dmag && m.size !== size) {
        // broadcast over leading dims: sum the per-element gradients over them
        const summed = dmag.reshape([size / m.size, m.size]).sum(0).reshape(mag.shape);
        dmag.dispose();
        dmag = summed;
      }
      return [dmag ? sumToShape(dmag, mag.shape) : null, phase.requiresGrad ? sumToShape(dphase, phase.shape) : null];
    }));
  }
  return out;
}

/** The complex product a b of two complex (..., 2) tensors (leading dims broadcast). */
export function cmul(a: Tensor, b: Tensor): Tensor {
  const op = 'cmul';
  backendOf(op, a, b);
  checkComplex(op, a);
  checkComplex(op, b);
  return composite([a, b], () => {
    const [ar, ai, br, bi] = [select(a, -1, 0), select(a, -1, 1), select(b, -1, 0), select(b, -1, 1)];
    return stack([ar.mul(br).sub(ai.mul(bi)), ar.mul(bi).add(ai.mul(br))], -1);
  });
}
