// Grids past the device's 65535 workgroups per dimension (issue 12, item 5): every kernel family must work for
// any tensor size the buffers allow. Two kinds of checks, both against the float64 CPU oracle:
//  - real sizes whose grid exceeds 65535 in the dimension that used to overflow (kept cheap: many tiny
//    matrices, one very long row, ...);
//  - small tensors with the engine's tile size lowered to 2 workgroups, so that every kernel on a 3-D grid runs
//    split into several dispatches along x, y and z.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Tensor, tidy, cpu, randomRows, matmul, conv2d, maxPool2d, avgPool2d, batchNorm, interpolate, roiAlign, arange, ones, sgdUpdate_, adamUpdate_, l2Scale, tvSquares, type Backend, type ConvKernel,
} from '../../src/tensor/index.js';
import { DeviceError } from '../../src/errors.js';
import type { WebGPUBackend } from '../../src/tensor/backend/webgpu/webgpu-backend.js';
import { gpu, assertClose, seededValues } from '../helpers/backends.js';

const test = suite('dispatch limits: grids past 65535 workgroups per dimension');
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const TOL = { rtol: 1e-4, atol: 1e-5 };

/**
 * f on backend b over inputs of the given shapes (seeded values): the output, and with `grad` the gradients of
 * sum(y * cot) for every input.
 */
async function run(b: Backend, shapes: number[][], f: (...xs: Tensor[]) => Tensor, grad: boolean, seed: number): Promise<Float64Array[]> {
  const xs = shapes.map((s, k) => Tensor.from(seededValues(numel(s), seed + k), s, { backend: b }).requiresGrad_(grad));
  const y = tidy(() => {
    const out = f(...xs);
    if (grad) out.mul(Tensor.from(seededValues(out.size, seed + 99), out.shape, { backend: b })).sum().backward();
    return out.detach();
  });
  const res = [Float64Array.from(await y.data())];
  if (grad) for (const x of xs) res.push(Float64Array.from(await x.grad!.data()));
  y.dispose(); xs.forEach((x) => x.dispose());
  return res;
}

async function check(what: string, shapes: number[][], f: (...xs: Tensor[]) => Tensor, grad = false, seed = 1): Promise<void> {
  const want = await run(cpu(), shapes, f, grad, seed);
  const got = await run(await gpu(), shapes, f, grad, seed);
  got.forEach((v, k) => assertClose(v, want[k], { ...TOL, what: `${what}: ${k === 0 ? 'output' : `grad of input ${k - 1}`}` }));
}

// ------------------------------------------------------------------ real sizes

test('elementwise: a strided operand over 4.2M elements (the 67571x1x1 grid of the report)', async () => {
  await check('x * y[1]', [[4_200_000], [1]], (x, y) => x.mul(y));
});

// (the tiled and vec4nt kernels take seconds per 70000 workgroups on lavapipe: the small-tile test below splits
// their grids along every dimension instead)
test('matmul: 70000 batches of 4x4 matrices (batch on z)', async () => {
  for (const kernel of ['auto', 'naive', 'vec4'] as const) {
    await check(`matmul [${kernel}]`, [[70_000, 4, 4], [70_000, 4, 4]], (a, b) => matmul(a, b, { kernel }));
  }
});

test('matmul: 1.1M output columns (x) and 1.1M rows (y)', async () => {
  await check('matmul [naive] wide', [[1, 1], [1, 1_100_000]], (a, b) => matmul(a, b, { kernel: 'naive' }));
  await check('matmul [naive] tall', [[1_100_000, 1], [1, 1]], (a, b) => matmul(a, b, { kernel: 'naive' }));
});

test('conv2d: 70000 groups through the GEMM kernels, with input and weight gradients', async () => {
  // forward: GEMM (forced), channel blocks x groups on z; input gradient (stride 2): GEMM over 4 phases x 70000
  // groups; weight gradient: 70000 channel blocks
  await check('conv2d groups 70000', [[1, 70_000, 2, 2], [70_000, 1, 1, 1]], (x, w) => conv2d(x, w, null, { groups: 70_000, stride: 2, kernel: 'gemm' }), true);
});

