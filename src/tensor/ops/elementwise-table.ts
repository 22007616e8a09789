// Every elementwise op declared once: its WGSL expression (for the WebGPU kernel template) and its float64
// definition (for the CPU oracle). VJPs live in elementwise.ts, in tables with an entry (a rule or 'nondiff') for
// every unary and binary op here, so a new op without a gradient rule is a type error.
//
// In WGSL expressions the inputs are `a`, `b`, `c` (already loaded in their storage type) and the op's float
// parameters are `p0`, `p1`. `ctx.t` is the WGSL type of the first tensor input and `ctx.o` the output type.
// Helper functions (erfc_, log1p_, expm1_, pow_, tanh_) are in shaders/elementwise.ts's prelude.
import type { DType } from '../dtype.js';

export interface ExprContext { t: 'f32' | 'i32' | 'u32'; o: 'f32' | 'i32' | 'u32' }

export interface ElementwiseOp {
  readonly name: string;
  readonly arity: 1 | 2 | 3;
  readonly wgsl: (ctx: ExprContext) => string;
  readonly f64: (a: number, b: number, c: number, p: readonly number[]) => number;
  /** output dtype: the first input's ('same'), bool, or a fixed dtype */
  readonly out: 'same' | 'bool' | DType;
  /** dtypes accepted for the first input (default: f32 only) */
  readonly accepts?: readonly DType[];
}

const FLOAT: readonly DType[] = ['f32'];
const NUM: readonly DType[] = ['f32', 'i32', 'u32'];
const ANY: readonly DType[] = ['f32', 'i32', 'u32', 'bool'];

