// Normalisation kernels over a contiguous tensor read as [outer, D, inner] (see src/tensor/backend/kernels/norm.ts).
// A "row" is one (o, j) pair, o < outer, j < inner: its D values sit at base + d*inner, base = off + o*D*inner + j.
// Layer norm runs one invocation per row (64 per workgroup): on CPU adapters (lavapipe) that beats a workgroup
// per row with barriers, and channels-first rows (inner = H*W) make neighbouring invocations read neighbouring
// addresses. Two passes over the row for the statistics (mean, then centred squares) keep the variance accurate.
import { TILE, bindings, linearMain, paramLayout, tiledMain, type ParamLayout } from './common.js';

export const LAYER_NORM = paramLayout({ rows: 'u32', D: 'u32', inner: 'u32', xOff: 'u32', wOff: 'u32', bOff: 'u32', eps: 'f32' });
export const LAYER_NORM_BACKWARD = paramLayout({ rows: 'u32', D: 'u32', inner: 'u32', gOff: 'u32', xOff: 'u32', meanOff: 'u32', rstdOff: 'u32', wOff: 'u32' });
export const CHANNEL_STATS = paramLayout({ C: 'u32', outer: 'u32', inner: 'u32', xOff: 'u32' });
/** [n] elements; `grid` layout: the tile base of its grid, split by the engine past the device's limit */
export const CHANNEL_AFFINE = paramLayout({ n: 'u32', C: 'u32', inner: 'u32', xOff: 'u32', scaleOff: 'u32', shiftOff: 'u32', tile: TILE });

export const NORM_ROW_WG = 64;
export const NORM_ELEM_WG = 256;
export const AFFINE_GRID_WG = 64;

const rowHead = (L: ParamLayout<'D' | 'inner'>) => `
  let D = ${L.get('D')}; let inner = ${L.get('inner')};
  let o = row / inner; let j = row % inner;
  let rel = o * D * inner + j;`;

/**
 * layerNorm forward. Params: LAYER_NORM.
 * Bindings: out, [mean, rstd], x, [weight], [bias].
 */
export function layerNormWGSL(hasWeight: boolean, hasBias: boolean, withStats: boolean): string {
  const L = LAYER_NORM;
  const outs = [{ name: 'out', type: 'f32', access: 'read_write' as const }];
  if (withStats) outs.push({ name: 'meanOut', type: 'f32', access: 'read_write' }, { name: 'rstdOut', type: 'f32', access: 'read_write' });
  const ins = [{ name: 'x', type: 'f32', access: 'read' as const }];
  if (hasWeight) ins.push({ name: 'weight', type: 'f32', access: 'read' });
  if (hasBias) ins.push({ name: 'bias', type: 'f32', access: 'read' });
  return `${bindings(outs, ins)}
${linearMain(NORM_ROW_WG)}
  let row = i;
  if (row >= ${L.get('rows')}) { return; }
  ${rowHead(L)}
  let base = ${L.get('xOff')} + rel;
  var s = 0.0;
  for (var d = 0u; d < D; d++) { s += x[base + d * inner]; }
  let mean = s / f32(D);
  var v = 0.0;
  for (var d = 0u; d < D; d++) { let c = x[base + d * inner] - mean; v += c * c; }
  let rstd = inverseSqrt(v / f32(D) + ${L.get('eps')});
  for (var d = 0u; d < D; d++) {
    var y = (x[base + d * inner] - mean) * rstd;
    ${hasWeight ? `y = y * weight[${L.get('wOff')} + d];` : ''}
    ${hasBias ? `y = y + bias[${L.get('bOff')} + d];` : ''}
    out[rel + d * inner] = y;
  }
  ${withStats ? 'meanOut[row] = mean; rstdOut[row] = rstd;' : ''}
}
`;
}

/**
 * layerNorm backward (input gradient, and g * xhat for the weight gradient). Params: LAYER_NORM_BACKWARD.
 * Bindings: dx, [gxhat], g, x, mean, rstd, [weight].
 */
export function layerNormBackwardWGSL(hasWeight: boolean, withGxhat: boolean): string {
  const L = LAYER_NORM_BACKWARD;
  const outs = [{ name: 'dx', type: 'f32', access: 'read_write' as const }];
  if (withGxhat) outs.push({ name: 'gxhat', type: 'f32', access: 'read_write' });
  const ins = ['g', 'x', 'mean', 'rstd'].map((name) => ({ name, type: 'f32', access: 'read' as const }));
  if (hasWeight) ins.push({ name: 'weight', type: 'f32', access: 'read' });
  const gy = hasWeight ? `g[gb + d * inner] * weight[${L.get('wOff')} + d]` : 'g[gb + d * inner]';
  return `${bindings(outs, ins)}
${linearMain(NORM_ROW_WG)}
  let row = i;
  if (row >= ${L.get('rows')}) { return; }
  ${rowHead(L)}
  let gb = ${L.get('gOff')} + rel; let xb = ${L.get('xOff')} + rel;
  let m = mean[${L.get('meanOff')} + row]; let rs = rstd[${L.get('rstdOff')} + row];
  var sg = 0.0; var sgx = 0.0;
  for (var d = 0u; d < D; d++) {
    let xh = (x[xb + d * inner] - m) * rs;
    let gy = ${gy};
    sg += gy; sgx += gy * xh;
  }
  let a = sg / f32(D); let c = sgx / f32(D);
  for (var d = 0u; d < D; d++) {
    let xh = (x[xb + d * inner] - m) * rs;
    let gy = ${gy};
    dx[rel + d * inner] = rs * (gy - a - xh * c);
    ${withGxhat ? 'gxhat[rel + d * inner] = g[gb + d * inner] * xh;' : ''}
  }
}
`;
}

