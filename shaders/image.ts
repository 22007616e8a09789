// Image filtering kernels over a contiguous tensor read as [outer, L, inner], filtering along L with reflect
// padding (torch 'reflect': mirror without repeating the edge; radius r < L). One output element per
// invocation, 256 per workgroup, 2-D grid past 65535 groups. The K taps live in the params, so one pipeline
// serves every kernel size.
// Params: filterLayout(K).
import { bindings, linearMain, paramLayout } from './common.js';

export const IMAGE_WG = 256;
/** [n] elements, [K] taps; the taps are read at run-time indices, so one pipeline serves every K */
export const filterLayout = (K: number) => paramLayout({ n: 'u32', L: 'u32', inner: 'u32', K: 'u32', offset: 'u32', taps: ['f32', K] });
const F = filterLayout(0);

const head = `
  if (i >= ${F.get('n')}) { return; }
  let L = i32(${F.get('L')}); let inner = ${F.get('inner')}; let K = i32(${F.get('K')}); let r = K / 2;
  let j = i % inner; let t = i / inner; let li = i32(t % u32(L)); let o = t / u32(L);
  let rowBase = o * u32(L) * inner + j;`;

/** Forward: out[o, i, j] = sum_k tap[k] * x[o, reflect(i + k - r), j]. Bindings: out, x. */
export function filter1dReflectWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${linearMain(IMAGE_WG)}
  ${head}
  let base = ${F.get('offset')} + rowBase;
  var s = 0.0;
  for (var k = 0; k < K; k++) {
    var p = li + k - r;
    if (p < 0) { p = -p; }
    if (p > L - 1) { p = 2 * (L - 1) - p; }
    s += ${F.get('taps', 'u32(k)')} * x[base + u32(p) * inner];
  }
  out[i] = s;
}
`;
}

/**
 * Adjoint, one input element per invocation (gather form): input position q is read through the padded
 * positions p in {q, -q (if 1 <= q <= r), 2(L-1) - q (if L-1-r <= q <= L-2)}; output i used padded position
 * p through tap k when i = p - k + r. Bindings: dx, g.
 */
export function filter1dReflectBackwardWGSL(): string {
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'g', type: 'f32', access: 'read' }])}
${linearMain(IMAGE_WG)}
  ${head}
  let base = ${F.get('offset')} + rowBase;
  var acc = 0.0;
  for (var c = 0; c < 3; c++) {
    var p = li;
    if (c == 1) { if (li < 1 || li > r) { continue; } p = -li; }
    if (c == 2) { if (li > L - 2 || li < L - 1 - r) { continue; } p = 2 * (L - 1) - li; }
    for (var k = 0; k < K; k++) {
      let oi = p - k + r;
      if (oi >= 0 && oi < L) { acc += ${F.get('taps', 'u32(k)')} * g[base + u32(oi) * inner]; }
    }
  }
  dx[i] = acc;
}
`;
}

// ---- Per-sample total-variation sums (tvSquares in src/tensor/ops/image.ts; the synthesis TV term): a reduction
// with its elementwise prologue. A contiguous tensor read as N samples of P planes of H x W.
export const TV_SQUARES = paramLayout({ N: 'u32', P: 'u32', H: 'u32', W: 'u32', offset: 'u32' });
export const TV_SQUARES_BACKWARD = paramLayout({ n: 'u32', P: 'u32', H: 'u32', W: 'u32', offset: 'u32', gOff: 'u32' });

/**
 * s[n] = sum over the planes of sample n of (x[r, c + 1] - x[r, c])^2 and (x[r + 1, c] - x[r, c])^2. One
 * invocation per sample (a few per step in synthesis), 64 per workgroup. Bindings: s; x.
 */
export function tvSquaresWGSL(): string {
  const L = TV_SQUARES;
  return `${bindings([{ name: 's', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${linearMain(64)}
  if (i >= ${L.get('N')}) { return; }
  let planes = ${L.get('P')}; let H = ${L.get('H')}; let W = ${L.get('W')};
  var acc = 0.0;
  for (var p = 0u; p < planes; p++) {
    let base = ${L.get('offset')} + (i * planes + p) * H * W;
    for (var r = 0u; r < H; r++) {
      for (var c = 0u; c < W; c++) {
        let v = x[base + r * W + c];
        if (c + 1u < W) { let d = x[base + r * W + c + 1u] - v; acc += d * d; }
        if (r + 1u < H) { let d = x[base + (r + 1u) * W + c] - v; acc += d * d; }
      }
    }
  }
  s[i] = acc;
}
`;
}

/**
 * dx = 2 g[n] ((x - left) - (right - x) + (x - up) - (down - x)), each difference 0 past the plane's edge.
 * One invocation per element, IMAGE_WG per workgroup. Bindings: dx; x, g.
 */
