// Reduction kernel template: out[r] = REDUCE_j x[r, j] for a strided view whose logical shape is
// [...outerDims, ...innerDims] (both sides collapsed on the host).
// Two shapes of work: `row` (one invocation per output row; short rows) and `wg` (one 256-wide workgroup per
// row, tree reduction in workgroup memory; long rows). Arg-reductions carry (value, index) pairs and keep the
// first index among ties, as PyTorch does.
// Long rows with few outputs can also be split into `segments` per row (wg mode): workgroup w reduces segment
// w % segments of row w / segments into out[w], and a second reduction combines the partial results. Not for the
// arg-reductions (their partial results would need indices too).
// Params: reduceLayout(spec).
import { bindings, paramLayout, type WType } from './common.js';

export type ReduceKind = 'sum' | 'sumsq' | 'max' | 'min' | 'argmax' | 'argmin';
export interface ReduceSpec { op: ReduceKind; inType: WType; outType: WType; outerRank: number; innerRank: number; mode: 'row' | 'wg' }
export const REDUCE_WG = 256;

/** [outer] rows, [inner] elements per row (both sides collapsed), [segments] per row and their length */
export function reduceLayout(s: ReduceSpec) {
  return paramLayout({
    outer: 'u32', inner: 'u32', outerShape: ['u32', s.outerRank], innerShape: ['u32', s.innerRank], offset: 'i32',
    outerStrides: ['i32', s.outerRank], innerStrides: ['i32', s.innerRank], segments: 'u32', segLen: 'u32',
  });
}
type ReduceLayout = ReturnType<typeof reduceLayout>;

function decompose(L: ReduceLayout, idx: string, rank: number, side: 'outer' | 'inner', acc: string): string {
  const shape = side === 'outer' ? 'outerShape' : 'innerShape', strides = side === 'outer' ? 'outerStrides' : 'innerStrides';
  const lines = [`var ${acc}: i32 = 0;`, `{ var rem: u32 = ${idx};`];
  for (let d = rank - 1; d >= 0; d--) {
    if (d > 0) lines.push(`  { let dim = ${L.get(shape, d)}; ${acc} += i32(rem % dim) * ${L.get(strides, d)}; rem = rem / dim; }`);
    else lines.push(`  ${acc} += i32(rem) * ${L.get(strides, 0)};`);
  }
  lines.push('}');
  return lines.join('\n  ');
}

export function reduceWGSL(s: ReduceSpec): string {
  const L = reduceLayout(s);
  const T = s.inType;
  const isArg = s.op === 'argmax' || s.op === 'argmin';
  const lowest = T === 'f32' ? '-f32_inf()' : T === 'i32' ? 'i32(-2147483647 - 1)' : '0u';
  const highest = T === 'f32' ? 'f32_inf()' : T === 'i32' ? 'i32(2147483647)' : '0xffffffffu';
  const init = s.op === 'sum' || s.op === 'sumsq' ? `${T}(0)` : s.op === 'max' || s.op === 'argmax' ? lowest : highest;
  // better(a, b): does candidate value b replace a?
  const better = s.op === 'argmax' || s.op === 'max' ? '(bv > av)' : '(bv < av)';
  const combineVal = s.op === 'sum' ? 'av + bv' : s.op === 'sumsq' ? 'av + bv * bv' : s.op === 'max' ? 'max(av, bv)' : s.op === 'min' ? 'min(av, bv)' : '';

  const load = `${decompose(L, 'j', s.innerRank, 'inner', 'io')}
      let bv = x[u32(base + io)]; let bi = j;`;
  const step = isArg
    ? `if (${better} || (bv == av && bi < ai)) { av = bv; ai = bi; }`
    : `av = ${combineVal};`;
  // combining two partial results (the workgroup tree): sums of squares add like sums
  const merge = s.op === 'sumsq' ? 'av = av + bv;' : step;
  const store = (at: string) => (isArg ? `out[${at}] = i32(ai);` : `out[${at}] = ${s.outType}(av);`);

  const head = `fn f32_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
${bindings([{ name: 'out', type: s.outType, access: 'read_write' }], [{ name: 'x', type: T, access: 'read' }])}
`;
  const rowBase = `${decompose(L, 'row', s.outerRank, 'outer', 'ro')}
  let base = ${L.get('offset')} + ro;`;

  if (s.mode === 'row') {
    return `${head}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * 64u;
  if (row >= ${L.get('outer')}) { return; }
  let inner = ${L.get('inner')};
  ${rowBase}
  var av: ${T} = ${init};
  var ai: u32 = 0xffffffffu;
  for (var j: u32 = 0u; j < inner; j++) {
    ${load}
    ${step}
  }
  ${store('row')}
}
`;
  }
  return `${head}
var<workgroup> sv: array<${T}, ${REDUCE_WG}>;
var<workgroup> si: array<u32, ${REDUCE_WG}>;
@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.x + wid.y * nwg.x;
  let row = w / ${L.get('segments')};
  let seg = w % ${L.get('segments')};
  let segLen = ${L.get('segLen')};
  let inner = min(${L.get('inner')}, (seg + 1u) * segLen);
  ${rowBase}
  var av: ${T} = ${init};
  var ai: u32 = 0xffffffffu;
  if (row < ${L.get('outer')}) {
    for (var j: u32 = seg * segLen + lid; j < inner; j += ${REDUCE_WG}u) {
      ${load}
      ${step}
    }
  }
  sv[lid] = av; si[lid] = ai;
  workgroupBarrier();
  for (var s: u32 = ${REDUCE_WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      av = sv[lid]; ai = si[lid];
      let bv = sv[lid + s]; let bi = si[lid + s];
      ${merge}
      sv[lid] = av; si[lid] = ai;
    }
    workgroupBarrier();
  }
  if (lid == 0u && row < ${L.get('outer')}) {
    av = sv[0]; ai = si[0];
    ${store('w')}
  }
}
`;
}
