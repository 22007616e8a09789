// Matmul (tiled and naive kernels) against the float64 oracle: odd sizes, batches, broadcasting, transposes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, matmul, linearFrozen, tidy } from '../../src/tensor/index.js';
import { ShapeError } from '../../src/errors.js';
import { gpu, pair, assertClose, seededValues } from '../helpers/backends.js';

const test = suite('matmul vs float64 oracle');

const CASES: [number[], number[], { transA?: boolean; transB?: boolean }][] = [
  [[1, 1], [1, 1], {}], [[7, 33], [33, 129], {}], [[33, 7], [7, 1], {}], [[65, 129], [129, 63], {}],
  [[2, 1, 5, 7], [3, 7, 4], {}], [[4, 3, 17], [17, 9], {}], [[17], [17, 5], {}], [[6, 17], [17], {}], [[17], [17], {}],
  [[9, 13], [11, 13], { transB: true }], [[13, 9], [13, 11], { transA: true }], [[2, 13, 9], [2, 11, 13], { transA: true, transB: true }],
  [[0, 5], [5, 3], {}], [[4, 0], [0, 3], {}], [[128, 64], [64, 128], {}],
  // layouts the vec4 fast paths take: K and N multiples of 4, unit stride along K (and N, or K for B^T)
  [[9, 16], [16, 12], {}], [[2, 1, 13, 8], [3, 8, 20], {}], [[9, 16], [12, 16], { transB: true }], [[3, 5, 8], [7, 8], { transB: true }],
  [[1, 4], [4, 4], {}], [[70, 36], [36, 68], {}], [[70, 36], [66, 36], { transB: true }],
];

for (const kernel of ['auto', 'naive', 'tiled', 'vec4', 'vec4nt'] as const) {
  test(`${kernel} kernel`, async () => {
    const g = await gpu();
    for (const [sa, sb, t] of CASES) {
      const na = sa.reduce((p, q) => p * q, 1), nb = sb.reduce((p, q) => p * q, 1);
      const [a, ac] = pair(seededValues(na, na + 5), sa, g);
      const [b, bc] = pair(seededValues(nb, nb + 6), sb, g);
      const y = matmul(a, b, { ...t, kernel }), yc = matmul(ac, bc, t);
      assert.equal([...y.shape], [...yc.shape], `${JSON.stringify(sa)} x ${JSON.stringify(sb)}`);
      assertClose(await y.data(), await yc.data(), { rtol: 1e-5, atol: 1e-5, what: `${JSON.stringify(sa)} x ${JSON.stringify(sb)} ${JSON.stringify(t)}` });
    }
  });
}

test('fused bias, every kernel, and linearFrozen (forward and input gradient)', async () => {
  const g = await gpu();
  for (const kernel of ['auto', 'naive', 'tiled', 'vec4', 'vec4nt'] as const) {
    for (const [M, K, N] of [[9, 16, 12], [70, 36, 68], [5, 7, 3]]) {
      const [a, ac] = pair(seededValues(M * K, M + K), [M, K], g);
      const [w, wc] = pair(seededValues(N * K, N + K), [N, K], g);
      const [b, bc] = pair(seededValues(N, N), [N], g);
      const y = matmul(a, w, { transB: true, bias: b, kernel }), yc = matmul(ac, wc, { transB: true, bias: bc });
      assertClose(await y.data(), await yc.data(), { rtol: 1e-5, atol: 1e-5, what: `${kernel} ${M}x${K}x${N} bias` });
    }
  }
  const [x, xc] = pair(seededValues(6 * 8, 1), [2, 3, 8], g);
  const [w, wc] = pair(seededValues(12 * 8, 2), [12, 8], g);
  const [b, bc] = pair(seededValues(12, 3), [12], g);
  const [gy, gyc] = pair(seededValues(6 * 12, 4), [2, 3, 12], g);
  for (const [xx, ww, bb, gg] of [[x, w, b, gy], [xc, wc, bc, gyc]] as const) {
    xx.requiresGrad_();
    const wT = ww.mT.contiguous();
    tidy(() => linearFrozen(xx, ww, wT, bb).mul(gg).sum().backward());
  }
  assertClose(await x.grad!.data(), await xc.grad!.data(), { rtol: 1e-5, atol: 1e-6, what: 'linearFrozen dx' });
  const ref = tidy(() => gyc.matmul(wc));
  assertClose(await xc.grad!.data(), await ref.data(), { rtol: 1e-9, atol: 1e-12, what: 'linearFrozen dx = g @ W' });
});

test('strided operands: a permuted and sliced view multiplies without a copy', async () => {
  const g = await gpu();
  const [x, xc] = pair(seededValues(4 * 10 * 12, 9), [4, 10, 12], g);
  const [w, wc] = pair(seededValues(12 * 5, 10), [12, 5], g);
  const f = (x: Tensor, w: Tensor) => x.permute([1, 0, 2]).slice([[1, 9, 2], null, [0, 12, 1]]).matmul(w);
  assertClose(await f(x, w).data(), await f(xc, wc).data(), { rtol: 1e-5, atol: 1e-5 });
});

test('mismatched inner dims name both shapes', async () => {
  const g = await gpu();
  const a = Tensor.from(new Float32Array(6), [2, 3], { backend: g }), b = Tensor.from(new Float32Array(8), [4, 2], { backend: g });
  assert.throws(() => a.matmul(b), (e: Error) => e instanceof ShapeError && /\[2, 3\]/.test(e.message) && /\[4, 2\]/.test(e.message));
});

test.run();
