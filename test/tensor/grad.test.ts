// Finite-difference gradient checks for every op's VJP (see helpers/gradcheck.ts): the float64 oracle's VJP
// against central differences, then the WebGPU VJP against the oracle's.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, concat, stack, where, matmul, linear, grad, valueAndGrad, tidy } from '../../src/tensor/index.js';
import { gpu, assertClose } from '../helpers/backends.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';

const test = suite('gradient checks');
type F = (...xs: Tensor[]) => Tensor;
const I = (shape: number[], lo = -1, hi = 1): GradInput => ({ shape, lo, hi });

const CASES: [string, F, GradInput[]][] = [
  ['neg', (x) => x.neg(), [I([5])]], ['abs', (x) => x.abs(), [I([7])]], ['exp', (x) => x.exp(), [I([6])]],
  ['log', (x) => x.log(), [I([6], 0.2, 3)]], ['log1p', (x) => x.log1p(), [I([6], -0.5, 2)]], ['expm1', (x) => x.expm1(), [I([6])]],
  ['sqrt', (x) => x.sqrt(), [I([6], 0.2, 3)]], ['rsqrt', (x) => x.rsqrt(), [I([6], 0.2, 3)]], ['reciprocal', (x) => x.reciprocal(), [I([6], 0.3, 3)]],
  ['square', (x) => x.square(), [I([6])]], ['sin', (x) => x.sin(), [I([6], -3, 3)]], ['cos', (x) => x.cos(), [I([6], -3, 3)]],
  ['tanh', (x) => x.tanh(), [I([6], -2, 2)]], ['sigmoid', (x) => x.sigmoid(), [I([6], -4, 4)]], ['relu', (x) => x.relu(), [I([7])]],
  ['gelu', (x) => x.gelu(), [I([8], -3, 3)]], ['gelu tanh', (x) => x.gelu('tanh'), [I([8], -3, 3)]], ['erf', (x) => x.erf(), [I([6], -2, 2)]],
  ['elu', (x) => x.elu(0.7), [I([8], -2, 2)]], ['softplus', (x) => x.softplus(2, 3), [I([8], -3, 3)]], ['clamp', (x) => x.clamp(-0.4, 0.5), [I([8])]],
  ['add broadcast', (a, b) => a.add(b), [I([2, 3]), I([3])]], ['sub broadcast', (a, b) => a.sub(b), [I([2, 1, 3]), I([4, 1])]],
  ['mul broadcast', (a, b) => a.mul(b), [I([3, 1]), I([1, 4])]], ['div', (a, b) => a.div(b), [I([2, 3]), I([2, 3], 0.5, 2)]],
  ['pow', (a, b) => a.pow(b), [I([5], 0.3, 2), I([5], -1.5, 1.5)]], ['pow scalar', (a) => a.pow(3), [I([5])]],
  ['atan2', (a, b) => a.atan2(b), [I([5]), I([5], 0.3, 1)]], ['maximum', (a, b) => a.maximum(b), [I([6]), I([6])]],
  ['minimum', (a, b) => a.minimum(b), [I([6]), I([1])]], ['where', (a, b) => where(a.gt(0), a.mul(2), b), [I([2, 3]), I([3])]],
  ['sum axes', (x) => x.sum([0, 2]), [I([2, 3, 2])]], ['mean keepdim', (x) => x.mean(1, true), [I([2, 3, 2])]],
  ['max', (x) => x.max(1), [I([3, 4])]], ['min all', (x) => x.min(), [I([5])]], ['var', (x) => x.var(1), [I([2, 5])]],
  ['std', (x) => x.std([0, 1], { correction: 0 }), [I([3, 3])]], ['norm 2', (x) => x.norm(2, 1), [I([2, 4])]],
  ['norm 1', (x) => x.norm(1), [I([5])]], ['norm inf', (x) => x.norm(Infinity, 0), [I([3, 2])]], ['logsumexp', (x) => x.logsumexp(1), [I([2, 4])]],
  ['softmax', (x) => x.softmax(-1), [I([2, 4])]], ['logSoftmax', (x) => x.logSoftmax(0), [I([3, 2])]],
  ['reshape non-contiguous', (x) => x.mT.reshape([6]), [I([2, 3])]], ['permute', (x) => x.permute([2, 0, 1]), [I([2, 3, 2])]],
  ['slice steps', (x) => x.slice([[0, 3, 2], [1, null]]), [I([4, 3])]], ['select', (x) => x.select(1, 2), [I([2, 3])]],
  ['expand', (x) => x.expand([2, 3, 4]), [I([3, 1])]], ['squeeze unsqueeze', (x) => x.squeeze(1).unsqueeze(0), [I([3, 1, 2])]],
  ['flip', (x) => x.flip([0, 1]), [I([2, 3])]], ['concat', (a, b) => concat([a, b.mul(2)], 1), [I([2, 2]), I([2, 3])]],
  ['stack', (a, b) => stack([a, b], 0), [I([3]), I([3])]], ['split', (x) => x.split([1, 3], 1)[1].mul(x.split([1, 3], 1)[0]), [I([2, 4])]],
  ['pad constant', (x) => x.pad([1, 2], 'constant', 3), [I([2, 3])]], ['pad reflect', (x) => x.pad([2, 1, 1, 1], 'reflect'), [I([1, 3, 4])]],
  ['pad replicate', (x) => x.pad([2, 1, 0, 2], 'replicate'), [I([2, 3])]],
  ['indexSelect', (x) => x.indexSelect(0, Tensor.from([2, 0, 2], [3], { backend: x.backend, dtype: 'i32' })), [I([3, 2])]],
  ['gather', (x) => x.gather(1, Tensor.from([0, 2, 2, 1], [2, 2], { backend: x.backend, dtype: 'i32' })), [I([2, 3])]],
  ['matmul batched broadcast', (a, b) => matmul(a, b), [I([2, 1, 2, 3]), I([2, 3, 2])]],
  ['matmul transposed', (a, b) => matmul(a, b, { transA: true, transB: true }), [I([3, 2]), I([4, 3])]],
  ['matmul vector', (a, b) => matmul(a, b), [I([3]), I([3, 2])]],
  ['matmul with bias', (a, b, c) => matmul(a, b, { transB: true, bias: c }), [I([2, 3, 4]), I([5, 4]), I([5])]],
  ['linear trainable, 4-D input', (x, w, b) => linear(x.permute([0, 2, 3, 1]), w, b), [I([2, 3, 2, 2]), I([4, 3]), I([4])]],
  ['linear trainable, no bias', (x, w) => linear(x, w), [I([5, 3]), I([2, 3])]],
  ['composite', (x, w) => x.matmul(w).gelu().square().mean(0), [I([3, 4]), I([4, 2])]],
];

