// 2-D convolution kernels (NCHW, f32, PyTorch cross-correlation). Every kernel is written for one conv2d geometry
// (see src/tensor/backend/kernels/conv.ts): x (N, C, H, W), w (O, C/groups, kH, kW), y (N, O, OH, OW),
//   y[n, o, oy, ox] = sum_{cw, ky, kx} x[n, grp*Cg + cw, oy*sH - pT + ky*dH, ox*sW - pL + kx*dW] * w[o, cw, ky, kx]
// with grp = o / Og, Cg = C/groups, Og = O/groups, out-of-range taps reading zero. The forward kernels compute
// y, the `backwardInput` kernels dx (conv2d's input gradient = convTranspose2d's forward), the `backwardWeight`
// kernels dw.
//
// Params: every kernel has its own named layout (CONV_NAIVE, CONV_GEMM, CONV_GEMM_BWI, CONV_WEIGHT_GRAD,
// CONV_DEPTHWISE below): the geometry fields of CONV_GEOMETRY (offsets of the first input `off0`, of the second
// `off1` and of the bias `offBias`; `work` = invocations or work items), then the kernel's own fields, the bias
// flag and the tile base of its grid (x = invocations / workgroup size, z = a block of channels; split by the
// engine past the device's limit).
// The register-blocked kernels always bind a bias buffer (the weights stand in when there is none) and read the
// flag `hasBias` at runtime: one pipeline serves both cases.
// The depthwise kernel takes kH, kW, strides and dilations as compile-time constants (its pipeline key includes
// them); the other kernels keep the whole geometry at runtime.
//
// Cost model on CPU adapters (lavapipe, Mesa 25.0, read from its generated code): a workgroup runs as 8-wide
// SIMD lanes over consecutive invocations, and every storage-buffer load whose index is not a compile-time
// constant becomes a loop over the lanes with a mask test and a bounds test per element (~10 instructions per
// element; a vec4 load shares the per-lane part, ~half the cost per element), whether or not the index is the
// same across the workgroup. Arithmetic is cheap next to that, so the fast kernels keep blocks of outputs in
// registers to raise FMAs per loaded element (8 channels x 8 pixels: 4 FMAs per scalar load), put output pixels
// on the lanes and a block of channels on workgroup_id.z, and use no workgroup memory (barriers are expensive).
import { TILE, bindings, linearMain, paramLayout, tiledMain, type ParamLayout } from './common.js';

/** The conv2d geometry (src/tensor/backend/kernels/conv.ts), the operand offsets and the amount of work. */
export const CONV_GEOMETRY = {
  N: 'u32', C: 'u32', H: 'u32', W: 'u32', O: 'u32', OH: 'u32', OW: 'u32', kH: 'u32', kW: 'u32', sH: 'u32', sW: 'u32',
  pT: 'i32', pL: 'i32', dH: 'u32', dW: 'u32', groups: 'u32', Cg: 'u32', Og: 'u32', off0: 'u32', off1: 'u32', offBias: 'u32', work: 'u32',
} as const;
export type ConvGeometryField = keyof typeof CONV_GEOMETRY;
type ConvLayout = ParamLayout<ConvGeometryField | 'hasBias' | 'tile'>;
const FLAGS = { hasBias: 'u32', tile: TILE } as const;

export const CONV_NAIVE = paramLayout({ ...CONV_GEOMETRY, ...FLAGS });
/** [PC] pixel chunks per image, [CB] channel blocks per group, [Og4] Og rounded up to 4 (repacked weights) */
export const CONV_GEMM = paramLayout({ ...CONV_GEOMETRY, PC: 'u32', CB: 'u32', Og4: 'u32', ...FLAGS });
/** [PC] pixel chunks of phase (0, 0), [CB] channel blocks per group, [Cg4] Cg rounded up to 4 (repacked weights) */
export const CONV_GEMM_BWI = paramLayout({ ...CONV_GEOMETRY, PC: 'u32', CB: 'u32', Cg4: 'u32', ...FLAGS });
/** [OB] channel blocks per group, [rowsPer] (n, oy) rows per split, [TB] channel blocks in all (groups * OB) */
export const CONV_WEIGHT_GRAD = paramLayout({ ...CONV_GEOMETRY, OB: 'u32', rowsPer: 'u32', TB: 'u32', ...FLAGS });
/** [BW] = ceil(OW / RX), [BH] = ceil(OH / RY) blocks per plane */
export const CONV_DEPTHWISE = paramLayout({ ...CONV_GEOMETRY, BW: 'u32', BH: 'u32', ...FLAGS });
/** conv2d bias after the matmul fast path: [n] elements, [HW] pixels per channel, [O] channels, bias offset */
export const CONV_BIAS = paramLayout({ n: 'u32', HW: 'u32', O: 'u32', offBias: 'u32' });

