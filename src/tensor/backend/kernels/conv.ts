// Backend-level interface of the `conv` kernel family: 2-D convolution (cross-correlation, as PyTorch) and its
// two adjoints. Every function is written in terms of one conv2d geometry:
//   y[n, o, oy, ox] = sum_{c in group(o), ky, kx} x[n, c, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW] * w[o, c', ky, kx]
// with x (N, C, H, W), w (O, C/groups, kH, kW), y (N, O, OH, OW); taps outside x read zero. OH and OW are given
// (not recomputed), so bottom/right padding, convTranspose2d's output padding and PyTorch's asymmetric 'same'
// padding need nothing else. convTranspose2d is `conv2dBackwardInput` of the conv2d that maps its output to its
// input. Inputs are contiguous at any element offset; outputs are fresh contiguous buffers.
import type { BackendBuffer, View } from '../view.js';

export interface Conv2dGeometry {
  N: number;
  /** conv input channels, height, width */
  C: number; H: number; W: number;
  /** conv output channels, height, width */
  O: number; OH: number; OW: number;
  kH: number; kW: number;
  sH: number; sW: number;
  /** top and left padding (may be negative only in internal uses) */
  pT: number; pL: number;
  dH: number; dW: number;
  groups: number;
}

/**
 * Which kernel computes a convolution. 'auto' picks by shape and adapter; the others are for tests and
 * benchmarks: 'naive' (one output per invocation), 'gemm' (implicit GEMM, register-blocked), 'depthwise'
 * (direct kernel for groups == C == O), 'matmul' (1x1, stride 1, no padding, groups 1: the matmul kernels).
 * A kernel that cannot run the given geometry falls back to 'auto'.
 */
export type ConvKernel = 'auto' | 'naive' | 'gemm' | 'depthwise' | 'matmul';

/** Implemented once per backend B (the backend object is every function's first argument). */
export interface ConvKernels<B> {
  /** y (N, O, OH, OW) = conv2d(x, w) + bias[o] (bias optional, shape (O)) */
  conv2d(b: B, x: View, w: View, bias: View | null, g: Conv2dGeometry, kernel?: ConvKernel): BackendBuffer;
  /**
   * dx (N, C, H, W) = the adjoint of conv2d w.r.t. x applied to gy (N, O, OH, OW), plus bias[c] when given
   * (shape (C)): conv2d's input gradient and convTranspose2d's forward pass.
   */
  conv2dBackwardInput(b: B, gy: View, w: View, bias: View | null, g: Conv2dGeometry, kernel?: ConvKernel): BackendBuffer;
  /** dw (O, C/groups, kH, kW) = sum over n, oy, ox of gy[n, o, oy, ox] * x[n, c, iy, ix] (the tap's input) */
  conv2dBackwardWeight(b: B, x: View, gy: View, g: Conv2dGeometry, kernel?: ConvKernel): BackendBuffer;
}

/** Output size of a convolution along one dim (PyTorch's formula), before checking it is positive. */
export function convOutSize(inSize: number, k: number, stride: number, padBefore: number, padAfter: number, dilation: number): number {
  return Math.floor((inSize + padBefore + padAfter - dilation * (k - 1) - 1) / stride) + 1;
}
