// Image helpers (src/tensor/ops/image.ts): Gaussian taps, separable reflect blur, colour matrix, forward
// differences and total variation: WebGPU against the float64 oracle, gradient checks, PyTorch fixtures.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu, memory, gaussianKernel1d, gaussianTaps, gaussianBlur2d, colorMatrix, tvDiffs, totalVariation, tvSquares, type Backend } from '../../src/tensor/index.js';
import { ShapeError, DTypeError } from '../../src/errors.js';
import { gpu, seededValues, assertClose } from '../helpers/backends.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';
import { goldenCase, runGolden, type GoldenOp } from '../helpers/pool-norm-golden.js';

const test = suite('image');
type F = (...xs: Tensor[]) => Tensor;
const I = (shape: number[], lo = -1, hi = 1): GradInput => ({ shape, lo, hi });
// the upstream recolouring matrix (HOR common.py, see the spec)
const K = [[0.56282854, 0.58447580, 0.58447580], [0.19482528, 0, -0.19482528], [0.04329450, -0.10823626, 0.06494176]];

async function vsOracle(name: string, f: F, specs: GradInput[], seed = 1): Promise<void> {
  const g = await gpu();
  const run = async (b: Backend) => {
    const xs = specs.map((s, k) => Tensor.from(seededValues(s.shape.reduce((p, q) => p * q, 1), seed * 17 + k, s.lo ?? -1, s.hi ?? 1), s.shape, { backend: b }));
    const y = tidy(() => f(...xs));
    const v = { shape: [...y.shape], data: await y.data() };
    [...xs, y].forEach((t) => t.dispose());
    return v;
  };
  const [a, e] = [await run(g), await run(cpu())];
  assert.equal(a.shape, e.shape, `${name} shape`);
  assertClose(a.data, e.data, { rtol: 1e-5, atol: 1e-6, what: name });
}

test('gaussianKernel1d(5, 1.5) is the upstream gradient-blur kernel', async () => {
  assertClose(gaussianTaps(5, 1.5), [0.12007838, 0.23388076, 0.29208172, 0.23388076, 0.12007838], { rtol: 1e-7, atol: 1e-8 });
  const t = gaussianKernel1d(5, 1.5, { backend: await gpu() });
  assertClose(await t.data(), goldenCase('gaussian_kernel_5_1.5').outputs[0].data, { rtol: 1e-7, atol: 1e-8 });
  assertClose([gaussianTaps(4, 0.7).reduce((p, q) => p + q, 0)], [1], { rtol: 1e-12 });
  t.dispose();
});

const FWD: [string, F, GradInput[]][] = [
  ['blur 5 / 1.5', (x) => gaussianBlur2d(x, { kernelSize: 5, sigma: 1.5 }), [I([2, 3, 7, 9])]],
  ['blur anisotropic, radius = size - 1', (x) => gaussianBlur2d(x, { kernelSize: [7, 3], sigma: [2, 0.6] }), [I([1, 2, 2, 4])]],
  ['blur default sigma, 3-D', (x) => gaussianBlur2d(x, { kernelSize: 3 }), [I([3, 5, 6])]],
  ['blur 1 x 5 (height only)', (x) => gaussianBlur2d(x, { kernelSize: [1, 5], sigma: 1 }), [I([1, 1, 6, 5])]],
  ['blur of a strided view', (x) => gaussianBlur2d(x.permute([0, 1, 3, 2]), { kernelSize: 3, sigma: 1 }), [I([2, 1, 5, 4])]],
  ['colorMatrix nested array', (x) => colorMatrix(x, K), [I([2, 3, 4, 5])]],
  ['colorMatrix tensor, CHW', (x, m) => colorMatrix(x, m), [I([3, 3, 2]), I([3, 3])]],
  ['tvDiffs dx', (x) => tvDiffs(x).dx, [I([2, 1, 3, 4])]],
  ['tvDiffs dy', (x) => tvDiffs(x).dy, [I([2, 1, 3, 4])]],
  ['totalVariation l2global', (x) => totalVariation(x), [I([1, 3, 5, 6])]],
  ['totalVariation l1', (x) => totalVariation(x, { kind: 'l1' }), [I([2, 1, 4, 3])]],
  ['totalVariation l2', (x) => totalVariation(x, { kind: 'l2' }), [I([1, 1, 1, 5])]],
  ['tvSquares (N, C, H, W)', (x) => tvSquares(x), [I([3, 2, 5, 7])]],
  ['tvSquares 1 x W planes, 5-D, strided', (x) => tvSquares(x.permute([1, 0, 2, 3, 4])), [I([2, 3, 2, 1, 9])]],
  ['tvSquares 93 x 93 (the V1 image)', (x) => tvSquares(x), [I([2, 1, 93, 93])]],
];
for (const [name, f, specs] of FWD) test(`${name} vs oracle`, () => vsOracle(name, f, specs));

