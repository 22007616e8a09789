// WebGPU implementation of the `optim` kernel family (shaders/optim.ts).
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { OptimKernels } from '../../kernels/optim.js';
import { grid1d } from '../../../../../shaders/common.js';
import { ADAM_PARAMS, OPTIM_WG, SGD_PARAMS, adamWGSL, sgdWGSL } from '../../../../../shaders/optim.js';

const numelOf = (v: View) => v.shape.reduce((a, d) => a * d, 1);
const buf = (v: View) => v.buf as GpuBuffer;

/** The WebGPU `optim` kernels (part of WEBGPU_KERNELS in ./index.ts). */
export const webgpuOptimKernels: OptimKernels<WebGPUBackend> = {
  adamUpdate: (be, p, g, m, v, s) => {
    const n = numelOf(p);
    if (n === 0) return;
    const params = ADAM_PARAMS.pack({
      n, offP: p.offset, offG: g.offset, offM: m.offset, offV: v.offset, first: s.first ? 1 : 0,
      b1: s.b1, b2: s.b2, eps: s.eps, invSqrtBc2: s.invSqrtBc2, stepSize: s.stepSize, weightDecay: s.weightDecay, sign: s.maximize ? -1 : 1,
    });
    be.dispatch({ name: 'adam update', key: 'optim:adam', source: adamWGSL, workgroups: grid1d(n, OPTIM_WG), params,
      outputs: [buf(p), buf(m), buf(v)], inputs: [buf(g)] });
  },
  sgdUpdate: (be, p, g, b, s) => {
    const n = numelOf(p);
    if (n === 0) return;
    const params = SGD_PARAMS.pack({
      n, offP: p.offset, offG: g.offset, offB: b?.offset ?? 0, first: s.first ? 1 : 0, hasBuf: b ? 1 : 0, nesterov: s.nesterov ? 1 : 0,
      lr: s.lr, momentum: s.momentum, dampening: s.dampening, weightDecay: s.weightDecay, sign: s.maximize ? -1 : 1,
    });
    // without a momentum buffer the shader never touches binding 2: bind g's buffer there (read_write aliasing
    // a read binding is not allowed, so a one-element scratch buffer instead)
    const scratch = b ? null : be.alloc(1);
    be.dispatch({ name: 'sgd update', key: 'optim:sgd', source: sgdWGSL, workgroups: grid1d(n, OPTIM_WG), params,
      outputs: [buf(p), b ? buf(b) : scratch!], inputs: [buf(g)] });
    if (scratch) be.free(scratch);
  },
};
