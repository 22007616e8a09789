// Float64 oracle of the `image` kernel family: the forward filter by its definition, the backward by scattering
// each output's gradient through the same reflect map (unlike the WebGPU gather form).
import type { View } from '../view.js';
import type { FilterDims, ImageKernels } from '../kernels/image.js';
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
};
