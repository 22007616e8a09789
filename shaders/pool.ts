// 2-D pooling kernels over N*C contiguous H x W planes (NCHW), PyTorch semantics. One invocation per output
// element (forward) or per input element (backward, gather form: no atomics), 256 per workgroup, 2-D grid
// past 65535 groups.
//
// Params (u32 words, i32 where signed) shared by the window kernels:
//   [0] n (invocations)  [1] planes  [2] H  [3] W  [4] OH  [5] OW  [6] kH  [7] kW  [8] sH  [9] sW
//   [10] pH  [11] pW  [12] dH  [13] dW  [14] offset of the first input  [15] offset of the second input
//   [16] countIncludePad (avg)  [17] divisorOverride as i32, 0 = none (avg)
// Adaptive kernels use [0] n [1] planes [2] H [3] W [4] OH [5] OW [14] input offset.
import { bindings, linearMain } from './common.js';

export const POOL_WG = 256;
export const POOL_PARAMS = 18;

const geometry = `
  let H = i32(P[2]); let W = i32(P[3]); let OH = i32(P[4]); let OW = i32(P[5]);
  let kH = i32(P[6]); let kW = i32(P[7]); let sH = i32(P[8]); let sW = i32(P[9]);
  let pH = i32(P[10]); let pW = i32(P[11]); let dH = i32(P[12]); let dW = i32(P[13]);`;

/**
 * maxPool2d forward: out[plane, oh, ow] = max over the window's in-bounds taps (padding counts as -inf); the
 * first maximum wins ties and a NaN wins over numbers, as PyTorch's CPU kernel. With `withIndices`, also writes
 * the tap's h*W+w (i32). Bindings: out, [indices], x.
 */
export function maxPool2dWGSL(withIndices: boolean): string {
  const outs = [{ name: 'out', type: 'f32', access: 'read_write' as const }];
  if (withIndices) outs.push({ name: 'indices', type: 'i32', access: 'read_write' as const });
  return `fn neg_inf() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
${bindings(outs, [{ name: 'x', type: 'f32', access: 'read' }])}
${linearMain(POOL_WG)}
  if (i >= P[0]) { return; }
  ${geometry}
  let ow = i32(i % u32(OW)); let t = i / u32(OW); let oh = i32(t % u32(OH)); let plane = t / u32(OH);
  let base = P[14] + plane * u32(H * W);
  var h0 = oh * sH - pH; var w0 = ow * sW - pW;
  let h1 = min(h0 + (kH - 1) * dH + 1, H); let w1 = min(w0 + (kW - 1) * dW + 1, W);
  // first tap inside the input
  if (h0 < 0) { h0 += ((-h0 + dH - 1) / dH) * dH; }
  if (w0 < 0) { w0 += ((-w0 + dW - 1) / dW) * dW; }
  var best = neg_inf();
  var at = h0 * W + w0;
  for (var h = h0; h < h1; h += dH) {
    for (var w = w0; w < w1; w += dW) {
      let p = h * W + w;
      let v = x[base + u32(p)];
      if (v > best || v != v) { best = v; at = p; }
    }
  }
  out[i] = best;
  ${withIndices ? 'indices[i] = at;' : ''}
}
`;
}

/**
 * maxPool2d backward, one invocation per input element: sums gy over the windows that contain the element and
 * chose it as their maximum, in increasing output order. Bindings: dx, gy, indices (offsets P[14], P[15]).
 */
