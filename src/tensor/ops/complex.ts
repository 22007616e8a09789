// Complex helpers over the library's complex layout: a complex tensor is an f32 tensor whose LAST dim has size
// 2 holding (real, imag), exactly like torch.view_as_real, so a complex (B, C, H, W) tensor has shape
// (B, C, H, W, 2). Every helper is differentiable, with gradients taken on that real representation: the
// gradient with respect to a complex tensor is (dL/dRe, dL/dIm), as PyTorch's complex autograd viewed as real.
// Operands broadcast over the leading (complex-element) dims as in PyTorch.
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { isGradEnabled, noGrad, record } from '../autograd.js';
import { tidy } from '../scope.js';
import { broadcastShapes, fmt } from '../shape.js';
import { backendOf } from './core.js';
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

/** torch.complex: the complex tensor re + i im (shapes broadcast). */
export function complex(re: Tensor, im: Tensor): Tensor {
  const op = 'complex';
  backendOf(op, re, im);
  checkReal(op, 'the real part', re);
  checkReal(op, 'the imaginary part', im);
  const shape = broadcastShapes(op, re.shape, im.shape);
  return composite([re, im], () => stack([expand(re, shape), expand(im, shape)], -1));
}

/** The real part of a complex (..., 2) tensor: (...). A view, no copy. */
export function real(z: Tensor): Tensor {
  checkComplex('real', z);
  return select(z, -1, 0);
}

/** The imaginary part of a complex (..., 2) tensor: (...). A view, no copy. */
export function imag(z: Tensor): Tensor {
  checkComplex('imag', z);
  return select(z, -1, 1);
}

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

/** The phase atan2(im, re) of a complex (..., 2) tensor, in (-pi, pi]: (...). */
export function angle(z: Tensor): Tensor {
  checkComplex('angle', z);
  return composite([z], () => select(z, -1, 1).atan2(select(z, -1, 0)));
}

/** torch.polar: mag (cos phase + i sin phase), shapes broadcast. */
export function polar(mag: Tensor, phase: Tensor): Tensor {
  const op = 'polar';
  backendOf(op, mag, phase);
  checkReal(op, 'the magnitude', mag);
  checkReal(op, 'the phase', phase);
  return composite([mag, phase], () => stack([mag.mul(phase.cos()), mag.mul(phase.sin())], -1));
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
