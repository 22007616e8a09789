// Float64 oracle of the `sampling` kernel family, written after PyTorch's and torchvision's CPU loops: forward
// passes read, backward passes scatter each output's gradient (the WebGPU kernels gather instead). Values are
// float64; the discrete decisions PyTorch makes in float32 for f32 tensors (interpolate's scales and nearest
// indices, RoI box coordinates and sample counts) are rounded to float32 with Math.fround so that the oracle
// picks the same source pixels as PyTorch does on f32 data.
import type { View } from '../view.js';
import type { GridSampleGeometry, InterpolateGeometry, RoiAlignGeometry, SamplingKernels } from '../kernels/sampling.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';
import { antialiasTaps, areaScale, cubic1, cubic2 } from '../kernels/resample-taps.js';

const dataOf = (v: View) => (v.buf as CpuBuffer).data;
const f32 = Math.fround;

// ------------------------------------------------------------------ grid_sample (ATen GridSampler.h)

/** value and d value / d coord of grid_sampler_compute_source_index (unnormalise, then pad) */
function sourceIndex(coord: number, size: number, g: GridSampleGeometry): [number, number] {
  let v: number, d: number;
  if (g.alignCorners) { v = ((coord + 1) / 2) * (size - 1); d = (size - 1) / 2; } else { v = ((coord + 1) * size - 1) / 2; d = size / 2; }
  if (g.padding === 'border') {
    const [c, dc] = clip(v, size);
    return [c, d * dc];
  }
  if (g.padding === 'reflection') {
    const [r, dr] = g.alignCorners ? reflect(v, 0, 2 * (size - 1)) : reflect(v, -1, 2 * size - 1);
    const [c, dc] = clip(r, size);
    return [c, d * dr * dc];
  }
  return [v, d];
}

/** clip_coordinates_set_grad: the borders themselves count as outside (gradient 0) */
function clip(v: number, size: number): [number, number] {
  if (v <= 0) return [0, 0];
  if (v >= size - 1) return [size - 1, 0];
  return [v, 1];
}

/** reflect_coordinates_set_grad: reflect into [twiceLow/2, twiceHigh/2] */
function reflect(v: number, twiceLow: number, twiceHigh: number): [number, number] {
  if (twiceLow === twiceHigh) return [0, 0];
  const min = twiceLow / 2, span = (twiceHigh - twiceLow) / 2;
  let x = v - min, sign = 1;
  if (x < 0) { sign = -1; x = -x; }
  const extra = x % span; // C fmod: exact, sign of x
  const flips = Math.floor(x / span);
  return flips % 2 === 0 ? [extra + min, sign] : [span - extra + min, -sign];
}

/** std::nearbyint in the default rounding mode: halves go to the even neighbour */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function gridSample(b: CpuBackend, x: View, grid: View, g: GridSampleGeometry): CpuBuffer {
  const X = dataOf(x), G = dataOf(grid);
  const { N, C, H, W, Ho, Wo } = g;
  const out = b.alloc(N * C * Ho * Wo);
  const at = (plane: number, yy: number, xx: number) => (yy >= 0 && yy < H && xx >= 0 && xx < W ? X[plane + yy * W + xx] : 0);
  for (let n = 0; n < N; n++) for (let p = 0; p < Ho * Wo; p++) {
    const gi = grid.offset + (n * Ho * Wo + p) * 2;
    const [ix] = sourceIndex(G[gi], W, g), [iy] = sourceIndex(G[gi + 1], H, g);
    for (let c = 0; c < C; c++) {
      const plane = x.offset + (n * C + c) * H * W;
      let v: number;
      if (g.mode === 'nearest') v = at(plane, roundHalfEven(iy), roundHalfEven(ix));
      else {
        const x0 = Math.floor(ix), y0 = Math.floor(iy), x1 = x0 + 1, y1 = y0 + 1;
        v = at(plane, y0, x0) * (x1 - ix) * (y1 - iy) + at(plane, y0, x1) * (ix - x0) * (y1 - iy)
          + at(plane, y1, x0) * (x1 - ix) * (iy - y0) + at(plane, y1, x1) * (ix - x0) * (iy - y0);
      }
      out.data[(n * C + c) * Ho * Wo + p] = v;
    }
  }
  return out;
}

