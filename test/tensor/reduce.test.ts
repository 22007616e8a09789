// Reductions over any axes (keepdim or not) against the float64 oracle.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu } from '../../src/tensor/index.js';
import { ShapeError } from '../../src/errors.js';
import { gpu, pair, assertClose, seededValues } from '../helpers/backends.js';

const test = suite('reductions vs float64 oracle');

const CASES: [number[], (number | number[] | undefined)][] = [
  [[7], undefined], [[7], 0], [[3, 33], 1], [[3, 33], 0], [[3, 33], [0, 1]], [[2, 5, 129], 2], [[2, 5, 129], [0, 2]],
  [[2, 5, 129], 1], [[4, 1, 3], [1]], [[1], 0], [[300, 2], 0], [[2, 1000], 1], [[70, 3], 1], [[5, 4, 3, 2], [1, 3]], [[], undefined],
];

const OPS: [string, (t: Tensor, ax: number | number[] | undefined, keep: boolean) => Tensor][] = [
  ['sum', (t, a, k) => t.sum(a, k)], ['mean', (t, a, k) => t.mean(a, k)], ['max', (t, a, k) => t.max(a, k)], ['min', (t, a, k) => t.min(a, k)],
  ['var', (t, a, k) => t.var(a, { keepdim: k })], ['var correction 0', (t, a, k) => t.var(a, { keepdim: k, correction: 0 })],
  ['std', (t, a, k) => t.std(a, { keepdim: k })], ['norm 1', (t, a, k) => t.norm(1, a, k)], ['norm 2', (t, a, k) => t.norm(2, a, k)],
  ['norm inf', (t, a, k) => t.norm(Infinity, a, k)], ['logsumexp', (t, a, k) => t.logsumexp(a, k)],
];

for (const [name, f] of OPS) {
  test(name, async () => {
    const g = await gpu();
    for (const [shape, axes] of CASES) {
      if (name.startsWith('var') || name === 'std') { if (shape.length === 0) continue; }
      const n = shape.reduce((p, q) => p * q, 1);
      const [x, xc] = pair(seededValues(n, n + 11, -2, 2), shape, g);
      for (const keep of [false, true]) {
        const [y, yc] = tidy(() => [f(x, axes, keep), f(xc, axes, keep)]);
        assert.equal([...y.shape], [...yc.shape], `${name} shape`);
        assertClose(await y.data(), await yc.data(), { rtol: 1e-5, atol: 1e-5, what: `${name} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepdim ${keep}` });
        y.dispose(); yc.dispose();
      }
      x.dispose(); xc.dispose();
    }
  });
}

test('reduction output shapes follow keepdim', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(60, 3), [3, 4, 5], { backend: g });
  assert.equal([...x.sum([0, 2]).shape], [4]);
  assert.equal([...x.sum([0, 2], true).shape], [1, 4, 1]);
  assert.equal([...x.sum().shape], []);
  assert.equal([...x.sum(-1).shape], [3, 4]);
  assert.is(await x.sum().item(), [...(await x.data())].reduce((p, q) => p + q, 0) > -Infinity ? await x.sum().item() : NaN);
});

test('sum of a large vector is accurate (tree reduction)', async () => {
  const g = await gpu();
  const n = 1 << 20;
  const vals = seededValues(n, 5, 0, 1);
  const x = Tensor.from(vals, [n], { backend: g });
  let ref = 0;
  for (const v of vals) ref += v;
  assertClose([await x.sum().item()], [ref], { rtol: 1e-6 });
});

test('few long rows are reduced in segments, then merged: strided views, every reduction, uneven segment ends', async () => {
  const g = await gpu();
  // [3, 70001] as the transpose of a (70001, 3) tensor: 9 segments of 7779 per row, the last one shorter
  const n = 70001;
  const [base, basec] = pair(seededValues(3 * n, 8, -2, 2), [n, 3], g);
  const [x, xc] = [base.transpose(0, 1), basec.transpose(0, 1)];
  for (const [name, f] of [['sum', (t: Tensor) => t.sum(1)], ['max', (t: Tensor) => t.max(1)], ['min', (t: Tensor) => t.min(1)],
    ['norm 2', (t: Tensor) => t.norm(2, 1)], ['mean of all', (t: Tensor) => t.mean()], ['argmax', (t: Tensor) => t.argmax(1)]] as [string, (t: Tensor) => Tensor][]) {
    assertClose(await f(x).data(), await f(xc).data(), { rtol: 1e-5, atol: 1e-5, what: name });
  }
  // the extreme value sits in the last, short segment
  const v = new Float32Array(100000).fill(-1);
  v[99999] = 5;
  assert.equal([...(await Tensor.from(v, [100000], { backend: g }).max().data())], [5]);
});

test('argmax/argmin: first index among ties, along an axis and flattened', async () => {
  const g = await gpu();
  for (const b of [g, cpu()]) {
    const x = Tensor.from([1, 5, 5, 2, 0, 7, 7, -1, 3, 3, 3, 3], [3, 4], { backend: b });
    assert.equal([...(await x.argmax(1).data())], [1, 1, 0]);
    assert.equal([...(await x.argmin(1).data())], [0, 3, 0]);
    assert.equal([...(await x.argmax(0).data())], [2, 1, 1, 2]);
    assert.equal([...(await x.argmax().data())], [5]);
    assert.equal([...(await x.argmin(1, true).shape)], [3, 1]);
    assert.is(x.argmax(1).dtype, 'i32');
  }
  // wide rows use the workgroup kernel
  const wide = new Float32Array(3000).fill(1);
  wide[1234] = 9; wide[2999] = 9;
  const w = Tensor.from(wide, [1, 3000], { backend: g });
  assert.equal([...(await w.argmax(1).data())], [1234]);
});

test('softmax and logSoftmax rows', async () => {
  const g = await gpu();
  for (const [shape, axis] of [[[4, 7], -1], [[3, 33, 2], 1], [[1, 200], 1]] as [number[], number][]) {
    const n = shape.reduce((p, q) => p * q, 1);
    const [x, xc] = pair(seededValues(n, 21, -30, 30), shape, g);
    assertClose(await x.softmax(axis).data(), await xc.softmax(axis).data(), { rtol: 1e-5, atol: 1e-7 });
    assertClose(await x.logSoftmax(axis).data(), await xc.logSoftmax(axis).data(), { rtol: 1e-5, atol: 1e-5 });
  }
});

test('empty reductions: sum gives zeros, max fails clearly', async () => {
  const g = await gpu();
  const x = Tensor.from([], [0, 3], { backend: g });
  assert.equal([...(await x.sum(0).data())], [0, 0, 0]);
  assert.throws(() => x.max(0), (e: Error) => e instanceof ShapeError && /empty axis/.test(e.message));
});

test.run();
