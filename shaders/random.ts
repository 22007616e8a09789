// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011), identical to src/tensor/random.ts.
// One invocation per counter block. The output is `rows` independent streams of `rowSize` elements (one row for
// an ordinary call): block b of row r uses counter (offset + b, 0, 0) and key seeds[r] = (lo, hi), and yields
// 4 words for elements 4b..4b+3 of that row. Per-row streams let a batch of independent runs draw exactly the
// numbers each run would draw alone.
//   uniform: low + (w >> 8) * 2^-24 * (high - low)
//   normal:  Box-Muller on word pairs, u1 = ((w >> 8) + 1) * 2^-24, u2 = (w >> 8) * 2^-24
//   randint: low + w % (high - low)
// Params: randomLayout(rows).
import { bindings, linearMain, paramLayout } from './common.js';
import { TRIG_WGSL } from './trig.js';

export type RandomKindW = 'uniform' | 'normal' | 'randint';

export const PHILOX_WGSL = `
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let ll = al * bl; let lh = al * bh; let hl = ah * bl; let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return vec2<u32>(hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u), a * b);
}
fn philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr; var k = key;
  for (var r = 0u; r < 10u; r++) {
    if (r > 0u) { k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u); }
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
  }
  return c;
}
`;

/** [offLo, offHi] the 64-bit block offset, [p0, p1] the distribution's parameters, [seeds] (lo, hi) per row */
export const randomLayout = (rows: number) => paramLayout({
  rows: 'u32', rowSize: 'u32', blocksPerRow: 'u32', offLo: 'u32', offHi: 'u32', p0: 'f32', p1: 'f32', seeds: ['u32', 2 * rows],
});

export function randomWGSL(kind: RandomKindW): string {
  const L = randomLayout(0); // the seeds are read at run-time indices: one pipeline for every row count
  const outType = kind === 'randint' ? 'i32' : 'f32';
  let body: string;
  if (kind === 'uniform') {
    body = `for (var e = 0u; e < 4u; e++) { vals[e] = lo + f32(w[e] >> 8u) * 5.9604644775390625e-8 * (hi - lo); }`;
  } else if (kind === 'normal') {
    body = `for (var e = 0u; e < 4u; e += 2u) {
      let u1 = f32((w[e] >> 8u) + 1u) * 5.9604644775390625e-8;
      let u2 = f32(w[e + 1u] >> 8u) * 5.9604644775390625e-8;
      let r = sqrt(-2.0 * log(u1));
      let t = 6.283185307179586 * u2;
      let sc = sincos_(t);
      vals[e] = lo + hi * r * sc.y;
      vals[e + 1u] = lo + hi * r * sc.x;
    }`;
  } else {
    body = `let range = u32(i32(hi) - i32(lo));
    for (var e = 0u; e < 4u; e++) { vals[e] = i32(lo) + i32(w[e] % range); }`;
  }
  return `${TRIG_WGSL}${PHILOX_WGSL}
${bindings([{ name: 'out', type: outType, access: 'read_write' }], [])}
${linearMain(64)}
  let rowSize = ${L.get('rowSize')}; let bpr = ${L.get('blocksPerRow')};
  let row = i / bpr; let blk = i % bpr;
  if (row >= ${L.get('rows')}) { return; }
  let lo = ${L.get('p0')}; let hi = ${L.get('p1')};
  let c0 = ${L.get('offLo')} + blk;
  let carry = select(0u, 1u, c0 < ${L.get('offLo')});
  let w = philox(vec4<u32>(c0, ${L.get('offHi')} + carry, 0u, 0u), vec2<u32>(${L.get('seeds', '2u * row')}, ${L.get('seeds', '2u * row + 1u')}));
  var vals: array<${outType}, 4>;
  ${body}
  for (var e = 0u; e < 4u; e++) { if (blk * 4u + e < rowSize) { out[row * rowSize + blk * 4u + e] = vals[e]; } }
}
`;
}