function gridSampleBackward(b: CpuBackend, gy: View, x: View, grid: View, g: GridSampleGeometry, want: { x: boolean; grid: boolean }) {
  const X = dataOf(x), G = dataOf(grid), GY = dataOf(gy);
  const { N, C, H, W, Ho, Wo } = g;
  const dx = want.x ? b.alloc(N * C * H * W) : null;
  const dgrid = want.grid ? b.alloc(N * Ho * Wo * 2) : null;
  const inb = (yy: number, xx: number) => yy >= 0 && yy < H && xx >= 0 && xx < W;
  for (let n = 0; n < N; n++) for (let p = 0; p < Ho * Wo; p++) {
    const gi = grid.offset + (n * Ho * Wo + p) * 2;
    const [ix, mx] = sourceIndex(G[gi], W, g), [iy, my] = sourceIndex(G[gi + 1], H, g);
    let gix = 0, giy = 0;
    for (let c = 0; c < C; c++) {
      const go = GY[gy.offset + (n * C + c) * Ho * Wo + p];
      const plane = (n * C + c) * H * W;
      if (g.mode === 'nearest') {
        const xn = roundHalfEven(ix), yn = roundHalfEven(iy);
        if (dx && inb(yn, xn)) dx.data[plane + yn * W + xn] += go;
        continue;
      }
      const x0 = Math.floor(ix), y0 = Math.floor(iy), x1 = x0 + 1, y1 = y0 + 1;
      const taps: [number, number, number][] = [
        [y0, x0, (x1 - ix) * (y1 - iy)], [y0, x1, (ix - x0) * (y1 - iy)], [y1, x0, (x1 - ix) * (iy - y0)], [y1, x1, (ix - x0) * (iy - y0)],
      ];
      if (dx) for (const [yy, xx, w] of taps) if (inb(yy, xx)) dx.data[plane + yy * W + xx] += w * go;
      const v = (yy: number, xx: number) => (inb(yy, xx) ? X[x.offset + plane + yy * W + xx] : 0);
      const nw = v(y0, x0), ne = v(y0, x1), sw = v(y1, x0), se = v(y1, x1);
      gix += (-nw * (y1 - iy) + ne * (y1 - iy) - sw * (iy - y0) + se * (iy - y0)) * go;
      giy += (-nw * (x1 - ix) - ne * (ix - x0) + sw * (x1 - ix) + se * (ix - x0)) * go;
    }
    if (dgrid && g.mode === 'bilinear') {
      dgrid.data[(n * Ho * Wo + p) * 2] = gix * mx;
      dgrid.data[(n * Ho * Wo + p) * 2 + 1] = giy * my;
    }
  }
  return { dx, dgrid };
}

// ------------------------------------------------------------------ roi_align (torchvision roi_align_kernel.cpp)

interface Box { n: number; x1: number; y1: number; bw: number; bh: number; gw: number; gh: number; count: number }

function boxOf(B: Float64Array, at: number, g: RoiAlignGeometry): Box {
  const off = g.aligned ? 0.5 : 0;
  const s = f32(g.spatialScale);
  const x1 = f32(f32(B[at + 1] * s) - off), y1 = f32(f32(B[at + 2] * s) - off);
  const x2 = f32(f32(B[at + 3] * s) - off), y2 = f32(f32(B[at + 4] * s) - off);
  let rw = f32(x2 - x1), rh = f32(y2 - y1);
  if (!g.aligned) { rw = Math.max(rw, 1); rh = Math.max(rh, 1); }
  const bh = f32(rh / g.PH), bw = f32(rw / g.PW);
  const gh = g.samplingRatio > 0 ? g.samplingRatio : Math.ceil(bh);
  const gw = g.samplingRatio > 0 ? g.samplingRatio : Math.ceil(bw);
  return { n: Math.trunc(B[at]), x1, y1, bw, bh, gw, gh, count: Math.max(gh * gw, 1) };
}