export function maxPool2dBackwardWGSL(): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }, { name: 'indices', type: 'i32', access: 'read' }])}
${linearMain(POOL_WG)}
  if (i >= P[0]) { return; }
  ${geometry}
  let iw = i32(i % u32(W)); let t = i / u32(W); let ih = i32(t % u32(H)); let plane = t / u32(H);
  let p = ih * W + iw;
  let obase = plane * u32(OH * OW);
  var acc = 0.0;
  // decreasing tap index = increasing output index
  for (var kh = kH - 1; kh >= 0; kh--) {
    let nh = ih + pH - kh * dH;
    if (nh < 0 || nh % sH != 0) { continue; }
    let oh = nh / sH;
    if (oh >= OH) { continue; }
    for (var kw = kW - 1; kw >= 0; kw--) {
      let nw = iw + pW - kw * dW;
      if (nw < 0 || nw % sW != 0) { continue; }
      let ow = nw / sW;
      if (ow >= OW) { continue; }
      let o = obase + u32(oh * OW + ow);
      if (indices[P[15] + o] == p) { acc += gy[P[14] + o]; }
    }
  }
  dx[i] = acc;
}
`;
}

/** The averaging divisor of window (oh, ow), as PyTorch's avg_pool2d (0 when the window misses the input). */
const avgDivisor = `
fn avg_divisor(oh: i32, ow: i32) -> f32 {
  let H = i32(P[2]); let W = i32(P[3]); let kH = i32(P[6]); let kW = i32(P[7]);
  let sH = i32(P[8]); let sW = i32(P[9]); let pH = i32(P[10]); let pW = i32(P[11]);
  var h0 = oh * sH - pH; var w0 = ow * sW - pW;
  var h1 = min(h0 + kH, H + pH); var w1 = min(w0 + kW, W + pW);
  let poolSize = (h1 - h0) * (w1 - w0);
  h0 = max(h0, 0); w0 = max(w0, 0); h1 = min(h1, H); w1 = min(w1, W);
  let divOverride = bitcast<i32>(P[17]);
  if (divOverride != 0) { return f32(divOverride); }
  if (P[16] != 0u) { return f32(poolSize); }
  return f32((h1 - h0) * (w1 - w0));
}`;

/** avgPool2d forward: one output per invocation. Bindings: out, x. */
export function avgPool2dWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${avgDivisor}
${linearMain(POOL_WG)}
  if (i >= P[0]) { return; }
  ${geometry}
  let ow = i32(i % u32(OW)); let t = i / u32(OW); let oh = i32(t % u32(OH)); let plane = t / u32(OH);
  let base = P[14] + plane * u32(H * W);
  let h0 = max(oh * sH - pH, 0); let w0 = max(ow * sW - pW, 0);
  let h1 = min(oh * sH - pH + kH, H); let w1 = min(ow * sW - pW + kW, W);
  if (h0 >= h1 || w0 >= w1) { out[i] = 0.0; return; }
  var s = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) { s += x[base + u32(h * W + w)]; }
  }
  out[i] = s / avg_divisor(oh, ow);
}
`;
}

/** avgPool2d backward: one input element per invocation, summing gy / divisor over the windows holding it. Bindings: dx, gy. */
export function avgPool2dBackwardWGSL(): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }])}
${avgDivisor}
${linearMain(POOL_WG)}
  if (i >= P[0]) { return; }
  ${geometry}
  let iw = i32(i % u32(W)); let t = i / u32(W); let ih = i32(t % u32(H)); let plane = t / u32(H);
  let obase = plane * u32(OH * OW);
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
      acc += gy[P[14] + obase + u32(oh * OW + ow)] / avg_divisor(oh, ow);
    }
  }
  dx[i] = acc;
}
`;
}

/** adaptiveAvgPool2d forward: bin (oh, ow) averages rows [floor(oh*H/OH), ceil((oh+1)*H/OH)) and likewise columns. Bindings: out, x. */
export function adaptiveAvgPool2dWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${linearMain(POOL_WG)}
  if (i >= P[0]) { return; }
  let H = P[2]; let W = P[3]; let OH = P[4]; let OW = P[5];
  let ow = i % OW; let t = i / OW; let oh = t % OH; let plane = t / OH;
  let base = P[14] + plane * H * W;
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

/** adaptiveAvgPool2d backward: one input element per invocation over the (at most a few) bins that hold it. Bindings: dx, gy. */
export function adaptiveAvgPool2dBackwardWGSL(): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'gy', type: 'f32', access: 'read' }])}
${linearMain(POOL_WG)}
  if (i >= P[0]) { return; }
  let H = P[2]; let W = P[3]; let OH = P[4]; let OW = P[5];
  let iw = i % W; let t = i / W; let ih = t % H; let plane = t / H;
  let obase = P[14] + plane * OH * OW;
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
