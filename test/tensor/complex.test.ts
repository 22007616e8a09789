// Complex helpers over the trailing-dim-2 layout: values against hand-computed ones and the float64 oracle,
// broadcasting, views without copies, finite-difference gradient checks on the real representation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu, complex, real, imag, conj, cabs, angle, polar, cmul, type Backend } from '../../src/tensor/index.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import { gpu, seededValues, assertClose } from '../helpers/backends.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';

const isShapeError = (e: unknown) => e instanceof ShapeError;
const isDTypeError = (e: unknown) => e instanceof DTypeError;
const test = suite('complex');

async function both(g: Backend, what: string, f: (...xs: Tensor[]) => Tensor, shapes: number[][], seed = 1): Promise<void> {
  const vals = shapes.map((s, k) => seededValues(s.reduce((p, q) => p * q, 1), seed + k, -2, 2));
  const [a, b] = tidy(() => [f(...vals.map((v, k) => Tensor.from(v, shapes[k], { backend: g }))), f(...vals.map((v, k) => Tensor.from(v, shapes[k], { backend: cpu() })))]);
  assert.equal([...a.shape], [...b.shape], `${what}: shape`);
  assertClose(await a.data(), await b.data(), { rtol: 1e-5, atol: 1e-6, what });
  a.dispose(); b.dispose();
}

test('values: complex, real, imag, conj, cabs, angle, polar, cmul', async () => {
  const g = await gpu();
  const z = Tensor.from([3, 4, -1, 0, 0, -2, 0, 0], [4, 2], { backend: g });
  assertClose(await real(z).data(), [3, -1, 0, 0]);
  assertClose(await imag(z).data(), [4, 0, -2, 0]);
  assertClose(await conj(z).data(), [3, -4, -1, 0, 0, 2, 0, 0]);
  assertClose(await cabs(z).data(), [5, 1, 2, 0]);
  assertClose(await angle(z).data(), [Math.atan2(4, 3), Math.PI, -Math.PI / 2, 0]);
  const re = Tensor.from([1, 2], [2], { backend: g }), im = Tensor.from([5, 6], [2], { backend: g });
  assertClose(await complex(re, im).data(), [1, 5, 2, 6]);
  const p = polar(Tensor.from([2, 1], [2], { backend: g }), Tensor.from([Math.PI / 2, Math.PI], [2], { backend: g }));
  assertClose(await p.data(), [0, 2, -1, 0], { atol: 1e-6 });
  const a = Tensor.from([1, 2, 3, -1], [2, 2], { backend: g }), b = Tensor.from([2, -1, 0, 1], [2, 2], { backend: g });
  assertClose(await cmul(a, b).data(), [4, 3, 1, 3]); // (1+2i)(2-i) = 4+3i, (3-i)(i) = 1+3i
});

test('the float64 oracle agrees, with broadcasting over leading dims', async () => {
  const g = await gpu();
  await both(g, 'complex broadcast', (r, i) => complex(r, i), [[3, 1, 4], [2, 4]]);
  await both(g, 'polar, magnitude over leading dims (kernel fast path)', (m, p) => polar(m, p), [[3, 5, 6], [4, 3, 5, 6]]);
  await both(g, 'polar, magnitude broadcast inside', (m, p) => polar(m, p), [[4, 1, 1, 6], [4, 3, 5, 6]]);
  await both(g, 'polar, phase broadcast', (m, p) => polar(m, p), [[2, 5, 6], [5, 6]]);
  await both(g, 'cmul broadcast', (a, b) => cmul(a, b), [[2, 3, 2], [3, 2]]);
  await both(g, 'cabs', (z) => cabs(z), [[7, 5, 2]]);
  await both(g, 'angle', (z) => angle(z), [[7, 5, 2]]);
  await both(g, 'conj', (z) => conj(z), [[3, 2]]);
  await both(g, 'real of a strided complex view', (z) => real(z.permute([1, 0, 2])).mul(2), [[4, 3, 2]]);
});

test('real and imag are views (no copy)', async () => {
  const g = await gpu();
  const z = Tensor.from(seededValues(12, 3), [3, 2, 2], { backend: g });
  const r = real(z), i = imag(z);
  assert.equal([...r.shape], [3, 2]);
  assert.is(r.backendView('test').buf, z.backendView('test').buf);
  assert.is(i.offset, z.offset + 1);
  assert.equal([...i.strides], [4, 2]);
  [z, r, i].forEach((t) => t.dispose());
});

const I = (shape: number[], lo = -1, hi = 1): GradInput => ({ shape, lo, hi });
const CASES: [string, (...xs: Tensor[]) => Tensor, GradInput[]][] = [
  ['complex', (r, i) => complex(r, i), [I([2, 3]), I([2, 3])]],
  ['complex broadcast', (r, i) => complex(r, i), [I([3, 1]), I([4])]],
  ['real', (z) => real(z), [I([3, 2, 2])]],
  ['imag of a permuted view', (z) => imag(z.permute([1, 0, 2])), [I([3, 2, 2])]],
  ['conj', (z) => conj(z), [I([4, 2])]],
  ['cabs', (z) => cabs(z), [I([5, 2], 0.2, 1)]],
  ['angle', (z) => angle(z), [I([5, 2], 0.2, 1)]],
  ['polar', (m, p) => polar(m, p), [I([2, 3], 0.5, 2), I([2, 3], -3, 3)]],
  ['polar, magnitude over leading dims', (m, p) => polar(m, p), [I([3, 4], 0.5, 2), I([2, 3, 4], -3, 3)]],
  ['polar, magnitude broadcast inside', (m, p) => polar(m, p), [I([2, 1, 4], 0.5, 2), I([2, 3, 4], -3, 3)]],
  ['polar, phase broadcast', (m, p) => polar(m, p), [I([2, 3, 4], 0.5, 2), I([4], -3, 3)]],
  ['cmul', (a, b) => cmul(a, b), [I([3, 2]), I([3, 2])]],
  ['cmul broadcast', (a, b) => cmul(a, b), [I([2, 3, 2]), I([3, 2])]],
  ['composite: cabs(cmul(polar, conj))', (m, p, z) => cabs(cmul(polar(m, p), conj(z))), [I([4], 0.5, 2), I([4], -3, 3), I([4, 2], 0.3, 1)]],
];
for (const [name, f, specs] of CASES) test(`gradcheck: ${name}`, async () => { await gradcheck(name, f, specs, await gpu()); });

test('cabs has gradient 0 at 0 (as PyTorch)', async () => {
  const g = await gpu();
  const z = Tensor.from([0, 0, 3, 4], [2, 2], { backend: g }).requiresGrad_();
  tidy(() => cabs(z).sum().backward());
  assertClose(await z.grad!.data(), [0, 0, 0.6, 0.8]);
  z.dispose();
});

test('errors', async () => {
  const g = await gpu();
  const x = Tensor.from([1, 2, 3], [3], { backend: g });
  const i = Tensor.from([1, 2], [1, 2], { backend: g, dtype: 'i32' });
  assert.throws(() => real(x), isShapeError);
  assert.throws(() => cabs(i), isDTypeError);
  assert.throws(() => cmul(x, x), isShapeError);
  assert.throws(() => complex(x, Tensor.from([1, 2], [2], { backend: g })), isShapeError);
  assert.throws(() => polar(x, i), isDTypeError);
  [x, i].forEach((t) => t.dispose());
});

test.run();
