// Backend-level interface of the `optim` kernel family: fused, in-place optimiser updates of one parameter
// tensor (torch.optim.Adam and torch.optim.SGD's per-element formulas). Every view is contiguous f32 at any
// element offset, all of the same numel; the kernels write into p and the state views' storage.
import type { View } from '../view.js';

/** Scalars of one Adam step (bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t already folded in). */
export interface AdamStep {
  b1: number; b2: number; eps: number;
  /** lr * (per-parameter scale) / bc1 */
  stepSize: number;
  /** 1 / sqrt(bc2) */
  invSqrtBc2: number;
  weightDecay: number;
  maximize: boolean;
  /** the first step: m and v are fresh storage whose contents are ignored */
  first: boolean;
}

export interface SgdStep {
  lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number; maximize: boolean;
  /** the first step with momentum: buf = g (buf's old contents ignored) */
  first: boolean;
}

/** Implemented once per backend B (the backend object is every function's first argument). */
export interface OptimKernels<B> {
  /**
   * With gr = ±g + weightDecay * p: m = b1 m + (1 - b1) gr, v = b2 v + (1 - b2) gr², (m, v = the second terms
   * alone on the first step), p -= stepSize * m / (sqrt(v) * invSqrtBc2 + eps). In place.
   */
  adamUpdate(b: B, p: View, g: View, m: View, v: View, s: AdamStep): void;
  /**
   * With gr = ±g + weightDecay * p: with a momentum buffer, buf = momentum buf + (1 - dampening) gr (buf = gr on
   * the first step) and d = nesterov ? gr + momentum buf : buf; without one, d = gr. p -= lr * d. In place.
   */
  sgdUpdate(b: B, p: View, g: View, buf: View | null, s: SgdStep): void;
}
