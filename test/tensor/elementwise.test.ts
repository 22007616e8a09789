// Every elementwise op against the float64 oracle on shapes with broadcasting, size-0/1 dims and sizes that
// are not multiples of the workgroup (1, 7, 33, 129).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, where, cpu } from '../../src/tensor/index.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import { gpu, pair, assertClose, seededValues } from '../helpers/backends.js';

const test = suite('elementwise ops vs float64 oracle');
const SHAPES = [[0], [1], [7], [3, 33], [2, 3, 129], [2, 1, 5]];

type Dom = [number, number];
const UNARY: [string, Dom, (t: Tensor) => Tensor][] = [
  ['neg', [-3, 3], (t) => t.neg()], ['abs', [-3, 3], (t) => t.abs()], ['exp', [-5, 5], (t) => t.exp()],
  ['log', [0.01, 10], (t) => t.log()], ['log1p', [-0.9, 3], (t) => t.log1p()], ['expm1', [-2, 2], (t) => t.expm1()],
  ['sqrt', [0, 9], (t) => t.sqrt()], ['rsqrt', [0.01, 9], (t) => t.rsqrt()], ['reciprocal', [0.1, 3], (t) => t.reciprocal()],
  ['square', [-3, 3], (t) => t.square()], ['sin', [-6, 6], (t) => t.sin()], ['cos', [-6, 6], (t) => t.cos()],
  ['tanh', [-6, 6], (t) => t.tanh()], ['sigmoid', [-12, 12], (t) => t.sigmoid()], ['relu', [-3, 3], (t) => t.relu()],
  ['gelu', [-6, 6], (t) => t.gelu()], ['gelu tanh', [-6, 6], (t) => t.gelu('tanh')], ['erf', [-4, 4], (t) => t.erf()],
  ['elu', [-4, 4], (t) => t.elu(0.7)], ['softplus', [-8, 30], (t) => t.softplus(1.5, 20)], ['sign', [-3, 3], (t) => t.sign()],
  ['clamp', [-3, 3], (t) => t.clamp(-0.5, 1.25)], ['clamp min only', [-3, 3], (t) => t.clamp(0.2, null)], ['floor', [-3, 3], (t) => t.floor()],
];

for (const [name, [lo, hi], f] of UNARY) {
  test(`unary ${name}`, async () => {
    const g = await gpu();
    for (const shape of SHAPES) {
      const n = shape.reduce((p, q) => p * q, 1);
      const [x, xc] = pair(seededValues(n, n + 3, lo, hi), shape, g);
      const [y, yc] = tidy(() => [f(x), f(xc)]);
      assert.equal([...y.shape], shape);
      assertClose(await y.data(), await yc.data(), { rtol: 1e-5, atol: 1e-6, what: `${name} ${JSON.stringify(shape)}` });
      [x, xc, y, yc].forEach((t) => t.dispose());
    }
  });
}

test('sin and cos keep relative accuracy near their zeros and over many periods (WGSL built-ins need not)', async () => {
  const g = await gpu();
  // near 0, near pi and pi/2 (where the result is ~1e-6 of the input), and reductions over up to ~300 periods
  const vals = [1e-7, -1e-7, 1e-4, 0.5, 1, -2.5, 3.14159, 1.5708, -4.71239, 6.28318, 10, 100, -1000, 1234.5678, 0].map(Math.fround);
  for (const f of [(t: Tensor) => t.sin(), (t: Tensor) => t.cos()]) {
    const [x, xc] = pair(vals, [vals.length], g);
    assertClose(await f(x).data(), await f(xc).data(), { rtol: 4e-6, atol: 1e-12 });
  }
});

test('accuracy near zero (log1p, expm1, tanh, gelu tails)', async () => {
  const g = await gpu();
  const vals = [1e-7, -1e-7, 1e-4, -3e-4, 0.01, -0.02, 0];
  for (const f of [(t: Tensor) => t.log1p(), (t: Tensor) => t.expm1(), (t: Tensor) => t.tanh(), (t: Tensor) => t.sin()]) {
    const [x, xc] = pair(vals, [vals.length], g);
    assertClose(await f(x).data(), await f(xc).data(), { rtol: 2e-6, atol: 1e-12 });
  }
  // exact-erf GELU in the negative tail, where tanh-style or 1-erf formulas lose all relative accuracy
  const tail = [-3, -4, -5, -6, -7];
  const [x, xc] = pair(tail, [tail.length], g);
  assertClose(await x.gelu().data(), await xc.gelu().data(), { rtol: 2e-6, atol: 0 });
});

