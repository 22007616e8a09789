// 2-D pooling kernels over N*C contiguous H x W planes (NCHW), PyTorch semantics.
//
// The window geometry (kernel, stride, padding, dilation; avg options) is baked into the WGSL as constants and
// work is laid out on a 3-D grid (x = column, y = row, z = plane), so no kernel divides by a runtime value:
// lavapipe scalarises integer division per lane, which made the first, linear-index versions 2-3x slower.
// Max/avg window kernels: workgroup 16x4, one output (forward) or input element (avg backward) per invocation.
// maxPool backward scatters each output's gradient to its argmax in phases: outputs (ph + k*PH, pw + l*PW)
// have disjoint windows when PH*sH and PW*sW cover the window extent, so a phase can add without atomics and
// the result does not depend on scheduling. Adaptive pooling keeps a 1-D layout (bins need divisions anyway).
//
// Params: POOL_PARAMS (window kernels; the tile base of the grid, split by the engine past the device's limit)
// and ADAPTIVE_PARAMS.
import { TILE, bindings, linearMain, paramLayout, tiledMain } from './common.js';

/** [off0] input offset, [off1] second input offset (max backward: indices), [ph, pw] phase (max backward) */
export const POOL_PARAMS = paramLayout({ H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', off0: 'u32', off1: 'u32', ph: 'u32', pw: 'u32', tile: TILE });
/** [n] invocations, [off] input offset */
export const ADAPTIVE_PARAMS = paramLayout({ n: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', off: 'u32' });
const L = POOL_PARAMS, A = ADAPTIVE_PARAMS;
export const POOL_WG: readonly [number, number] = [16, 4];
export const ADAPTIVE_WG = 256;

/** Compile-time window geometry (avg: countIncludePad and divisor override, 0 = none). */
export interface PoolConsts {
  kH: number; kW: number; sH: number; sW: number; pH: number; pW: number; dH: number; dW: number;
  countIncludePad?: boolean; divisor?: number;
}

export const poolConstsKey = (c: PoolConsts) =>
  `${c.kH}x${c.kW}/${c.sH}x${c.sW}/p${c.pH}x${c.pW}/d${c.dH}x${c.dW}/${c.countIncludePad ? 'inc' : 'exc'}/${c.divisor ?? 0}`;

const consts = (c: PoolConsts) => `
const kH = ${c.kH}; const kW = ${c.kW}; const sH = ${c.sH}; const sW = ${c.sW};
const pH = ${c.pH}; const pW = ${c.pW}; const dH = ${c.dH}; const dW = ${c.dW};`;

const gridMain = `${tiledMain(L.at('tile'), POOL_WG)}
  let H = i32(${L.get('H')}); let W = i32(${L.get('W')}); let OH = i32(${L.get('OH')}); let OW = i32(${L.get('OW')});
  let plane = gid.z;`;

/**
 * maxPool2d forward: out[plane, oh, ow] = max over the window's in-bounds taps (padding counts as -inf); the
 * first maximum in tap order wins ties and a NaN wins over numbers, as PyTorch's CPU kernel. With
 * `withIndices`, also writes the tap's h*W+w (i32). Bindings: out, [indices], x.
 */
export function maxPool2dWGSL(c: PoolConsts, withIndices: boolean): string {
  const outs = [{ name: 'out', type: 'f32', access: 'read_write' as const }];
  if (withIndices) outs.push({ name: 'indices', type: 'i32', access: 'read_write' as const });
  return `fn neg_inf() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
${bindings(outs, [{ name: 'x', type: 'f32', access: 'read' }])}
${consts(c)}
${gridMain}
  let ow = i32(gid.x); let oh = i32(gid.y);
  if (ow >= OW || oh >= OH) { return; }
  let base = ${L.get('off0')} + plane * u32(H * W);
  let h0 = oh * sH - pH; let w0 = ow * sW - pW;
  // PyTorch starts from the first in-bounds tap
  var at = (h0 + select(0, ((-h0 + dH - 1) / dH) * dH, h0 < 0)) * W + w0 + select(0, ((-w0 + dW - 1) / dW) * dW, w0 < 0);
  var best = neg_inf();
  for (var kh = 0; kh < kH; kh++) {
    let h = h0 + kh * dH;
    if (h < 0 || h >= H) { continue; }
    for (var kw = 0; kw < kW; kw++) {
      let w = w0 + kw * dW;
      if (w < 0 || w >= W) { continue; }
      let p = h * W + w;
      let v = x[base + u32(p)];
      if (v > best || v != v) { best = v; at = p; }
    }
  }
  let o = plane * u32(OH * OW) + u32(oh * OW + ow);
  out[o] = best;
  ${withIndices ? 'indices[o] = at;' : ''}
}
`;
}

/** Phase counts of the maxPool backward: windows PH rows (PW columns) apart never overlap. */
export function maxPoolPhases(c: PoolConsts): [number, number] {
  return [Math.ceil(((c.kH - 1) * c.dH + 1) / c.sH), Math.ceil(((c.kW - 1) * c.dW + 1) / c.sW)];
}

/**
 * maxPool2d backward, one phase: for outputs (ph + a*PH, pw + b*PW) (a = gid.y, b = gid.x),
 * dx[plane, argmax] += gy. dx must hold zeros (or earlier phases). Bindings: dx, gy, indices.
 */
export function maxPool2dBackwardWGSL(c: PoolConsts): string {
  const [PH, PW] = maxPoolPhases(c);
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }, { name: 'indices', type: 'i32', access: 'read' }])}
${gridMain}
  let oh = i32(${L.get('ph')}) + ${PH} * i32(gid.y); let ow = i32(${L.get('pw')}) + ${PW} * i32(gid.x);
  if (ow >= OW || oh >= OH) { return; }
  let o = plane * u32(OH * OW) + u32(oh * OW + ow);
  let t = plane * u32(H * W) + u32(indices[${L.get('off1')} + o]);
  dx[t] = dx[t] + gy[${L.get('off0')} + o];
}
`;
}

/** The averaging divisor of window (oh, ow), as PyTorch's avg_pool2d. */
const avgDivisor = (c: PoolConsts) => `
fn avg_divisor(oh: i32, ow: i32, H: i32, W: i32) -> f32 {
  ${c.divisor ? `return ${c.divisor}.0;` : `let h0 = oh * sH - pH; let w0 = ow * sW - pW;
  let h1 = min(h0 + kH, H + pH); let w1 = min(w0 + kW, W + pW);
  ${c.countIncludePad ? 'return f32((h1 - h0) * (w1 - w0));' : 'return f32((min(h1, H) - max(h0, 0)) * (min(w1, W) - max(w0, 0)));'}`}
}`;

/** avgPool2d forward: one output per invocation. Bindings: out, x. */
export function avgPool2dWGSL(c: PoolConsts): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${consts(c)}
${avgDivisor(c)}
${gridMain}
  let ow = i32(gid.x); let oh = i32(gid.y);
  if (ow >= OW || oh >= OH) { return; }
  let base = ${L.get('off0')} + plane * u32(H * W);
  let h0 = max(oh * sH - pH, 0); let w0 = max(ow * sW - pW, 0);
  let h1 = min(oh * sH - pH + kH, H); let w1 = min(ow * sW - pW + kW, W);
  let o = plane * u32(OH * OW) + u32(oh * OW + ow);
  if (h0 >= h1 || w0 >= w1) { out[o] = 0.0; return; }
  var s = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) { s += x[base + u32(h * W + w)]; }
  }
  out[o] = s / avg_divisor(oh, ow, H, W);
}
`;
}

