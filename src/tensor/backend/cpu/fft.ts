// Float64 oracle of the `fft` kernel family: the plain O(n^2) DFT of the interface's definition
// (backend/kernels/fft.ts), one sequence at a time. Angles are reduced exactly ((m * k) mod n) before the
// cosine table lookup, so the oracle is accurate to float64 rounding for every size.
import type { FftAxisArgs, FftKernels } from '../kernels/fft.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';

function fft1d(b: CpuBackend, a: FftAxisArgs): CpuBuffer {
  const { outer, inner, n, lin, lout, inverse, scale } = a;
  const X = (a.x.buf as CpuBuffer).data;
  const off = a.x.offset;
  const cplxOut = a.output === 'complex';
  const out = b.alloc(outer * lout * inner * (cplxOut ? 2 : 1));
  const cos = new Float64Array(n), sin = new Float64Array(n);
  for (let k = 0; k < n; k++) { cos[k] = Math.cos((2 * Math.PI * k) / n); sin[k] = Math.sin((2 * Math.PI * k) / n); }
  const sgn = inverse ? 1 : -1;
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    // 1. the logical input sequence
    re.fill(0); im.fill(0);
    if (a.input === 'hermitian') {
      const h = (k: number): [number, number] => {
        if (k >= lin) return [0, 0];
        const at = off + 2 * ((o * lin + k) * inner + i);
        const dropIm = k === 0 || 2 * k === n;
        return [X[at], dropIm ? 0 : X[at + 1]];
      };
      for (let m = 0; m < n; m++) {
        if (2 * m <= n) { [re[m], im[m]] = h(m); }
        else { const [r, q] = h(n - m); re[m] = r; im[m] = -q; }
      }
    } else {
      for (let m = 0; m < lin; m++) {
        const e = (o * lin + m) * inner + i;
        if (a.input === 'real') re[m] = X[off + e];
        else { re[m] = X[off + 2 * e]; im[m] = X[off + 2 * e + 1]; }
      }
    }
    // 2.-4. the DFT, scaling, doubling and storing
    for (let k = 0; k < lout; k++) {
      let sr = 0, si = 0;
      for (let m = 0; m < n; m++) {
        const t = (m * k) % n;
        const c = cos[t], s = sgn * sin[t];
        sr += re[m] * c - im[m] * s;
        si += re[m] * s + im[m] * c;
      }
      const f = scale * (k >= 1 && k <= (a.double ?? 0) ? 2 : 1);
      const e = (o * lout + k) * inner + i;
      if (cplxOut) { out.data[2 * e] = sr * f; out.data[2 * e + 1] = si * f; }
      else out.data[e] = sr * f;
    }
  }
  return out;
}

/** The CPU oracle's `fft` kernels (part of CPU_KERNELS in ./index.ts). */
export const cpuFftKernels: FftKernels<CpuBackend> = {
  fft1d,
  complexFromParts: (b, re, im, size) => {
    const out = b.alloc(2 * size);
    const R = re ? (re.buf as CpuBuffer).data : null, I = im ? (im.buf as CpuBuffer).data : null;
    for (let e = 0; e < size; e++) {
      out.data[2 * e] = R ? R[re!.offset + e] : 0;
      out.data[2 * e + 1] = I ? I[im!.offset + e] : 0;
    }
    return out;
  },
  polar: (b, a) => {
    const out = b.alloc(2 * a.size);
    const M = (a.mag.buf as CpuBuffer).data, F = (a.phase.buf as CpuBuffer).data;
    for (let e = 0; e < a.size; e++) {
      const m = M[a.mag.offset + (e % a.magSize)], p = F[a.phase.offset + e];
      out.data[2 * e] = m * Math.cos(p);
      out.data[2 * e + 1] = m * Math.sin(p);
    }
    return out;
  },
  polarBackward: (b, a) => {
    const dphase = b.alloc(a.size), dmag = a.wantMag ? b.alloc(a.size) : null;
    const M = (a.mag.buf as CpuBuffer).data, F = (a.phase.buf as CpuBuffer).data, G = (a.g.buf as CpuBuffer).data;
    for (let e = 0; e < a.size; e++) {
      const c = Math.cos(F[a.phase.offset + e]), s = Math.sin(F[a.phase.offset + e]);
      const gr = G[a.g.offset + 2 * e], gi = G[a.g.offset + 2 * e + 1];
      dphase.data[e] = M[a.mag.offset + (e % a.magSize)] * (gi * c - gr * s);
      if (dmag) dmag.data[e] = gr * c + gi * s;
    }
    return { dphase, dmag };
  },
  cacheInfo: () => ({ plans: [], bytes: 0 }),
  clearCache: () => {},
};
