// Helpers shared by the op implementations.
import { DualNeuronError, ShapeError } from '../../errors.js';
import type { Backend } from '../backend/backend.js';
import { Tensor } from '../tensor.js';
import type { DType } from '../dtype.js';
import { fmt, numel } from '../shape.js';
import { getBackend } from '../runtime.js';

/** A new tensor around a freshly written contiguous buffer. */
export function wrap(backend: Backend, buf: Parameters<typeof Tensor.fromBuffer>[1], shape: readonly number[], dtype: DType): Tensor {
  return Tensor.fromBuffer(backend, buf, shape, dtype);
}

/** The one backend all tensor operands live on (throws if they differ). */
export function backendOf(op: string, ...xs: (Tensor | number | null | undefined)[]): Backend {
  let b: Backend | null = null;
  for (const x of xs) {
    if (!(x instanceof Tensor)) continue;
    x.backendView(op); // throws DisposedError naming `op` for a disposed operand
    const xb = x.backend;
    if (b && xb !== b) throw new DualNeuronError(`${op}: operands live on different backends (${b.name} and ${xb.name}); move one with toBackend()`);
    b = xb;
  }
  return b ?? getBackend();
}

/** Sum a gradient over broadcast dims so it has `shape` again. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((s, i) => s === shape[i])) return g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new ShapeError(`internal: cannot reduce a gradient of shape ${fmt(g.shape)} to ${fmt(shape)}`);
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead) axes.push(i);
    else if (shape[i - lead] === 1 && g.shape[i] !== 1) axes.push(i);
  }
  const s = axes.length ? g.sum(axes, true) : g;
  return numel(s.shape) === numel(shape) && s.rank !== shape.length ? s.reshape(shape) : s.rank === shape.length ? s : s.reshape(shape);
}
