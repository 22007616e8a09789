// Fused, in-place optimiser updates of one parameter tensor (the `optim` kernel family): one dispatch per
// parameter and step instead of the ~15 elementwise ops of the same formulas. Used by src/nn/optim.ts.
import { DTypeError, ShapeError } from '../../errors.js';
import type { Tensor } from '../tensor.js';
import { tidy } from '../scope.js';
import { fmt, shapesEqual } from '../shape.js';
import { kernelsFor } from '../backend/registry.js';
import type { AdamStep, SgdStep } from '../backend/kernels/optim.js';
import { backendOf } from './core.js';

export type { AdamStep, SgdStep } from '../backend/kernels/optim.js';

function check(op: string, p: Tensor, g: Tensor, state: [string, Tensor | null][]): void {
  for (const [what, t] of [['parameter', p], ['gradient', g], ...state] as const) {
    if (!t) continue;
    if (t.dtype !== 'f32') throw new DTypeError(`${op}: the ${what} must be f32, got ${t.dtype}`);
    if (!shapesEqual(t.shape, p.shape)) throw new ShapeError(`${op}: the ${what} has shape ${fmt(t.shape)}, the parameter ${fmt(p.shape)}; they must match`);
  }
  // the kernels write through the views' offsets into contiguous storage
  for (const [what, t] of [['parameter', p], ...state] as const) {
    if (t && !t.isContiguous) throw new ShapeError(`${op}: the ${what} (shape ${fmt(t.shape)}) must be contiguous to be updated in place; update a contiguous copy and copy it back`);
  }
}

/** One Adam step on p in place, moments m and v (contiguous, p's shape) updated in place too. No autograd. */
export function adamUpdate_(p: Tensor, g: Tensor, m: Tensor, v: Tensor, s: AdamStep): void {
  const op = 'adamUpdate_';
  const b = backendOf(op, p, g, m, v);
  check(op, p, g, [['first moment', m], ['second moment', v]]);
  tidy(() => {
    const gc = g.contiguous();
    kernelsFor(b, 'optim').adamUpdate(b, p.backendView(op), gc.backendView(op), m.backendView(op), v.backendView(op), s);
  });
  for (const t of [p, m, v]) t.bumpVersion();
}

/** One SGD step on p in place, the momentum buffer (contiguous, p's shape; null without momentum) too. */
export function sgdUpdate_(p: Tensor, g: Tensor, buf: Tensor | null, s: SgdStep): void {
  const op = 'sgdUpdate_';
  const b = backendOf(op, p, g, buf);
  check(op, p, g, [['momentum buffer', buf]]);
  tidy(() => {
    const gc = g.contiguous();
    kernelsFor(b, 'optim').sgdUpdate(b, p.backendView(op), gc.backendView(op), buf ? buf.backendView(op) : null, s);
  });
  for (const t of [p, buf]) t?.bumpVersion();
}
