// What every gradient-free optimiser here offers: ask for a population, tell its scores (higher is better unless
// maximize is false), save the full state as plain JSON and restore it, and expose its internals.
import type { DrawSource } from './draws.js';

export interface Optimizer {
  /** 'cholcma' | 'hesscma' | 'spherecma' | 'ga' | 'cma' */
  readonly kind: string;
  /** length of a code */
  readonly dimension: number;
  /** generations told so far (0 before the first tell) */
  readonly generation: number;
  /** the codes to evaluate now (copies, one Float64Array per code); the same until tell() */
  ask(): Float64Array[];
  /** one score per code of ask(), in the same order; updates the optimiser and draws the next population */
  tell(scores: ArrayLike<number>): void;
  /** everything needed to continue exactly: JSON.stringify-able, float arrays as base64 float64 */
  state(): OptimizerStateBase;
  /** the quantities method researchers plot, after the last tell (fresh copies) */
  internals(): Record<string, unknown>;
}

export interface OptimizerStateBase {
  kind: string;
  version: number;
}

export interface RestoreOptions {
  /** the draw source to continue with, when the state was not drawing from the built-in Philox stream */
  draws?: DrawSource;
}

/** rows of a row-major matrix as separate copies */
export function rowsOf(data: Float64Array, rows: number, cols: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let r = 0; r < rows; r++) out.push(data.slice(r * cols, (r + 1) * cols));
  return out;
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}
