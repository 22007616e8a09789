// WebGPU implementation of the `pool` kernel family (shaders/pool.ts).
import type { Backend, View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import { registerKernels } from '../../registry.js';
import type { AdaptiveGeometry, AvgPoolOptions, Pool2dGeometry, PoolKernels } from '../../kernels/pool.js';
import { grid1d } from '../../../../../shaders/common.js';
import {
  POOL_PARAMS, POOL_WG, adaptiveAvgPool2dBackwardWGSL, adaptiveAvgPool2dWGSL, avgPool2dBackwardWGSL, avgPool2dWGSL,
  maxPool2dBackwardWGSL, maxPool2dWGSL,
} from '../../../../../shaders/pool.js';

const gpuOf = (b: Backend) => b as WebGPUBackend;
const bufOf = (v: View) => v.buf as GpuBuffer;

function params(n: number, g: Pool2dGeometry, off0: number, off1 = 0, avg?: AvgPoolOptions): Uint32Array {
  const P = new Uint32Array(POOL_PARAMS);
  P.set([n, g.planes, g.H, g.W, g.OH, g.OW, g.kH, g.kW, g.sH, g.sW, g.pH, g.pW, g.dH, g.dW, off0, off1]);
  if (avg) { P[16] = avg.countIncludePad ? 1 : 0; P[17] = avg.divisor | 0; }
  return P;
}

function adaptiveParams(n: number, g: AdaptiveGeometry, off: number): Uint32Array {
  const P = new Uint32Array(POOL_PARAMS);
  P.set([n, g.planes, g.H, g.W, g.OH, g.OW]);
  P[14] = off;
  return P;
}

const impl: PoolKernels = {
  maxPool2d(b, x, g, withIndices) {
    const be = gpuOf(b);
    const n = g.planes * g.OH * g.OW;
    const out = be.alloc(n);
    const indices = withIndices ? be.alloc(n) : null;
    be.dispatch({ name: 'maxPool2d', key: `pool:max:${withIndices ? 'idx' : 'noidx'}`, source: () => maxPool2dWGSL(withIndices),
      workgroups: grid1d(n, POOL_WG), params: params(n, g, x.offset), outputs: indices ? [out, indices] : [out], inputs: [bufOf(x)] });
    return { out, indices };
  },
  maxPool2dBackward(b, gy, indices, g) {
    const be = gpuOf(b);
    const n = g.planes * g.H * g.W;
    const dx = be.alloc(n);
    be.dispatch({ name: 'maxPool2d backward', key: 'pool:max:bw', source: maxPool2dBackwardWGSL, workgroups: grid1d(n, POOL_WG),
      params: params(n, g, gy.offset, indices.offset), outputs: [dx], inputs: [bufOf(gy), bufOf(indices)] });
    return dx;
  },
  avgPool2d(b, x, g, o) {
    const be = gpuOf(b);
    const n = g.planes * g.OH * g.OW;
    const out = be.alloc(n);
    be.dispatch({ name: 'avgPool2d', key: 'pool:avg', source: avgPool2dWGSL, workgroups: grid1d(n, POOL_WG),
      params: params(n, g, x.offset, 0, o), outputs: [out], inputs: [bufOf(x)] });
    return out;
  },
  avgPool2dBackward(b, gy, g, o) {
    const be = gpuOf(b);
    const n = g.planes * g.H * g.W;
    const dx = be.alloc(n);
    be.dispatch({ name: 'avgPool2d backward', key: 'pool:avg:bw', source: avgPool2dBackwardWGSL, workgroups: grid1d(n, POOL_WG),
      params: params(n, g, gy.offset, 0, o), outputs: [dx], inputs: [bufOf(gy)] });
    return dx;
  },
  adaptiveAvgPool2d(b, x, g) {
    const be = gpuOf(b);
    const n = g.planes * g.OH * g.OW;
    const out = be.alloc(n);
    be.dispatch({ name: 'adaptiveAvgPool2d', key: 'pool:adaptive', source: adaptiveAvgPool2dWGSL, workgroups: grid1d(n, POOL_WG),
      params: adaptiveParams(n, g, x.offset), outputs: [out], inputs: [bufOf(x)] });
    return out;
  },
  adaptiveAvgPool2dBackward(b, gy, g) {
    const be = gpuOf(b);
    const n = g.planes * g.H * g.W;
    const dx = be.alloc(n);
    be.dispatch({ name: 'adaptiveAvgPool2d backward', key: 'pool:adaptive:bw', source: adaptiveAvgPool2dBackwardWGSL, workgroups: grid1d(n, POOL_WG),
      params: adaptiveParams(n, g, gy.offset), outputs: [dx], inputs: [bufOf(gy)] });
    return dx;
  },
};

registerKernels<PoolKernels>('webgpu', 'pool', impl);