// ---- float64 helpers for the oracle ----
const SQRT1_2 = Math.SQRT1_2;
/** erfc in float64: power series for |x| < 3 (via erf), continued fraction beyond. ~1e-15 relative. */
export function erfc64(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc64(-x);
  if (x < 3) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Lentz evaluation of erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  let f = x, C = x, D = 0;
  for (let k = 1; k < 300; k++) {
    const a = k / 2;
    D = x + a * D; D = 1 / D;
    C = x + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
export const erf64 = (x: number) => 1 - erfc64(x);
const sigmoid64 = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const gelu64 = (x: number) => 0.5 * x * erfc64(-x * SQRT1_2);
const K_TANH = Math.sqrt(2 / Math.PI);
const geluTanh64 = (x: number) => 0.5 * x * (1 + Math.tanh(K_TANH * (x + 0.044715 * x * x * x)));
const softplus64 = (x: number, beta: number, th: number) => (beta * x > th ? x : Math.log1p(Math.exp(beta * x)) / beta);
/** torch.pow semantics: 0^0 = 1, negative base only with integer exponents */
const pow64 = (a: number, b: number) => Math.pow(a, b);

// generic so that each entry keeps its literal arity (UnaryOpName / BinaryOpName below are derived from it)
const op = <A extends ElementwiseOp['arity']>(o: ElementwiseOp & { readonly arity: A }) => o;

export const ELEMENTWISE_OPS = {
  // ---- unary ----
  copy: op({ name: 'copy', arity: 1, out: 'same', accepts: ANY, wgsl: () => 'a', f64: (a) => a }),
  cast: op({ name: 'cast', arity: 1, out: 'same', accepts: ANY, f64: (a) => a,
    wgsl: (c) => (c.t === c.o ? 'a' : `${c.o}(a)`) }),
  castBool: op({ name: 'castBool', arity: 1, out: 'bool', accepts: ANY, f64: (a) => (a !== 0 ? 1 : 0),
    wgsl: (c) => `select(0u, 1u, a != ${c.t}(0))` }),
  castTrunc: op({ name: 'castTrunc', arity: 1, out: 'i32', accepts: FLOAT, f64: (a) => Math.trunc(a), wgsl: () => 'i32(a)' }),
  neg: op({ name: 'neg', arity: 1, out: 'same', accepts: ['f32', 'i32'], wgsl: () => '-a', f64: (a) => -a }),
  abs: op({ name: 'abs', arity: 1, out: 'same', accepts: ['f32', 'i32'], wgsl: () => 'abs(a)', f64: (a) => Math.abs(a) }),
  exp: op({ name: 'exp', arity: 1, out: 'same', wgsl: () => 'exp(a)', f64: (a) => Math.exp(a) }),
  log: op({ name: 'log', arity: 1, out: 'same', wgsl: () => 'log(a)', f64: (a) => Math.log(a) }),
  log1p: op({ name: 'log1p', arity: 1, out: 'same', wgsl: () => 'log1p_(a)', f64: (a) => Math.log1p(a) }),
  expm1: op({ name: 'expm1', arity: 1, out: 'same', wgsl: () => 'expm1_(a)', f64: (a) => Math.expm1(a) }),
  sqrt: op({ name: 'sqrt', arity: 1, out: 'same', wgsl: () => 'sqrt(a)', f64: (a) => Math.sqrt(a) }),
  rsqrt: op({ name: 'rsqrt', arity: 1, out: 'same', wgsl: () => '1.0 / sqrt(a)', f64: (a) => 1 / Math.sqrt(a) }),
  reciprocal: op({ name: 'reciprocal', arity: 1, out: 'same', wgsl: () => '1.0 / a', f64: (a) => 1 / a }),
  square: op({ name: 'square', arity: 1, out: 'same', accepts: ['f32', 'i32'], wgsl: () => 'a * a', f64: (a) => a * a }),
  sin: op({ name: 'sin', arity: 1, out: 'same', wgsl: () => 'sin_(a)', f64: (a) => Math.sin(a) }),
  cos: op({ name: 'cos', arity: 1, out: 'same', wgsl: () => 'cos_(a)', f64: (a) => Math.cos(a) }),
  tanh: op({ name: 'tanh', arity: 1, out: 'same', wgsl: () => 'tanh_(a)', f64: (a) => Math.tanh(a) }),
  sigmoid: op({ name: 'sigmoid', arity: 1, out: 'same', wgsl: () => 'sigmoid_(a)', f64: (a) => sigmoid64(a) }),
  relu: op({ name: 'relu', arity: 1, out: 'same', accepts: ['f32', 'i32'], wgsl: (c) => `max(a, ${c.t}(0))`, f64: (a) => Math.max(a, 0) }),
  gelu: op({ name: 'gelu', arity: 1, out: 'same', wgsl: () => '0.5 * a * erfc_(-a * 0.70710678118654752)', f64: gelu64 }),
  geluTanh: op({ name: 'geluTanh', arity: 1, out: 'same', f64: geluTanh64,
    wgsl: () => '0.5 * a * (1.0 + tanh_(0.7978845608028654 * (a + 0.044715 * a * a * a)))' }),
  erf: op({ name: 'erf', arity: 1, out: 'same', wgsl: () => '1.0 - erfc_(a)', f64: erf64 }),
  elu: op({ name: 'elu', arity: 1, out: 'same', wgsl: () => 'select(p0 * expm1_(a), a, a > 0.0)', f64: (a, _b, _c, p) => (a > 0 ? a : p[0] * Math.expm1(a)) }),
  softplus: op({ name: 'softplus', arity: 1, out: 'same', f64: (a, _b, _c, p) => softplus64(a, p[0], p[1]),
    wgsl: () => 'select(log1p_(exp(p0 * a)) / p0, a, p0 * a > p1)' }),
  sign: op({ name: 'sign', arity: 1, out: 'same', accepts: ['f32', 'i32'], wgsl: () => 'sign(a)', f64: (a) => Math.sign(a) }),
  clamp: op({ name: 'clamp', arity: 1, out: 'same', accepts: NUM, wgsl: (c) => `min(max(a, ${c.t}(p0)), ${c.t}(p1))`, f64: (a, _b, _c, p) => Math.min(Math.max(a, p[0]), p[1]) }),
  floor: op({ name: 'floor', arity: 1, out: 'same', wgsl: () => 'floor(a)', f64: (a) => Math.floor(a) }),
  round: op({ name: 'round', arity: 1, out: 'same', wgsl: () => 'round(a)', f64: (a) => roundHalfEven(a) }),
  logicalNot: op({ name: 'logicalNot', arity: 1, out: 'bool', accepts: ANY, wgsl: (c) => `select(0u, 1u, a == ${c.t}(0))`, f64: (a) => (a === 0 ? 1 : 0) }),
  isnan: op({ name: 'isnan', arity: 1, out: 'bool', wgsl: () => 'select(0u, 1u, a != a)', f64: (a) => (Number.isNaN(a) ? 1 : 0) }),
  // ---- binary (both tensor inputs have the same dtype) ----
  add: op({ name: 'add', arity: 2, out: 'same', accepts: NUM, wgsl: () => 'a + b', f64: (a, b) => a + b }),
  sub: op({ name: 'sub', arity: 2, out: 'same', accepts: NUM, wgsl: () => 'a - b', f64: (a, b) => a - b }),
  mul: op({ name: 'mul', arity: 2, out: 'same', accepts: NUM, wgsl: () => 'a * b', f64: (a, b) => a * b }),
  div: op({ name: 'div', arity: 2, out: 'same', wgsl: () => 'a / b', f64: (a, b) => a / b }),
  pow: op({ name: 'pow', arity: 2, out: 'same', wgsl: () => 'pow_(a, b)', f64: pow64 }),
  atan2: op({ name: 'atan2', arity: 2, out: 'same', wgsl: () => 'atan2(a, b)', f64: (a, b) => Math.atan2(a, b) }),
  maximum: op({ name: 'maximum', arity: 2, out: 'same', accepts: NUM, wgsl: () => 'max(a, b)', f64: (a, b) => Math.max(a, b) }),
  minimum: op({ name: 'minimum', arity: 2, out: 'same', accepts: NUM, wgsl: () => 'min(a, b)', f64: (a, b) => Math.min(a, b) }),
  eq: op({ name: 'eq', arity: 2, out: 'bool', accepts: ANY, wgsl: () => 'select(0u, 1u, a == b)', f64: (a, b) => (a === b ? 1 : 0) }),
  ne: op({ name: 'ne', arity: 2, out: 'bool', accepts: ANY, wgsl: () => 'select(0u, 1u, a != b)', f64: (a, b) => (a !== b ? 1 : 0) }),
  lt: op({ name: 'lt', arity: 2, out: 'bool', accepts: NUM, wgsl: () => 'select(0u, 1u, a < b)', f64: (a, b) => (a < b ? 1 : 0) }),
  le: op({ name: 'le', arity: 2, out: 'bool', accepts: NUM, wgsl: () => 'select(0u, 1u, a <= b)', f64: (a, b) => (a <= b ? 1 : 0) }),
  gt: op({ name: 'gt', arity: 2, out: 'bool', accepts: NUM, wgsl: () => 'select(0u, 1u, a > b)', f64: (a, b) => (a > b ? 1 : 0) }),
  ge: op({ name: 'ge', arity: 2, out: 'bool', accepts: NUM, wgsl: () => 'select(0u, 1u, a >= b)', f64: (a, b) => (a >= b ? 1 : 0) }),
  logicalAnd: op({ name: 'logicalAnd', arity: 2, out: 'bool', accepts: ['bool'], wgsl: () => 'select(0u, 1u, a != 0u && b != 0u)', f64: (a, b) => (a && b ? 1 : 0) }),
  logicalOr: op({ name: 'logicalOr', arity: 2, out: 'bool', accepts: ['bool'], wgsl: () => 'select(0u, 1u, a != 0u || b != 0u)', f64: (a, b) => (a || b ? 1 : 0) }),
  // ---- ternary: fma(a, b, c) = a * b + c (one pass instead of two) ----
  fma: op({ name: 'fma', arity: 3, out: 'same', wgsl: () => 'a * b + c', f64: (a, b, c) => a * b + c }),
  // ---- ternary: where(cond, a, b); cond is bool, a and b share a dtype (the output's) ----
  where: op({ name: 'where', arity: 3, out: 'same', accepts: ANY, wgsl: () => 'select(c, b, a != 0u)', f64: (a, b, c) => (a !== 0 ? b : c) }),
  // ---- fused backward helpers: (x or y, g) -> dL/dx ----
  reluBw: op({ name: 'reluBw', arity: 2, out: 'same', wgsl: () => 'select(0.0, b, a > 0.0)', f64: (a, b) => (a > 0 ? b : 0) }),
  sigmoidBw: op({ name: 'sigmoidBw', arity: 2, out: 'same', wgsl: () => 'b * a * (1.0 - a)', f64: (a, b) => b * a * (1 - a) }),
  tanhBw: op({ name: 'tanhBw', arity: 2, out: 'same', wgsl: () => 'b * (1.0 - a * a)', f64: (a, b) => b * (1 - a * a) }),
  geluBw: op({ name: 'geluBw', arity: 2, out: 'same',
    wgsl: () => 'b * (0.5 * erfc_(-a * 0.70710678118654752) + a * 0.3989422804014327 * exp(-0.5 * a * a))',
    f64: (a, b) => b * (0.5 * erfc64(-a * SQRT1_2) + (a * Math.exp(-0.5 * a * a)) / Math.sqrt(2 * Math.PI)) }),
  geluTanhBw: op({ name: 'geluTanhBw', arity: 2, out: 'same',
    wgsl: () => 'b * geluTanhGrad_(a)',
    f64: (a, b) => {
      const u = K_TANH * (a + 0.044715 * a * a * a), t = Math.tanh(u);
      return b * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * K_TANH * (1 + 3 * 0.044715 * a * a));
    } }),
  eluBw: op({ name: 'eluBw', arity: 2, out: 'same', wgsl: () => 'select(b * p0 * exp(a), b, a > 0.0)', f64: (a, b, _c, p) => (a > 0 ? b : b * p[0] * Math.exp(a)) }),
  softplusBw: op({ name: 'softplusBw', arity: 2, out: 'same', wgsl: () => 'select(b * sigmoid_(p0 * a), b, p0 * a > p1)', f64: (a, b, _c, p) => (p[0] * a > p[1] ? b : b * sigmoid64(p[0] * a)) }),
  clampBw: op({ name: 'clampBw', arity: 2, out: 'same', wgsl: () => 'select(0.0, b, a >= p0 && a <= p1)', f64: (a, b, _c, p) => (a >= p[0] && a <= p[1] ? b : 0) }),
  absBw: op({ name: 'absBw', arity: 2, out: 'same', wgsl: () => 'b * sign(a)', f64: (a, b) => b * Math.sign(a) }),
} as const;

export type ElementwiseOpName = keyof typeof ELEMENTWISE_OPS;

type OpsOfArity<A extends ElementwiseOp['arity']> =
  { [K in ElementwiseOpName]: (typeof ELEMENTWISE_OPS)[K]['arity'] extends A ? K : never }[ElementwiseOpName];
/** Ops taking one tensor (each has an entry in the unary VJP table of elementwise.ts). */
export type UnaryOpName = OpsOfArity<1>;
/** Ops taking two operands (each has an entry in the binary VJP table of elementwise.ts). */
export type BinaryOpName = OpsOfArity<2>;

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
