// Elementwise kernel template: out[i] = EXPR(a, b, c) over up to three operands broadcast to the output shape.
// Layout: output contiguous; each operand is `contig` (same linear index as the output), `strided` (offset and
// strides over the collapsed output shape, stride 0 = broadcast) or `scalar` (a constant in the params).
// Workgroup: 256 invocations, one output element each, 2-D grid past 65535 groups.
// Params: elementwiseLayout(spec).
import { TILE, bindings, linearMain, paramLayout, stridedOffsets, tiledMain, type FieldSpec, type WType } from './common.js';
import { TRIG_WGSL } from './trig.js';

export type OperandMode = 'contig' | 'strided' | 'scalar';
/**
 * How invocations map to elements: `linear` (one element each; strided operands decompose the index with
 * integer division), `unroll4` (every operand contiguous: four elements each, at i, i+q, i+2q, i+3q), `grid`
 * (rank <= 3: a 3-D dispatch whose ids are the coordinates, so strided operands need no division, which is
 * slow per lane on CPU adapters).
 */
export type ElementwiseLayout = 'linear' | 'unroll4' | 'grid';
export interface ElementwiseSpec {
  rank: number;
  operands: { mode: OperandMode; type: WType }[];
  outType: WType;
  /** WGSL expression in a, b, c, p0..p3 */
  expr: string;
  nParams: number;
  layout: ElementwiseLayout;
}

export const WG = 256;
export const GRID_WG = 64;

/** Operand names, in order (the expression's variables and their parameter fields). */
export const OPERAND_NAMES = ['a', 'b', 'c'] as const;

/**
 * Parameters, given the spec: [n] elements, the collapsed [shape], per operand (a, b, c): contig -> its offset;
 * strided -> offset then strides[rank]; scalar -> its value; then the op's float params [p]; `grid` layout: the
 * tile base.
 */
export function elementwiseLayout(spec: ElementwiseSpec) {
  const operands: Partial<Record<(typeof OPERAND_NAMES)[number], FieldSpec>> = {};
  spec.operands.forEach((o, j) => {
    operands[OPERAND_NAMES[j]] = o.mode === 'scalar' ? o.type : o.mode === 'strided' ? ['i32', 1 + spec.rank] : 'i32';
  });
  return paramLayout({ n: 'u32', shape: ['u32', spec.rank], ...operands, p: ['f32', spec.nParams], ...(spec.layout === 'grid' ? { tile: TILE } : {}) });
}