const geometry = (L: ConvLayout) => `
  let N = i32(${L.get('N')}); let C = i32(${L.get('C')}); let H = i32(${L.get('H')}); let W = i32(${L.get('W')});
  let O = i32(${L.get('O')}); let OH = i32(${L.get('OH')}); let OW = i32(${L.get('OW')});
  let pT = ${L.get('pT')}; let pL = ${L.get('pL')};
  let Cg = i32(${L.get('Cg')}); let Og = i32(${L.get('Og')});
  let off0 = i32(${L.get('off0')}); let off1 = i32(${L.get('off1')}); let off2 = i32(${L.get('offBias')}); let hasBias = ${L.get('hasBias')} != 0u;`;

const runtimeKernel = (L: ConvLayout) => `
  let kH = i32(${L.get('kH')}); let kW = i32(${L.get('kW')}); let sH = i32(${L.get('sH')}); let sW = i32(${L.get('sW')});
  let dH = i32(${L.get('dH')}); let dW = i32(${L.get('dW')});`;

/** main() over a grid (invocations / wg, 1, channel blocks); `i` is the invocation index along x (i32). */
function main(L: ConvLayout, wg: number): string {
  return `${tiledMain(L.at('tile'), [wg])}
  let i = i32(gid.x);`;
}

/** `if (i >= work) { return; }` */
const bound = (L: ConvLayout) => `if (i >= i32(${L.get('work')})) { return; }`;

const f32buf = (name: string, access: 'read' | 'read_write') => ({ name, type: 'f32', access });

// ------------------------------------------------------------------------------------------------ naive
export const NAIVE_WG = 64;

/**
 * Naive forward: one output element per invocation, every size at runtime (the benchmark reference and the
 * fallback). Bindings: y, x, w[, bias]. CONV_NAIVE, work = N*O*OH*OW.
 */
export function convNaiveWGSL(hasBias: boolean): string {
  return `${bindings([f32buf('y', 'read_write')], [f32buf('x', 'read'), f32buf('w', 'read'), ...(hasBias ? [f32buf('bias', 'read')] : [])])}
${main(CONV_NAIVE, NAIVE_WG)}
  ${bound(CONV_NAIVE)}
  ${geometry(CONV_NAIVE)}
  ${runtimeKernel(CONV_NAIVE)}
  let ox = i % OW; var t = i / OW; let oy = t % OH; t = t / OH; let o = t % O; let n = t / O;
  let grp = o / Og;
  var acc = ${hasBias ? 'bias[off2 + o]' : '0.0'};
  for (var cw = 0; cw < Cg; cw++) {
    let xb = off0 + ((n * C + grp * Cg + cw) * H) * W;
    let wb = off1 + (o * Cg + cw) * kH * kW;
    for (var ky = 0; ky < kH; ky++) {
      let iy = oy * sH - pT + ky * dH;
      if (iy < 0 || iy >= H) { continue; }
      for (var kx = 0; kx < kW; kx++) {
        let ix = ox * sW - pL + kx * dW;
        if (ix < 0 || ix >= W) { continue; }
        acc = fma(x[xb + iy * W + ix], w[wb + ky * kW + kx], acc);
      }
    }
  }
  y[i] = acc;
}
`;
}