/**
 * Per-channel mean and biased variance of [outer, C, inner], one invocation per channel, two passes; sums go
 * through a per-`o` partial to limit float32 rounding over long channels. Params: CHANNEL_STATS.
 * Bindings: mean, variance, x.
 */
export function channelStatsWGSL(): string {
  const L = CHANNEL_STATS;
  return `${bindings([{ name: 'meanOut', type: 'f32', access: 'read_write' }, { name: 'varOut', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${linearMain(NORM_ROW_WG)}
  let c = i;
  let C = ${L.get('C')}; let outer = ${L.get('outer')}; let inner = ${L.get('inner')};
  if (c >= C) { return; }
  let count = f32(outer * inner);
  var s = 0.0;
  for (var o = 0u; o < outer; o++) {
    let base = ${L.get('xOff')} + (o * C + c) * inner;
    var part = 0.0;
    for (var j = 0u; j < inner; j++) { part += x[base + j]; }
    s += part;
  }
  let mean = s / count;
  var v = 0.0;
  for (var o = 0u; o < outer; o++) {
    let base = ${L.get('xOff')} + (o * C + c) * inner;
    var part = 0.0;
    for (var j = 0u; j < inner; j++) { let t = x[base + j] - mean; part += t * t; }
    v += part;
  }
  meanOut[c] = mean;
  varOut[c] = v / count;
}
`;
}

/**
 * out[o, c, j] = x[o, c, j] * scale[c] + shift[c]: batch norm's per-channel affine map, one element per
 * invocation. `grid` layout (inner >= 32): x = j in workgroups of 64, y = c, z = o, so no lane divides
 * (lavapipe scalarises integer division: 2x slower); `flat` layout otherwise.
 * Params: CHANNEL_AFFINE. Bindings: out, x, scale, [shift].
 */
export function channelAffineWGSL(hasShift: boolean, layout: 'grid' | 'flat'): string {
  const L = CHANNEL_AFFINE;
  const ins = ['x', 'scale'].map((name) => ({ name, type: 'f32', access: 'read' as const }));
  if (hasShift) ins.push({ name: 'shift', type: 'f32', access: 'read' });
  const body = `out[i] = x[${L.get('xOff')} + i] * scale[${L.get('scaleOff')} + c]${hasShift ? ` + shift[${L.get('shiftOff')} + c]` : ''};`;
  if (layout === 'grid') {
    return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], ins)}
${tiledMain(L.at('tile'), [AFFINE_GRID_WG])}
  let j = gid.x; let inner = ${L.get('inner')};
  if (j >= inner) { return; }
  let c = gid.y; let o = gid.z;
  let i = (o * ${L.get('C')} + c) * inner + j;
  ${body}
}
`;
  }
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], ins)}
${linearMain(NORM_ELEM_WG)}
  if (i >= ${L.get('n')}) { return; }
  let c = (i / ${L.get('inner')}) % ${L.get('C')};
  ${body}
}
`;
}

// ---- GRN (ConvNeXt-V2 Global Response Normalization, src/tensor/ops/norm.ts): the small per-(n, c) chains of its
// forward statistics and of its backward, each in one kernel instead of ~6 and ~11 elementwise dispatches.
// One invocation per sample n (N rows of C channels, all contiguous at any offset), NORM_ROW_WG per workgroup.
// gamma holds one row of C per group of `per` consecutive samples (grouped GRN: per = N for one shared row).
export const GRN_STATS = paramLayout({ N: 'u32', C: 'u32', sOff: 'u32', gammaOff: 'u32', per: 'u32', eps: 'f32' });
export const GRN_BACKWARD = paramLayout({ N: 'u32', C: 'u32', tOff: 'u32', GOff: 'u32', mOff: 'u32', gammaOff: 'u32', per: 'u32', eps: 'f32' });

