// Float64 oracle of the `conv` kernel family: the defining sums as plain loops (see ../kernels/conv.ts).
import type { View } from '../view.js';
import type { Conv2dGeometry, ConvKernels } from '../kernels/conv.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';

const dataOf = (v: View) => (v.buf as CpuBuffer).data;

/**
 * Calls fn(n, o, oy, ox, c, cw, ky, kx, iy, ix) for every (output, tap) pair whose input position is inside x:
 * c is the input channel, cw its index within the weight's group slice.
 */
function forEachTap(g: Conv2dGeometry, fn: (n: number, o: number, oy: number, ox: number, c: number, cw: number, ky: number, kx: number, iy: number, ix: number) => void): void {
  const Cg = g.C / g.groups, Og = g.O / g.groups;
  for (let n = 0; n < g.N; n++) for (let o = 0; o < g.O; o++) {
    const grp = Math.floor(o / Og);
    for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
      for (let cw = 0; cw < Cg; cw++) for (let ky = 0; ky < g.kH; ky++) {
        const iy = oy * g.sH - g.pT + ky * g.dH;
        if (iy < 0 || iy >= g.H) continue;
        for (let kx = 0; kx < g.kW; kx++) {
          const ix = ox * g.sW - g.pL + kx * g.dW;
          if (ix < 0 || ix >= g.W) continue;
          fn(n, o, oy, ox, grp * Cg + cw, cw, ky, kx, iy, ix);
        }
      }
    }
  }
}

const xIndex = (g: Conv2dGeometry, n: number, c: number, iy: number, ix: number) => ((n * g.C + c) * g.H + iy) * g.W + ix;
const yIndex = (g: Conv2dGeometry, n: number, o: number, oy: number, ox: number) => ((n * g.O + o) * g.OH + oy) * g.OW + ox;
const wIndex = (g: Conv2dGeometry, o: number, cw: number, ky: number, kx: number) => ((o * (g.C / g.groups) + cw) * g.kH + ky) * g.kW + kx;

/** The CPU oracle's `conv` kernels (part of CPU_KERNELS in ./index.ts). */
export const cpuConvKernels: ConvKernels<CpuBackend> = {
  conv2d(b, x, w, bias, g) {
    const out = b.alloc(g.N * g.O * g.OH * g.OW);
    const X = dataOf(x), Wt = dataOf(w), Y = out.data;
    if (bias) {
      const B = dataOf(bias);
      for (let n = 0; n < g.N; n++) for (let o = 0; o < g.O; o++) Y.fill(B[bias.offset + o], yIndex(g, n, o, 0, 0), yIndex(g, n, o + 1, 0, 0));
    }
    forEachTap(g, (n, o, oy, ox, c, cw, ky, kx, iy, ix) => {
      Y[yIndex(g, n, o, oy, ox)] += X[x.offset + xIndex(g, n, c, iy, ix)] * Wt[w.offset + wIndex(g, o, cw, ky, kx)];
    });
    return out;
  },

  conv2dBackwardInput(b, gy, w, bias, g) {
    const out = b.alloc(g.N * g.C * g.H * g.W);
    const G = dataOf(gy), Wt = dataOf(w), DX = out.data;
    if (bias) {
      const B = dataOf(bias);
      for (let n = 0; n < g.N; n++) for (let c = 0; c < g.C; c++) DX.fill(B[bias.offset + c], xIndex(g, n, c, 0, 0), xIndex(g, n, c + 1, 0, 0));
    }
    forEachTap(g, (n, o, oy, ox, c, cw, ky, kx, iy, ix) => {
      DX[xIndex(g, n, c, iy, ix)] += G[gy.offset + yIndex(g, n, o, oy, ox)] * Wt[w.offset + wIndex(g, o, cw, ky, kx)];
    });
    return out;
  },

  conv2dBackwardWeight(b, x, gy, g) {
    const out = b.alloc(g.O * (g.C / g.groups) * g.kH * g.kW);
    const X = dataOf(x), G = dataOf(gy), DW = out.data;
    forEachTap(g, (n, o, oy, ox, c, cw, ky, kx, iy, ix) => {
      DW[wIndex(g, o, cw, ky, kx)] += G[gy.offset + yIndex(g, n, o, oy, ox)] * X[x.offset + xIndex(g, n, c, iy, ix)];
    });
    return out;
  },
};
