// Indexing kernels over contiguous operands (the host makes them contiguous first).
// `indexSelect`: out[o, j, r] = x[o, idx[j], r]   (x: [O, D, R], idx: [J], out: [O, J, R])
//   Params: [n, O, D, R, J]
// `indexAdd` (its adjoint, deterministic: each output element sums its matches):
//   out[o, d, r] = sum_{j: idx[j] = d} g[o, j, r]. Params: [n, O, D, R, J]
// `gather` (torch.gather): out[p] = x[p with p[dim] := idx[p]]; idx and out share a shape.
//   Params: [n, idxShape[rank], xStrides[rank]]
// `scatterAdd` (adjoint of gather): out[q] = sum_{j: idx[q with q[dim] := j] = q[dim]} g[q with q[dim] := j],
//   zero where q lies outside idx's extent on another axis. Params: [n, outShape[rank], idxShape[rank]]
import { bindings, linearMain, type WType } from './common.js';

export function indexSelectWGSL(type: WType): string {
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'x', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= P[0]) { return; }
  let D = P[2]; let R = P[3]; let J = P[4];
  let r = i % R; let j = (i / R) % J; let o = i / (R * J);
  let d = u32(idx[j]);
  out[i] = x[(o * D + d) * R + r];
}
`;
}

export function indexAddWGSL(type: WType): string {
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'g', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= P[0]) { return; }
  let D = P[2]; let R = P[3]; let J = P[4];
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
  const shapeAt = 1, xStrAt = 1 + rank;
  const lines: string[] = [];
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`{ let c = rem % P[${shapeAt + d}u]; rem = rem / P[${shapeAt + d}u]; ${d === dim ? `xo += u32(idx[i]) * P[${xStrAt + d}u];` : `xo += c * P[${xStrAt + d}u];`} }`);
  }
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'x', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= P[0]) { return; }
  var rem = i; var xo: u32 = 0u;
  ${lines.join('\n  ')}
  out[i] = x[xo];
}
`;
}

export function scatterAddWGSL(type: WType, rank: number, dim: number): string {
  const outShapeAt = 1, idxShapeAt = 1 + rank;
  const coords: string[] = [];
  for (let d = rank - 1; d >= 0; d--) coords.push(`c[${d}] = rem % P[${outShapeAt + d}u]; rem = rem / P[${outShapeAt + d}u];`);
  // linear index into g/idx (both shaped like idx) with coordinate `dim` replaced by j
  const terms: string[] = [];
  for (let d = 0; d < rank; d++) terms.push(`gi = gi * P[${idxShapeAt + d}u] + ${d === dim ? 'j' : `c[${d}]`};`);
  const outside = Array.from({ length: rank }, (_, d) => d).filter((d) => d !== dim).map((d) => `c[${d}] >= P[${idxShapeAt + d}u]`);
  return `${bindings([{ name: 'out', type, access: 'read_write' }], [{ name: 'g', type, access: 'read' }, { name: 'idx', type: 'i32', access: 'read' }])}
${linearMain(256)}
  if (i >= P[0]) { return; }
  var c: array<u32, ${rank}>;
  var rem = i;
  ${coords.join('\n  ')}
  var acc: ${type} = ${type}(0);
  if (!(${outside.length ? outside.join(' || ') : 'false'})) {
    for (var j: u32 = 0u; j < P[${idxShapeAt + dim}u]; j++) {
      var gi: u32 = 0u;
      ${terms.join(' ')}
      if (u32(idx[gi]) == c[${dim}]) { acc += g[gi]; }
    }
  }
  out[i] = acc;
}
`;
}
