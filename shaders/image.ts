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
