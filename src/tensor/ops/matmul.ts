// Batched matrix multiplication with broadcast batch dims (torch.matmul semantics) and its VJP.
import { DTypeError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { record, noGrad, isGradEnabled } from '../autograd.js';
import { broadcastShapes, collapseDims, fmt, numel } from '../shape.js';
import { backendOf, wrap } from './core.js';
import type { MatmulKernel } from '../backend/backend.js';

export interface MatmulOptions { transA?: boolean; transB?: boolean; kernel?: MatmulKernel; /** (N) added to every row, in the kernel */ bias?: Tensor | null }

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  if (a.dtype !== 'f32' || b.dtype !== 'f32') throw new DTypeError(`matmul: operands must be f32, got ${a.dtype} and ${b.dtype}`);
  if (a.rank === 0 || b.rank === 0) throw new ShapeError(`matmul: operands must be at least 1-D, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  let A = opts.transA && a.rank >= 2 ? a.mT : a;
  let B = opts.transB && b.rank >= 2 ? b.mT : b;
  const squeezeA = A.rank === 1, squeezeB = B.rank === 1;
  if (squeezeA) A = A.unsqueeze(0);
  if (squeezeB) B = B.unsqueeze(1);
  const [M, K] = A.shape.slice(-2), [K2, N] = B.shape.slice(-2);
  if (K !== K2) throw new ShapeError(`matmul: inner dimensions differ: ${fmt(a.shape)}${opts.transA ? 'ᵀ' : ''} x ${fmt(b.shape)}${opts.transB ? 'ᵀ' : ''} (${K} vs ${K2})`);
  const batch = broadcastShapes('matmul', A.shape.slice(0, -2), B.shape.slice(0, -2));
  const bias = opts.bias ?? null;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== N || bias.dtype !== 'f32')) throw new ShapeError(`matmul: bias must be an f32 vector of ${N} values, got ${bias.dtype} ${fmt(bias.shape)}`);
  const y = matmulRaw(A.expand([...batch, M, K]), B.expand([...batch, K, N]), batch, opts.kernel ?? 'auto');
  let out = y;
  if (squeezeA || squeezeB) {
    const shape = [...batch, ...(squeezeA ? [] : [M]), ...(squeezeB ? [] : [N])];
    out = y.reshape(shape);
  }
  // the recorded node sits on the raw (batch, M, N) result; views above it carry their own VJPs
  return out;

  function matmulRaw(Ae: Tensor, Be: Tensor, batchShape: number[], kernel: MatmulKernel): Tensor {
    const backend = backendOf('matmul', Ae, Be);
    const nb = numel(batchShape);
    const views = [Ae, Be].map((t) => {
      const col = collapseDims(batchShape, [t.strides.slice(0, -2)]);
      if (col.shape.length > 1 || (batchShape.length > 0 && col.shape[0] !== nb)) {
        // batch dims that cannot be addressed with one stride: materialise
        const c = t.contiguousCopy();
        return { t: c, bstride: t.shape.slice(-2).reduce((p, q) => p * q, 1), temp: c };
      }
      return { t, bstride: nb <= 1 ? 0 : col.strides[0][0], temp: null as Tensor | null };
    });
    const [va, vb] = views.map(({ t, bstride }) => {
      const v = t.backendView('matmul');
      return { ...v, shape: [nb, ...t.shape.slice(-2)], strides: [bstride, ...t.strides.slice(-2)] };
    });
    const bv = bias ? (bias.isContiguous ? bias : bias.contiguous()) : null;
    const r = wrap(backend, backend.matmul({ a: va, b: vb, kernel, bias: bv ? bv.backendView('matmul') : null }), [...batchShape, M, N], 'f32');
    for (const v of views) v.temp?.dispose();
    if (bv && bv !== bias) bv.dispose();
    const inputs = bias ? [Ae, Be, bias] : [Ae, Be];
    if (inputs.some((t) => t.requiresGrad)) {
      record('matmul', r, inputs, (g) => [
        Ae.requiresGrad ? matmul(g, Be, { transB: true }) : null,
        Be.requiresGrad ? matmul(Ae, g, { transA: true }) : null,
        bias?.requiresGrad ? g.reshape([-1, N]).sum(0) : null,
      ]);
    }
    return r;
  }
}

/**
 * x @ w^T + b, with w (out, in) as PyTorch's nn.Linear (bias added in the kernel). A trainable weight's gradient
 * g^T x reduces over every row of x (all positions of a batch in a ConvNeXt block: tens of thousands); read through
 * a transposed view the kernel strides across those rows, so g is made contiguous in (out, rows) order first
 * (5x faster on lavapipe at 16928 rows).
 */
export function linear(x: Tensor, w: Tensor, bias?: Tensor | null): Tensor {
  if (!(isGradEnabled() && w.requiresGrad && w.rank === 2)) return matmul(x, w, { transB: true, bias });
  const y = noGrad(() => matmul(x, w, { transB: true, bias }));
  const inputs = bias ? [x, w, bias] : [x, w];
  record('linear', y, inputs, (g) => {
    const [O, I] = w.shape;
    const g2 = g.reshape([-1, O]);
    const grads: (Tensor | null)[] = [x.requiresGrad ? matmul(g, w) : null, matmul(g2.mT.contiguous(), x.reshape([-1, I]))];
    if (bias) grads.push(bias.requiresGrad ? g2.sum(0) : null);
    return grads;
  });
  return y;
}

/**
 * linear() for frozen weights given also as a contiguous transpose wT (in, out): the forward reads wT and the
 * input gradient reads w, so both use the fast unit-stride kernel (x @ w^T through w itself is 1.5-3x slower
 * on CPU adapters). Gradients flow to x (and bias), not to w.
 */
export function linearFrozen(x: Tensor, w: Tensor, wT: Tensor, bias?: Tensor | null): Tensor {
  const y = noGrad(() => matmul(x, wT, { bias }));
  const inputs = bias ? [x, bias] : [x];
  if (inputs.some((t) => t.requiresGrad)) {
    record('linear', y, inputs, (g) => [x.requiresGrad ? matmul(g, w) : null, bias?.requiresGrad ? g.reshape([-1, w.shape[0]]).sum(0) : null]);
  }
  return y;
}

