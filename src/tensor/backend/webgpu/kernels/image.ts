// WebGPU implementation of the `image` kernel family (shaders/image.ts).
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { FilterDims, ImageKernels, Pad2dDims, TvDims } from '../../kernels/image.js';
import { grid1d } from '../../../../../shaders/common.js';
import { IMAGE_WG, filter1dReflectBackwardWGSL, filter1dReflectWGSL, filterLayout, TV_SQUARES, TV_SQUARES_BACKWARD, tvSquaresWGSL, tvSquaresBackwardWGSL, PAD2D, pad2dWGSL, pad2dBackwardWGSL } from '../../../../../shaders/image.js';

function params(n: number, d: FilterDims, offset: number, taps: readonly number[]): Uint32Array {
  return filterLayout(taps.length).pack({ n, L: d.L, inner: d.inner, K: taps.length, offset, taps });
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
  tvSquares(be, x, d: TvDims) {
    const s = be.alloc(d.N);
    if (d.N > 0) {
      be.dispatch({ name: 'tvSquares', key: 'image:tv', source: tvSquaresWGSL, workgroups: grid1d(d.N, 64),
        params: TV_SQUARES.pack({ N: d.N, P: d.P, H: d.H, W: d.W, offset: x.offset }), outputs: [s], inputs: [x.buf as GpuBuffer] });
    }
    return s;
  },
  tvSquaresBackward(be, x, g, d: TvDims) {
    const n = d.N * d.P * d.H * d.W;
    const dx = be.alloc(n);
    if (n > 0) {
      be.dispatch({ name: 'tvSquares backward', key: 'image:tv:bw', source: tvSquaresBackwardWGSL, workgroups: grid1d(n, IMAGE_WG),
        params: TV_SQUARES_BACKWARD.pack({ n, P: d.P, H: d.H, W: d.W, offset: x.offset, gOff: g.offset }), outputs: [dx], inputs: [x.buf as GpuBuffer, g.buf as GpuBuffer] });
    }
    return dx;
  },
  pad2d(be, x, d: Pad2dDims) {
    const [pT, pB, pL, pR] = d.pads, OH = d.H + pT + pB, OW = d.W + pL + pR, n = d.planes * OH * OW;
    const y = be.alloc(n);
    if (n > 0) {
      be.dispatch({ name: 'pad2d', key: 'image:pad2d', source: pad2dWGSL, workgroups: grid1d(n, IMAGE_WG),
        params: PAD2D.pack({ n, H: d.H, W: d.W, OH, OW, pT, pB, pL, pR, offset: x.offset, mode: d.mode === 'replicate' ? 1 : 0 }), outputs: [y], inputs: [x.buf as GpuBuffer] });
    }
    return y;
  },
  pad2dBackward(be, g, d: Pad2dDims) {
    const [pT, pB, pL, pR] = d.pads, n = d.planes * d.H * d.W;
    const dx = be.alloc(n);
    if (n > 0) {
      be.dispatch({ name: 'pad2d backward', key: 'image:pad2d:bw', source: pad2dBackwardWGSL, workgroups: grid1d(n, IMAGE_WG),
        params: PAD2D.pack({ n, H: d.H, W: d.W, OH: d.H + pT + pB, OW: d.W + pL + pR, pT, pB, pL, pR, offset: g.offset, mode: d.mode === 'replicate' ? 1 : 0 }),
        outputs: [dx], inputs: [g.buf as GpuBuffer] });
    }
    return dx;
  },
};
