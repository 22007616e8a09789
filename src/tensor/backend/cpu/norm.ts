// Float64 oracle of the `norm` kernel family: plain loops over [outer, D, inner].
import type { View } from '../view.js';
import type { NormKernels } from '../kernels/norm.js';
import type { CpuBackend, CpuBuffer } from './cpu-backend.js';

const dataOf = (v: View) => (v.buf as CpuBuffer).data;

/** The CPU oracle's `norm` kernels (part of CPU_KERNELS in ./index.ts). */
export const cpuNormKernels: NormKernels<CpuBackend> = {
  layerNorm(b, x, d, weight, bias, eps, withStats) {
    const X = dataOf(x);
    const rows = d.outer * d.inner;
    const out = b.alloc(rows * d.D), mean = b.alloc(rows), rstd = b.alloc(rows);
    for (let o = 0; o < d.outer; o++) for (let j = 0; j < d.inner; j++) {
      const rel = o * d.D * d.inner + j, at = (k: number) => x.offset + rel + k * d.inner;
      let s = 0;
      for (let k = 0; k < d.D; k++) s += X[at(k)];
      const m = s / d.D;
      let v = 0;
      for (let k = 0; k < d.D; k++) v += (X[at(k)] - m) ** 2;
      const r = 1 / Math.sqrt(v / d.D + eps);
      for (let k = 0; k < d.D; k++) {
        let y = (X[at(k)] - m) * r;
        if (weight) y *= dataOf(weight)[weight.offset + k];
        if (bias) y += dataOf(bias)[bias.offset + k];
        out.data[rel + k * d.inner] = y;
      }
      mean.data[o * d.inner + j] = m;
      rstd.data[o * d.inner + j] = r;
    }
    if (!withStats) { b.free(mean); b.free(rstd); }
    return { out, mean: withStats ? mean : null, rstd: withStats ? rstd : null };
  },
  layerNormBackward(b, g, x, mean, rstd, weight, d, withGxhat) {
    const G = dataOf(g), X = dataOf(x), M = dataOf(mean), R = dataOf(rstd);
    const rows = d.outer * d.inner;
    const dx = b.alloc(rows * d.D);
    const gxhat = withGxhat ? b.alloc(rows * d.D) : null;
    for (let o = 0; o < d.outer; o++) for (let j = 0; j < d.inner; j++) {
      const row = o * d.inner + j, rel = o * d.D * d.inner + j;
      const m = M[mean.offset + row], r = R[rstd.offset + row];
      const xh = (k: number) => (X[x.offset + rel + k * d.inner] - m) * r;
      const gy = (k: number) => G[g.offset + rel + k * d.inner] * (weight ? dataOf(weight)[weight.offset + k] : 1);
      let sg = 0, sgx = 0;
      for (let k = 0; k < d.D; k++) { sg += gy(k); sgx += gy(k) * xh(k); }
      for (let k = 0; k < d.D; k++) {
        dx.data[rel + k * d.inner] = r * (gy(k) - sg / d.D - xh(k) * (sgx / d.D));
        if (gxhat) gxhat.data[rel + k * d.inner] = G[g.offset + rel + k * d.inner] * xh(k);
      }
    }
    return { dx, gxhat };
  },
  channelStats(b, x, d) {
    const X = dataOf(x);
    const mean = b.alloc(d.D), variance = b.alloc(d.D);
    const count = d.outer * d.inner;
    for (let c = 0; c < d.D; c++) {
      let s = 0;
      for (let o = 0; o < d.outer; o++) for (let j = 0; j < d.inner; j++) s += X[x.offset + (o * d.D + c) * d.inner + j];
      const m = s / count;
      let v = 0;
      for (let o = 0; o < d.outer; o++) for (let j = 0; j < d.inner; j++) v += (X[x.offset + (o * d.D + c) * d.inner + j] - m) ** 2;
      mean.data[c] = m;
      variance.data[c] = v / count;
    }
    return { mean, variance };
  },
  channelAffine(b, x, d, scale, shift) {
    const X = dataOf(x), S = dataOf(scale);
    const n = d.outer * d.D * d.inner;
    const out = b.alloc(n);
    for (let i = 0; i < n; i++) {
      const c = Math.floor(i / d.inner) % d.D;
      out.data[i] = X[x.offset + i] * S[scale.offset + c] + (shift ? dataOf(shift)[shift.offset + c] : 0);
    }
    return out;
  },
  grnStats(b, sumsq, N, C, gamma, eps, per) {
    const S = dataOf(sumsq), W = dataOf(gamma);
    const G = b.alloc(N * C), m = b.alloc(N), Nx = b.alloc(N * C), s = b.alloc(N * C);
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let c = 0; c < C; c++) { G.data[n * C + c] = Math.sqrt(S[sumsq.offset + n * C + c]); acc += G.data[n * C + c]; }
      m.data[n] = acc / C;
      for (let c = 0; c < C; c++) {
        Nx.data[n * C + c] = G.data[n * C + c] / (m.data[n] + eps);
        s.data[n * C + c] = 1 + W[gamma.offset + Math.floor(n / per) * C + c] * Nx.data[n * C + c];
      }
    }
    return { G, m, Nx, s };
  },
  grnBackwardScale(b, t, G, m, gamma, N, C, eps, per) {
    const T = dataOf(t), Gd = dataOf(G), M = dataOf(m), W = dataOf(gamma);
    const k = b.alloc(N * C);
    for (let n = 0; n < N; n++) {
      const me = M[m.offset + n] + eps;
      const dNx = (c: number) => T[t.offset + n * C + c] * W[gamma.offset + Math.floor(n / per) * C + c];
      let acc = 0;
      for (let c = 0; c < C; c++) acc += dNx(c) * Gd[G.offset + n * C + c];
      for (let c = 0; c < C; c++) {
        const g = Gd[G.offset + n * C + c];
        k.data[n * C + c] = g === 0 ? 0 : (dNx(c) / me - acc / C / (me * me)) / g;
      }
    }
    return k;
  },
  l2Scale(b, x, S, N, inner, target, eps) {
    const X = dataOf(x), Sd = dataOf(S);
    const y = b.alloc(N * inner);
    for (let n = 0; n < N; n++) {
      const den = Math.sqrt(Sd[S.offset + n]) + eps;
      for (let j = 0; j < inner; j++) y.data[n * inner + j] = (X[x.offset + n * inner + j] * target) / den;
    }
    return y;
  },
  l2ScaleBackward(b, g, x, S, D, N, inner, target, eps) {
    const G = dataOf(g), X = dataOf(x), Sd = dataOf(S), Dd = dataOf(D);
    const dx = b.alloc(N * inner);
    for (let n = 0; n < N; n++) {
      const nrm = Math.sqrt(Sd[S.offset + n]), den = nrm + eps;
      const k = nrm === 0 ? 0 : (target * Dd[D.offset + n]) / (den * den * nrm);
      for (let j = 0; j < inner; j++) {
        const at = n * inner + j;
        dx.data[at] = G[g.offset + at] * (target / den) - X[x.offset + at] * k;
      }
    }
    return dx;
  },
};