/** From sums of squares S: G = sqrt(S), m[n] = mean_c G, Nx = G / (m + eps), s = 1 + gamma[n / per, c] * Nx. Bindings: G, m, Nx, s; S, gamma. */
export function grnStatsWGSL(): string {
  const L = GRN_STATS;
  return `${bindings(['G', 'm', 'Nx', 's'].map((name) => ({ name, type: 'f32', access: 'read_write' as const })),
    [{ name: 'S', type: 'f32', access: 'read' }, { name: 'gamma', type: 'f32', access: 'read' }])}
${linearMain(NORM_ROW_WG)}
  if (i >= ${L.get('N')}) { return; }
  let C = ${L.get('C')}; let row = i * C; let sOff = ${L.get('sOff')}; let gOff = ${L.get('gammaOff')} + (i / ${L.get('per')}) * C;
  var acc = 0.0;
  for (var c = 0u; c < C; c++) { let g = sqrt(S[sOff + row + c]); G[row + c] = g; acc += g; }
  let mean = acc / f32(C);
  m[i] = mean;
  let den = mean + ${L.get('eps')};
  for (var c = 0u; c < C; c++) { let nx = G[row + c] / den; Nx[row + c] = nx; s[row + c] = gamma[gOff + c] * nx + 1.0; }
}
`;
}

/**
 * With dNx = t * gamma[n / per, c], me = m[n] + eps: dG = dNx / me - mean_c(dNx * G) / me^2 and k = dG / G (0 where G = 0,
 * as torch.norm's gradient). Bindings: k; t, G, m, gamma.
 */
export function grnBackwardWGSL(): string {
  const L = GRN_BACKWARD;
  return `${bindings([{ name: 'k', type: 'f32', access: 'read_write' }],
    ['t', 'G', 'm', 'gamma'].map((name) => ({ name, type: 'f32', access: 'read' as const })))}
${linearMain(NORM_ROW_WG)}
  if (i >= ${L.get('N')}) { return; }
  let C = ${L.get('C')}; let row = i * C;
  let tOff = ${L.get('tOff')} + row; let GOff = ${L.get('GOff')} + row; let gOff = ${L.get('gammaOff')} + (i / ${L.get('per')}) * C;
  let me = m[${L.get('mOff')} + i] + ${L.get('eps')};
  var acc = 0.0;
  for (var c = 0u; c < C; c++) { acc += (t[tOff + c] * gamma[gOff + c]) * G[GOff + c]; }
  let q = (acc / f32(C)) / (me * me);
  for (var c = 0u; c < C; c++) {
    let g = G[GOff + c];
    let dG = (t[tOff + c] * gamma[gOff + c]) / me - q;
    k[row + c] = select(dG / g, 0.0, g == 0.0);
  }
}
`;
}

// ---- Per-sample L2 scaling (l2Scale in src/tensor/ops/norm.ts; synthesis normalises every image and crop to a
// target norm): N samples of `inner` contiguous values at any offset, their sums of squares S (N values) made by
// the `sumsq` reduction. One invocation per element, NORM_ELEM_WG per workgroup. Forward and backward are one
// kernel each instead of the chains square, sum, sqrt, add, mul, div (forward) and ~12 dispatches (backward).
export const L2_SCALE = paramLayout({ n: 'u32', inner: 'u32', xOff: 'u32', sOff: 'u32', target: 'f32', eps: 'f32' });
export const L2_SCALE_BACKWARD = paramLayout({ n: 'u32', inner: 'u32', gOff: 'u32', xOff: 'u32', sOff: 'u32', dOff: 'u32', target: 'f32', eps: 'f32' });

/** y = (x * target) / (sqrt(S[row]) + eps) (the order of the composed ops). Bindings: y; x, S. */
export function l2ScaleWGSL(): string {
  const L = L2_SCALE;
  return `${bindings([{ name: 'y', type: 'f32', access: 'read_write' }], ['x', 'S'].map((name) => ({ name, type: 'f32', access: 'read' as const })))}
${linearMain(NORM_ELEM_WG)}
  if (i >= ${L.get('n')}) { return; }
  let r = i / ${L.get('inner')};
  y[i] = (x[${L.get('xOff')} + i] * ${L.get('target')}) / (sqrt(S[${L.get('sOff')} + r]) + ${L.get('eps')});
}
`;
}

/**
 * With nrm = sqrt(S[row]), den = nrm + eps and D[row] = sum(g * x) over the row:
 * dx = g * target / den - x * target * D / (den^2 * nrm), the second term 0 where nrm = 0 (the norm's subgradient).
 * Bindings: dx; g, x, S, D.
 */
export function l2ScaleBackwardWGSL(): string {
  const L = L2_SCALE_BACKWARD;
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], ['g', 'x', 'S', 'D'].map((name) => ({ name, type: 'f32', access: 'read' as const })))}
${linearMain(NORM_ELEM_WG)}
  if (i >= ${L.get('n')}) { return; }
  let r = i / ${L.get('inner')};
  let t = ${L.get('target')};
  let nrm = sqrt(S[${L.get('sOff')} + r]);
  let den = nrm + ${L.get('eps')};
  let k = select(t * D[${L.get('dOff')} + r] / (den * den * nrm), 0.0, nrm == 0.0);
  dx[i] = g[${L.get('gOff')} + i] * (t / den) - x[${L.get('xOff')} + i] * k;
}
`;
}
