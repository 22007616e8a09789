// Backend-level interface of the `image` kernel family: 1-D filtering along one axis with reflect padding (the
// passes of a separable Gaussian blur) and its adjoint. Inputs are contiguous at any element offset.
import type { BackendBuffer, View } from '../view.js';

/** A contiguous tensor read as [outer, L, inner], filtered along L. */
export interface FilterDims { outer: number; L: number; inner: number }

/** Implemented once per backend B (the backend object is every function's first argument). */
export interface ImageKernels<B> {
  /**
   * out[o, i, j] = sum_k taps[k] * x[o, reflect(i + k - r), j] with K = taps.length odd, r = (K - 1) / 2 < L,
   * reflect mirroring without repeating the edge (torch's 'reflect' padding). Same shape as x.
   */
  filter1dReflect(b: B, x: View, d: FilterDims, taps: readonly number[]): BackendBuffer;
  /** the adjoint of filter1dReflect: dx = Aᵀ g */
  filter1dReflectBackward(b: B, g: View, d: FilterDims, taps: readonly number[]): BackendBuffer;
  /** s[n] (N values) = sum over the P planes (H x W) of sample n of the squared horizontal and vertical neighbour differences */
  tvSquares(b: B, x: View, d: TvDims): BackendBuffer;
  /** x (planes, H, W) padded at its edges -> (planes, H + top + bottom, W + left + right) */
  pad2d(b: B, x: View, d: Pad2dDims): BackendBuffer;
  /** pad2d's adjoint: each input position gets the sum of g over the padded positions copied from it */
  pad2dBackward(b: B, g: View, d: Pad2dDims): BackendBuffer;
  /** its input gradient for g (N values): 2 g[n] ((x - left) - (right - x) + (x - up) - (down - x)), a difference past an edge 0 */
  tvSquaresBackward(b: B, x: View, g: View, d: TvDims): BackendBuffer;
}

/** planes of H x W padded by (top, bottom, left, right) with reflect (torch's, without repeating the edge) or replicate */
export interface Pad2dDims { planes: number; H: number; W: number; pads: [number, number, number, number]; mode: 'reflect' | 'replicate' }

/** A contiguous tensor read as N samples of P planes of H x W. */
export interface TvDims { N: number; P: number; H: number; W: number }