/**
 * avgPool2d backward: one input element per invocation, summing gy / divisor over the windows holding it in
 * increasing output order. Bindings: dx, gy.
 */
export function avgPool2dBackwardWGSL(c: PoolConsts): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }])}
${consts(c)}
${avgDivisor(c)}
${gridMain}
  let iw = i32(gid.x); let ih = i32(gid.y);
  if (iw >= W || ih >= H) { return; }
  let obase = ${L.get('off0')} + plane * u32(OH * OW);
  var acc = 0.0;
  for (var kh = kH - 1; kh >= 0; kh--) {
    let nh = ih + pH - kh;
    if (nh < 0 || nh % sH != 0) { continue; }
    let oh = nh / sH;
    if (oh >= OH) { continue; }
    for (var kw = kW - 1; kw >= 0; kw--) {
      let nw = iw + pW - kw;
      if (nw < 0 || nw % sW != 0) { continue; }
      let ow = nw / sW;
      if (ow >= OW) { continue; }
      acc += gy[obase + u32(oh * OW + ow)] / avg_divisor(oh, ow, H, W);
    }
  }
  dx[plane * u32(H * W) + u32(ih * W + iw)] = acc;
}
`;
}

/** adaptiveAvgPool2d forward: bin (oh, ow) averages rows [floor(oh*H/OH), ceil((oh+1)*H/OH)) and likewise columns. Bindings: out, x. */
export function adaptiveAvgPool2dWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${linearMain(ADAPTIVE_WG)}
  if (i >= ${A.get('n')}) { return; }
  let H = ${A.get('H')}; let W = ${A.get('W')}; let OH = ${A.get('OH')}; let OW = ${A.get('OW')};
  let ow = i % OW; let t = i / OW; let oh = t % OH; let plane = t / OH;
  let base = ${A.get('off')} + plane * H * W;
  let h0 = (oh * H) / OH; let h1 = ((oh + 1u) * H + OH - 1u) / OH;
  let w0 = (ow * W) / OW; let w1 = ((ow + 1u) * W + OW - 1u) / OW;
  var s = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) { s += x[base + h * W + w]; }
  }
  out[i] = s / f32((h1 - h0) * (w1 - w0));
}
`;
}

/** adaptiveAvgPool2d backward: one input element per invocation over the (few) bins that hold it. Bindings: dx, gy. */
export function adaptiveAvgPool2dBackwardWGSL(): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }])}
${linearMain(ADAPTIVE_WG)}
  if (i >= ${A.get('n')}) { return; }
  let H = ${A.get('H')}; let W = ${A.get('W')}; let OH = ${A.get('OH')}; let OW = ${A.get('OW')};
  let iw = i % W; let t = i / W; let ih = t % H; let plane = t / H;
  let obase = ${A.get('off')} + plane * OH * OW;
  // bins that can hold row ih: [floor(ih*OH/H), ceil((ih+1)*OH/H)); membership is checked exactly below
  let oh0 = (ih * OH) / H; let oh1 = min(((ih + 1u) * OH + H - 1u) / H, OH);
  let ow0 = (iw * OW) / W; let ow1 = min(((iw + 1u) * OW + W - 1u) / W, OW);
  var acc = 0.0;
  for (var oh = oh0; oh < oh1; oh++) {
    let h0 = (oh * H) / OH; let h1 = ((oh + 1u) * H + OH - 1u) / OH;
    if (ih < h0 || ih >= h1) { continue; }
    for (var ow = ow0; ow < ow1; ow++) {
      let w0 = (ow * W) / OW; let w1 = ((ow + 1u) * W + OW - 1u) / OW;
      if (iw < w0 || iw >= w1) { continue; }
      acc += gy[obase + oh * OW + ow] / f32((h1 - h0) * (w1 - w0));
    }
  }
  dx[i] = acc;
}
`;
}