test('pooling: 70000 planes, and rows of 1.1M columns', async () => {
  await check('maxPool2d planes', [[1, 70_000, 2, 2]], (x) => maxPool2d(x, { kernelSize: 2 }), true);
  await check('avgPool2d planes', [[1, 70_000, 2, 2]], (x) => avgPool2d(x, { kernelSize: 2 }), true);
  await check('avgPool2d columns', [[1, 1, 1, 1_100_000]], (x) => avgPool2d(x, { kernelSize: 1 }), true);
  await check('maxPool2d columns', [[1, 1, 1, 1_100_000]], (x) => maxPool2d(x, { kernelSize: [1, 2] }), true);
});

test('batchNorm (eval): 4.2M values per channel, and 70000 channels', async () => {
  const stats = (C: number) => [[C], [C], [C], [C]];
  const bn = (x: Tensor, m: Tensor, v: Tensor, w: Tensor, b: Tensor) => batchNorm(x, m, v.abs().add(0.5), w, b);
  await check('batchNorm long channel', [[1, 1, 4_200_000], ...stats(1)], bn);
  await check('batchNorm many channels', [[1, 70_000, 32], ...stats(70_000)], bn);
});

test('interpolate: 70000 output rows, and 262200 planes (65550 blocks of 4, once capped at 65535)', async () => {
  await check('interpolate rows', [[1, 1, 35_000, 1]], (x) => interpolate(x, { size: [70_000, 2], mode: 'bilinear' }), true);
  await check('interpolate planes', [[1, 262_200, 1, 1]], (x) => interpolate(x, { size: [1, 2], mode: 'bilinear' }), true);
});

test('roiAlign: 70000 pooled rows and input rows, and 262200 channels (65550 blocks of 4, once capped at 65535)', async () => {
  const boxes = [[0, 0, 0, 0.9, 69_000]];
  await check('roiAlign rows', [[1, 1, 70_000, 1]], (x) => roiAlign(x, boxes, [70_000, 1], { samplingRatio: 1 }), true);
  await check('roiAlign channels', [[1, 262_200, 1, 1]], (x) => roiAlign(x, [[0, 0, 0, 0.5, 0.5]], [1, 1], { samplingRatio: 2 }), true);
});

test('randomRows: 140000 independent streams (parameters larger than the 1 MiB parameter arena)', async () => {
  // each row's stream is what a one-row call with its seed draws (src/tensor/random.ts documents this)
  const seeds = Array.from({ length: 140_000 }, (_, r) => BigInt(r) * 7919n + 3n);
  const rows = randomRows('uniform', seeds, [5], { backend: cpu() });
  const got = randomRows('uniform', seeds, [5], { backend: await gpu() });
  assertClose(await got.data(), await rows.data(), { rtol: 0, atol: 0, what: 'randomRows' });
  rows.dispose(); got.dispose();
});

test('optim: fused SGD and Adam updates of 16.8M elements (65600 workgroups of 256, folded into x and y)', async () => {
  const g = await gpu(), n = 65_600 * 256;
  const p = ones([n], { backend: g }), grad = arange(0, n, 1, { backend: g, dtype: 'f32' });
  // p = 1 - 0.5 g with g = f32(i) (arange rounds past 2^24): one rounding, as the kernel
  sgdUpdate_(p, grad, null, { lr: 0.5, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, first: false });
  const got = await p.data() as Float32Array;
  const bad = got.findIndex((v, i) => v !== Math.fround(1 - 0.5 * Math.fround(i)));
  assert.is(bad, -1, `sgd update wrong at element ${bad}`);
  // first Adam step with eps 0: p -= stepSize * (1 - b1) / sqrt(1 - b2) where g > 0 (element 0, 0 / 0, is not checked)
  const m = ones([n], { backend: g }), v = ones([n], { backend: g });
  adamUpdate_(p, grad, m, v, { b1: 0.9, b2: 0.999, eps: 0, stepSize: 0.25, invSqrtBc2: 1, weightDecay: 0, maximize: false, first: true });
  const after = await p.data() as Float32Array;
  for (const i of [1, 1000, 65_535 * 256, n - 1]) assertClose([after[i]], [Math.fround(1 - 0.5 * Math.fround(i)) - 0.25 * (0.1 / Math.sqrt(0.001))], { rtol: 1e-6, atol: 1e-5, what: `adam element ${i}` });
  for (const t of [p, grad, m, v]) t.dispose();
});

