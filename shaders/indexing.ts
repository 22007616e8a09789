// Indexing kernels over contiguous operands (the host makes them contiguous first).
// `indexSelect`: out[o, j, r] = x[o, idx[j], r]   (x: [O, D, R], idx: [J], out: [O, J, R])
//   Params: INDEX_SELECT
// `indexAdd` (its adjoint, deterministic: each output element sums its matches):
//   out[o, d, r] = sum_{j: idx[j] = d} g[o, j, r]. Params: INDEX_SELECT
// `gather` (torch.gather): out[p] = x[p with p[dim] := idx[p]]; idx and out share a shape.
//   Params: gatherLayout(rank)
// `scatterAdd` (adjoint of gather): out[q] = sum_{j: idx[q with q[dim] := j] = q[dim]} g[q with q[dim] := j],
//   zero where q lies outside idx's extent on another axis. Params: scatterAddLayout(rank)
import { bindings, linearMain, paramLayout, type WType } from './common.js';

/** [n] outputs; x viewed as [O, D, R] (indexAdd: the output), J indices */
export const INDEX_SELECT = paramLayout({ n: 'u32', O: 'u32', D: 'u32', R: 'u32', J: 'u32' });
export const gatherLayout = (rank: number) => paramLayout({ n: 'u32', idxShape: ['u32', rank], xStrides: ['u32', rank] });
export const scatterAddLayout = (rank: number) => paramLayout({ n: 'u32', outShape: ['u32', rank], idxShape: ['u32', rank] });
const S = INDEX_SELECT;

export function indexSelectWGSL(type: WType): string {
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'x', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= ${S.get('n')}) { return; }
  let D = ${S.get('D')}; let R = ${S.get('R')}; let J = ${S.get('J')};
  let r = i % R; let j = (i / R) % J; let o = i / (R * J);
  let d = u32(idx[j]);
  out[i] = x[(o * D + d) * R + r];
}
`;
}

export function indexAddWGSL(type: WType): string {
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'g', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= ${S.get('n')}) { return; }
  let D = ${S.get('D')}; let R = ${S.get('R')}; let J = ${S.get('J')};
  let r = i % R; let d = (i / R) % D; let o = i / (R * D);
  var acc: ${type} = ${type}(0);
  for (var j: u32 = 0u; j < J; j++) {
    if (u32(idx[j]) == d) { acc += g[(o * J + j) * R + r]; }
  }
  out[i] = acc;
}
`;
}

export function gatherWGSL(type: WType, rank: number, dim: number): string {
  const L = gatherLayout(rank);
  const lines: string[] = [];
  for (let d = rank - 1; d >= 0; d--) {
    const dimSize = L.get('idxShape', d), stride = L.get('xStrides', d);
    lines.push(`{ let c = rem % ${dimSize}; rem = rem / ${dimSize}; ${d === dim ? `xo += u32(idx[i]) * ${stride};` : `xo += c * ${stride};`} }`);
  }
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'x', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= ${L.get('n')}) { return; }
  var rem = i; var xo: u32 = 0u;
  ${lines.join('\n  ')}
  out[i] = x[xo];
}
`;
}

export function scatterAddWGSL(type: WType, rank: number, dim: number): string {
  const L = scatterAddLayout(rank);
  const coords: string[] = [];
  for (let d = rank - 1; d >= 0; d--) coords.push(`c[${d}] = rem % ${L.get('outShape', d)}; rem = rem / ${L.get('outShape', d)};`);
  // linear index into g/idx (both shaped like idx) with coordinate `dim` replaced by j
  const terms: string[] = [];
  for (let d = 0; d < rank; d++) terms.push(`gi = gi * ${L.get('idxShape', d)} + ${d === dim ? 'j' : `c[${d}]`};`);
  const outside = Array.from({ length: rank }, (_, d) => d).filter((d) => d !== dim).map((d) => `c[${d}] >= ${L.get('idxShape', d)}`);
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'g', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= ${L.get('n')}) { return; }
  var c: array<u32, ${rank}>;
  var rem = i;
  ${coords.join('\n  ')}
  var acc: ${type} = ${type}(0);
  if (!(${outside.length ? outside.join(' || ') : 'false'})) {
    for (var j: u32 = 0u; j < ${L.get('idxShape', dim)}; j++) {
      var gi: u32 = 0u;
      ${terms.join(' ')}
      if (u32(idx[gi]) == c[${dim}]) { acc += g[gi]; }
    }
  }
  out[i] = acc;
}
`;
}
