// Float64 oracle of the `optim` kernel family: the update formulas of src/tensor/backend/kernels/optim.ts, one
// element at a time, written into the views' storage.
import type { View } from '../view.js';
import type { OptimKernels } from '../kernels/optim.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';

const data = (v: View) => (v.buf as CpuBuffer).data;
const numelOf = (v: View) => v.shape.reduce((a, d) => a * d, 1);

/** The CPU oracle's `optim` kernels (part of CPU_KERNELS in ./index.ts). */
export const cpuOptimKernels: OptimKernels<CpuBackend> = {
  adamUpdate: (_b, p, g, m, v, s) => {
    const P = data(p), G = data(g), M = data(m), V = data(v);
    const sign = s.maximize ? -1 : 1;
    for (let i = 0; i < numelOf(p); i++) {
      const x = P[p.offset + i];
      const gr = sign * G[g.offset + i] + s.weightDecay * x;
      const mt = (s.first ? 0 : s.b1 * M[m.offset + i]) + (1 - s.b1) * gr;
      const vt = (s.first ? 0 : s.b2 * V[v.offset + i]) + (1 - s.b2) * gr * gr;
      M[m.offset + i] = mt;
      V[v.offset + i] = vt;
      P[p.offset + i] = x - (mt / (Math.sqrt(vt) * s.invSqrtBc2 + s.eps)) * s.stepSize;
    }
  },
  sgdUpdate: (_b, p, g, buf, s) => {
    const P = data(p), G = data(g), B = buf ? data(buf) : null;
    const sign = s.maximize ? -1 : 1;
    for (let i = 0; i < numelOf(p); i++) {
      const x = P[p.offset + i];
      const gr = sign * G[g.offset + i] + s.weightDecay * x;
      let d = gr;
      if (B && buf) {
        const bt = s.first ? gr : s.momentum * B[buf.offset + i] + (1 - s.dampening) * gr;
        B[buf.offset + i] = bt;
        d = s.nesterov ? gr + s.momentum * bt : bt;
      }
      P[p.offset + i] = x - s.lr * d;
    }
  },
};
