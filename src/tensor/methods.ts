// Attaches the ops as Tensor methods (x.add(y), x.sum([0], true), ...). Kept apart from tensor.ts so the op
// modules can import Tensor without a cycle at load time.
import { Tensor } from './tensor.js';
import type { DType } from './dtype.js';
import { backward } from './autograd.js';
import { binary, unary, where, type TensorLike } from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as S from './ops/shape-ops.js';
import { matmul, type MatmulOptions } from './ops/matmul.js';
import { full } from './ops/creation.js';

declare module './tensor.js' {
  interface Tensor {
    // unary
    neg(): Tensor; abs(): Tensor; exp(): Tensor; log(): Tensor; log1p(): Tensor; expm1(): Tensor; sqrt(): Tensor; rsqrt(): Tensor;
    reciprocal(): Tensor; square(): Tensor; sin(): Tensor; cos(): Tensor; tanh(): Tensor; sigmoid(): Tensor; relu(): Tensor;
    gelu(approximate?: 'none' | 'tanh'): Tensor; erf(): Tensor; elu(alpha?: number): Tensor; softplus(beta?: number, threshold?: number): Tensor;
    sign(): Tensor; clamp(min?: number | null, max?: number | null): Tensor; floor(): Tensor; round(): Tensor;
    logicalNot(): Tensor; isnan(): Tensor;
    // binary
    add(o: TensorLike): Tensor; sub(o: TensorLike): Tensor; mul(o: TensorLike): Tensor; div(o: TensorLike): Tensor; pow(o: TensorLike): Tensor;
    atan2(o: TensorLike): Tensor; maximum(o: TensorLike): Tensor; minimum(o: TensorLike): Tensor;
    eq(o: TensorLike): Tensor; ne(o: TensorLike): Tensor; lt(o: TensorLike): Tensor; le(o: TensorLike): Tensor; gt(o: TensorLike): Tensor; ge(o: TensorLike): Tensor;
    logicalAnd(o: TensorLike): Tensor; logicalOr(o: TensorLike): Tensor;
    where(a: TensorLike, b: TensorLike): Tensor;
    matmul(o: Tensor, opts?: MatmulOptions): Tensor;
    // reductions
    sum(axes?: R.Axes, keepdim?: boolean): Tensor; mean(axes?: R.Axes, keepdim?: boolean): Tensor;
    max(axes?: R.Axes, keepdim?: boolean): Tensor; min(axes?: R.Axes, keepdim?: boolean): Tensor;
    argmax(axis?: number, keepdim?: boolean): Tensor; argmin(axis?: number, keepdim?: boolean): Tensor;
    var(axes?: R.Axes, opts?: R.VarOptions): Tensor; std(axes?: R.Axes, opts?: R.VarOptions): Tensor;
    norm(p?: number, axes?: R.Axes, keepdim?: boolean): Tensor; logsumexp(axes?: R.Axes, keepdim?: boolean): Tensor;
    softmax(axis?: number): Tensor; logSoftmax(axis?: number): Tensor;
    // shapes
    reshape(shape: readonly number[]): Tensor; permute(dims: readonly number[]): Tensor; transpose(d0?: number, d1?: number): Tensor;
    readonly mT: Tensor;
    slice(specs: readonly S.SliceSpec[]): Tensor; select(axis: number, i: number): Tensor; expand(shape: readonly number[]): Tensor; broadcastTo(shape: readonly number[]): Tensor;
    squeeze(axes?: number | readonly number[]): Tensor; unsqueeze(axis: number): Tensor; flip(axes: number | readonly number[]): Tensor;
    contiguous(): Tensor; contiguousCopy(): Tensor; to(dtype: DType): Tensor; clone(): Tensor;
    split(sizes: number | readonly number[], axis?: number): Tensor[]; pad(pads: readonly number[], mode?: S.PadMode, value?: number): Tensor;
    indexSelect(dim: number, idx: Tensor): Tensor; gather(dim: number, idx: Tensor): Tensor;
    /** in-place: write src into this tensor's storage (not recorded by autograd) */
    copy_(src: Tensor): Tensor;
    flatten(start?: number, end?: number): Tensor;
    // creation like this tensor
    zerosLike(): Tensor; onesLike(): Tensor; fullLike(v: number): Tensor;
    // autograd
    backward(gradOutput?: Tensor): void;
  }
}

const P = Tensor.prototype as unknown as Record<string, unknown>;
const U = (name: Parameters<typeof unary>[0]) => function (this: Tensor) { return unary(name, this); };
for (const n of ['neg', 'abs', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'reciprocal', 'square', 'sin', 'cos', 'tanh', 'sigmoid',
  'relu', 'erf', 'sign', 'floor', 'round'] as const) P[n] = U(n);
