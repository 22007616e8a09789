// WebGPU implementation of the `norm` kernel family (shaders/norm.ts).
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { NormKernels } from '../../kernels/norm.js';
import { grid1d } from '../../../../../shaders/common.js';
import { AFFINE_GRID_WG, CHANNEL_AFFINE, CHANNEL_STATS, LAYER_NORM, LAYER_NORM_BACKWARD, NORM_ELEM_WG, NORM_ROW_WG, channelAffineWGSL, channelStatsWGSL, layerNormBackwardWGSL, layerNormWGSL, GRN_STATS, GRN_BACKWARD, grnStatsWGSL, grnBackwardWGSL, L2_SCALE, L2_SCALE_BACKWARD, l2ScaleWGSL, l2ScaleBackwardWGSL } from '../../../../../shaders/norm.js';

const bufOf = (v: View) => v.buf as GpuBuffer;

/** The WebGPU `norm` kernels (part of WEBGPU_KERNELS in ./index.ts). */
export const webgpuNormKernels: NormKernels<WebGPUBackend> = {
  layerNorm(be, x, d, weight, bias, eps, withStats) {
    const rows = d.outer * d.inner;
    const out = be.alloc(rows * d.D);
    const mean = withStats ? be.alloc(rows) : null, rstd = withStats ? be.alloc(rows) : null;
    const hw = weight !== null, hb = bias !== null;
    const P = LAYER_NORM.pack({ rows, D: d.D, inner: d.inner, xOff: x.offset, wOff: weight?.offset ?? 0, bOff: bias?.offset ?? 0, eps });
    be.dispatch({ name: 'layerNorm', key: `norm:ln:${+hw}${+hb}${+withStats}`, source: () => layerNormWGSL(hw, hb, withStats),
      workgroups: grid1d(rows, NORM_ROW_WG), params: P,
      outputs: withStats ? [out, mean!, rstd!] : [out],
      inputs: [bufOf(x), ...(weight ? [bufOf(weight)] : []), ...(bias ? [bufOf(bias)] : [])] });
    return { out, mean, rstd };
  },
  layerNormBackward(be, g, x, mean, rstd, weight, d, withGxhat) {
    const rows = d.outer * d.inner;
    const dx = be.alloc(rows * d.D);
    const gxhat = withGxhat ? be.alloc(rows * d.D) : null;
    const hw = weight !== null;
    const P = LAYER_NORM_BACKWARD.pack({ rows, D: d.D, inner: d.inner, gOff: g.offset, xOff: x.offset, meanOff: mean.offset, rstdOff: rstd.offset,
      wOff: weight?.offset ?? 0 });
    be.dispatch({ name: 'layerNorm backward', key: `norm:ln:bw:${+hw}${+withGxhat}`, source: () => layerNormBackwardWGSL(hw, withGxhat),
      workgroups: grid1d(rows, NORM_ROW_WG), params: P, outputs: gxhat ? [dx, gxhat] : [dx],
      inputs: [bufOf(g), bufOf(x), bufOf(mean), bufOf(rstd), ...(weight ? [bufOf(weight)] : [])] });
    return { dx, gxhat };
  },
  channelStats(be, x, d) {
    const mean = be.alloc(d.D), variance = be.alloc(d.D);
    be.dispatch({ name: 'channelStats', key: 'norm:stats', source: channelStatsWGSL, workgroups: grid1d(d.D, NORM_ROW_WG),
      params: CHANNEL_STATS.pack({ C: d.D, outer: d.outer, inner: d.inner, xOff: x.offset }), outputs: [mean, variance], inputs: [bufOf(x)] });
    return { mean, variance };
  },
  channelAffine(be, x, d, scale, shift) {
    const n = d.outer * d.D * d.inner;
    const out = be.alloc(n);
    const hs = shift !== null;
    const layout = d.inner >= 32 ? 'grid' : 'flat';
    const inputs = [bufOf(x), bufOf(scale), ...(shift ? [bufOf(shift)] : [])];
    const base = { name: 'channelAffine', key: `norm:affine:${+hs}:${layout}`, source: () => channelAffineWGSL(hs, layout), outputs: [out], inputs };
    const params = CHANNEL_AFFINE.pack({ n, C: d.D, inner: d.inner, xOff: x.offset, scaleOff: scale.offset, shiftOff: shift?.offset ?? 0 });
    const workgroups: [number, number, number] = layout === 'flat' ? grid1d(n, NORM_ELEM_WG) : [Math.ceil(d.inner / AFFINE_GRID_WG), d.D, d.outer];
    be.dispatch({ ...base, workgroups, params, tileAt: layout === 'grid' ? CHANNEL_AFFINE.at('tile') : undefined });
    return out;
  },
  grnStats(be, sumsq, N, C, gamma, eps, per) {
    const [G, m, Nx, s] = [N * C, N, N * C, N * C].map((n) => be.alloc(n));
    if (N * C > 0) {
      be.dispatch({ name: 'grn stats', key: 'norm:grn:stats', source: grnStatsWGSL, workgroups: grid1d(N, NORM_ROW_WG),
        params: GRN_STATS.pack({ N, C, sOff: sumsq.offset, gammaOff: gamma.offset, per, eps }), outputs: [G, m, Nx, s], inputs: [bufOf(sumsq), bufOf(gamma)] });
    }
    return { G, m, Nx, s };
  },
  grnBackwardScale(be, t, G, m, gamma, N, C, eps, per) {
    const k = be.alloc(N * C);
    if (N * C > 0) {
      be.dispatch({ name: 'grn backward', key: 'norm:grn:bw', source: grnBackwardWGSL, workgroups: grid1d(N, NORM_ROW_WG),
        params: GRN_BACKWARD.pack({ N, C, tOff: t.offset, GOff: G.offset, mOff: m.offset, gammaOff: gamma.offset, per, eps }),
        outputs: [k], inputs: [bufOf(t), bufOf(G), bufOf(m), bufOf(gamma)] });
    }
    return k;
  },
  l2Scale(be, x, S, N, inner, target, eps) {
    const n = N * inner;
    const y = be.alloc(n);
    if (n > 0) {
      be.dispatch({ name: 'l2Scale', key: 'norm:l2scale', source: l2ScaleWGSL, workgroups: grid1d(n, NORM_ELEM_WG),
        params: L2_SCALE.pack({ n, inner, xOff: x.offset, sOff: S.offset, target, eps }), outputs: [y], inputs: [bufOf(x), bufOf(S)] });
    }
    return y;
  },
  l2ScaleBackward(be, g, x, S, D, N, inner, target, eps) {
    const n = N * inner;
    const dx = be.alloc(n);
    if (n > 0) {
      be.dispatch({ name: 'l2Scale backward', key: 'norm:l2scale:bw', source: l2ScaleBackwardWGSL, workgroups: grid1d(n, NORM_ELEM_WG),
        params: L2_SCALE_BACKWARD.pack({ n, inner, gOff: g.offset, xOff: x.offset, sOff: S.offset, dOff: D.offset, target, eps }),
        outputs: [dx], inputs: [bufOf(g), bufOf(x), bufOf(S), bufOf(D)] });
    }
    return dx;
  },
};