test('l2Scale: 16.8M elements forward and backward (65600 workgroups of 256, folded into x and y)', async () => {
  const g = await gpu(), n = 65_600 * 256;
  // two samples: [1, 1, ...] (norm sqrt(n/2)) and [2, 2, ...] (norm 2 sqrt(n/2)): both scale to 3 / sqrt(n/2)
  const x = ones([2, n / 2], { backend: g }).mul(Tensor.from([1, 2], [2, 1], { backend: g })).requiresGrad_();
  const y = tidy(() => { const y = l2Scale(x, 3, 0); y.reshape([2, 4, n / 8]).select(1, 0).sum().backward(); return y.detach(); });
  const got = await y.data() as Float32Array, want = 3 / Math.sqrt(n / 2);
  for (const i of [0, 65_535 * 256, n / 2 + 7, n - 1]) assertClose([got[i]], [want], { rtol: 1e-4, what: `l2Scale element ${i}` });
  // loss: the sum of each sample's first quarter; a constant sample c (norm nrm = c sqrt(n/2)) gets
  // t / nrm ([in the first quarter] - 1/4)
  const gx = await x.grad!.data() as Float32Array;
  const grad = (i: number) => { const s = i < n / 2 ? 0 : 1, j = i - s * (n / 2); return 3 / ((s + 1) * Math.sqrt(n / 2)) * ((j < n / 8 ? 1 : 0) - 0.25); };
  for (const i of [0, n / 8 + 1, n / 2 + 5, 65_535 * 256, n - 1]) assertClose([gx[i]!], [grad(i)], { rtol: 1e-3, what: `l2Scale gradient element ${i}` });
  [x, y].forEach((t) => t.dispose());
});

test('tvSquares: backward over 16.8M elements (65700 workgroups of 256, folded into x and y)', async () => {
  const g = await gpu(), S = 2900; // 2 samples of 2900 x 2900
  // x[r, c] = c: every horizontal difference 1, every vertical 0; the gradient is -2 at c = 0, 2 at c = S - 1, else 0
  const x = arange(0, S, 1, { backend: g, dtype: 'f32' }).expand([2, 1, S, S]).contiguous().requiresGrad_();
  const s = tidy(() => { const s = tvSquares(x); s.sum().backward(); return s.detach(); });
  assertClose(await s.data(), [S * (S - 1), S * (S - 1)], { rtol: 0, what: 'tvSquares per sample' });
  const gx = await x.grad!.data() as Float32Array;
  const want = (i: number) => { const c = i % S; return c === 0 ? -2 : c === S - 1 ? 2 : 0; };
  for (const i of [0, 1, S - 1, S * S + S - 1, 65_535 * 256 + 1, 2 * S * S - S, 2 * S * S - 1]) assert.is(gx[i], want(i), `tvSquares gradient element ${i}`);
  [x, s].forEach((t) => t.dispose());
});