/**
 * Naive input gradient: one dx element per invocation, gathering every (o, ky, kx) whose tap lands on it.
 * Bindings: dx, gy, w[, bias (per input channel)]. CONV_NAIVE, work = N*C*H*W.
 */
export function convNaiveBackwardInputWGSL(hasBias: boolean): string {
  return `${bindings([f32buf('dx', 'read_write')], [f32buf('gy', 'read'), f32buf('w', 'read'), ...(hasBias ? [f32buf('bias', 'read')] : [])])}
${main(CONV_NAIVE, NAIVE_WG)}
  ${bound(CONV_NAIVE)}
  ${geometry(CONV_NAIVE)}
  ${runtimeKernel(CONV_NAIVE)}
  let ix = i % W; var t = i / W; let iy = t % H; t = t / H; let c = t % C; let n = t / C;
  let grp = c / Cg; let cw = c % Cg;
  var acc = ${hasBias ? 'bias[off2 + c]' : '0.0'};
  for (var oo = 0; oo < Og; oo++) {
    let o = grp * Og + oo;
    let gb = off0 + (n * O + o) * OH * OW;
    let wb = off1 + (o * Cg + cw) * kH * kW;
    for (var ky = 0; ky < kH; ky++) {
      let ty = iy + pT - ky * dH;
      if (ty < 0 || ty % sH != 0 || ty / sH >= OH) { continue; }
      for (var kx = 0; kx < kW; kx++) {
        let tx = ix + pL - kx * dW;
        if (tx < 0 || tx % sW != 0 || tx / sW >= OW) { continue; }
        acc = fma(gy[gb + (ty / sH) * OW + tx / sW], w[wb + ky * kW + kx], acc);
      }
    }
  }
  dx[i] = acc;
}
`;
}

/** Naive weight gradient: one dw element per invocation. Bindings: dw, x, gy. CONV_NAIVE, work = O*Cg*kH*kW. */
export function convNaiveBackwardWeightWGSL(): string {
  return `${bindings([f32buf('dw', 'read_write')], [f32buf('x', 'read'), f32buf('gy', 'read')])}
${main(CONV_NAIVE, NAIVE_WG)}
  ${bound(CONV_NAIVE)}
  ${geometry(CONV_NAIVE)}
  ${runtimeKernel(CONV_NAIVE)}
  let kx = i % kW; var t = i / kW; let ky = t % kH; t = t / kH; let cw = t % Cg; let o = t / Cg;
  let c = (o / Og) * Cg + cw;
  var acc = 0.0;
  for (var n = 0; n < N; n++) {
    let xb = off0 + (n * C + c) * H * W;
    let gb = off1 + (n * O + o) * OH * OW;
    for (var oy = 0; oy < OH; oy++) {
      let iy = oy * sH - pT + ky * dH;
      if (iy < 0 || iy >= H) { continue; }
      for (var ox = 0; ox < OW; ox++) {
        let ix = ox * sW - pL + kx * dW;
        if (ix < 0 || ix >= W) { continue; }
        acc = fma(gy[gb + oy * OW + ox], x[xb + iy * W + ix], acc);
      }
    }
  }
  dw[i] = acc;
}
`;
}

// ------------------------------------------------------------------------------------------------ implicit GEMM
// The register-blocked kernels below keep the whole geometry (kernel size, stride, dilation, padding) at runtime:
// on lavapipe every storage-buffer element load is a per-lane loop whatever its index, so unrolling the taps
// buys nothing measurable, while one pipeline per block shape keeps first-use compilation short.

/** Block shape of a register-blocked kernel. */
export interface ConvTileSpec {
  /** channels per invocation (output channels forward, input channels for the input gradient) */
  RC: number;
  /** pixels per invocation (a multiple of 4) */
  RP: number;
  /** invocations per workgroup */
  WG: number;
  /**
   * weights repacked and read as vec4 over the block's channels: (groups, Cg, kH, kW, Og rounded up to 4) forward,
   * (groups, Og, kH, kW, Cg rounded up to 4) for the input gradient; the params' Og4 / Cg4 is the rounded count
   */
  vecW?: boolean;
}

