// Pooling (src/tensor/ops/pool.ts): WebGPU against the float64 oracle, finite-difference gradient checks,
// PyTorch fixtures (tools/golden/pool_norm.py) and error cases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu, memory, noGrad, maxPool2d, maxPool2dWithIndices, avgPool2d, adaptiveAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from '../../src/tensor/index.js';
import { ShapeError, DTypeError } from '../../src/errors.js';
import { gpu, pair, seededValues, assertTensorsClose } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { goldenCase, runGolden, type GoldenOp } from '../helpers/pool-norm-golden.js';

const test = suite('pool');
type F = (x: Tensor) => Tensor;

/** op on the same values on WebGPU and the oracle; `view` may turn the input into a strided view first */
async function vsOracle(name: string, shape: number[], f: F, seed = 1, view: F = (x) => x): Promise<void> {
  const g = await gpu();
  const n = shape.reduce((p, q) => p * q, 1);
  const [xg, xc] = pair(seededValues(n, seed, -2, 2), shape, g);
  const [yg, yc] = [tidy(() => f(view(xg))), tidy(() => f(view(xc)))];
  await assertTensorsClose(yg, yc, { rtol: 1e-5, atol: 1e-6, what: name });
  [xg, xc, yg, yc].forEach((t) => t.dispose());
}

const MAX: [string, number[], MaxPool2dOptions][] = [
  ['resnet 3x3/2 pad 1', [2, 3, 11, 9], { kernelSize: 3, stride: 2, padding: 1 }],
  ['2x2 default stride', [1, 2, 7, 8], { kernelSize: 2 }],
  ['ceil mode dilation', [3, 2, 10, 9], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], dilation: [2, 1], ceilMode: true }],
  ['1x1 plane', [2, 1, 1, 1], { kernelSize: 1 }],
  ['CHW input', [3, 5, 6], { kernelSize: [2, 3], stride: 1, padding: [1, 1] }],
  ['ceil mode overhang', [1, 3, 8, 8], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
];
for (const [name, shape, o] of MAX) test(`maxPool2d ${name} vs oracle`, () => vsOracle(name, shape, (x) => maxPool2d(x, o)));

