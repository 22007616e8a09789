// Float64 oracle of the `image` kernel family: the forward filter by its definition, the backward by scattering
// each output's gradient through the same reflect map (unlike the WebGPU gather form).
import type { View } from '../view.js';
import type { FilterDims, ImageKernels, TvDims } from '../kernels/image.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';

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
};