export const tileKey = (s: ConvTileSpec) => `rc${s.RC}:rp${s.RP}:wg${s.WG}${s.vecW ? ':vw' : ''}`;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const v4 = (s: string[]) => `vec4<f32>(${s.join(', ')})`;

/**
 * Implicit-GEMM forward (M = output pixels, N = output channels, K = Cg*kH*kW, no im2col buffer). Invocation =
 * RP consecutive pixels of one image's flattened OH*OW plane x RC output channels of one group, RC*RP
 * accumulators in vec4 registers. Lanes run over pixel chunks (n, chunk),
 * workgroup_id.z is the channel block. The tap loops (ky, kx) are outside the channel loop: each pixel's im2col
 * offset and zero-padding mask are computed once per tap, the channel loop only loads and multiplies.
 * Bindings: y, x, w, bias. CONV_GEMM: work = pixel chunks (N*PC), PC = ceil(OH*OW/RP), CB channel blocks per group.
 */
export function convGemmWGSL(s: ConvTileSpec): string {
  const L = CONV_GEMM;
  const { RC, RP, WG } = s;
  const R = range(RC), J = range(RP), Q = range(RP / 4);
  const vw = s.vecW === true;
  return `${bindings([f32buf('y', 'read_write')], [f32buf('x', 'read'), vw ? { name: 'w', type: 'vec4<f32>', access: 'read' } : f32buf('w', 'read'), f32buf('bias', 'read')])}
${main(L, WG)}
  ${geometry(L)}
  ${runtimeKernel(L)}
  let PC = i32(${L.get('PC')}); let CB = i32(${L.get('CB')});
  ${bound(L)}
  let ii = i;
  let blk = i32(wid.z); let grp = blk / CB;
  let o0 = grp * Og + (blk % CB) * ${RC}; let oLast = grp * Og + Og - 1;
  let n = ii / PC; let p0 = (ii % PC) * ${RP};
  let OHW = OH * OW;
  let HW = H * W;
  let xb = off0 + (n * C + grp * Cg) * HW;
  let KHW = kH * kW;
  let K = Cg * KHW;
  ${vw ? `let Og4 = i32(${L.get('Og4')}) / 4; let wg0 = grp * Cg * KHW * Og4 + (blk % CB) * ${RC / 4};` : R.map((r) => `let wr${r} = off1 + min(o0 + ${r}, oLast) * K;`).join('\n  ')}
  ${R.map((r) => Q.map((q) => `var acc${r}_${q} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  ${J.map((j) => `let iys${j} = ((p0 + ${j}) / OW) * sH - pT; let ixs${j} = ((p0 + ${j}) % OW) * sW - pL;`).join('\n  ')}
  for (var ky = 0; ky < kH; ky++) {
    ${J.map((j) => `let iy${j} = iys${j} + ky * dH; let rok${j} = iy${j} >= 0 && iy${j} < H;`).join('\n    ')}
    for (var kx = 0; kx < kW; kx++) {
      ${J.map((j) => `let ix${j} = ixs${j} + kx * dW; let ok${j} = rok${j} && ix${j} >= 0 && ix${j} < W;`).join('\n      ')}
      ${J.map((j) => `let a${j} = select(0, iy${j} * W + ix${j}, ok${j});`).join(' ')}
      ${Q.map((q) => `let m${q} = ${v4(range(4).map((e) => `select(0.0, 1.0, ok${4 * q + e})`))};`).join(' ')}
      var xp = xb;
      var wp = ${vw ? 'wg0 + (ky * kW + kx) * Og4' : 'ky * kW + kx'};
      for (var c = 0; c < Cg; c++) {
        ${Q.map((q) => `let v${q} = ${v4(range(4).map((e) => `x[xp + a${4 * q + e}]`))} * m${q};`).join('\n        ')}
        ${vw ? range(RC / 4).map((b) => `let wb${b} = w[wp + ${b}];`).join(' ') : ''}
        ${R.map((r) => `{ let wv = vec4<f32>(${vw ? `wb${r >> 2}.${'xyzw'[r & 3]}` : `w[wr${r} + wp]`}); ${Q.map((q) => `acc${r}_${q} = fma(wv, v${q}, acc${r}_${q});`).join(' ')} }`).join('\n        ')}
        xp += HW;
        wp += ${vw ? 'KHW * Og4' : 'KHW'};
      }
    }
  }
  ${R.map((r) => `if (o0 + ${r} <= oLast) {
    let yb = (n * O + o0 + ${r}) * OHW + p0;
    let bv = vec4<f32>(select(0.0, bias[off2 + o0 + ${r}], hasBias));
    ${Q.map((q) => `{ let a = acc${r}_${q} + bv; ${range(4).map((e) => `if (p0 + ${4 * q + e} < OHW) { y[yb + ${4 * q + e}] = a.${'xyzw'[e]}; }`).join(' ')} }`).join('\n    ')}
  }`).join('\n  ')}
}
`;
}

/**
 * Input gradient / transposed convolution as an implicit GEMM over stride phases. dx pixel (iy, ix) with
 * iy = ry + sH*qy, ix = rx + sW*qx only receives taps ky with (ry + pT - ky*dH) divisible by sH, from
 * oy = qy + (ry + pT - ky*dH)/sH (likewise along x): within one phase (ry, rx) this is a stride-1 correlation
 * of gy with a fixed subset of the taps, and no work is spent on taps that do not apply. Invocation = RP
 * consecutive pixels of one image's phase grid (QH x QW) x RC input channels of one group; workgroup_id.z =
 * phase * (groups * channel blocks) + channel block, so which taps apply is uniform across the workgroup.
 * Bindings: dx, gy, w, bias (per input channel). CONV_GEMM_BWI: work = pixel chunks (N*PC), PC =
 * ceil(QH*QW/RP) of phase (0, 0), the largest, CB channel blocks per group.
 */
export function convGemmBackwardInputWGSL(s: ConvTileSpec): string {
  const L = CONV_GEMM_BWI;
  const { RC, RP, WG } = s;
  const R = range(RC), J = range(RP), Q = range(RP / 4);
  const vw = s.vecW === true;
  return `${bindings([f32buf('dx', 'read_write')], [f32buf('gy', 'read'), vw ? { name: 'w', type: 'vec4<f32>', access: 'read' } : f32buf('w', 'read'), f32buf('bias', 'read')])}