const GRADS: [string, F, GradInput[]][] = [
  ['blur 5 / 1.5', (x) => gaussianBlur2d(x, { kernelSize: 5, sigma: 1.5 }), [I([1, 2, 4, 5])]],
  ['blur radius = size - 1 (every reflect branch)', (x) => gaussianBlur2d(x, { kernelSize: [5, 7], sigma: [1.2, 2] }), [I([1, 1, 4, 3])]],
  ['colorMatrix input and matrix', (x, m) => colorMatrix(x, m), [I([2, 3, 2, 3]), I([3, 3])]],
  ['tvDiffs', (x) => { const { dx, dy } = tvDiffs(x); return dx.sum().add(dy.square().sum()); }, [I([1, 2, 3, 4])]],
  ['totalVariation l2global', (x) => totalVariation(x), [I([1, 1, 4, 5])]],
  ['totalVariation l1', (x) => totalVariation(x, { kind: 'l1' }), [I([1, 2, 3, 3])]],
  ['totalVariation l2', (x) => totalVariation(x, { kind: 'l2' }), [I([2, 1, 3, 3])]],
  ['tvSquares', (x) => tvSquares(x).mul(Tensor.from([1, -0.5], [2], { backend: x.backend })).sum(), [I([2, 2, 3, 4])]],
  ['tvSquares H = 1, strided', (x) => tvSquares(x.permute([0, 2, 1, 3])), [I([2, 1, 3, 5])]],
];
for (const [name, f, specs] of GRADS) test(`gradcheck ${name}`, async () => { await gradcheck(name, f, specs, await gpu()); });

test('tvSquares = per-sample sums of tvDiffs squared, in value and gradient (WebGPU and the oracle)', async () => {
  for (const b of [await gpu(), cpu()]) {
    const x = Tensor.from(seededValues(3 * 2 * 6 * 5, 41, -2, 2), [3, 2, 6, 5], { backend: b }).requiresGrad_();
    const w = Tensor.from([0.5, -1, 2], [3], { backend: b });
    const s = tidy(() => { const s = tvSquares(x); s.mul(w).sum().backward(); return s.detach(); });
    const g = await x.grad!.data();
    x.zeroGrad();
    const want = tidy(() => { const { dx, dy } = tvDiffs(x); const c = dx.square().sum([1, 2, 3]).add(dy.square().sum([1, 2, 3])); c.mul(w).sum().backward(); return c.detach(); });
    assertClose(await s.data(), await want.data(), { rtol: 1e-5, what: `${b.name} values` });
    assertClose(g, await x.grad!.data(), { rtol: 1e-5, atol: 1e-6, what: `${b.name} gradient` });
    [x, w, s, want].forEach((t) => t.dispose());
  }
});

const GOLDEN: Record<string, GoldenOp> = {
  'blur_5_1.5': (x) => gaussianBlur2d(x, { kernelSize: 5, sigma: 1.5 }),
  blur_anisotropic: (x) => gaussianBlur2d(x, { kernelSize: [5, 3], sigma: [1.5, 0.8] }),
  color_matrix: (x, m) => colorMatrix(x, m),
  tv_diffs: (x) => { const { dx, dy } = tvDiffs(x); return [dx, dy]; },
  tv_l2global: (x) => totalVariation(x, { kind: 'l2global' }),
  tv_l1: (x) => totalVariation(x, { kind: 'l1' }),
  tv_l2: (x) => totalVariation(x, { kind: 'l2' }),
};
for (const [name, op] of Object.entries(GOLDEN)) {
  test(`PyTorch ${name}`, async () => {
    const c = goldenCase(name);
    await runGolden(c, op, cpu(), 1e-8);
    await runGolden(c, op, await gpu(), 1e-4);
  });
}

test('no buffers leak: forward and backward inside tidy, blur outside any scope', async () => {
  for (const b of [await gpu(), cpu()]) {
    const x = Tensor.from(seededValues(2 * 3 * 6 * 5, 2), [2, 3, 6, 5], { backend: b }).requiresGrad_();
    const xs = x.detach().permute([0, 1, 3, 2]);
    const before = memory(b).buffers;
    tidy(() => gaussianBlur2d(x, { kernelSize: [5, 3], sigma: 1 }).sum().add(colorMatrix(x, K).square().sum()).add(totalVariation(x)).backward());
    x.zeroGrad();
    gaussianBlur2d(xs, { kernelSize: 3, sigma: 1 }).dispose();
    colorMatrix(xs, K).dispose();
    totalVariation(xs, { kind: 'l1' }).dispose();
    const { dx, dy } = tvDiffs(xs);
    dx.dispose(); dy.dispose();
    assert.is(memory(b).buffers, before, `${b.name}: live buffers`);
    [x, xs].forEach((t) => t.dispose());
  }
});

test('errors', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(2 * 3 * 4 * 5, 3), [2, 3, 4, 5], { backend: g });
  const isShape = (re: RegExp) => (e: Error) => e instanceof ShapeError && re.test(e.message);
  assert.throws(() => gaussianTaps(0, 1), isShape(/positive integer/));
  assert.throws(() => gaussianTaps(5, 0), isShape(/sigma/));
  assert.throws(() => gaussianBlur2d(x, { kernelSize: 4, sigma: 1 }), isShape(/odd/));
  assert.throws(() => gaussianBlur2d(x, { kernelSize: [3, 9], sigma: 1 }), isShape(/smaller than the image size/));
  assert.throws(() => gaussianBlur2d(x, { kernelSize: 3, sigma: -1 }), isShape(/sigma/));
  assert.throws(() => colorMatrix(x.slice([null, [0, 2]]), K), isShape(/\(N, 3, H, W\)/));
  assert.throws(() => colorMatrix(x, [[1, 0], [0, 1]]), isShape(/3 rows of 3/));
  assert.throws(() => tvDiffs(Tensor.from([1, 2], [2], { backend: g })), isShape(/at least 2 dims/));
  assert.throws(() => totalVariation(x, { kind: 'l3' as 'l1' }), isShape(/kind/));
  const xi = Tensor.from(new Int32Array(20), [1, 1, 4, 5], { backend: g, dtype: 'i32' });
  assert.throws(() => gaussianBlur2d(xi, { kernelSize: 3 }), (e: Error) => e instanceof DTypeError);
  [x, xi].forEach((t) => t.dispose());
});

test.run();