test('pad (reflect, last two dims): 4096 x 4096 -> 4100 x 4100, forward and backward past 65535 x 256', async () => {
  const g = await gpu(), S = 4096;
  const x = arange(0, S, 1, { backend: g, dtype: 'f32' }).expand([1, S, S]).contiguous().requiresGrad_(); // x[r, c] = c
  const y = tidy(() => { const y = x.pad([2, 2, 2, 2], 'reflect'); y.sum().backward(); return y.detach(); });
  const got = await y.data() as Float32Array, O = S + 4;
  const src = (p: number) => (p < 0 ? -p : p > S - 1 ? 2 * (S - 1) - p : p);
  for (const i of [0, 1, O - 1, 65_535 * 256 + 3, O * O - 1]) assert.is(got[i], src((i % O) - 2), `pad element ${i}`);
  // each position receives one gradient per padded copy of it: 2 along a dim at 1, 2, S - 3, S - 2, else 1
  const copies = (p: number) => (p === 1 || p === 2 || p === S - 3 || p === S - 2 ? 2 : 1);
  const gx = await x.grad!.data() as Float32Array;
  for (const i of [0, 1, S + 2, 65_535 * 256 + 7, S * S - 2, S * S - 1]) assert.is(gx[i], copies(Math.floor(i / S)) * copies(i % S), `pad gradient element ${i}`);
  [x, y].forEach((t) => t.dispose());
});

// ------------------------------------------------------------------ every tiled kernel, split along x, y and z

test('small tensors with tiles of 2 workgroups: every kernel on a 3-D grid', async () => {
  const g = (await gpu()) as WebGPUBackend;
  const before = g.engine.dispatchCount;
  g.engine.maxTileWorkgroups = 2;
  try {
    await check('elementwise grid', [[5, 7, 300], [7, 1]], (x, y) => x.mul(y));
    for (const kernel of ['naive', 'tiled', 'vec4', 'vec4nt'] as const) {
      await check(`matmul [${kernel}]`, [[5, 140, 72], [5, 72, 136]], (a, b) => matmul(a, b, { kernel }));
    }
    for (const kernel of ['gemm', 'depthwise', 'naive'] as ConvKernel[]) {
      await check(`conv2d grouped [${kernel}]`, [[2, 12, 21, 21], [12, 4, 3, 3]], (x, w) => conv2d(x, w, null, { groups: 3, padding: 1, stride: 2, kernel }), true);
      await check(`conv2d depthwise [${kernel}]`, [[2, 6, 40, 40], [6, 1, 3, 3], [6]], (x, w, b) => conv2d(x, w, b, { groups: 6, padding: 1, kernel }), true);
    }
    await check('maxPool2d', [[2, 3, 20, 70]], (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), true);
    await check('avgPool2d', [[2, 3, 20, 70]], (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), true);
    await check('batchNorm grid', [[3, 5, 200], [5], [5], [5], [5]], (x, m, v, w, b) => batchNorm(x, m, v.abs().add(0.5), w, b));
    await check('interpolate', [[2, 9, 5, 6]], (x) => interpolate(x, { size: [13, 150], mode: 'bicubic' }), true);
    await check('roiAlign', [[2, 9, 12, 140]], (x) => roiAlign(x, [[1, 0.5, 1, 130.5, 9], [0, 2, 0, 60, 11]], [5, 140], { samplingRatio: 2 }), true);
  } finally {
    g.engine.maxTileWorkgroups = g.limits.maxComputeWorkgroupsPerDimension;
  }
  assert.ok(g.engine.dispatchCount > before);
});

test('a kernel that cannot split its grid still fails with a clear DeviceError', async () => {
  const g = (await gpu()) as WebGPUBackend;
  const out = g.alloc(1);
  const max = g.limits.maxComputeWorkgroupsPerDimension;
  try {
    g.dispatch({ name: 'probe', key: 'test:probe', source: () => '@group(0) @binding(0) var<storage, read> P: array<u32>;\n@compute @workgroup_size(1) fn main() { _ = P[0]; }',
      workgroups: [max + 1, 1, 1], params: new Uint32Array(1), outputs: [], inputs: [] });
    assert.unreachable('dispatch past the limit was accepted');
  } catch (e) {
    assert.instance(e, DeviceError);
    assert.match((e as Error).message, `kernel probe: ${max + 1}x1x1 workgroups exceed the device limit of ${max} per dimension`);
  } finally {
    g.free(out);
  }
});

test.run();
