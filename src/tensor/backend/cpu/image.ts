// Float64 oracle of the `image` kernel family: the forward filter by its definition, the backward by scattering
// each output's gradient through the same reflect map (unlike the WebGPU gather form).
import type { View } from '../view.js';
import type { FilterDims, ImageKernels, Pad2dDims, TvDims } from '../kernels/image.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';

/** the source of padded position p (relative to the unpadded start) in a dim of n */
const padSource = (p: number, n: number, mode: 'reflect' | 'replicate') => (mode === 'replicate' ? Math.min(Math.max(p, 0), n - 1) : reflect(p, n));
const reflect = (p: number, L: number) => (p < 0 ? -p : p > L - 1 ? 2 * (L - 1) - p : p);

function sweep(b: CpuBackend, v: View, d: FilterDims, taps: readonly number[], adjoint: boolean): CpuBuffer {
  const X = (v.buf as CpuBuffer).data;
  const out = b.alloc(d.outer * d.L * d.inner);
  const r = (taps.length - 1) / 2;
  for (let o = 0; o < d.outer; o++) for (let j = 0; j < d.inner; j++) {
    const at = (i: number) => (o * d.L + i) * d.inner + j;
    for (let i = 0; i < d.L; i++) for (let k = 0; k < taps.length; k++) {
      const p = reflect(i + k - r, d.L);
      if (adjoint) out.data[at(p)] += taps[k] * X[v.offset + at(i)];
      else out.data[at(i)] += taps[k] * X[v.offset + at(p)];
    }
  }
  return out;
}

/** The CPU oracle's `image` kernels (part of CPU_KERNELS in ./index.ts). */
export const cpuImageKernels: ImageKernels<CpuBackend> = {
  filter1dReflect: (b, x, d, taps) => sweep(b, x, d, taps, false),
  filter1dReflectBackward: (b, g, d, taps) => sweep(b, g, d, taps, true),
  tvSquares(b, x, d: TvDims) {
    const X = (x.buf as CpuBuffer).data;
    const s = b.alloc(d.N);
    const { P, H, W } = d;
    for (let n = 0; n < d.N; n++) {
      let acc = 0;
      for (let p = 0; p < P; p++) {
        const base = x.offset + (n * P + p) * H * W;
        for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
          const v = X[base + r * W + c];
          if (c + 1 < W) acc += (X[base + r * W + c + 1] - v) ** 2;
          if (r + 1 < H) acc += (X[base + (r + 1) * W + c] - v) ** 2;
        }
      }
      s.data[n] = acc;
    }
    return s;
  },
  tvSquaresBackward(b, x, g, d: TvDims) {
    const X = (x.buf as CpuBuffer).data, G = (g.buf as CpuBuffer).data;
    const { P, H, W } = d;
    const dx = b.alloc(d.N * P * H * W);
    for (let i = 0; i < d.N * P * H * W; i++) {
      const c = i % W, r = Math.floor(i / W) % H, n = Math.floor(i / (W * H * P));
      const at = (k: number) => X[x.offset + k];
      const v = at(i);
      let t = 0;
      if (c > 0) t += v - at(i - 1);
      if (c + 1 < W) t -= at(i + 1) - v;
      if (r > 0) t += v - at(i - W);
      if (r + 1 < H) t -= at(i + W) - v;
      dx.data[i] = 2 * G[g.offset + n] * t;
    }
    return dx;
  },
  pad2d(b, x, d: Pad2dDims) {
    const X = (x.buf as CpuBuffer).data;
    const [pT, pB, pL, pR] = d.pads, OH = d.H + pT + pB, OW = d.W + pL + pR;
    const y = b.alloc(d.planes * OH * OW);
    for (let p = 0; p < d.planes; p++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const [sh, sw] = [padSource(oh - pT, d.H, d.mode), padSource(ow - pL, d.W, d.mode)];
      y.data[(p * OH + oh) * OW + ow] = X[x.offset + (p * d.H + sh) * d.W + sw];
    }
    return y;
  },
  pad2dBackward(b, g, d: Pad2dDims) {
    // the adjoint as a scatter: every padded position adds its gradient to its source
    const G = (g.buf as CpuBuffer).data;
    const [pT, pB, pL, pR] = d.pads, OH = d.H + pT + pB, OW = d.W + pL + pR;
    const dx = b.alloc(d.planes * d.H * d.W);
    for (let p = 0; p < d.planes; p++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
      const [sh, sw] = [padSource(oh - pT, d.H, d.mode), padSource(ow - pL, d.W, d.mode)];
      dx.data[(p * d.H + sh) * d.W + sw] += G[g.offset + (p * OH + oh) * OW + ow];
    }
    return dx;
  },
};
