// Sampling ops with PyTorch semantics and their VJPs: gridSample (torch.nn.functional.grid_sample), roiAlign
// (torchvision.ops.roi_align) and interpolate (torch.nn.functional.interpolate of PyTorch 1.13, 2-D). Kernels:
// shaders/sampling.ts (WebGPU) and backend/cpu/sampling.ts (float64 oracle).
import { DTypeError, InputError, ShapeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { noGrad, record } from '../autograd.js';
import type { View } from '../backend/backend.js';
import { fmt } from '../shape.js';
import { kernelsFor } from '../backend/registry.js';
import type {
  GridSampleGeometry, GridSampleMode, GridSamplePadding, InterpolateGeometry, InterpolateMode, RoiAlignGeometry,
} from '../backend/kernels/sampling.js';
import { backendOf, wrap } from './core.js';

export type { GridSampleMode, GridSamplePadding, InterpolateMode };

const kernels = (t: Tensor) => kernelsFor(t.backend, 'sampling');

/** Run fn on contiguous views of the tensors (temporary copies for strided ones; kernels honour offsets). */
function withContiguous<T>(op: string, xs: Tensor[], fn: (...v: View[]) => T): T {
  const temps: Tensor[] = [];
  const views = xs.map((x) => {
    if (x.isContiguous) return x.backendView(op);
    const c = noGrad(() => x.contiguous());
    temps.push(c);
    return c.backendView(op);
  });
  try { return fn(...views); } finally { temps.forEach((t) => t.dispose()); }
}

function checkImage(op: string, x: Tensor, what = 'input'): void {
  x.backendView(op);
  if (x.dtype !== 'f32') throw new DTypeError(`${op}: ${what} must be f32, got ${x.dtype}`);
  if (x.rank !== 4) throw new ShapeError(`${op}: ${what} must be (N, C, H, W), got shape ${fmt(x.shape)}`);
  if (x.shape.slice(1).some((s) => s === 0)) throw new ShapeError(`${op}: ${what} ${fmt(x.shape)} has an empty channel or spatial dim`);
}

function oneOf<T extends string>(op: string, what: string, v: T, allowed: readonly T[]): T {
  if (!allowed.includes(v)) throw new InputError(`${op}: ${what} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${String(v)}'`);
  return v;
}

function sizePair(op: string, what: string, v: number | readonly number[]): [number, number] {
  const p = typeof v === 'number' ? [v, v] : [...v];
  if (p.length !== 2 || !p.every((s) => Number.isInteger(s) && s > 0)) {
    throw new ShapeError(`${op}: ${what} must be a positive integer or a pair of them, got ${typeof v === 'number' ? v : fmt(v)}`);
  }
  return [p[0], p[1]];
}

// ------------------------------------------------------------------ gridSample

export interface GridSampleOptions {
  /** 'bilinear' (default) or 'nearest' (rounds half to even, as PyTorch's nearbyint) */
  mode?: GridSampleMode;
  /** values read outside the image: 'zeros' (default), 'border' (clamp) or 'reflection' */
  paddingMode?: GridSamplePadding;
  /** true: -1 and 1 are the centres of the corner pixels; false (default): their outer edges */
  alignCorners?: boolean;
}

/**
 * torch.nn.functional.grid_sample for 4-D inputs: out[n, c, i, j] samples x[n, c] at grid[n, i, j] = (x, y),
 * normalised to [-1, 1] (x along the width). Gradients flow to x and to the grid (zero for 'nearest').
 * x (N, C, H, W), grid (N, Ho, Wo, 2) -> (N, C, Ho, Wo).
 */
export function gridSample(x: Tensor, grid: Tensor, opts: GridSampleOptions = {}): Tensor {
  const op = 'gridSample';
  checkImage(op, x);
  grid.backendView(op);
  if (grid.dtype !== 'f32') throw new DTypeError(`${op}: grid must be f32, got ${grid.dtype}`);
  if (grid.rank !== 4 || grid.shape[3] !== 2) throw new ShapeError(`${op}: grid must be (N, Ho, Wo, 2) for a 4-D input, got shape ${fmt(grid.shape)}`);
  if (grid.shape[0] !== x.shape[0]) throw new ShapeError(`${op}: grid batch ${grid.shape[0]} differs from input batch ${x.shape[0]} (input ${fmt(x.shape)}, grid ${fmt(grid.shape)})`);
  const mode = oneOf(op, 'mode', opts.mode ?? 'bilinear', ['bilinear', 'nearest'] as const);
  const padding = oneOf(op, 'paddingMode', opts.paddingMode ?? 'zeros', ['zeros', 'border', 'reflection'] as const);
  const [N, C, H, W] = x.shape;
  const g: GridSampleGeometry = { N, C, H, W, Ho: grid.shape[1], Wo: grid.shape[2], mode, padding, alignCorners: opts.alignCorners ?? false };
  const b = backendOf(op, x, grid);
  const out = wrap(b, withContiguous(op, [x, grid], (xv, gv) => kernels(x).gridSample(b, xv, gv, g)), [N, C, g.Ho, g.Wo], 'f32');
  if (x.requiresGrad || grid.requiresGrad) {
    record(op, out, [x, grid], (gy) => {
      const want = { x: x.requiresGrad, grid: grid.requiresGrad };
      const r = withContiguous(`${op} backward`, [gy, x, grid], (gyv, xv, gv) => kernels(gy).gridSampleBackward(b, gyv, xv, gv, g, want));
      return [r.dx ? wrap(b, r.dx, x.shape, 'f32') : null, r.dgrid ? wrap(b, r.dgrid, grid.shape, 'f32') : null];
    });
  }
  return out;
}

// ------------------------------------------------------------------ roiAlign

export interface RoiAlignOptions {
  /** multiplies the box coordinates (default 1) */
  spatialScale?: number;
  /** samples per bin along each axis; <= 0 (default -1): ceil(box size / output size) for each box */
  samplingRatio?: number;
  /** shift the box coordinates by -0.5 pixel (default false, torchvision's legacy behaviour) */
  aligned?: boolean;
}

/** Boxes as a (K, 5) f32 tensor or host rows, each [batchIndex, x1, y1, x2, y2]. */
export type RoiBoxes = Tensor | readonly (readonly number[])[];

/**
 * torchvision.ops.roi_align: for each box, an outputSize grid of bins, each the mean of bilinear samples of
 * x[batchIndex] (torchvision's rules: a sample outside [-1, size] contributes 0; coordinates <= 0 read index 0;
 * the last row/column clamps). Gradient flows to x; boxes get none (as torchvision).
 * x (N, C, H, W), boxes (K, 5) -> (K, C, outputSize[0], outputSize[1]). Host boxes are validated (batch
 * indices in [0, N)) and uploaded by the op, again for the backward pass, so nothing outlives a tidy scope; the
 * batch indices of a boxes tensor cannot be checked without a readback, and a box whose index is out of range
 * gives zeros.
 */
export function roiAlign(x: Tensor, boxes: RoiBoxes, outputSize: number | readonly [number, number], opts: RoiAlignOptions = {}): Tensor {
  const op = 'roiAlign';
  checkImage(op, x);
  const [N, C, H, W] = x.shape;
  const [PH, PW] = sizePair(op, 'outputSize', outputSize);
  const spatialScale = opts.spatialScale ?? 1;
  const samplingRatio = opts.samplingRatio ?? -1;
  if (!Number.isFinite(spatialScale)) throw new InputError(`${op}: spatialScale must be a finite number, got ${spatialScale}`);
  if (!Number.isInteger(samplingRatio)) throw new InputError(`${op}: samplingRatio must be an integer (<= 0 for adaptive), got ${samplingRatio}`);
  let host: Float32Array | null = null;
  let K: number;
  if (boxes instanceof Tensor) {
    boxes.backendView(op);
    if (boxes.dtype !== 'f32') throw new DTypeError(`${op}: boxes must be f32 rows [batchIndex, x1, y1, x2, y2], got ${boxes.dtype}`);
    if (boxes.rank !== 2 || boxes.shape[1] !== 5) throw new ShapeError(`${op}: boxes must be (K, 5) rows [batchIndex, x1, y1, x2, y2], got shape ${fmt(boxes.shape)}`);
    K = boxes.shape[0];
    backendOf(op, x, boxes);
  } else {
    K = boxes.length;
    host = new Float32Array(K * 5);
    boxes.forEach((row, k) => {
      if (row.length !== 5) throw new ShapeError(`${op}: box ${k} has ${row.length} values; boxes must be (K, 5) rows [batchIndex, x1, y1, x2, y2]`);
      if (!row.every(Number.isFinite)) throw new InputError(`${op}: box ${k} [${row.join(', ')}] has a non-finite value`);
      if (!Number.isInteger(row[0]) || row[0] < 0 || row[0] >= N) throw new InputError(`${op}: box ${k} has batch index ${row[0]}; it must be an integer in [0, ${N})`);
      host!.set(row, k * 5);
    });
  }
  const g: RoiAlignGeometry = { N, C, H, W, K, PH, PW, spatialScale, samplingRatio, aligned: opts.aligned ?? false };
  const b = x.backend;
  const withBoxes = <T>(what: string, fn: (bv: View) => T): T => {
    if (host === null) return withContiguous(what, [boxes as Tensor], fn);
    const t = Tensor.from(host, [K, 5], { backend: b, dtype: 'f32' });
    try { return fn(t.backendView(what)); } finally { t.dispose(); }
  };
  const out = wrap(b, withBoxes(op, (bv) => withContiguous(op, [x], (xv) => kernels(x).roiAlign(b, xv, bv, g))), [K, C, PH, PW], 'f32');
  if (x.requiresGrad) {
    record(op, out, [x], (gy) => [wrap(b, withBoxes(`${op} backward`, (bv) => withContiguous(`${op} backward`, [gy],
      (gyv) => kernels(gy).roiAlignBackward(b, gyv, bv, g))), x.shape, 'f32')]);
  }
  return out;
}

// ------------------------------------------------------------------ interpolate

export interface InterpolateOptions {
  /** output [h, w] (or one number for both); exactly one of size and scaleFactor */
  size?: number | readonly [number, number];
  /** output = floor(input * scaleFactor); the kernels then use 1 / scaleFactor, as PyTorch does */
  scaleFactor?: number | readonly [number, number];
  /** 'nearest' (default, PyTorch's legacy floor(dst * scale)), 'bilinear' or 'bicubic' (A = -0.75) */
  mode?: InterpolateMode;
  /** bilinear and bicubic only (PyTorch refuses it for nearest); default false */
  alignCorners?: boolean;
  /** bilinear and bicubic only: PIL-style filters widened by the down-scaling factor (default false) */
  antialias?: boolean;
}

/**
 * torch.nn.functional.interpolate (PyTorch 1.13) for (N, C, H, W) inputs, with gradient to x in every mode.
 * antialias = true follows _upsample_{bilinear,bicubic}2d_aa (PIL's triangle / a = -0.5 cubic filters).
 */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  const op = 'interpolate';
  checkImage(op, x);
  const mode = oneOf(op, 'mode', opts.mode ?? 'nearest', ['nearest', 'bilinear', 'bicubic'] as const);
  if (mode === 'nearest' && opts.alignCorners !== undefined) {
    throw new InputError(`${op}: alignCorners can only be set with the interpolating modes 'bilinear' and 'bicubic' (as PyTorch), not with 'nearest'`);
  }
  const antialias = opts.antialias ?? false;
  if (antialias && mode === 'nearest') throw new InputError(`${op}: antialias is only supported for the 'bilinear' and 'bicubic' modes`);
  const hasSize = opts.size !== undefined && opts.size !== null, hasScale = opts.scaleFactor !== undefined && opts.scaleFactor !== null;
  if (hasSize === hasScale) throw new InputError(`${op}: give exactly one of size and scaleFactor`);
  const [N, C, H, W] = x.shape;
  let OH: number, OW: number, scaleH: number | null = null, scaleW: number | null = null;
  if (hasSize) {
    [OH, OW] = sizePair(op, 'size', opts.size!);
  } else {
    const s = opts.scaleFactor!;
    const sc = typeof s === 'number' ? [s, s] : [...s];
    if (sc.length !== 2 || !sc.every((v) => Number.isFinite(v) && v > 0)) {
      throw new InputError(`${op}: scaleFactor must be a positive number or a pair of them, got ${typeof s === 'number' ? s : fmt(s)}`);
    }
    [scaleH, scaleW] = sc;
    OH = Math.floor(H * scaleH); OW = Math.floor(W * scaleW);
    if (OH <= 0 || OW <= 0) throw new ShapeError(`${op}: scaleFactor ${fmt(sc)} on input ${fmt(x.shape)} gives a non-positive output size ${fmt([OH, OW])}`);
  }
  const g: InterpolateGeometry = { planes: N * C, H, W, OH, OW, mode, alignCorners: opts.alignCorners ?? false, antialias, scaleH, scaleW };
  const b = x.backend;
  const out = wrap(b, withContiguous(op, [x], (xv) => kernels(x).interpolate(b, xv, g)), [N, C, OH, OW], 'f32');
  if (x.requiresGrad) {
    record(op, out, [x], (gy) => [wrap(b, withContiguous(`${op} backward`, [gy], (gyv) => kernels(gy).interpolateBackward(b, gyv, g)), x.shape, 'f32')]);
  }
  return out;
}