${main(L, WG)}
  ${geometry(L)}
  ${runtimeKernel(L)}
  let PC = i32(${L.get('PC')}); let CB = i32(${L.get('CB')});
  ${bound(L)}
  let ii = i;
  let z = i32(wid.z); let GB = CB * i32(${L.get('groups')});
  let phase = z / GB; let blk = z % GB;
  let ry = phase / sW; let rx = phase % sW;
  let QH = (H - ry + sH - 1) / sH; let QW = (W - rx + sW - 1) / sW;
  let grp = blk / CB;
  let c0 = (blk % CB) * ${RC}; // within the group
  let n = ii / PC; let p0 = (ii % PC) * ${RP};
  let OHW = OH * OW;
  let gb = off0 + (n * O + grp * Og) * OHW;
  let KHW = kH * kW;
  ${vw ? `let Cg4 = i32(${L.get('Cg4')}) / 4; let wg0 = grp * Og * KHW * Cg4 + c0 / 4;` : R.map((r) => `let wr${r} = off1 + (grp * Og * Cg + min(c0 + ${r}, Cg - 1)) * KHW;`).join('\n  ')}
  ${R.map((r) => Q.map((q) => `var acc${r}_${q} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  ${J.map((j) => `let qy${j} = (p0 + ${j}) / QW; let qx${j} = (p0 + ${j}) % QW;`).join('\n  ')}
  for (var ky = 0; ky < kH; ky++) {
    let ty = ry + pT - ky * dH;
    if (ty % sH != 0) { continue; } // uniform: the phase is per workgroup
    ${J.map((j) => `let oy${j} = qy${j} + ty / sH; let rok${j} = oy${j} >= 0 && oy${j} < OH;`).join('\n    ')}
    for (var kx = 0; kx < kW; kx++) {
      let tx = rx + pL - kx * dW;
      if (tx % sW != 0) { continue; }
      ${J.map((j) => `let ox${j} = qx${j} + tx / sW; let ok${j} = rok${j} && ox${j} >= 0 && ox${j} < OW;`).join('\n      ')}
      ${J.map((j) => `let a${j} = select(0, oy${j} * OW + ox${j}, ok${j});`).join(' ')}
      ${Q.map((q) => `let m${q} = ${v4(range(4).map((e) => `select(0.0, 1.0, ok${4 * q + e})`))};`).join(' ')}
      var gp = gb;
      var wp = ${vw ? 'wg0 + (ky * kW + kx) * Cg4' : 'ky * kW + kx'};
      for (var oo = 0; oo < Og; oo++) {
        ${Q.map((q) => `let v${q} = ${v4(range(4).map((e) => `gy[gp + a${4 * q + e}]`))} * m${q};`).join('\n        ')}
        ${vw ? range(RC / 4).map((b) => `let wb${b} = w[wp + ${b}];`).join(' ') : ''}
        ${R.map((r) => `{ let wv = vec4<f32>(${vw ? `wb${r >> 2}.${'xyzw'[r & 3]}` : `w[wr${r} + wp]`}); ${Q.map((q) => `acc${r}_${q} = fma(wv, v${q}, acc${r}_${q});`).join(' ')} }`).join('\n        ')}
        gp += OHW;
        wp += ${vw ? 'KHW * Cg4' : 'Cg * KHW'};
      }
    }
  }
  ${R.map((r) => `if (c0 + ${r} < Cg) {
    let xb = (n * C + grp * Cg + c0 + ${r}) * H * W;
    let bv = vec4<f32>(select(0.0, bias[off2 + grp * Cg + c0 + ${r}], hasBias));
    ${Q.map((q) => `{ let a = acc${r}_${q} + bv; ${range(4).map((e) => `if (p0 + ${4 * q + e} < QH * QW) { dx[xb + (ry + sH * qy${4 * q + e}) * W + rx + sW * qx${4 * q + e}] = a.${'xyzw'[e]}; }`).join(' ')} }`).join('\n    ')}
  }`).join('\n  ')}
}
`;
}

/** Block shape of the weight-gradient kernel. */
export interface ConvWeightGradSpec { RO: number; RT: number; WG: number }
export const weightGradKey = (s: ConvWeightGradSpec) => `ro${s.RO}:rt${s.RT}:wg${s.WG}`;

/**
 * Weight gradient: dw[o, cw, ky, kx] = sum over (n, oy, ox) of gy[n, o, oy, ox] * x[n, c, iy, ix], a GEMM with
 * M = O, N = Cg*kH*kW taps, K = pixels. Invocation = RT consecutive taps (flattened cw, ky, kx; each decoded
 * once) x RO output channels; lanes run over tap blocks, workgroup_id.z = channel block + blocks * split. The
 * (n, oy) rows are split into ranges (workgroup_id.z / blocks) that write separate partial sums, added up
 * afterwards: enough parallel work when there are few taps and many pixels.
 * Bindings: part (splits, O, Cg, kH, kW), x, gy. CONV_WEIGHT_GRAD: work = tap blocks, OB channel blocks per
 * group, rowsPer rows per split, TB total channel blocks (groups * OB).
 */
export function convWeightGradWGSL(s: ConvWeightGradSpec): string {
  const L = CONV_WEIGHT_GRAD;
  const { RO, RT, WG } = s;
  const R = range(RO), T = range(RT);
  return `${bindings([f32buf('part', 'read_write')], [f32buf('x', 'read'), f32buf('gy', 'read')])}
${main(L, WG)}
  ${geometry(L)}
  ${runtimeKernel(L)}
  let OB = i32(${L.get('OB')}); let rowsPer = i32(${L.get('rowsPer')}); let TB = i32(${L.get('TB')});
  ${bound(L)}
  let ii = i;
  let z = i32(wid.z); let split = z / TB; let blk = z % TB;
  let grp = blk / OB; let o0 = grp * Og + (blk % OB) * ${RO}; let oLast = grp * Og + Og - 1;
  let KHW = kH * kW; let taps = Cg * KHW;
  let HW = H * W; let OHW = OH * OW;
  let t0 = ii * ${RT};
  ${T.map((t) => `let tap${t} = min(t0 + ${t}, taps - 1); let cw${t} = tap${t} / KHW; let kyo${t} = ((tap${t} % KHW) / kW) * dH - pT; let kxo${t} = (tap${t} % kW) * dW - pL;`).join('\n  ')}
  ${R.map((r) => T.map((t) => `var acc${r}_${t} = 0.0;`).join(' ')).join('\n  ')}
  ${R.map((r) => `let gr${r} = off1 + min(o0 + ${r}, oLast) * OHW;`).join('\n  ')}
  let r0 = split * rowsPer; let r1 = min(r0 + rowsPer, N * OH);
  for (var row = r0; row < r1; row++) {
    let n = row / OH; let oy = row % OH;
    let xn = off0 + (n * C + grp * Cg) * HW;
    let gn = n * O * OHW + oy * OW;
    ${T.map((t) => `let iy${t} = oy * sH + kyo${t}; let rok${t} = iy${t} >= 0 && iy${t} < H; let xr${t} = xn + cw${t} * HW + iy${t} * W;`).join('\n    ')}
    for (var ox = 0; ox < OW; ox++) {
      ${R.map((r) => `let g${r} = gy[gr${r} + gn + ox];`).join(' ')}
      ${T.map((t) => `let ix${t} = ox * sW + kxo${t}; let ok${t} = rok${t} && ix${t} >= 0 && ix${t} < W; let v${t} = x[select(0, xr${t} + ix${t}, ok${t})] * select(0.0, 1.0, ok${t});`).join('\n      ')}
      ${R.map((r) => T.map((t) => `acc${r}_${t} = fma(g${r}, v${t}, acc${r}_${t});`).join(' ')).join('\n      ')}
    }
  }
  let pb = split * O * taps;
  ${R.map((r) => `if (o0 + ${r} <= oLast) { let b = pb + (o0 + ${r}) * taps; ${T.map((t) => `if (t0 + ${t} < taps) { part[b + t0 + ${t}] = acc${r}_${t}; }`).join(' ')} }`).join('\n  ')}
}
`;
}

// ------------------------------------------------------------------------------------------------ depthwise
/** Compile-time shape of the depthwise kernel (groups == C == O). */
export interface DepthwiseSpec {
  kH: number; kW: number; sH: number; sW: number; dH: number; dW: number;
  /** output rows and columns per invocation */
  RY: number; RX: number;
  WG: number;
}
export const depthwiseKey = (s: DepthwiseSpec) => `${s.kH}x${s.kW}:s${s.sH}x${s.sW}:d${s.dH}x${s.dW}:${s.RY}x${s.RX}:wg${s.WG}`;

/**
 * Direct depthwise convolution: invocation = an RY x RX block of one output plane (n, c), with the plane's kH*kW
 * weights in registers. The code is unrolled at generation: each input row the block needs is loaded once
 * (RX*sW + (kW-1)*dW values, zero padding by a clamped index times a 0/1 mask) and fed to every (output row, ky)
 * pair that uses it, so a 7x7 kernel on a 4x4 block does 784 FMAs for 100 input and 49 weight loads. (Loops
 * over ky with a sliding row window compile 4x faster but run 40% slower on lavapipe, where every loop-carried
 * value is blended with the loop mask; a zero-padded copy of x instead of the masks costs more than it saves.)
 * Lanes run over the blocks of one plane, workgroup y is the plane. Uses the forward geometry names with
 * input (H, W) and output (OH, OW) as given in the params.
 * Bindings: y, x, w, bias. CONV_DEPTHWISE: BW = ceil(OW/RX), BH = ceil(OH/RY).
 */
export function depthwiseWGSL(s: DepthwiseSpec): string {
  const L = CONV_DEPTHWISE;
  const { kH, kW, sH, sW, dH, dW, RY, RX, WG } = s;
  const rows = (RY - 1) * sH + (kH - 1) * dH + 1, cols = (RX - 1) * sW + (kW - 1) * dW + 1;
  const need = new Set<number>();
  for (let j = 0; j < RX; j++) for (let kx = 0; kx < kW; kx++) need.add(j * sW + kx * dW);
  const colsUsed = [...need].sort((a, b) => a - b);
  const body: string[] = [];
  for (let t = 0; t < rows; t++) {
    const uses: [number, number][] = [];
    for (let r = 0; r < RY; r++) for (let ky = 0; ky < kH; ky++) if (r * sH + ky * dH === t) uses.push([r, ky]);
    if (!uses.length) continue;
    body.push(`{ let iy = iy0 + ${t}; let rm = select(0.0, 1.0, iy >= 0 && iy < H); let rb = xb + clamp(iy, 0, H - 1) * W;`);
    body.push('  ' + colsUsed.map((cI) => `let v${cI} = x[rb + ix${cI}] * (rm * cm${cI});`).join(' '));
    for (const [r, ky] of uses) {
      for (let j = 0; j < RX; j++) {
        body.push(`  acc${r}_${j} = ${range(kW).reduce((e, kx) => `fma(w${ky}_${kx}, v${j * sW + kx * dW}, ${e})`, `acc${r}_${j}`)};`);
      }
    }
    body.push('}');
  }
  const weights: string[] = [];
  for (let ky = 0; ky < kH; ky++) weights.push(range(kW).map((kx) => `let w${ky}_${kx} = w[wb + ${ky * kW + kx}];`).join(' '));
  return `${bindings([f32buf('y', 'read_write')], [f32buf('x', 'read'), f32buf('w', 'read'), f32buf('bias', 'read')])}
${main(L, WG)}
  ${geometry(L)}
  let BW = i32(${L.get('BW')}); let BH = i32(${L.get('BH')});
  // one plane (n, c) per workgroup row: the weights are the same across the workgroup
  let plane = i32(wid.y);
  let b = i32(gid.x);
  if (b >= BW * BH || plane >= N * C) { return; }
  let bx = b % BW; let by = b / BW; let c = plane % C;
  let oy0 = by * ${RY}; let ox0 = bx * ${RX};
  let xb = off0 + plane * H * W;
  let wb = off1 + c * ${kH * kW};
  ${weights.join('\n  ')}
  let b0 = select(0.0, bias[off2 + c], hasBias);
  ${range(RY).map((r) => range(RX).map((j) => `var acc${r}_${j} = b0;`).join(' ')).join('\n  ')}
  let iy0 = oy0 * ${sH} - pT;
  let ixs = ox0 * ${sW} - pL;
  ${range(cols).filter((cI) => need.has(cI)).map((cI) => `let ix${cI} = clamp(ixs + ${cI}, 0, W - 1); let cm${cI} = select(0.0, 1.0, ixs + ${cI} >= 0 && ixs + ${cI} < W);`).join('\n  ')}
  ${body.join('\n  ')}
  ${range(RY).map((r) => `if (oy0 + ${r} < OH) { let yb = (plane * OH + oy0 + ${r}) * OW + ox0; ${range(RX).map((j) => `if (ox0 + ${j} < OW) { y[yb + ${j}] = acc${r}_${j}; }`).join(' ')} }`).join('\n  ')}
}
`;
}

// ------------------------------------------------------------------------------------------------ bias
/** y[i] += bias[(i / HW) % O] in place (after the matmul fast path). Params: CONV_BIAS. */
export function convBiasAddWGSL(): string {
  const B = CONV_BIAS;
  return `${bindings([f32buf('y', 'read_write')], [f32buf('bias', 'read')])}
${linearMain(256)}
  if (i >= ${B.get('n')}) { return; }
  let k = (i / ${B.get('HW')}) % ${B.get('O')};
  y[i] += bias[${B.get('offBias')} + k];
}
`;
}
