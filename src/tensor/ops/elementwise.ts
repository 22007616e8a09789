// Elementwise ops (unary, binary with NumPy broadcasting, where) and their VJPs, on top of the op table.
import { DTypeError } from '../../errors.js';
import { Tensor } from '../tensor.js';
import { record } from '../autograd.js';
import type { DType } from '../dtype.js';
import type { Operand } from '../backend/backend.js';
import { broadcastShapes } from '../shape.js';
import { ELEMENTWISE_OPS, type BinaryOpName, type ElementwiseOpName, type UnaryOpName } from './elementwise-table.js';
import { backendOf, sumToShape, wrap } from './core.js';

export type TensorLike = Tensor | number;

/** Run a table op on tensors and JS numbers (numbers take the tensors' dtype). No gradient recording. */
export function elementwise(name: ElementwiseOpName, inputs: TensorLike[], params: readonly number[] = [], outDTypeOverride?: DType): Tensor {
  const op = ELEMENTWISE_OPS[name];
  const backend = backendOf(name, ...inputs);
  const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
  // where(cond, a, b): the value operands fix the dtype; otherwise every tensor operand must agree
  const valueInputs = name === 'where' ? inputs.slice(1) : inputs;
  const valueTensors = valueInputs.filter((x): x is Tensor => x instanceof Tensor);
  const dtype: DType = valueTensors[0]?.dtype ?? (name === 'where' ? 'f32' : tensors[0]?.dtype ?? 'f32');
  for (const t of valueTensors) {
    if (t.dtype !== dtype) throw new DTypeError(`${name}: operands must have the same dtype, got ${dtype} and ${t.dtype}; convert one with .to('${dtype}')`);
  }
  const checkDType = name === 'where' ? (inputs[0] instanceof Tensor ? inputs[0].dtype : 'bool') : dtype;
  const accepts = op.accepts ?? ['f32'];
  if (name !== 'where' && !accepts.includes(checkDType)) throw new DTypeError(`${name}: input must be ${accepts.join(' or ')}, got ${checkDType}`);
  if (name === 'where' && checkDType !== 'bool') throw new DTypeError(`where: the condition must be bool, got ${checkDType}; compare first (e.g. x.gt(0))`);
  const outShape = broadcastShapes(name, ...tensors.map((t) => t.shape));
  const operands: Operand[] = inputs.map((x, j) => {
    if (x instanceof Tensor) return x.backendView(name);
    return { scalar: x, dtype: name === 'where' && j === 0 ? 'bool' : dtype };
  });
  const outDType: DType = outDTypeOverride ?? (op.out === 'same' ? dtype : op.out);
  return wrap(backend, backend.elementwise(op, operands, outShape, outDType, params), outShape, outDType);
}

const t = (x: TensorLike): x is Tensor => x instanceof Tensor;

// ------------------------------------------------------------------ VJP tables
// One entry per op, so that an op added to the table without a gradient rule is a type error rather than a
// silent stop of gradients. 'nondiff' marks ops whose output carries no gradient, as in PyTorch: comparisons,
// logical ops, isnan and casts to integer or bool give tensors with requiresGrad false (the recorded graph
// ends there; gradients still flow through the other operands of whatever uses them). The fused backward
// helpers (...Bw) only run inside VJPs, under noGrad: there are no higher-order gradients.
export type Nondiff = 'nondiff';
type UnaryVjp = (g: Tensor, x: Tensor, y: Tensor, p: readonly number[]) => Tensor;
export const UNARY_VJP: Readonly<Record<UnaryOpName, UnaryVjp | Nondiff>> = {
  neg: (g) => g.neg(),
  abs: (g, x) => elementwise('absBw', [x, g]),
  exp: (g, _x, y) => g.mul(y),
  log: (g, x) => g.div(x),
  log1p: (g, x) => g.div(x.add(1)),
  expm1: (g, _x, y) => g.mul(y.add(1)),
  sqrt: (g, _x, y) => g.mul(0.5).div(y),
  rsqrt: (g, _x, y) => g.mul(y.mul(y).mul(y)).mul(-0.5),
  reciprocal: (g, _x, y) => g.mul(y.mul(y)).neg(),
  square: (g, x) => g.mul(x).mul(2),
  sin: (g, x) => g.mul(x.cos()),
  cos: (g, x) => g.mul(x.sin()).neg(),
  tanh: (g, _x, y) => elementwise('tanhBw', [y, g]),
  sigmoid: (g, _x, y) => elementwise('sigmoidBw', [y, g]),
  relu: (g, x) => elementwise('reluBw', [x, g]),
  gelu: (g, x) => elementwise('geluBw', [x, g]),
  geluTanh: (g, x) => elementwise('geluTanhBw', [x, g]),
  erf: (g, x) => g.mul(x.square().neg().exp()).mul(2 / Math.sqrt(Math.PI)),
  elu: (g, x, _y, p) => elementwise('eluBw', [x, g], p),
  softplus: (g, x, _y, p) => elementwise('softplusBw', [x, g], p),
  clamp: (g, x, _y, p) => elementwise('clampBw', [x, g], p),
  sign: (g) => g.zerosLike(),
  floor: (g) => g.zerosLike(),
  round: (g) => g.zerosLike(),
  copy: (g) => g,
  // to() records its own node (f32 -> f32 only); integer and bool results carry no gradient
  cast: 'nondiff',
  castBool: 'nondiff',
  castTrunc: 'nondiff',
  logicalNot: 'nondiff',
  isnan: 'nondiff',
};