P.gelu = function (this: Tensor, approximate: 'none' | 'tanh' = 'none') { return unary(approximate === 'tanh' ? 'geluTanh' : 'gelu', this); };
P.elu = function (this: Tensor, alpha = 1) { return unary('elu', this, [alpha]); };
P.softplus = function (this: Tensor, beta = 1, threshold = 20) { return unary('softplus', this, [beta, threshold]); };
P.clamp = function (this: Tensor, lo?: number | null, hi?: number | null) { return unary('clamp', this, [lo ?? -Infinity, hi ?? Infinity]); };
P.logicalNot = U('logicalNot');
P.isnan = U('isnan');
const B = (name: Parameters<typeof binary>[0]) => function (this: Tensor, o: TensorLike) { return binary(name, this, o); };
for (const n of ['add', 'sub', 'mul', 'div', 'pow', 'atan2', 'maximum', 'minimum'] as const) P[n] = B(n);
for (const n of ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr'] as const) P[n] = B(n);
P.where = function (this: Tensor, a: TensorLike, b: TensorLike) { return where(this, a, b); };
P.matmul = function (this: Tensor, o: Tensor, opts?: MatmulOptions) { return matmul(this, o, opts); };

P.sum = function (this: Tensor, axes?: R.Axes, keepdim?: boolean) { return R.sum(this, axes, keepdim); };
P.mean = function (this: Tensor, axes?: R.Axes, keepdim?: boolean) { return R.mean(this, axes, keepdim); };
P.max = function (this: Tensor, axes?: R.Axes, keepdim?: boolean) { return R.max(this, axes, keepdim); };
P.min = function (this: Tensor, axes?: R.Axes, keepdim?: boolean) { return R.min(this, axes, keepdim); };
P.argmax = function (this: Tensor, axis?: number, keepdim?: boolean) { return R.argmax(this, axis, keepdim); };
P.argmin = function (this: Tensor, axis?: number, keepdim?: boolean) { return R.argmin(this, axis, keepdim); };
P.var = function (this: Tensor, axes?: R.Axes, opts?: R.VarOptions) { return R.variance(this, axes, opts); };
P.std = function (this: Tensor, axes?: R.Axes, opts?: R.VarOptions) { return R.std(this, axes, opts); };
P.norm = function (this: Tensor, p?: number, axes?: R.Axes, keepdim?: boolean) { return R.norm(this, p, axes, keepdim); };
P.logsumexp = function (this: Tensor, axes?: R.Axes, keepdim?: boolean) { return R.logsumexp(this, axes, keepdim); };
P.softmax = function (this: Tensor, axis?: number) { return R.softmax(this, axis); };
P.logSoftmax = function (this: Tensor, axis?: number) { return R.logSoftmax(this, axis); };

P.reshape = function (this: Tensor, s: readonly number[]) { return S.reshape(this, s); };
P.permute = function (this: Tensor, d: readonly number[]) { return S.permute(this, d); };
P.transpose = function (this: Tensor, a?: number, b?: number) { return S.transpose(this, a, b); };
Object.defineProperty(Tensor.prototype, 'mT', { get(this: Tensor) { return S.transpose(this, -2, -1); } });
P.slice = function (this: Tensor, s: readonly S.SliceSpec[]) { return S.slice(this, s); };
P.select = function (this: Tensor, a: number, i: number) { return S.select(this, a, i); };
P.expand = function (this: Tensor, s: readonly number[]) { return S.expand(this, s); };
P.broadcastTo = P.expand;
P.squeeze = function (this: Tensor, a?: number | readonly number[]) { return S.squeeze(this, a); };
P.unsqueeze = function (this: Tensor, a: number) { return S.unsqueeze(this, a); };
P.flip = function (this: Tensor, a: number | readonly number[]) { return S.flip(this, a); };
P.contiguous = function (this: Tensor) { return S.contiguous(this); };
P.contiguousCopy = function (this: Tensor) { return S.contiguousCopy(this); };
P.clone = P.contiguousCopy;
P.to = function (this: Tensor, d: DType) { return S.to(this, d); };
P.split = function (this: Tensor, s: number | readonly number[], a?: number) { return S.split(this, s, a); };
P.pad = function (this: Tensor, p: readonly number[], m?: S.PadMode, v?: number) { return S.pad(this, p, m, v); };
P.indexSelect = function (this: Tensor, d: number, i: Tensor) { return S.indexSelect(this, d, i); };
P.gather = function (this: Tensor, d: number, i: Tensor) { return S.gather(this, d, i); };
P.copy_ = function (this: Tensor, src: Tensor) { return S.copyInto(this, src); };
P.flatten = function (this: Tensor, start = 0, end = -1) {
  const r = this.rank;
  if (r === 0) return this.reshape([1]);
  const s = start < 0 ? start + r : start, e = end < 0 ? end + r : end;
  return this.reshape([...this.shape.slice(0, s), this.shape.slice(s, e + 1).reduce((p, q) => p * q, 1), ...this.shape.slice(e + 1)]);
};
P.zerosLike = function (this: Tensor) { return full(this.shape, 0, { dtype: this.dtype, backend: this.backend }); };
P.onesLike = function (this: Tensor) { return full(this.shape, 1, { dtype: this.dtype, backend: this.backend }); };
P.fullLike = function (this: Tensor, v: number) { return full(this.shape, v, { dtype: this.dtype, backend: this.backend }); };
P.backward = function (this: Tensor, g?: Tensor) { backward(this, g); };
