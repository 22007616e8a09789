// Gradient rules (issue 12, item 22): every unary and binary elementwise op has an explicit entry in the VJP
// tables (a rule or 'nondiff'), 'nondiff' ops behave as in PyTorch (their output carries no gradient, and
// backward() through it alone says why), and the public customVjp gives correct gradients.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, cpu, customVjp, tidy } from '../../src/tensor/index.js';
import { ELEMENTWISE_OPS } from '../../src/tensor/ops/elementwise-table.js';
import { BINARY_VJP, UNARY_VJP } from '../../src/tensor/ops/elementwise.js';
import { softmaxRows } from '../../src/models/vit-softmax.js';
import { gpu } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';

const test = suite('tensor VJP rules');

test('every unary and binary elementwise op has an entry in its VJP table', () => {
  const names = (arity: number) => Object.values(ELEMENTWISE_OPS).filter((o) => o.arity === arity).map((o) => o.name).sort();
  assert.equal(Object.keys(UNARY_VJP).sort(), names(1));
  assert.equal(Object.keys(BINARY_VJP).sort(), names(2));
  for (const [name, rule] of [...Object.entries(UNARY_VJP), ...Object.entries(BINARY_VJP)]) {
    assert.ok(rule === 'nondiff' || typeof rule === 'function', `${name}: ${String(rule)}`);
  }
  // ops with a bool or integer output cannot carry a gradient; every float op but the backward helpers has a rule
  for (const [name, o] of Object.entries(ELEMENTWISE_OPS)) {
    const rule = (UNARY_VJP as Record<string, unknown>)[name] ?? (BINARY_VJP as Record<string, unknown>)[name];
    if (o.out === 'bool' || o.out === 'i32') assert.is(rule, 'nondiff', name);
  }
});

test("comparisons are 'nondiff': no gradient through the mask, backward() on it alone explains, other paths still flow", async () => {
  const vals = [-1.5, 0.25, 2, -0.5];
  const x = Tensor.from(vals, [4], { backend: cpu(), dtype: 'f32' }).requiresGrad_();
  const mask = x.gt(0);
  assert.is(mask.requiresGrad, false);
  assert.throws(() => mask.to('f32').sum().backward(), /does not require gradients.*comparisons/);
  // d/dx sum(mask(x) * x) = mask(x) elementwise (the mask is piecewise constant)
  tidy(() => x.gt(0).to('f32').mul(x).sum().backward());
  assert.equal(Array.from(await x.grad!.data()), vals.map((v) => (v > 0 ? 1 : 0)));
  // argmax: an i32 result without a node
  assert.is(x.argmax().requiresGrad, false);
  x.dispose(); mask.dispose();
});

// f(a, b) = a * b + sin(a) with a hand-written VJP: df/da = b + cos(a), df/db = a
const productPlusSine = (a: Tensor, b: Tensor) => customVjp('productPlusSine', [a, b],
  () => a.mul(b).add(a.sin()),
  (g) => [g.mul(b.add(a.cos())), g.mul(a)]);

test('customVjp: two inputs, against finite differences (oracle) and WebGPU', async () => {
  await gradcheck('productPlusSine', (a, b) => productPlusSine(a, b), [{ shape: [3, 4] }, { shape: [3, 4] }], await gpu());
});

test('customVjp: softmaxRows (ViT attention) against finite differences, scale 1 and 0.7', async () => {
  for (const scale of [1, 0.7]) {
    await gradcheck(`softmaxRows scale ${scale}`, (x) => softmaxRows(x, scale), [{ shape: [2, 3, 5], lo: -2, hi: 2 }], await gpu());
  }
});

test('customVjp: a backward giving the wrong number or shape of gradients is a clear error', () => {
  const b = cpu();
  const a = Tensor.from([1, 2, 3], [3], { backend: b, dtype: 'f32' }).requiresGrad_();
  const c = Tensor.from([4, 5, 6], [3], { backend: b, dtype: 'f32' }).requiresGrad_();
  const tooFew = customVjp('tooFew', [a, c], () => a.mul(c), (g) => [g]);
  assert.throws(() => tooFew.sum().backward(), /customVjp 'tooFew': backward\(\) returned 1 gradient\(s\) for 2 input\(s\)/);
  const badShape = customVjp('badShape', [a], () => a.mul(2), (g) => [g.sum()]);
  assert.throws(() => badShape.sum().backward(), /badShape backward gave a gradient of shape \[\] for an input of shape \[3\]/);
  assert.throws(() => customVjp('identity', [a], () => a, (g) => [g]), /forward\(\) returned one of its inputs/);
  [a, c, tooFew, badShape].forEach((t) => t.dispose());
});

test.run();