export function tvSquaresBackwardWGSL(): string {
  const L = TV_SQUARES_BACKWARD;
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], ['x', 'g'].map((name) => ({ name, type: 'f32', access: 'read' as const })))}
${linearMain(IMAGE_WG)}
  if (i >= ${L.get('n')}) { return; }
  let H = ${L.get('H')}; let W = ${L.get('W')}; let o = ${L.get('offset')};
  let c = i % W; let r = (i / W) % H; let n = i / (W * H * ${L.get('P')});
  let v = x[o + i];
  var t = 0.0;
  if (c > 0u) { t += v - x[o + i - 1u]; }
  if (c + 1u < W) { t -= x[o + i + 1u] - v; }
  if (r > 0u) { t += v - x[o + i - W]; }
  if (r + 1u < H) { t -= x[o + i + W] - v; }
  dx[i] = 2.0 * g[${L.get('gOff')} + n] * t;
}
`;
}

// ---- Edge padding of the last two dims (pad() with mode reflect or replicate, e.g. the synthesis crops' reflect
// padding): one gather kernel forward and one backward, instead of two concats of flipped slices (6 copies) and
// their slice/concat gradients (~12 dispatches). planes x H x W -> planes x OH x OW, x contiguous at any offset.
export const PAD2D = paramLayout({ n: 'u32', H: 'u32', W: 'u32', OH: 'u32', OW: 'u32', pT: 'u32', pB: 'u32', pL: 'u32', pR: 'u32', offset: 'u32', mode: 'u32' });

/** the source index of padded position p (relative to the unpadded start) in a dim of n: reflect (mode 0) or replicate */
const PAD_SRC = `
fn padSrc(p: i32, n: i32, mode: u32) -> i32 {
  if (mode == 1u) { return clamp(p, 0, n - 1); }
  var q = p;
  if (q < 0) { q = -q; }
  if (q > n - 1) { q = 2 * (n - 1) - q; }
  return q;
}`;

/** y[plane, oh, ow] = x[plane, padSrc(oh - pT), padSrc(ow - pL)]. Bindings: y; x. */
export function pad2dWGSL(): string {
  const L = PAD2D;
  return `${bindings([{ name: 'y', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${PAD_SRC}
${linearMain(IMAGE_WG)}
  if (i >= ${L.get('n')}) { return; }
  let H = ${L.get('H')}; let W = ${L.get('W')}; let OH = ${L.get('OH')}; let OW = ${L.get('OW')};
  let ow = i % OW; let oh = (i / OW) % OH; let plane = i / (OW * OH);
  let sh = u32(padSrc(i32(oh) - i32(${L.get('pT')}), i32(H), ${L.get('mode')}));
  let sw = u32(padSrc(i32(ow) - i32(${L.get('pL')}), i32(W), ${L.get('mode')}));
  y[i] = x[${L.get('offset')} + (plane * H + sh) * W + sw];
}
`;
}

/**
 * dx[plane, h, w] = sum of g over the padded positions whose source is (h, w): per dim, reflect gives h + pBefore
 * and at most two mirror images; replicate gives the whole run of positions an edge was copied to. Bindings: dx; g
 * (contiguous, at offset).
 */
export function pad2dBackwardWGSL(): string {
  const L = PAD2D;
  return `${bindings([{ name: 'dx', type: 'f32', access: 'read_write' }], [{ name: 'g', type: 'f32', access: 'read' }])}
// the k-th padded position (or -1) whose source is h, in a dim of n padded by (l, r)
fn padPre(h: i32, n: i32, l: i32, r: i32, mode: u32, k: i32) -> i32 {
  if (mode == 1u) {
    let lo = select(h + l, 0, h == 0);
    let hi = select(h + l, l + n - 1 + r, h == n - 1);
    return select(-1, lo + k, lo + k <= hi);
  }
  if (k == 0) { return h + l; }
  if (k == 1) { return select(-1, l - h, h >= 1 && h <= l); }
  return select(-1, l + 2 * (n - 1) - h, h <= n - 2 && h >= n - 1 - r);
}
${linearMain(IMAGE_WG)}
  if (i >= ${L.get('n')}) { return; }
  let H = i32(${L.get('H')}); let W = i32(${L.get('W')}); let OH = ${L.get('OH')}; let OW = ${L.get('OW')};
  let pT = i32(${L.get('pT')}); let pB = i32(${L.get('pB')}); let pL = i32(${L.get('pL')}); let pR = i32(${L.get('pR')});
  let mode = ${L.get('mode')};
  let w = i32(i % u32(W)); let h = i32((i / u32(W)) % u32(H)); let plane = i / u32(W * H);
  let KH = select(3, pT + pB + 1, mode == 1u); let KW = select(3, pL + pR + 1, mode == 1u);
  let base = ${L.get('offset')} + plane * OH * OW;
  var acc = 0.0;
  for (var a = 0; a < KH; a++) {
    let oh = padPre(h, H, pT, pB, mode, a);
    if (oh < 0) { continue; }
    for (var b = 0; b < KW; b++) {
      let ow = padPre(w, W, pL, pR, mode, b);
      if (ow < 0) { continue; }
      acc += g[base + u32(oh) * OW + u32(ow)];
    }
  }
  dx[i] = acc;
}
`;
}