const AVG: [string, number[], AvgPool2dOptions][] = [
  ['3x3/2 pad 1 include pad', [2, 3, 11, 9], { kernelSize: 3, stride: 2, padding: 1 }],
  ['exclude pad, ceil', [1, 2, 8, 7], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
  ['include pad, ceil overhang', [3, 1, 8, 8], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
  ['divisor override', [2, 2, 5, 8], { kernelSize: [2, 3], stride: [1, 2], divisorOverride: 5 }],
  ['CHW input', [2, 5, 5], { kernelSize: 2, stride: 1 }],
];
for (const [name, shape, o] of AVG) test(`avgPool2d ${name} vs oracle`, () => vsOracle(name, shape, (x) => avgPool2d(x, o)));

const ADAPT: [string, number[], number | [number | null, number | null]][] = [
  ['down 10x7 -> 3x4', [2, 3, 10, 7], [3, 4]], ['up 5x5 -> 7x3', [1, 2, 5, 5], [7, 3]], ['global', [3, 4, 6, 5], 1],
  ['keep width', [1, 1, 9, 4], [4, null]], ['CHW', [2, 7, 7], 3],
];
for (const [name, shape, s] of ADAPT) test(`adaptiveAvgPool2d ${name} vs oracle`, () => vsOracle(name, shape, (x) => adaptiveAvgPool2d(x, s)));

test('pools read strided views and offsets', async () => {
  const perm: F = (x) => x.permute([0, 1, 3, 2]);
  const sliced: F = (x) => x.slice([[1, 3], null, [1, null], null]);
  await vsOracle('max permuted', [2, 2, 7, 9], (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), 3, perm);
  await vsOracle('max sliced', [3, 2, 8, 7], (x) => maxPool2d(x, { kernelSize: 2 }), 4, sliced);
  await vsOracle('avg sliced', [3, 2, 8, 7], (x) => avgPool2d(x, { kernelSize: 3, padding: 1, stride: 2 }), 5, sliced);
  await vsOracle('adaptive permuted', [1, 3, 6, 5], (x) => adaptiveAvgPool2d(x, [4, 4]), 6, perm);
});

test('maxPool2d: first maximum among ties gets the gradient; padding is -inf', async () => {
  for (const b of [await gpu(), cpu()]) {
    // all-equal input: every window's first tap wins; with pad 1 the window at (0,0) must not pick the padding
    const x = Tensor.from(new Float32Array(16).fill(-3), [1, 1, 4, 4], { backend: b }).requiresGrad_();
    const { out, indices } = maxPool2dWithIndices(x, { kernelSize: 3, stride: 2, padding: 1 });
    assert.equal(Array.from(await out.data()), [-3, -3, -3, -3]);
    assert.equal(Array.from(await indices.data()), [0, 1, 4, 5]);
    tidy(() => out.sum().backward());
    assert.equal(Array.from(await x.grad!.data()), [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    [x, out, indices].forEach((t) => t.dispose());
  }
});

const GRADS: [string, F, number[]][] = [
  ['maxPool2d resnet', (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [2, 2, 5, 6]],
  ['maxPool2d dilation ceil', (x) => maxPool2d(x, { kernelSize: 2, stride: [2, 1], padding: 1, dilation: [2, 1], ceilMode: true }), [1, 2, 6, 5]],
  ['maxPool2d strided input', (x) => maxPool2d(x.permute([0, 1, 3, 2]), { kernelSize: 2, stride: 1 }), [1, 2, 4, 3]],
  ['avgPool2d include pad', (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [2, 1, 5, 6]],
  ['avgPool2d exclude pad ceil', (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [1, 2, 6, 6]],
  ['avgPool2d divisor', (x) => avgPool2d(x, { kernelSize: [2, 3], stride: [1, 2], divisorOverride: 4 }), [1, 1, 4, 7]],
  ['adaptiveAvgPool2d down', (x) => adaptiveAvgPool2d(x, [2, 3]), [2, 1, 5, 7]],
  ['adaptiveAvgPool2d up', (x) => adaptiveAvgPool2d(x, [5, 4]), [1, 2, 3, 3]],
];
for (const [name, f, shape] of GRADS) test(`gradcheck ${name}`, async () => { await gradcheck(name, f, [{ shape }], await gpu()); });

const GOLDEN: Record<string, GoldenOp> = {
  maxpool_resnet: (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
  maxpool_ceil_dilation: (x) => maxPool2d(x, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], dilation: [2, 1], ceilMode: true }),
  maxpool_ties: (x) => maxPool2d(x, { kernelSize: 2, stride: 1 }),
  maxpool_chw_default_stride: (x) => maxPool2d(x, { kernelSize: 2 }),
  avgpool_pad: (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }),
  avgpool_ceil_exclude_pad: (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avgpool_ceil_include_pad: (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true }),
  avgpool_divisor: (x) => avgPool2d(x, { kernelSize: [2, 3], stride: [1, 2], divisorOverride: 5 }),
  adaptive_down: (x) => adaptiveAvgPool2d(x, [3, 4]),
  adaptive_up: (x) => adaptiveAvgPool2d(x, [7, 3]),
  adaptive_global: (x) => adaptiveAvgPool2d(x, 1),
};
for (const [name, op] of Object.entries(GOLDEN)) {
  test(`PyTorch ${name}`, async () => {
    const c = goldenCase(name);
    await runGolden(c, op, cpu(), 1e-8);
    await runGolden(c, op, await gpu(), 1e-4);
  });
}

test('no buffers leak: forward and backward inside tidy, inference outside any scope', async () => {
  for (const b of [await gpu(), cpu()]) {
    const x = Tensor.from(seededValues(2 * 2 * 7 * 6, 8), [2, 2, 7, 6], { backend: b }).requiresGrad_();
    const xs = x.detach().permute([0, 1, 3, 2]);
    const before = memory(b).buffers;
    tidy(() => {
      maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }).sum().add(avgPool2d(xs, { kernelSize: 2 }).sum()).add(adaptiveAvgPool2d(x, 3).sum()).backward();
    });
    x.zeroGrad();
    const y = noGrad(() => maxPool2d(xs, { kernelSize: 2 }));
    y.dispose();
    assert.is(memory(b).buffers, before, `${b.name}: live buffers`);
    [x, xs].forEach((t) => t.dispose());
  }
});

test('errors: kernel larger than the padded input, padding over half the kernel, bad options, dtype, rank', async () => {
  const g = await gpu();
  const x = Tensor.from(new Float32Array(2 * 3 * 4), [1, 2, 3, 4], { backend: g });
  assert.throws(() => maxPool2d(x, { kernelSize: 5 }), (e: Error) => e instanceof ShapeError && /larger than the padded input/.test(e.message));
  assert.throws(() => maxPool2d(x, { kernelSize: 3, dilation: 2 }), (e: Error) => e instanceof ShapeError && /extent \[5, 5\]/.test(e.message));
  assert.throws(() => avgPool2d(x, { kernelSize: 3, padding: 2 }), (e: Error) => e instanceof ShapeError && /at most half the kernel size/.test(e.message));
  assert.throws(() => maxPool2d(x, { kernelSize: 0 }), (e: Error) => e instanceof ShapeError);
  assert.throws(() => maxPool2d(x, { kernelSize: 2, stride: 0 }), (e: Error) => e instanceof ShapeError);
  assert.throws(() => maxPool2d(x, { kernelSize: [2, 2, 2] as unknown as [number, number] }), (e: Error) => e instanceof ShapeError);
  assert.throws(() => avgPool2d(x, { kernelSize: 2, divisorOverride: 0 }), (e: Error) => e instanceof ShapeError);
  assert.throws(() => adaptiveAvgPool2d(x, 0), (e: Error) => e instanceof ShapeError);
  assert.throws(() => maxPool2d(x.reshape([2, 12]), { kernelSize: 1 }), (e: Error) => e instanceof ShapeError && /\(N, C, H, W\)/.test(e.message));
  const empty = Tensor.from(new Float32Array(0), [1, 2, 0, 4], { backend: g });
  assert.throws(() => maxPool2d(empty, { kernelSize: 1 }), (e: Error) => e instanceof ShapeError && /empty/.test(e.message));
  const xi = Tensor.from(new Int32Array(12), [1, 1, 3, 4], { backend: g, dtype: 'i32' });
  assert.throws(() => maxPool2d(xi, { kernelSize: 2 }), (e: Error) => e instanceof DTypeError);
  [x, empty, xi].forEach((t) => t.dispose());
});

test.run();