export function unary(name: UnaryOpName, x: Tensor, params: readonly number[] = []): Tensor {
  const y = elementwise(name, [x], params);
  const vjp = UNARY_VJP[name];
  if (vjp !== 'nondiff' && x.requiresGrad) record(name, y, [x], (g) => [vjp(g, x, y, params)]);
  return y;
}

type BinaryVjp = (g: Tensor, a: TensorLike, b: TensorLike, y: Tensor) => [Tensor | null, Tensor | null];
export const BINARY_VJP: Readonly<Record<BinaryOpName, BinaryVjp | Nondiff>> = {
  add: (g) => [g, g],
  sub: (g) => [g, g.neg()],
  mul: (g, a, b) => [g.mul(b), g.mul(a)],
  div: (g, _a, b, y) => [g.div(b), g.mul(y).div(b).neg()],
  pow: (g, a, b, y) => {
    const ga = g.mul(b).mul(elementwise('pow', [a, t(b) ? b.sub(1) : b - 1]));
    // d/db a^b = a^b log a, taken as 0 where a <= 0 (as PyTorch does for a == 0)
    const gb = t(b) ? elementwise('where', [t(a) ? a.gt(0) : a > 0 ? 1 : 0, g.mul(y).mul(t(a) ? a.log() : Math.log(Math.max(a, 1e-45))), 0]) : null;
    return [ga, gb];
  },
  atan2: (g, a, b) => {
    const sq = (v: TensorLike): TensorLike => (t(v) ? v.square() : v * v);
    const den = elementwise('add', [sq(a), sq(b)]);
    return [g.mul(b).div(den), g.mul(a).div(den).neg()];
  },
  maximum: (g, a, b) => minMaxVjp(g, a, b, 'gt'),
  minimum: (g, a, b) => minMaxVjp(g, a, b, 'lt'),
  eq: 'nondiff',
  ne: 'nondiff',
  lt: 'nondiff',
  le: 'nondiff',
  gt: 'nondiff',
  ge: 'nondiff',
  logicalAnd: 'nondiff',
  logicalOr: 'nondiff',
  reluBw: 'nondiff',
  sigmoidBw: 'nondiff',
  tanhBw: 'nondiff',
  geluBw: 'nondiff',
  geluTanhBw: 'nondiff',
  eluBw: 'nondiff',
  softplusBw: 'nondiff',
  clampBw: 'nondiff',
  absBw: 'nondiff',
};

/** Gradient of maximum/minimum: to the winner, split evenly on ties (as PyTorch). */
function minMaxVjp(g: Tensor, a: TensorLike, b: TensorLike, wins: 'gt' | 'lt'): [Tensor, Tensor] {
  const wa = elementwise('where', [elementwise(wins, [a, b]), 1, elementwise('where', [elementwise('eq', [a, b]), 0.5, 0])]);
  return [g.mul(wa), g.mul(wa.neg().add(1))];
}

export function binary(name: BinaryOpName, a: TensorLike, b: TensorLike): Tensor {
  const y = elementwise(name, [a, b]);
  const vjp = BINARY_VJP[name];
  const inputs = [a, b].filter(t);
  if (vjp !== 'nondiff' && inputs.some((x) => x.requiresGrad)) {
    record(name, y, inputs, (g) => {
      const [ga, gb] = vjp(g, a, b, y);
      const out: (Tensor | null)[] = [];
      if (t(a)) out.push(ga && a.requiresGrad ? sumToShape(ga, a.shape) : null);
      if (t(b)) out.push(gb && b.requiresGrad ? sumToShape(gb, b.shape) : null);
      return out;
    });
  }
  return y;
}

export function where(cond: Tensor | number, a: TensorLike, b: TensorLike): Tensor {
  const y = elementwise('where', [cond, a, b]);
  const inputs = [a, b].filter(t);
  if (inputs.some((x) => x.requiresGrad)) {
    record('where', y, inputs, (g) => {
      const out: (Tensor | null)[] = [];
      if (t(a)) out.push(a.requiresGrad ? sumToShape(elementwise('where', [cond, g, 0]), a.shape) : null);
      if (t(b)) out.push(b.requiresGrad ? sumToShape(elementwise('where', [cond, 0, g]), b.shape) : null);
      return out;
    });
  }
  return y;
}

/** a * b + c with broadcasting, in one kernel. */
export function fma(a: TensorLike, b: TensorLike, c: TensorLike): Tensor {
  const y = elementwise('fma', [a, b, c]);
  const inputs = [a, b, c].filter(t);
  if (inputs.some((x) => x.requiresGrad)) {
    record('fma', y, inputs, (g) => {
      const out: (Tensor | null)[] = [];
      if (t(a)) out.push(a.requiresGrad ? sumToShape(g.mul(b), a.shape) : null);
      if (t(b)) out.push(b.requiresGrad ? sumToShape(g.mul(a), b.shape) : null);
      if (t(c)) out.push(c.requiresGrad ? sumToShape(g, c.shape) : null);
      return out;
    });
  }
  return y;
}