export function elementwiseWGSL(spec: ElementwiseSpec): string {
  const L = elementwiseLayout(spec);
  const names = OPERAND_NAMES;
  const inputs = spec.operands.map((o, j) => ({ o, j })).filter(({ o }) => o.mode !== 'scalar');
  const strided = spec.operands.map((o, j) => ({ o, j })).filter(({ o }) => o.mode === 'strided');
  const loads = spec.operands.map((o, j) => {
    const n = names[j];
    if (o.mode === 'scalar') return `let ${n} = ${L.get(n)};`;
    if (o.mode === 'contig') return `let ${n} = in_${n}[u32(${L.get(n)}) + i];`;
    return `let ${n} = in_${n}[o_${n}];`;
  });
  const params = Array.from({ length: spec.nParams }, (_, k) => `let p${k} = ${L.get('p', k)};`);
  const head = `${PRELUDE}
${bindings([{ name: 'out', type: spec.outType, access: 'read_write' }], inputs.map(({ o, j }) => ({ name: `in_${names[j]}`, type: o.type, access: 'read' as const })))}
`;
  const compute = `${loads.join('\n  ')}
  ${params.join('\n  ')}
  out[i] = ${spec.outType}(${spec.expr});`;
  if (spec.layout === 'unroll4') {
    return `${head}
fn elem(i: u32) {
  ${compute}
}
${linearMain(WG).replace('let i =', 'let t =')}
  let n = ${L.get('n')}; let q = (n + 3u) / 4u;
  if (t >= q) { return; }
  for (var k = 0u; k < 4u; k++) { let i = t + k * q; if (i < n) { elem(i); } }
}
`;
  }
  if (spec.layout === 'grid') {
    // dims [d0, d1, d2] (rank padded to 3 on the left); ids: x = last dim, y = middle, z = first
    const r = spec.rank;
    const dim = (d: number) => (d < 3 - r ? '1u' : L.get('shape', d - (3 - r)));
    const coord = ['gid.z', 'gid.y', 'gid.x'];
    const offs = strided.map(({ j }) => {
      const terms = [0, 1, 2].filter((d) => d >= 3 - r).map((d) => `i32(${coord[d]}) * ${L.get(names[j], 1 + d - (3 - r))}`);
      return `let o_${names[j]} = ${L.get(names[j])} + ${terms.join(' + ')};`;
    });
    return `${head}
${tiledMain(L.at('tile'), [GRID_WG])}
  let d1 = ${dim(1)}; let d2 = ${dim(2)};
  if (gid.x >= d2) { return; }
  let i = (gid.z * d1 + gid.y) * d2 + gid.x;
  ${offs.join('\n  ')}
  ${compute}
}
`;
  }
  return `${head}
${linearMain(WG)}
  if (i >= ${L.get('n')}) { return; }
  ${stridedOffsets('i', spec.rank, L.at('shape'), strided.map(({ j }) => `o_${names[j]}`), strided.map(({ j }) => L.at(names[j])), strided.map(({ j }) => L.at(names[j], 1)))}
  ${compute}
}
`;
}

/** Numerically careful helpers used by elementwise expressions (see src/tensor/ops/elementwise-table.ts). */
export const PRELUDE = `${TRIG_WGSL}
// (through a var: WGSL rejects a constant expression that evaluates to inf or NaN)
fn f32_inf() -> f32 { var bits = 0x7f800000u; return bitcast<f32>(bits); }
fn f32_nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
// erfc with relative error < 1.2e-7 everywhere (Chebyshev-fitted exp(-z^2) * polynomial, Numerical Recipes' erfcc)
fn erfc_(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(2.0 - r, r, x >= 0.0);
}
// log(1+x) accurate near 0. Series only: shader compilers may rewrite (1 + x) - 1 as x, which breaks the
// usual Goldberg trick. For |x| < 0.5: log1p(x) = 2 atanh(s) with s = x / (2 + x), |s| <= 1/3.
fn log1p_(x: f32) -> f32 {
  if (abs(x) >= 0.5) { return log(1.0 + x); }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0 + s2 * (1.0 / 15.0))))))));
}
// exp(x) - 1 accurate near 0: Taylor series to x^11 for |x| <= 0.5 (relative error < 1e-10)
fn expm1_(x: f32) -> f32 {
  if (abs(x) > 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0 + x * (1.0 / 5040.0 +
         x * (1.0 / 40320.0 + x * (1.0 / 362880.0 + x * (1.0 / 3628800.0 + x / 39916800.0))))))))));
}
// tanh without overflow, accurate near 0: with e = expm1(-2|x|), tanh|x| = -e / (2 + e)
fn tanh_(x: f32) -> f32 {
  let e = expm1_(-2.0 * abs(x));
  return sign(x) * (-e) / (2.0 + e);
}
fn sigmoid_(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
// torch.pow: 0^0 = 1, 0^negative = inf, negative base only for integer exponents
fn pow_(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (a == 0.0) { return select(f32_inf(), 0.0, b > 0.0); }
  let r = pow(abs(a), b);
  if (a > 0.0) { return r; }
  if (floor(b) != b) { return f32_nan(); }
  return select(r, -r, fract(b * 0.5) != 0.0);
}
fn geluTanhGrad_(a: f32) -> f32 {
  let u = 0.7978845608028654 * (a + 0.044715 * a * a * a);
  let t = tanh_(u);
  return 0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * 0.7978845608028654 * (1.0 + 0.134145 * a * a);
}
`;
