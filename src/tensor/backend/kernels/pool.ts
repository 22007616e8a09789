// Backend-level interface of the `pool` kernel family (max / average / adaptive-average 2-D pooling).
// Inputs are contiguous (N*C planes of H x W) at any element offset; outputs are fresh contiguous buffers.
import type { BackendBuffer, View } from '../view.js';

/** Geometry of a 2-D pooling window sweep over `planes` contiguous H x W planes (PyTorch semantics). */
export interface Pool2dGeometry {
  planes: number;
  H: number; W: number;
  OH: number; OW: number;
  kH: number; kW: number;
  sH: number; sW: number;
  pH: number; pW: number;
  dH: number; dW: number;
}

export interface AvgPoolOptions {
  countIncludePad: boolean;
  /** divisorOverride, or 0 for none */
  divisor: number;
}

/** Output bins of adaptive pooling: bin i of n over L covers [floor(i*L/n), ceil((i+1)*L/n)). */
export interface AdaptiveGeometry { planes: number; H: number; W: number; OH: number; OW: number }

/** Implemented once per backend B (the backend object is every function's first argument). */
export interface PoolKernels<B> {
  /** max over each window (padding = -inf); `indices` (i32, h*W+w within the plane, first max) when asked */
  maxPool2d(b: B, x: View, g: Pool2dGeometry, withIndices: boolean): { out: BackendBuffer; indices: BackendBuffer | null };
  /** dx[p] = sum of gy[o] over windows o whose argmax index is p */
  maxPool2dBackward(b: B, gy: View, indices: View, g: Pool2dGeometry): BackendBuffer;
  avgPool2d(b: B, x: View, g: Pool2dGeometry, o: AvgPoolOptions): BackendBuffer;
  /** dx[p] = sum over windows o containing p of gy[o] / divisor(o) */
  avgPool2dBackward(b: B, gy: View, g: Pool2dGeometry, o: AvgPoolOptions): BackendBuffer;
  adaptiveAvgPool2d(b: B, x: View, g: AdaptiveGeometry): BackendBuffer;
  adaptiveAvgPool2dBackward(b: B, gy: View, g: AdaptiveGeometry): BackendBuffer;
}