/** bilinear_interpolate(_gradient): the four taps and weights of one sample, or null when it contributes 0 */
function roiTaps(H: number, W: number, y: number, x: number): [number, number, number, number, number, number, number, number] | null {
  if (y < -1 || y > H || x < -1 || x > W) return null;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  let yl = Math.trunc(y), xl = Math.trunc(x), yh: number, xh: number;
  if (yl >= H - 1) { yh = yl = H - 1; y = yl; } else yh = yl + 1;
  if (xl >= W - 1) { xh = xl = W - 1; x = xl; } else xh = xl + 1;
  const ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
  return [yl, yh, xl, xh, hy * hx, hy * lx, ly * hx, ly * lx];
}

function roiSamples(bx: Box, ph: number, pw: number, fn: (y: number, x: number) => void): void {
  for (let iy = 0; iy < bx.gh; iy++) {
    // float32 steps as torchvision on f32 data: start + p * bin + (i + .5) * bin / grid
    const y = f32(f32(bx.y1 + f32(ph * bx.bh)) + f32(f32((iy + 0.5) * bx.bh) / bx.gh));
    for (let ix = 0; ix < bx.gw; ix++) fn(y, f32(f32(bx.x1 + f32(pw * bx.bw)) + f32(f32((ix + 0.5) * bx.bw) / bx.gw)));
  }
}

function roiAlign(b: CpuBackend, x: View, boxes: View, g: RoiAlignGeometry): CpuBuffer {
  const X = dataOf(x), B = dataOf(boxes);
  const { C, H, W, K, PH, PW } = g;
  const out = b.alloc(K * C * PH * PW);
  for (let k = 0; k < K; k++) {
    const bx = boxOf(B, boxes.offset + k * 5, g);
    if (bx.n < 0 || bx.n >= g.N) continue;
    for (let c = 0; c < C; c++) {
      const plane = x.offset + (bx.n * C + c) * H * W;
      for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
        let acc = 0;
        roiSamples(bx, ph, pw, (y, xx) => {
          const t = roiTaps(H, W, y, xx);
          if (!t) return;
          const [yl, yh, xl, xh, w1, w2, w3, w4] = t;
          acc += w1 * X[plane + yl * W + xl] + w2 * X[plane + yl * W + xh] + w3 * X[plane + yh * W + xl] + w4 * X[plane + yh * W + xh];
        });
        out.data[((k * C + c) * PH + ph) * PW + pw] = acc / bx.count;
      }
    }
  }
  return out;
}

function roiAlignBackward(b: CpuBackend, gy: View, boxes: View, g: RoiAlignGeometry): CpuBuffer {
  const GY = dataOf(gy), B = dataOf(boxes);
  const { N, C, H, W, K, PH, PW } = g;
  const dx = b.alloc(N * C * H * W);
  for (let k = 0; k < K; k++) {
    const bx = boxOf(B, boxes.offset + k * 5, g);
    if (bx.n < 0 || bx.n >= N) continue;
    for (let c = 0; c < C; c++) {
      const plane = (bx.n * C + c) * H * W;
      for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
        const go = GY[gy.offset + ((k * C + c) * PH + ph) * PW + pw] / bx.count;
        roiSamples(bx, ph, pw, (y, xx) => {
          const t = roiTaps(H, W, y, xx);
          if (!t) return;
          const [yl, yh, xl, xh, w1, w2, w3, w4] = t;
          dx.data[plane + yl * W + xl] += w1 * go;
          dx.data[plane + yl * W + xh] += w2 * go;
          dx.data[plane + yh * W + xl] += w3 * go;
          dx.data[plane + yh * W + xh] += w4 * go;
        });
      }
    }
  }
  return dx;
}

// ------------------------------------------------------------------ interpolate (ATen UpSample.h, UpSampleKernel.cpp)

/** compute_scales_value<float> / area_pixel_compute_scale<float> */

/** per output index along one axis: the input indices it reads and their weights */
type Taps = { idx: number[]; w: number[] }[];

