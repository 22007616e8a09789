// Float64 oracle of the `pool` kernel family: plain loops written after PyTorch's CPU kernels (forward window
// scans; backward scatters each output's gradient, unlike the WebGPU gather form).
import type { View } from '../view.js';
import type { AdaptiveGeometry, AvgPoolOptions, Pool2dGeometry, PoolKernels } from '../kernels/pool.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';

const dataOf = (v: View) => (v.buf as CpuBuffer).data;

function avgDivisor(g: Pool2dGeometry, o: AvgPoolOptions, oh: number, ow: number): number {
  let h0 = oh * g.sH - g.pH, w0 = ow * g.sW - g.pW;
  let h1 = Math.min(h0 + g.kH, g.H + g.pH), w1 = Math.min(w0 + g.kW, g.W + g.pW);
  const poolSize = (h1 - h0) * (w1 - w0);
  h0 = Math.max(h0, 0); w0 = Math.max(w0, 0); h1 = Math.min(h1, g.H); w1 = Math.min(w1, g.W);
  if (o.divisor) return o.divisor;
  return o.countIncludePad ? poolSize : (h1 - h0) * (w1 - w0);
}

/** Calls fn(h0, h1, w0, w1) with the in-bounds window of output (oh, ow) (no dilation). */
function avgWindow(g: Pool2dGeometry, oh: number, ow: number): [number, number, number, number] {
  const h0 = oh * g.sH - g.pH, w0 = ow * g.sW - g.pW;
  return [Math.max(h0, 0), Math.min(h0 + g.kH, g.H), Math.max(w0, 0), Math.min(w0 + g.kW, g.W)];
}

const binStart = (i: number, L: number, n: number) => Math.floor((i * L) / n);
const binEnd = (i: number, L: number, n: number) => Math.ceil(((i + 1) * L) / n);

/** The CPU oracle's `pool` kernels (part of CPU_KERNELS in ./index.ts). */
export const cpuPoolKernels: PoolKernels<CpuBackend> = {
  maxPool2d(b, x, g, withIndices) {
    const X = dataOf(x);
    const out = b.alloc(g.planes * g.OH * g.OW);
    const idx = withIndices ? b.alloc(g.planes * g.OH * g.OW) : null;
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      const base = x.offset + p * g.H * g.W;
      for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++, o++) {
        let h0 = oh * g.sH - g.pH, w0 = ow * g.sW - g.pW;
        const h1 = Math.min(h0 + (g.kH - 1) * g.dH + 1, g.H), w1 = Math.min(w0 + (g.kW - 1) * g.dW + 1, g.W);
        while (h0 < 0) h0 += g.dH;
        while (w0 < 0) w0 += g.dW;
        let best = -Infinity, at = h0 * g.W + w0;
        for (let h = h0; h < h1; h += g.dH) for (let w = w0; w < w1; w += g.dW) {
          const v = X[base + h * g.W + w];
          if (v > best || Number.isNaN(v)) { best = v; at = h * g.W + w; }
        }
        out.data[o] = best;
        if (idx) idx.data[o] = at;
      }
    }
    return { out, indices: idx };
  },
  maxPool2dBackward(b, gy, indices, g) {
    const G = dataOf(gy), I = dataOf(indices);
    const dx = b.alloc(g.planes * g.H * g.W);
    for (let p = 0; p < g.planes; p++) for (let o = 0; o < g.OH * g.OW; o++) {
      const k = p * g.OH * g.OW + o;
      dx.data[p * g.H * g.W + I[indices.offset + k]] += G[gy.offset + k];
    }
    return dx;
  },
  avgPool2d(b, x, g, opt) {
    const X = dataOf(x);
    const out = b.alloc(g.planes * g.OH * g.OW);
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      const base = x.offset + p * g.H * g.W;
      for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++, o++) {
        const [h0, h1, w0, w1] = avgWindow(g, oh, ow);
        if (h0 >= h1 || w0 >= w1) { out.data[o] = 0; continue; }
        let s = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += X[base + h * g.W + w];
        out.data[o] = s / avgDivisor(g, opt, oh, ow);
      }
    }
    return out;
  },
  avgPool2dBackward(b, gy, g, opt) {
    const G = dataOf(gy);
    const dx = b.alloc(g.planes * g.H * g.W);
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      const base = p * g.H * g.W;
      for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++, o++) {
        const [h0, h1, w0, w1] = avgWindow(g, oh, ow);
        const v = G[gy.offset + o] / avgDivisor(g, opt, oh, ow);
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx.data[base + h * g.W + w] += v;
      }
    }
    return dx;
  },
  adaptiveAvgPool2d(b, x, g: AdaptiveGeometry) {
    const X = dataOf(x);
    const out = b.alloc(g.planes * g.OH * g.OW);
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      const base = x.offset + p * g.H * g.W;
      for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++, o++) {
        const h0 = binStart(oh, g.H, g.OH), h1 = binEnd(oh, g.H, g.OH), w0 = binStart(ow, g.W, g.OW), w1 = binEnd(ow, g.W, g.OW);
        let s = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += X[base + h * g.W + w];
        out.data[o] = s / ((h1 - h0) * (w1 - w0));
      }
    }
    return out;
  },
  adaptiveAvgPool2dBackward(b, gy, g: AdaptiveGeometry) {
    const G = dataOf(gy);
    const dx = b.alloc(g.planes * g.H * g.W);
    let o = 0;
    for (let p = 0; p < g.planes; p++) {
      const base = p * g.H * g.W;
      for (let oh = 0; oh < g.OH; oh++) for (let ow = 0; ow < g.OW; ow++, o++) {
        const h0 = binStart(oh, g.H, g.OH), h1 = binEnd(oh, g.H, g.OH), w0 = binStart(ow, g.W, g.OW), w1 = binEnd(ow, g.W, g.OW);
        const v = G[gy.offset + o] / ((h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx.data[base + h * g.W + w] += v;
      }
    }
    return dx;
  },
};
