// WebGPU implementation of the `sampling` kernel family (shaders/sampling.ts).
//
// interpolate is table-driven: the host computes, per axis, which input indices every output index reads and
// with which weights (PyTorch's index and weight rules for nearest, bilinear, bicubic and the antialiased
// filters; they depend only on sizes, never on data), and one kernel applies the 2-D tensor product. The
// backward pass is the same kernel with the transposed tables, so it gathers without atomics. Very wide
// filters (large down-scaling factors) run as two 1-D passes instead.
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { GridSampleGeometry, InterpolateGeometry, RoiAlignGeometry, SamplingKernels } from '../../kernels/sampling.js';
import { grid1d } from '../../../../../shaders/common.js';
import { antialiasTaps, areaScale, cubic1, cubic2 } from '../../kernels/resample-taps.js';
import {
  GRID_SAMPLE, RESAMPLE, RESAMPLE_WG, ROI_ALIGN, SAMPLING_WG, gridSampleBackwardGridWGSL, gridSampleGatherWGSL, gridSampleTransposeWGSL, gridSampleWGSL, resample2dWGSL, roiAlignBackwardWGSL, roiAlignWGSL,
} from '../../../../../shaders/sampling.js';

const bufOf = (v: View) => v.buf as GpuBuffer;

// ------------------------------------------------------------------ grid_sample

function gridParams(n: number, g: GridSampleGeometry, offsets: { xOff?: number; gridOff?: number; gyOff?: number },
  blocks: { CB?: number; nCB?: number; entriesAt?: number } = {}): Uint32Array {
  return GRID_SAMPLE.pack({ n, N: g.N, C: g.C, H: g.H, W: g.W, Ho: g.Ho, Wo: g.Wo, ...offsets, ...blocks });
}

const gridKey = (g: GridSampleGeometry) => `${g.mode}:${g.padding}:${g.alignCorners ? 1 : 0}`;

// ------------------------------------------------------------------ roi_align

function roiParams(blocks: number, g: RoiAlignGeometry, off: number, boxesOff: number): Uint32Array {
  const { N, C, H, W, K, PH, PW, spatialScale, samplingRatio } = g;
  return ROI_ALIGN.pack({ blocks, N, C, H, W, K, PH, PW, spatialScale, samplingRatio, aligned: g.aligned ? 1 : 0, off, boxesOff });
}

// ------------------------------------------------------------------ interpolate tables

/**
 * Per output index o: a window of T consecutive input indices starting at start[o] (start[o] + T <= input
 * size) and their weights w[o * T + t], zero where the output does not read.
 */
export interface AxisTable { out: number; T: number; start: Int32Array; w: Float32Array }

const f32 = Math.fround;

/** The taps of output index o along one axis, as PyTorch 1.13's CPU kernels compute them. */
function axisTaps(o: number, inSize: number, outSize: number, g: InterpolateGeometry, scale: number | null): [number[], number[]] {
  if (g.antialias) return antialiasTaps(o, inSize, outSize, g.alignCorners, scale, g.mode === 'bicubic');
  if (g.mode === 'nearest') {
    // legacy nearest as PyTorch's NCHW kernel (HelperInterpNearest): floor(o * scale) in float32
    return [[Math.min(Math.floor(f32(o * areaScale(inSize, outSize, false, scale))), inSize - 1)], [1]];
  }
  const s = areaScale(inSize, outSize, g.alignCorners, scale);
  if (g.mode === 'bilinear') {
    // compute_source_index_and_lambda: same size copies; the source index is a double; right neighbour clamped
    if (outSize === inSize) return [[o], [1]];
    const real = g.alignCorners ? s * o : Math.max(s * (o + 0.5) - 0.5, 0);
    const i0 = Math.trunc(real);
    const l1 = real - i0;
    return [[i0, i0 + (i0 < inSize - 1 ? 1 : 0)], [1 - l1, l1]];
  }
  // bicubic (A = -0.75): float32 source index, not clamped at 0; the four taps clamped to the image
  const real = g.alignCorners ? f32(s * o) : f32(f32(s * (o + 0.5)) - 0.5);
  const i = Math.floor(real);
  const t = f32(real - i);
  const A = -0.75;
  return [[i - 1, i, i + 1, i + 2].map((v) => Math.max(Math.min(v, inSize - 1), 0)), [cubic2(t + 1, A), cubic1(t, A), cubic1(1 - t, A), cubic2(2 - t, A)]];
}

