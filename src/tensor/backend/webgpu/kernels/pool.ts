// WebGPU implementation of the `pool` kernel family (shaders/pool.ts): window geometry compiled in, 3-D grids
// (column, row, plane), split by the engine past the device's limit.
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { AdaptiveGeometry, AvgPoolOptions, Pool2dGeometry, PoolKernels } from '../../kernels/pool.js';
import { grid1d } from '../../../../../shaders/common.js';
import {
  ADAPTIVE_PARAMS, ADAPTIVE_WG, POOL_PARAMS, POOL_WG, adaptiveAvgPool2dBackwardWGSL, adaptiveAvgPool2dWGSL, avgPool2dBackwardWGSL, avgPool2dWGSL,
  maxPool2dBackwardWGSL, maxPool2dWGSL, maxPoolPhases, poolConstsKey, type PoolConsts,
} from '../../../../../shaders/pool.js';

const bufOf = (v: View) => v.buf as GpuBuffer;

const constsOf = (g: Pool2dGeometry, avg?: AvgPoolOptions): PoolConsts =>
  ({ kH: g.kH, kW: g.kW, sH: g.sH, sW: g.sW, pH: g.pH, pW: g.pW, dH: g.dH, dW: g.dW, countIncludePad: avg?.countIncludePad, divisor: avg?.divisor });

/** A (cols x rows x planes) grid of 16x4 workgroups. */
function gridDispatch(be: WebGPUBackend, name: string, key: string, source: () => string, g: { planes: number; H: number; W: number; OH: number; OW: number },
  cols: number, rows: number, offsets: [number, number], phase: [number, number], outputs: GpuBuffer[], inputs: GpuBuffer[]): void {
  const P = POOL_PARAMS.pack({ H: g.H, W: g.W, OH: g.OH, OW: g.OW, off0: offsets[0], off1: offsets[1], ph: phase[0], pw: phase[1] });
  be.dispatch({ name, key, source, workgroups: [Math.ceil(cols / POOL_WG[0]), Math.ceil(rows / POOL_WG[1]), g.planes], params: P,
    tileAt: POOL_PARAMS.at('tile'), outputs, inputs });
}

function adaptiveParams(n: number, g: AdaptiveGeometry, off: number): Uint32Array {
  return ADAPTIVE_PARAMS.pack({ n, H: g.H, W: g.W, OH: g.OH, OW: g.OW, off });
}

/** The WebGPU `pool` kernels (part of WEBGPU_KERNELS in ./index.ts). */
export const webgpuPoolKernels: PoolKernels<WebGPUBackend> = {
  maxPool2d(be, x, g, withIndices) {
    const n = g.planes * g.OH * g.OW;
    const out = be.alloc(n);
    const indices = withIndices ? be.alloc(n) : null;
    const c = constsOf(g);
    gridDispatch(be, 'maxPool2d', `pool:max:${poolConstsKey(c)}:${withIndices ? 'idx' : 'noidx'}`, () => maxPool2dWGSL(c, withIndices),
      g, g.OW, g.OH, [x.offset, 0], [0, 0], indices ? [out, indices] : [out], [bufOf(x)]);
    return { out, indices };
  },
  maxPool2dBackward(be, gy, indices, g) {
    const dx = be.fill(g.planes * g.H * g.W, 0, 'f32');
    const c = constsOf(g);
    const [PH, PW] = maxPoolPhases(c);
    for (let ph = 0; ph < PH; ph++) for (let pw = 0; pw < PW; pw++) {
      gridDispatch(be, 'maxPool2d backward', `pool:max:bw:${PH}x${PW}`, () => maxPool2dBackwardWGSL(c), g,
        Math.ceil((g.OW - pw) / PW), Math.ceil((g.OH - ph) / PH), [gy.offset, indices.offset], [ph, pw], [dx], [bufOf(gy), bufOf(indices)]);
    }
    return dx;
  },
  avgPool2d(be, x, g, o) {
    const out = be.alloc(g.planes * g.OH * g.OW);
    const c = constsOf(g, o);
    gridDispatch(be, 'avgPool2d', `pool:avg:${poolConstsKey(c)}`, () => avgPool2dWGSL(c), g, g.OW, g.OH, [x.offset, 0], [0, 0], [out], [bufOf(x)]);
    return out;
  },
  avgPool2dBackward(be, gy, g, o) {
    const dx = be.alloc(g.planes * g.H * g.W);
    const c = constsOf(g, o);
    gridDispatch(be, 'avgPool2d backward', `pool:avg:bw:${poolConstsKey(c)}`, () => avgPool2dBackwardWGSL(c), g, g.W, g.H, [gy.offset, 0], [0, 0], [dx], [bufOf(gy)]);
    return dx;
  },
  adaptiveAvgPool2d(be, x, g) {
    const n = g.planes * g.OH * g.OW;
    const out = be.alloc(n);
    be.dispatch({ name: 'adaptiveAvgPool2d', key: 'pool:adaptive', source: adaptiveAvgPool2dWGSL, workgroups: grid1d(n, ADAPTIVE_WG),
      params: adaptiveParams(n, g, x.offset), outputs: [out], inputs: [bufOf(x)] });
    return out;
  },
  adaptiveAvgPool2dBackward(be, gy, g) {
    const n = g.planes * g.H * g.W;
    const dx = be.alloc(n);
    be.dispatch({ name: 'adaptiveAvgPool2d backward', key: 'pool:adaptive:bw', source: adaptiveAvgPool2dBackwardWGSL, workgroups: grid1d(n, ADAPTIVE_WG),
      params: adaptiveParams(n, g, gy.offset), outputs: [dx], inputs: [bufOf(gy)] });
    return dx;
  },
};