for (const [name, f, specs] of CASES) {
  test(name, async () => { await gradcheck(name, f, specs, await gpu()); });
}

test('grad accumulates across backward calls and across uses', async () => {
  const g = await gpu();
  const x = Tensor.from([1, 2, 3], [3], { backend: g }).requiresGrad_();
  tidy(() => x.mul(x).sum().backward()); // d/dx x^2 = 2x, x used twice
  assertClose(await x.grad!.data(), [2, 4, 6]);
  tidy(() => x.mul(3).sum().backward());
  assertClose(await x.grad!.data(), [5, 7, 9]);
  x.zeroGrad();
  assert.is(x.grad, null);
});

test('functional grad and valueAndGrad', async () => {
  const g = await gpu();
  const x = Tensor.from([0.5, -1, 2], [3], { backend: g });
  const y = Tensor.from([1, 2, 3], [3], { backend: g });
  const [v, [gx, gy]] = valueAndGrad((a: Tensor, b: Tensor) => a.mul(b).sum())(x, y);
  assertClose([await v.item()], [0.5 - 2 + 6]);
  assertClose(await gx.data(), [1, 2, 3]);
  assertClose(await gy.data(), [0.5, -1, 2]);
  const [gs] = grad((a: Tensor) => a.square().sum())(x);
  assertClose(await gs.data(), [1, -2, 4]);
  assert.not.ok(x.requiresGrad, 'inputs are not marked');
});

test('tensors that do not require grad record nothing', async () => {
  const g = await gpu();
  const w = Tensor.from([1, 2], [2], { backend: g });
  const y = w.mul(2).exp();
  assert.is(y.node, null);
  assert.not.ok(y.requiresGrad);
});

test.run();
