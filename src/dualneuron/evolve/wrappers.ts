// Upstream's optimiser wrappers (core/utils/Optimizers.py concat_wrapper, fix_param_wrapper), e.g. for BigGAN's
// [128 noise | 128 class] code: two optimisers on the two halves told the same scores, or one optimiser on one
// half with the other half fixed.
import { decodeF64, encodeF64 } from './encode.js';
import { type Optimizer, type OptimizerStateBase, type RestoreOptions } from './optimizer.js';
import { InputError } from '../../errors.js';

export interface ConcatState extends OptimizerStateBase { kind: 'concat'; first: OptimizerStateBase; second: OptimizerStateBase }
export interface FixedPartState extends OptimizerStateBase { kind: 'fixed'; position: 'before' | 'after'; fixed: string; inner: OptimizerStateBase }
export interface WrapperRestoreOptions extends RestoreOptions { first?: RestoreOptions; second?: RestoreOptions; inner?: RestoreOptions }

/** codes [first | second]: both optimisers ask the same number of codes and are told the same scores */
export class Concat implements Optimizer {
  readonly kind = 'concat';
  readonly dimension: number;
  constructor(readonly first: Optimizer, readonly second: Optimizer) { this.dimension = first.dimension + second.dimension; }
  get generation(): number { return this.first.generation; }

  ask(): Float64Array[] {
    const a = this.first.ask(), b = this.second.ask();
    if (a.length !== b.length) {
      throw new InputError(`Concat: the first optimiser asks ${a.length} codes and the second ${b.length}; give them the same population size (and the same number of init codes)`);
    }
    return a.map((x, i) => { const out = new Float64Array(this.dimension); out.set(x, 0); out.set(b[i], x.length); return out; });
  }

  tell(scores: ArrayLike<number>): void { this.first.tell(scores); this.second.tell(scores); }
  internals(): { generation: number; first: Record<string, unknown>; second: Record<string, unknown> } {
    return { generation: this.generation, first: this.first.internals(), second: this.second.internals() };
  }
  state(): ConcatState { return { kind: 'concat', version: 1, first: this.first.state(), second: this.second.state() }; }
}

/** codes [fixed | inner] ('before', upstream pre=True) or [inner | fixed] ('after') */
export class FixedPart implements Optimizer {
  readonly kind = 'fixed';
  readonly dimension: number;
  readonly fixed: Float64Array;
  constructor(readonly inner: Optimizer, fixed: ArrayLike<number>, readonly position: 'before' | 'after' = 'before') {
    if (position !== 'before' && position !== 'after') throw new InputError(`FixedPart: position must be 'before' or 'after', got '${position}'`);
    this.fixed = Float64Array.from(fixed);
    this.dimension = inner.dimension + this.fixed.length;
  }
  get generation(): number { return this.inner.generation; }

  ask(): Float64Array[] {
    const at = this.position === 'before' ? this.fixed.length : 0, fixedAt = this.position === 'before' ? 0 : this.inner.dimension;
    return this.inner.ask().map((x) => { const out = new Float64Array(this.dimension); out.set(this.fixed, fixedAt); out.set(x, at); return out; });
  }

  tell(scores: ArrayLike<number>): void { this.inner.tell(scores); }
  internals(): Record<string, unknown> { return { ...this.inner.internals(), fixed: this.fixed.slice(), position: this.position }; }
  state(): FixedPartState { return { kind: 'fixed', version: 1, position: this.position, fixed: encodeF64(this.fixed), inner: this.inner.state() }; }
}

export function decodeFixed(s: FixedPartState): Float64Array { return decodeF64(s.fixed, 'fixed'); }