const BINARY: [string, (a: Tensor | number, b: Tensor | number) => Tensor, Dom, Dom][] = [
  ['add', (a, b) => (a instanceof Tensor ? a.add(b) : (b as Tensor).add(a)), [-3, 3], [-3, 3]],
  ['sub', (a, b) => (a instanceof Tensor ? a.sub(b) : (b as Tensor).neg().add(a)), [-3, 3], [-3, 3]],
  ['mul', (a, b) => (a instanceof Tensor ? a.mul(b) : (b as Tensor).mul(a)), [-3, 3], [-3, 3]],
  ['div', (a, b) => (a instanceof Tensor ? a.div(b) : (b as Tensor).reciprocal().mul(a)), [-3, 3], [0.5, 3]],
  ['pow', (a, b) => (a as Tensor).pow(b), [0.1, 3], [-2, 2]],
  ['atan2', (a, b) => (a as Tensor).atan2(b), [-3, 3], [-3, 3]],
  ['maximum', (a, b) => (a as Tensor).maximum(b), [-3, 3], [-3, 3]],
  ['minimum', (a, b) => (a as Tensor).minimum(b), [-3, 3], [-3, 3]],
];
const PAIRS: [number[], number[]][] = [[[3, 4], [4]], [[2, 1, 5], [3, 1]], [[1], [7]], [[0, 3], [3]], [[33], [33]], [[2, 3, 129], [1, 3, 1]], [[], [5]]];

for (const [name, f, da, db] of BINARY) {
  test(`binary ${name} with broadcasting`, async () => {
    const g = await gpu();
    for (const [sa, sb] of PAIRS) {
      const na = sa.reduce((p, q) => p * q, 1), nb = sb.reduce((p, q) => p * q, 1);
      const [a, ac] = pair(seededValues(na, na + 1, ...da), sa, g);
      const [b, bc] = pair(seededValues(nb, nb + 2, ...db), sb, g);
      const y = f(a, b), yc = f(ac, bc);
      assert.equal([...y.shape], [...yc.shape]);
      assertClose(await y.data(), await yc.data(), { rtol: 1e-5, atol: 1e-6, what: `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}` });
      // scalar on the right
      const s = f(a, 0.75), sc = f(ac, 0.75);
      assertClose(await s.data(), await sc.data(), { rtol: 1e-5, atol: 1e-6, what: `${name} scalar` });
      [a, ac, b, bc, y, yc, s, sc].forEach((t) => t.dispose());
    }
  });
}

test('large tensors (unrolled and grid layouts) agree with the oracle', async () => {
  const g = await gpu();
  const n = 70 * 101;
  const [a, ac] = pair(seededValues(n, 5, -2, 2), [70, 101], g);
  const [b, bc] = pair(seededValues(n, 6, -2, 2), [70, 101], g);
  const [r, rc] = pair(seededValues(101, 7, -2, 2), [101], g);
  const [col, colc] = pair(seededValues(70, 8, -2, 2), [70, 1], g);
  const cases: [string, (x: Tensor, y: Tensor, z: Tensor, w: Tensor) => Tensor][] = [
    ['add', (x, y) => x.add(y)], ['gelu', (x) => x.gelu()], ['mul scalar', (x) => x.mul(1.5)],
    ['where', (x, y) => where(x.gt(y), x, y.mul(2))], ['gt', (x, y) => x.gt(y)],
    ['row broadcast', (x, _y, z) => x.mul(z)], ['column broadcast', (x, _y, _z, w) => x.sub(w)],
    ['transposed operand', (x) => x.mT.contiguous().exp()],
  ];
  for (const [name, f] of cases) {
    const y = f(a, b, r, col), yc = f(ac, bc, rc, colc);
    assertClose(await y.data(), await yc.data(), { rtol: 1e-5, atol: 1e-6, what: name });
  }
});

test('pow follows torch for negative bases and zero', async () => {
  const g = await gpu();
  const base = [-2, -2, -2, 0, 0, 0, 2, -1.5];
  const expo = [2, 3, 0.5, 0, 2, -1, -0.5, -3];
  const [a] = pair(base, [8], g), [b] = pair(expo, [8], g);
  const got = await a.pow(b).data();
  const want = [4, -8, NaN, 1, 0, Infinity, Math.pow(2, -0.5), Math.pow(-1.5, -3)];
  want.forEach((w, i) => {
    if (Number.isNaN(w)) assert.ok(Number.isNaN(got[i]), `pow(${base[i]}, ${expo[i]}) should be NaN`);
    else assert.ok(Math.abs(got[i] - w) <= 1e-6 * Math.abs(w) || got[i] === w, `pow(${base[i]}, ${expo[i]}) = ${got[i]}, want ${w}`);
  });
});

