// WebGPU implementation of the `image` kernel family (shaders/image.ts).
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { FilterDims, ImageKernels } from '../../kernels/image.js';
import { grid1d } from '../../../../../shaders/common.js';
import { IMAGE_WG, TAPS_AT, filter1dReflectBackwardWGSL, filter1dReflectWGSL } from '../../../../../shaders/image.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function params(n: number, d: FilterDims, offset: number, taps: readonly number[]): Uint32Array {
  const P = new Uint32Array(TAPS_AT + taps.length);
  P.set([n, d.L, d.inner, taps.length, offset]);
  taps.forEach((t, k) => { f32[0] = t; P[TAPS_AT + k] = u32[0]; });
  return P;
}

function run(be: WebGPUBackend, name: string, key: string, source: () => string, v: View, d: FilterDims, taps: readonly number[]) {
  const n = d.outer * d.L * d.inner;
  const out = be.alloc(n);
  be.dispatch({ name, key, source, workgroups: grid1d(n, IMAGE_WG), params: params(n, d, v.offset, taps), outputs: [out], inputs: [v.buf as GpuBuffer] });
  return out;
}

/** The WebGPU `image` kernels (part of WEBGPU_KERNELS in ./index.ts). */
export const webgpuImageKernels: ImageKernels<WebGPUBackend> = {
  filter1dReflect: (be, x, d, taps) => run(be, 'filter1dReflect', 'image:filter1d', filter1dReflectWGSL, x, d, taps),
  filter1dReflectBackward: (be, g, d, taps) => run(be, 'filter1dReflect backward', 'image:filter1d:bw', filter1dReflectBackwardWGSL, g, d, taps),
};