/** HelperInterpNearest (PyTorch's NCHW path): floor(o * scale) in float32, no same-size or 2x shortcut */
function nearestTaps(inSize: number, outSize: number, scale: number | null): Taps {
  const s = areaScale(inSize, outSize, false, scale);
  return Array.from({ length: outSize }, (_, o) => ({ idx: [Math.min(Math.floor(f32(o * s)), inSize - 1)], w: [1] }));
}

function linearTaps(inSize: number, outSize: number, align: boolean, scale: number | null): Taps {
  const s = areaScale(inSize, outSize, align, scale);
  return Array.from({ length: outSize }, (_, o) => {
    if (outSize === inSize) return { idx: [o, o], w: [1, 0] };
    // the source index is computed in double (acc_type of float on CPU)
    const real = align ? s * o : Math.max(s * (o + 0.5) - 0.5, 0);
    const i0 = Math.trunc(real);
    const i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
    const l1 = real - i0;
    return { idx: [i0, i1], w: [1 - l1, l1] };
  });
}

const A = -0.75;

function cubicTaps(inSize: number, outSize: number, align: boolean, scale: number | null): Taps {
  const s = areaScale(inSize, outSize, align, scale);
  return Array.from({ length: outSize }, (_, o) => {
    const real = align ? f32(s * o) : f32(f32(s * (o + 0.5)) - 0.5); // cubic: no clamp at 0
    const i = Math.floor(real);
    const t = f32(real - i);
    const w = [cubic2(t + 1, A), cubic1(t, A), cubic1(1 - t, A), cubic2(2 - t, A)];
    const idx = [-1, 0, 1, 2].map((d) => Math.max(Math.min(i + d, inSize - 1), 0));
    return { idx, w };
  });
}

function axisTaps(inSize: number, outSize: number, g: InterpolateGeometry, scale: number | null): Taps {
  if (g.antialias) {
    return Array.from({ length: outSize }, (_, o) => {
      const [idx, w] = antialiasTaps(o, inSize, outSize, g.alignCorners, scale, g.mode === 'bicubic');
      return { idx, w };
    });
  }
  if (g.mode === 'nearest') return nearestTaps(inSize, outSize, scale);
  if (g.mode === 'bilinear') return linearTaps(inSize, outSize, g.alignCorners, scale);
  return cubicTaps(inSize, outSize, g.alignCorners, scale);
}

function interpolate(b: CpuBackend, x: View, g: InterpolateGeometry): CpuBuffer {
  const X = dataOf(x);
  const { planes, H, W, OH, OW } = g;
  const ty = axisTaps(H, OH, g, g.scaleH), tx = axisTaps(W, OW, g, g.scaleW);
  const out = b.alloc(planes * OH * OW);
  for (let p = 0; p < planes; p++) {
    const base = x.offset + p * H * W;
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      let acc = 0;
      const { idx: iy, w: wy } = ty[oh], { idx: ix, w: wx } = tx[ow];
      for (let a = 0; a < iy.length; a++) for (let c = 0; c < ix.length; c++) acc += wy[a] * wx[c] * X[base + iy[a] * W + ix[c]];
      out.data[(p * OH + oh) * OW + ow] = acc;
    }
  }
  return out;
}

function interpolateBackward(b: CpuBackend, gy: View, g: InterpolateGeometry): CpuBuffer {
  const GY = dataOf(gy);
  const { planes, H, W, OH, OW } = g;
  const ty = axisTaps(H, OH, g, g.scaleH), tx = axisTaps(W, OW, g, g.scaleW);
  const dx = b.alloc(planes * H * W);
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const go = GY[gy.offset + (p * OH + oh) * OW + ow];
      const { idx: iy, w: wy } = ty[oh], { idx: ix, w: wx } = tx[ow];
      for (let a = 0; a < iy.length; a++) for (let c = 0; c < ix.length; c++) dx.data[p * H * W + iy[a] * W + ix[c]] += wy[a] * wx[c] * go;
    }
  }
  return dx;
}

/** The CPU oracle's `sampling` kernels (part of CPU_KERNELS in ./index.ts). */
export const cpuSamplingKernels: SamplingKernels<CpuBackend> = { gridSample, gridSampleBackward, roiAlign, roiAlignBackward, interpolate, interpolateBackward };