// Backend-level interface of the `sampling` kernel family: grid sampling (torch.nn.functional.grid_sample),
// RoI Align (torchvision.ops.roi_align) and resizing (torch.nn.functional.interpolate), each with its VJP.
// Inputs are contiguous NCHW at any element offset (grids (N, Ho, Wo, 2), boxes (K, 5)); outputs are fresh
// contiguous buffers.
import type { BackendBuffer, View } from '../view.js';

export type GridSampleMode = 'bilinear' | 'nearest';
export type GridSamplePadding = 'zeros' | 'border' | 'reflection';

/** x (N, C, H, W) sampled at grid (N, Ho, Wo, 2) into (N, C, Ho, Wo). */
export interface GridSampleGeometry {
  N: number; C: number; H: number; W: number;
  Ho: number; Wo: number;
  mode: GridSampleMode;
  padding: GridSamplePadding;
  alignCorners: boolean;
}

/** x (N, C, H, W) pooled over K boxes (rows [batchIndex, x1, y1, x2, y2]) into (K, C, PH, PW). */
export interface RoiAlignGeometry {
  N: number; C: number; H: number; W: number;
  K: number; PH: number; PW: number;
  spatialScale: number;
  /** samples per bin along each axis; <= 0: adaptive, ceil(roi size / output size) per box */
  samplingRatio: number;
  aligned: boolean;
}

export type InterpolateMode = 'nearest' | 'bilinear' | 'bicubic';

/** planes of H x W resized to OH x OW. */
export interface InterpolateGeometry {
  planes: number; H: number; W: number; OH: number; OW: number;
  mode: InterpolateMode;
  alignCorners: boolean;
  antialias: boolean;
  /** the user's scale factors when the output size came from them (PyTorch then uses 1/scale), else null */
  scaleH: number | null;
  scaleW: number | null;
}

/** Implemented once per backend B (the backend object is every function's first argument). */
export interface SamplingKernels<B> {
  gridSample(b: B, x: View, grid: View, g: GridSampleGeometry): BackendBuffer;
  /** gradients w.r.t. x (N, C, H, W) and grid (N, Ho, Wo, 2) for the wanted ones (grid: zeros for 'nearest') */
  gridSampleBackward(b: B, gy: View, x: View, grid: View, g: GridSampleGeometry, want: { x: boolean; grid: boolean }):
    { dx: BackendBuffer | null; dgrid: BackendBuffer | null };
  roiAlign(b: B, x: View, boxes: View, g: RoiAlignGeometry): BackendBuffer;
  /** gradient w.r.t. x (N, C, H, W) */
  roiAlignBackward(b: B, gy: View, boxes: View, g: RoiAlignGeometry): BackendBuffer;
  interpolate(b: B, x: View, g: InterpolateGeometry): BackendBuffer;
  /** gradient w.r.t. x (planes, H, W) */
  interpolateBackward(b: B, gy: View, g: InterpolateGeometry): BackendBuffer;
}