/** Windows over the nonzero entries of each output's {input index: weight} map, widened to the widest one. */
function packTable(lists: Map<number, number>[], out: number, inSize: number): AxisTable {
  const span = (m: Map<number, number>) => (m.size ? [Math.min(...m.keys()), Math.max(...m.keys())] : [0, 0]);
  const T = Math.max(1, ...lists.map((m) => span(m)[1] - span(m)[0] + 1));
  const start = new Int32Array(out), w = new Float32Array(out * T);
  lists.forEach((m, o) => {
    const s0 = Math.max(0, Math.min(span(m)[0], inSize - T));
    start[o] = s0;
    for (const [i, v] of m) w[o * T + i - s0] = v;
  });
  return { out, T, start, w };
}

function merge(idx: number[], w: number[]): Map<number, number> {
  const m = new Map<number, number>();
  idx.forEach((i, t) => { if (w[t] !== 0) m.set(i, (m.get(i) ?? 0) + w[t]); });
  return m;
}

const tableCache = new Map<string, { fwd: AxisTable; bwd: AxisTable }>();

/** Forward table (out entries) and its transpose (inSize entries: the outputs each input feeds), cached. */
export function resampleTables(inSize: number, outSize: number, g: InterpolateGeometry, scale: number | null): { fwd: AxisTable; bwd: AxisTable } {
  const key = `${g.mode}:${g.alignCorners}:${g.antialias}:${inSize}:${outSize}:${scale}`;
  const hit = tableCache.get(key);
  if (hit) return hit;
  const rows = Array.from({ length: outSize }, (_, o) => merge(...axisTaps(o, inSize, outSize, g, scale)));
  const cols = Array.from({ length: inSize }, () => new Map<number, number>());
  rows.forEach((m, o) => { for (const [i, v] of m) cols[i].set(o, (cols[i].get(o) ?? 0) + v); });
  const r = { fwd: packTable(rows, outSize, inSize), bwd: packTable(cols, inSize, outSize) };
  if (tableCache.size > 256) tableCache.clear();
  tableCache.set(key, r);
  return r;
}

function identityTable(n: number): AxisTable {
  return { out: n, T: 1, start: Int32Array.from({ length: n }, (_, i) => i), w: new Float32Array(n).fill(1) };
}

/** a table that copies: one tap of weight 1 at the output's own index */
function isIdentity(t: AxisTable): boolean {
  return t.T === 1 && t.start.every((s, o) => s === o) && t.w.every((v) => v === 1);
}

/** out (planes, ty.out, tx.out) = tables applied to x (planes, H, W), in one pass or two 1-D passes. */
function resample(be: WebGPUBackend, x: GpuBuffer, xOff: number, planes: number, H: number, W: number, ty: AxisTable, tx: AxisTable): GpuBuffer {
  const OH = ty.out, OW = tx.out;
  const direct = OH * OW * ty.T * tx.T;
  const twoPass = H * OW * tx.T + OH * OW * ty.T;
  if (ty.T > 1 && tx.T > 1 && ty.T * tx.T > 16 && direct > 2 * twoPass) {
    const mid = resample(be, x, xOff, planes, H, W, identityTable(H), tx);
    const out = resample(be, mid, 0, planes, H, OW, ty, identityTable(OW));
    be.free(mid);
    return out;
  }
  const n = planes * OH * OW;
  const out = be.alloc(n);
  if (n === 0) return out;
  const starts = new Int32Array(OH + OW);
  starts.set(ty.start); starts.set(tx.start, OH);
  const w = new Float32Array(ty.w.length + tx.w.length);
  w.set(ty.w); w.set(tx.w, ty.w.length);
  const tidx = be.upload(starts, 'i32'), twt = be.upload(w, 'f32');
  // 1-D passes (an identity table on one axis) skip the other axis' loop
  const kind = tx.T === 1 && isIdentity(tx) ? 'rows' : ty.T === 1 && isIdentity(ty) ? 'cols' : '2d';
  be.dispatch({ name: 'resample2d', key: `sampling:resample2d:${kind}`, source: () => resample2dWGSL(kind),
    workgroups: [Math.ceil(OW / RESAMPLE_WG), OH, Math.ceil(planes / 4)], tileAt: RESAMPLE.at('tile'),
    params: RESAMPLE.pack({ n, planes, H, W, OH, OW, Ty: ty.T, Tx: tx.T, xOff, rowStarts: 0, colStarts: OH, rowWeights: 0, colWeights: ty.w.length }), outputs: [out], inputs: [x, tidx, twt] });
  be.free(tidx); be.free(twt);
  return out;
}

// ------------------------------------------------------------------ implementation

