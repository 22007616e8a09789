// Image filtering kernels over a contiguous tensor read as [outer, L, inner], filtering along L with reflect
// padding (torch 'reflect': mirror without repeating the edge; radius r < L). One output element per
// invocation, 256 per workgroup, 2-D grid past 65535 groups. The K taps live in the params, so one pipeline
// serves every kernel size.
// Params: [n, L, inner, K, offset, taps[K] as f32 bits].
import { bindings, linearMain } from './common.js';

export const IMAGE_WG = 256;
export const TAPS_AT = 5;

const head = `
  if (i >= P[0]) { return; }
  let L = i32(P[1]); let inner = P[2]; let K = i32(P[3]); let r = K / 2;
  let j = i % inner; let t = i / inner; let li = i32(t % u32(L)); let o = t / u32(L);
  let rowBase = o * u32(L) * inner + j;`;

/** Forward: out[o, i, j] = sum_k tap[k] * x[o, reflect(i + k - r), j]. Bindings: out, x. */
export function filter1dReflectWGSL(): string {
  return `${bindings([{ name: 'out', type: 'f32', access: 'read_write' }], [{ name: 'x', type: 'f32', access: 'read' }])}
${linearMain(IMAGE_WG)}
  ${head}
  let base = P[4] + rowBase;
  var s = 0.0;
  for (var k = 0; k < K; k++) {
    var p = li + k - r;
    if (p < 0) { p = -p; }
    if (p > L - 1) { p = 2 * (L - 1) - p; }
    s += bitcast<f32>(P[${TAPS_AT}u + u32(k)]) * x[base + u32(p) * inner];
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
  let base = P[4] + rowBase;
  var acc = 0.0;
  for (var c = 0; c < 3; c++) {
    var p = li;
    if (c == 1) { if (li < 1 || li > r) { continue; } p = -li; }
    if (c == 2) { if (li > L - 2 || li < L - 1 - r) { continue; } p = 2 * (L - 1) - li; }
    for (var k = 0; k < K; k++) {
      let oi = p - k + r;
      if (oi >= 0 && oi < L) { acc += bitcast<f32>(P[${TAPS_AT}u + u32(k)]) * g[base + u32(oi) * inner]; }
    }
  }
  dx[i] = acc;
}
`;
}