test('comparisons, logical ops and where produce bool and select exactly', async () => {
  const g = await gpu();
  const av = [1, 2, 3, 4, 5, 6], bv = [3, 2, 1, 4, 0, 7];
  for (const b of [g, cpu()]) {
    const a = Tensor.from(av, [2, 3], { backend: b }), c = Tensor.from(bv, [2, 3], { backend: b });
    const cases: [string, Tensor, number[]][] = [
      ['eq', a.eq(c), av.map((x, i) => +(x === bv[i]))], ['ne', a.ne(c), av.map((x, i) => +(x !== bv[i]))],
      ['lt', a.lt(c), av.map((x, i) => +(x < bv[i]))], ['le', a.le(c), av.map((x, i) => +(x <= bv[i]))],
      ['gt', a.gt(c), av.map((x, i) => +(x > bv[i]))], ['ge', a.ge(3), av.map((x) => +(x >= 3))],
    ];
    for (const [name, t, want] of cases) {
      assert.is(t.dtype, 'bool', name);
      assert.equal([...(await t.data())], want, `${b.name} ${name}`);
    }
    const w = where(a.gt(c), a, c.mul(-1));
    assert.equal([...(await w.data())], av.map((x, i) => (x > bv[i] ? x : -bv[i])), `${b.name} where`);
    const wb = where(a.gt(3), 1, 0);
    assert.equal([...(await wb.data())], av.map((x) => (x > 3 ? 1 : 0)));
    const la = a.gt(2).logicalAnd(c.lt(5)), lo = a.gt(4).logicalOr(c.eq(2)), ln = a.gt(2).logicalNot();
    assert.equal([...(await la.data())], av.map((x, i) => +(x > 2 && bv[i] < 5)));
    assert.equal([...(await lo.data())], av.map((x, i) => +(x > 4 || bv[i] === 2)));
    assert.equal([...(await ln.data())], av.map((x) => +!(x > 2)));
  }
});

test('integer arithmetic and casts', async () => {
  const g = await gpu();
  const a = Tensor.from([1, -2, 3, 2147483], [4], { backend: g, dtype: 'i32' });
  const b = Tensor.from([5, 6, -7, 8], [4], { backend: g, dtype: 'i32' });
  assert.equal([...(await a.add(b).data())], [6, 4, -4, 2147491]);
  assert.equal([...(await a.mul(b).data())], [5, -12, -21, 17179864]);
  assert.equal([...(await a.maximum(b).data())], [5, 6, 3, 2147483]);
  assert.equal([...(await a.abs().data())], [1, 2, 3, 2147483]);
  assert.is(a.add(1).dtype, 'i32');
  const f = Tensor.from([1.7, -1.7, 2.5, -0.2], [4], { backend: g });
  assert.equal([...(await f.to('i32').data())], [1, -1, 2, 0], 'f32 -> i32 truncates toward zero like torch');
  assert.equal([...(await a.to('f32').data())], [1, -2, 3, 2147483]);
  assert.equal([...(await f.to('bool').data())], [1, 1, 1, 1]);
  assert.equal([...(await f.round().data())], [2, -2, 2, -0], 'round half to even');
});

test('dtype mismatch says which dtypes; shape mismatch names both shapes', async () => {
  const g = await gpu();
  const a = Tensor.from([1, 2, 3], [3], { backend: g });
  const i = Tensor.from([1, 2, 3], [3], { backend: g, dtype: 'i32' });
  assert.throws(() => a.add(i), (e: Error) => e instanceof DTypeError && /f32 and i32/.test(e.message));
  assert.throws(() => i.exp(), (e: Error) => e instanceof DTypeError && /exp: input must be f32, got i32/.test(e.message));
  const b = Tensor.from([1, 2], [2], { backend: g });
  assert.throws(() => a.mul(b), (e: Error) => e instanceof ShapeError && /\[3\] and \[2\]/.test(e.message));
  assert.throws(() => where(a, a, a), (e: Error) => e instanceof DTypeError && /condition must be bool/.test(e.message));
});

test.run();