/** The WebGPU `sampling` kernels (part of WEBGPU_KERNELS in ./index.ts). */
export const webgpuSamplingKernels: SamplingKernels<WebGPUBackend> = {
  gridSample(be, x, grid, g) {
    const n0 = g.N * g.C * g.Ho * g.Wo;
    const out = be.alloc(n0);
    // channel blocks: coordinates once per block; enough invocations left for the device
    const points = g.N * g.Ho * g.Wo;
    const cb = Math.max(1, Math.min(g.C, be.isCpuAdapter ? 64 : Math.ceil((g.C * points) / 65536)));
    const blocks = Math.ceil(g.C / cb);
    const n = points * blocks;
    be.dispatch({ name: 'gridSample', key: `sampling:grid:${gridKey(g)}`, source: () => gridSampleWGSL(g.mode, g.padding, g.alignCorners),
      workgroups: grid1d(n, SAMPLING_WG), params: gridParams(n, g, { xOff: x.offset, gridOff: grid.offset }, { CB: cb, nCB: blocks }), outputs: [out], inputs: [bufOf(x), bufOf(grid)] });
    return out;
  },

  gridSampleBackward(be, gy, x, grid, g, want) {
    let dx: GpuBuffer | null = null, dgrid: GpuBuffer | null = null;
    if (want.x) {
      // transpose the sampling into per-pixel lists (one invocation per batch), then gather: deterministic,
      // and the gather does exactly the work of a scatter
      const HW = g.H * g.W, P = g.Ho * g.Wo;
      const header = g.N * (2 * HW + 1);
      const idx = be.alloc(header + g.N * 4 * P), wts = be.alloc(g.N * 4 * P);
      be.dispatch({ name: 'gridSample transpose', key: `sampling:grid:tr:${gridKey(g)}`, source: () => gridSampleTransposeWGSL(g.mode, g.padding, g.alignCorners),
        workgroups: grid1d(g.N, 1), params: gridParams(g.N, g, { gridOff: grid.offset }, { entriesAt: header }), outputs: [idx, wts], inputs: [bufOf(grid)] });
      const n = g.N * Math.ceil(g.C / 8) * HW;
      dx = be.alloc(g.N * g.C * HW);
      be.dispatch({ name: 'gridSample backward (x)', key: 'sampling:grid:gather', source: gridSampleGatherWGSL, workgroups: grid1d(n, SAMPLING_WG),
        params: gridParams(n, g, { gyOff: gy.offset }, { entriesAt: header }), outputs: [dx], inputs: [bufOf(gy), idx, wts] });
      be.free(idx); be.free(wts);
    }
    if (want.grid) {
      const n = g.N * g.Ho * g.Wo;
      if (g.mode === 'nearest') dgrid = be.fill(n * 2, 0, 'f32');
      else {
        dgrid = be.alloc(n * 2);
        be.dispatch({ name: 'gridSample backward (grid)', key: `sampling:grid:bg:${g.padding}:${g.alignCorners ? 1 : 0}`,
          source: () => gridSampleBackwardGridWGSL(g.padding, g.alignCorners), workgroups: grid1d(n, SAMPLING_WG),
          params: gridParams(n, g, { xOff: x.offset, gridOff: grid.offset, gyOff: gy.offset }), outputs: [dgrid], inputs: [bufOf(gy), bufOf(x), bufOf(grid)] });
      }
    }
    return { dx, dgrid };
  },

  roiAlign(be, x, boxes, g) {
    const out = be.alloc(g.K * g.C * g.PH * g.PW);
    const blocks = g.K * Math.ceil(g.C / 4);
    be.dispatch({ name: 'roiAlign', key: 'sampling:roi', source: roiAlignWGSL, workgroups: [Math.ceil(g.PW / RESAMPLE_WG), g.PH, blocks], tileAt: ROI_ALIGN.at('tile'),
      params: roiParams(blocks, g, x.offset, boxes.offset), outputs: [out], inputs: [bufOf(x), bufOf(boxes)] });
    return out;
  },

  roiAlignBackward(be, gy, boxes, g) {
    const dx = be.alloc(g.N * g.C * g.H * g.W);
    be.dispatch({ name: 'roiAlign backward', key: 'sampling:roi:bx', source: roiAlignBackwardWGSL,
      workgroups: [Math.ceil(g.W / RESAMPLE_WG), g.H, g.N * Math.ceil(g.C / 4)], tileAt: ROI_ALIGN.at('tile'),
      params: roiParams(g.N * Math.ceil(g.C / 4), g, gy.offset, boxes.offset), outputs: [dx], inputs: [bufOf(gy), bufOf(boxes)] });
    return dx;
  },

  interpolate(be, x, g) {
    const ty = resampleTables(g.H, g.OH, g, g.scaleH), tx = resampleTables(g.W, g.OW, g, g.scaleW);
    return resample(be, bufOf(x), x.offset, g.planes, g.H, g.W, ty.fwd, tx.fwd);
  },

  interpolateBackward(be, gy, g) {
    const ty = resampleTables(g.H, g.OH, g, g.scaleH), tx = resampleTables(g.W, g.OW, g, g.scaleW);
    return resample(be, bufOf(gy), gy.offset, g.planes, g.OH, g.OW, ty.bwd, tx.bwd);
  },
};
