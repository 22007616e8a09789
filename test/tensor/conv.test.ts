// conv2d / convTranspose2d: every WebGPU kernel against the float64 oracle, VJPs against finite differences
// (gradcheck) and PyTorch fixtures (tools/golden/conv.py), and the shape errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Tensor, tidy, cpu, conv2d, convTranspose2d, kernelsFor, type Backend, type Conv2dOptions, type ConvTranspose2dOptions, type ConvKernel } from '../../src/tensor/index.js';
import { ShapeError } from '../../src/errors.js';
import { gpu, assertClose, seededValues } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { fixture } from '../helpers/fixtures.js';

const test = suite('conv');
const TOL = { rtol: 1e-4, atol: 1e-4 };
const numel = (s: readonly number[]) => s.reduce((p, q) => p * q, 1);

interface Cfg { name: string; x: number[]; w: number[]; bias: boolean; opts: Conv2dOptions; kernels?: ConvKernel[] }

// [N, C, H, W], [O, C/groups, kH, kW]
const CONV: Cfg[] = [
  { name: '3x3 pad 1', x: [2, 3, 7, 9], w: [4, 3, 3, 3], bias: true, opts: { padding: 1 } },
  { name: '3x3 stride 2 pad 1', x: [1, 4, 9, 8], w: [6, 4, 3, 3], bias: false, opts: { stride: 2, padding: 1 } },
  { name: 'asymmetric pairs', x: [2, 3, 8, 11], w: [5, 3, 3, 2], bias: true, opts: { stride: [2, 1], padding: [1, 0], dilation: [1, 2] } },
  { name: 'dilated', x: [1, 2, 10, 10], w: [3, 2, 3, 3], bias: false, opts: { dilation: 2, padding: 2 } },
  { name: 'grouped', x: [2, 6, 7, 7], w: [9, 2, 3, 3], bias: true, opts: { groups: 3, padding: 1 } },
  { name: 'grouped strided, 1 channel out per group', x: [1, 4, 7, 6], w: [2, 2, 3, 3], bias: true, opts: { groups: 2, stride: 2 } },
  { name: 'depthwise 7x7 pad 3', x: [3, 5, 11, 13], w: [5, 1, 7, 7], bias: true, opts: { groups: 5, padding: 3 } },
  { name: 'depthwise 3x3 stride 2', x: [2, 4, 9, 9], w: [4, 1, 3, 3], bias: false, opts: { groups: 4, stride: 2, padding: 1 } },
  { name: 'depthwise 3x3 dilation 2', x: [1, 3, 8, 7], w: [3, 1, 3, 3], bias: false, opts: { groups: 3, dilation: 2, padding: [2, 1] } },
  { name: '1x1 (odd plane)', x: [2, 8, 5, 7], w: [12, 8, 1, 1], bias: true, opts: {} },
  { name: '1x1 (plane multiple of 4)', x: [2, 8, 4, 6], w: [12, 8, 1, 1], bias: true, opts: {} },
  { name: '1x1 stride 2', x: [1, 8, 9, 9], w: [16, 8, 1, 1], bias: false, opts: { stride: 2 } },
  { name: 'ConvNeXt stem 4x4 stride 4', x: [2, 3, 17, 17], w: [8, 3, 4, 4], bias: true, opts: { stride: 4 } },
  { name: '2x2 stride 2', x: [1, 8, 11, 11], w: [16, 8, 2, 2], bias: true, opts: { stride: 2 } },
  { name: 'ResNet stem 7x7 stride 2 pad 3', x: [1, 3, 19, 21], w: [8, 3, 7, 7], bias: false, opts: { stride: 2, padding: 3 } },
  { name: "'same' even kernel (asymmetric)", x: [1, 2, 6, 7], w: [3, 2, 4, 2], bias: true, opts: { padding: 'same', dilation: [1, 2] } },
  { name: "'valid'", x: [2, 2, 5, 6], w: [3, 2, 3, 3], bias: false, opts: { padding: 'valid' } },
  { name: 'channel blocks with a tail', x: [1, 16, 13, 13], w: [20, 16, 3, 3], bias: true, opts: { padding: 1 } },
  { name: 'batch 3, odd sizes', x: [3, 5, 6, 5], w: [7, 5, 2, 3], bias: true, opts: { padding: [1, 2] } },
  { name: 'size-1 dims', x: [1, 1, 1, 1], w: [1, 1, 1, 1], bias: true, opts: {} },
  { name: '>= 400 pixels (repacked vec4 weights), channels padded to 4', x: [1, 3, 21, 21], w: [10, 3, 3, 3], bias: true, opts: { padding: 1 } },
  { name: '>= 400 pixels, grouped, batch 2', x: [2, 16, 15, 14], w: [20, 8, 3, 2], bias: false, opts: { groups: 2, padding: [1, 0] } },
  { name: 'kernel covers the padded input', x: [1, 2, 3, 3], w: [2, 2, 5, 5], bias: false, opts: { padding: 1 } },
];

function kernelsOf(c: Cfg): ConvKernel[] {
  const [, C] = c.x, [O, , kH, kW] = c.w, g = c.opts.groups ?? 1;
  const ks: ConvKernel[] = ['auto', 'naive', 'gemm'];
  if (g === C && g === O) ks.push('depthwise');
  if (kH === 1 && kW === 1 && g === 1 && !c.opts.stride && !c.opts.padding) ks.push('matmul');
  return ks;
}

function inputs(b: Backend, x: number[], w: number[], nb: number, seed: number): Tensor[] {
  const t = [Tensor.from(seededValues(numel(x), seed), x, { backend: b }), Tensor.from(seededValues(numel(w), seed + 1), w, { backend: b })];
  if (nb) t.push(Tensor.from(seededValues(nb, seed + 2), [nb], { backend: b }));
  return t;
}

/** forward value and the gradients of sum(y * cot) on backend b */
async function run(b: Backend, f: (x: Tensor, w: Tensor, bias: Tensor | null) => Tensor, x: number[], w: number[], nb: number, seed: number): Promise<Float64Array[]> {
  const ts = inputs(b, x, w, nb, seed).map((t) => t.requiresGrad_());
  const y = tidy(() => {
    const out = f(ts[0], ts[1], ts[2] ?? null);
    const cot = Tensor.from(seededValues(out.size, seed + 3), out.shape, { backend: b });
    out.mul(cot).sum().backward();
    return out.detach();
  });
  const res = [Float64Array.from(await y.data()), ...(await Promise.all(ts.map(async (t) => Float64Array.from(await t.grad!.data()))))];
  y.dispose(); ts.forEach((t) => t.dispose());
  return res;
}

const NAMES = ['output', 'grad x', 'grad weight', 'grad bias'];

for (const c of CONV) {
  test(`conv2d ${c.name}: every kernel and the VJPs vs the oracle`, async () => {
    const g = await gpu();
    const nb = c.bias ? c.w[0] : 0;
    const want = await run(cpu(), (x, w, b) => conv2d(x, w, b, c.opts), c.x, c.w, nb, 11);
    for (const kernel of kernelsOf(c)) {
      const got = await run(g, (x, w, b) => conv2d(x, w, b, { ...c.opts, kernel }), c.x, c.w, nb, 11);
      got.forEach((v, k) => assertClose(v, want[k], { ...TOL, what: `${c.name} [${kernel}] ${NAMES[k]}` }));
    }
  });
}

// [N, Cin, H, W], [Cin, Cout/groups, kH, kW]
const TRANSPOSED: { name: string; x: number[]; w: number[]; bias: boolean; opts: ConvTranspose2dOptions }[] = [
  { name: 'stride 1 pad 1', x: [2, 4, 5, 6], w: [4, 3, 3, 3], bias: true, opts: { padding: 1 } },
  { name: 'stride 2 pad 1 output padding 1', x: [1, 4, 5, 5], w: [4, 6, 3, 3], bias: true, opts: { stride: 2, padding: 1, outputPadding: 1 } },
  { name: 'groups 2 stride 2', x: [2, 4, 4, 5], w: [4, 3, 3, 3], bias: false, opts: { groups: 2, stride: 2 } },
  { name: 'output padding below dilation', x: [1, 2, 4, 4], w: [2, 3, 3, 3], bias: true, opts: { dilation: 2, outputPadding: 1 } },
  { name: 'asymmetric', x: [1, 3, 4, 3], w: [3, 2, 3, 4], bias: true, opts: { stride: [2, 3], padding: [1, 0], outputPadding: [1, 2], dilation: [1, 2] } },
  { name: '4x4 stride 4', x: [2, 5, 3, 4], w: [5, 3, 4, 4], bias: false, opts: { stride: 4 } },
  { name: 'depthwise dilated', x: [1, 4, 6, 6], w: [4, 1, 3, 3], bias: true, opts: { groups: 4, padding: 1, dilation: 2 } },
];

for (const c of TRANSPOSED) {
  test(`convTranspose2d ${c.name}: forward and VJPs vs the oracle`, async () => {
    const g = await gpu();
    const nb = c.bias ? c.w[1] * (c.opts.groups ?? 1) : 0;
    const want = await run(cpu(), (x, w, b) => convTranspose2d(x, w, b, c.opts), c.x, c.w, nb, 21);
    for (const kernel of ['auto', 'naive', 'gemm'] as const) {
      const got = await run(g, (x, w, b) => convTranspose2d(x, w, b, { ...c.opts, kernel }), c.x, c.w, nb, 21);
      got.forEach((v, k) => assertClose(v, want[k], { ...TOL, what: `transposed ${c.name} [${kernel}] ${NAMES[k]}` }));
    }
  });
}

test('backward kernels: naive, gemm and depthwise paths agree with the oracle', async () => {
  const g = await gpu();
  const cases: Cfg[] = [CONV[4], CONV[6], CONV[8], CONV[10], CONV[14]];
  for (const c of cases) {
    const [N, C, H, W] = c.x, [O, , kH, kW] = c.w, groups = c.opts.groups ?? 1;
    const y = tidy(() => conv2d(Tensor.from(new Float32Array(numel(c.x)), c.x, { backend: cpu() }), Tensor.from(new Float32Array(numel(c.w)), c.w, { backend: cpu() }), null, c.opts).shape.slice());
    const [, , OH, OW] = y;
    const pad = c.opts.padding, [pT, pL] = typeof pad === 'number' ? [pad, pad] : Array.isArray(pad) ? pad : [0, 0];
    const pair = (v: unknown) => (typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : [1, 1]) as [number, number];
    const [sH, sW] = pair(c.opts.stride), [dH, dW] = pair(c.opts.dilation);
    const geo = { N, C, H, W, O, OH, OW, kH, kW, sH, sW, pT, pL, dH, dW, groups };
    const results: Record<string, Float64Array[]> = {};
    for (const b of [cpu(), g]) {
      const k = kernelsFor(b, 'conv');
      const x = Tensor.from(seededValues(numel(c.x), 5), c.x, { backend: b }), w = Tensor.from(seededValues(numel(c.w), 6), c.w, { backend: b });
      const gy = Tensor.from(seededValues(numel(y), 7), y, { backend: b });
      for (const kernel of (b === g ? ['auto', 'naive', 'gemm', 'depthwise'] : ['auto']) as ConvKernel[]) {
        const dx = Tensor.fromBuffer(b, k.conv2dBackwardInput(b, gy.backendView('t'), w.backendView('t'), null, geo, kernel), c.x, 'f32');
        const dw = Tensor.fromBuffer(b, k.conv2dBackwardWeight(b, x.backendView('t'), gy.backendView('t'), geo, kernel), c.w, 'f32');
        results[`${b.name}:${kernel}`] = [Float64Array.from(await dx.data()), Float64Array.from(await dw.data())];
        dx.dispose(); dw.dispose();
      }
      [x, w, gy].forEach((t) => t.dispose());
    }
    for (const [key, [dx, dw]] of Object.entries(results)) {
      assertClose(dx, results['cpu:auto'][0], { ...TOL, what: `${c.name} ${key} dx` });
      assertClose(dw, results['cpu:auto'][1], { ...TOL, what: `${c.name} ${key} dw` });
    }
  }
});

test('unbatched (C, H, W) input', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(3 * 5 * 5, 1), [3, 5, 5], { backend: g }), w = Tensor.from(seededValues(2 * 3 * 9, 2), [2, 3, 3, 3], { backend: g });
  const y = conv2d(x, w, null, { padding: 1 });
  assert.equal([...y.shape], [2, 5, 5]);
  const y4 = conv2d(x.reshape([1, 3, 5, 5]), w, null, { padding: 1 });
  assertClose(await y.data(), await y4.data());
  const t = convTranspose2d(y, Tensor.from(seededValues(2 * 3 * 4, 3), [2, 3, 2, 2], { backend: g }), null, { stride: 2 });
  assert.equal([...t.shape], [3, 10, 10]);
  [x, w, y, y4, t].forEach((v) => v.dispose());
});

test('frozen weights cost no weight-gradient work', async () => {
  const g = await gpu();
  const k = kernelsFor(g, 'conv');
  const orig = k.conv2dBackwardWeight;
  let calls = 0;
  k.conv2dBackwardWeight = (...a) => { calls++; return orig(...a); };
  try {
    const x = Tensor.from(seededValues(2 * 3 * 6 * 6, 1), [2, 3, 6, 6], { backend: g }).requiresGrad_();
    const w = Tensor.from(seededValues(4 * 3 * 9, 2), [4, 3, 3, 3], { backend: g });
    const b = Tensor.from([0.1, 0.2, 0.3, 0.4], [4], { backend: g });
    tidy(() => conv2d(x, w, b, { padding: 1 }).square().sum().backward());
    assert.is(calls, 0, 'no weight gradient kernel ran');
    assert.ok(x.grad, 'the input got a gradient');
    assert.is(w.grad, null);
    assert.is(b.grad, null);
    const y = conv2d(w.reshape([4, 3, 3, 3]).slice([[0, 1]]), w);
    assert.is(y.node, null, 'nothing is recorded when nothing requires grad');
    [x, w, b, y].forEach((t) => t.dispose());
  } finally {
    k.conv2dBackwardWeight = orig;
  }
});

test('no buffers outlive their tensors: inference outside tidy, training inside', async () => {
  const g = await gpu();
  await g.sync();
  const before = g.memory().buffers;
  for (const grad of [false, true]) {
    const x = Tensor.from(seededValues(2 * 3 * 9 * 9, 1), [2, 3, 9, 9], { backend: g }).requiresGrad_(grad);
    const w = Tensor.from(seededValues(8 * 3 * 9, 2), [8, 3, 3, 3], { backend: g }).requiresGrad_(grad);
    const wd = Tensor.from(seededValues(3 * 9, 4), [3, 1, 3, 3], { backend: g }).requiresGrad_(grad);
    const wt = Tensor.from(seededValues(3 * 8 * 4, 5), [3, 8, 2, 2], { backend: g }).requiresGrad_(grad);
    const b = Tensor.from(seededValues(8, 3), [8], { backend: g }).requiresGrad_(grad);
    const b3 = Tensor.from(seededValues(3, 6), [3], { backend: g }).requiresGrad_(grad);
    const run = () => [conv2d(x, w, b, { padding: 1, stride: 2 }), conv2d(x, wd, b3, { padding: 2, dilation: 2, groups: 3 }), convTranspose2d(x, wt, b, { stride: 2 })];
    if (grad) {
      tidy(() => { for (const y of run()) y.square().sum().backward(); });
      assert.ok(x.grad && w.grad && wd.grad && wt.grad && b.grad && b3.grad, 'every leaf got a gradient');
    } else {
      for (const y of run()) { await y.data(); y.dispose(); }
    }
    [x, w, wd, wt, b, b3].forEach((t) => t.dispose());
  }
  await g.sync();
  assert.is(g.memory().buffers, before);
});

test('non-contiguous operands at an offset', async () => {
  const g = await gpu();
  const run1 = async (b: Backend) => {
    const big = Tensor.from(seededValues(2 * 4 * 7 * 9 + 5, 3), [2 * 4 * 7 * 9 + 5], { backend: b });
    const x = big.slice([[5, null]]).reshape([2, 4, 9, 7]).transpose(2, 3); // (2, 4, 7, 9) non-contiguous, offset 5
    const w = Tensor.from(seededValues(6 * 4 * 9, 4), [6, 4, 3, 3], { backend: b }).flip([3]);
    const y = conv2d(x, w, null, { padding: 1, stride: [1, 2] });
    const d = Float64Array.from(await y.data());
    [big, x, w, y].forEach((t) => t.dispose());
    return d;
  };
  assertClose(await run1(g), await run1(cpu()), TOL);
});

// ---------------------------------------------------------------- gradcheck (oracle vs finite differences, WebGPU vs oracle)
const GC: [string, (x: Tensor, w: Tensor, b: Tensor) => Tensor, number[][]][] = [
  ['conv2d grouped strided', (x, w, b) => conv2d(x, w, b, { stride: 2, padding: 1, groups: 2 }), [[1, 4, 5, 5], [4, 2, 3, 3], [4]]],
  ['conv2d depthwise dilated', (x, w, b) => conv2d(x, w, b, { groups: 3, dilation: 2, padding: 2 }), [[2, 3, 5, 4], [3, 1, 3, 3], [3]]],
  ['conv2d asymmetric same', (x, w, b) => conv2d(x, w, b, { padding: 'same' }), [[1, 2, 4, 5], [3, 2, 2, 3], [3]]],
  ['conv2d 1x1', (x, w, b) => conv2d(x, w, b), [[2, 3, 2, 2], [2, 3, 1, 1], [2]]],
  ['convTranspose2d stride 2 output padding', (x, w, b) => convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [[1, 2, 3, 3], [2, 3, 3, 3], [3]]],
  ['convTranspose2d groups dilation', (x, w, b) => convTranspose2d(x, w, b, { groups: 2, dilation: [2, 1], stride: [1, 2] }), [[1, 4, 3, 2], [4, 1, 2, 3], [2]]],
];
for (const [name, f, shapes] of GC) {
  test(`gradcheck ${name}`, async () => {
    await gradcheck(name, f, shapes.map((shape) => ({ shape })), await gpu(), { gpuRtol: 1e-4, gpuAtol: 1e-4 });
  });
}

// ---------------------------------------------------------------- PyTorch fixtures
interface Fx { name: string; op: 'conv2d' | 'conv_transpose2d'; opts: Record<string, unknown>; x: { shape: number[]; data: number[] }; w: { shape: number[]; data: number[] };
  b: number[] | null; y: { shape: number[]; data: number[] }; cotangent: number[]; gx: number[]; gw: number[]; gb: number[] | null }
const { cases: FIXTURES } = JSON.parse(readFileSync(fixture('conv', 'conv.json'), 'utf8')) as { cases: Fx[] };

for (const c of FIXTURES) {
  test(`PyTorch ${c.op} ${c.name}`, async () => {
    const o = c.opts;
    const opts = { stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups, outputPadding: o.output_padding } as ConvTranspose2dOptions & Conv2dOptions;
    for (const b of [cpu(), await gpu()]) {
      const x = Tensor.from(Float64Array.from(c.x.data), c.x.shape, { backend: b }).requiresGrad_();
      const w = Tensor.from(Float64Array.from(c.w.data), c.w.shape, { backend: b }).requiresGrad_();
      const bias = c.b ? Tensor.from(Float64Array.from(c.b), [c.b.length], { backend: b }).requiresGrad_() : null;
      const y = tidy(() => {
        const out = c.op === 'conv2d' ? conv2d(x, w, bias, opts) : convTranspose2d(x, w, bias, opts);
        out.mul(Tensor.from(Float64Array.from(c.cotangent), out.shape, { backend: b })).sum().backward();
        return out.detach();
      });
      assert.equal([...y.shape], c.y.shape, `${c.name} shape`);
      const tol = { rtol: 1e-4, atol: 1e-4 };
      assertClose(await y.data(), c.y.data, { ...tol, what: `${c.name} (${b.name}) output` });
      assertClose(await x.grad!.data(), c.gx, { ...tol, what: `${c.name} (${b.name}) grad input` });
      assertClose(await w.grad!.data(), c.gw, { ...tol, what: `${c.name} (${b.name}) grad weight` });
      if (bias && c.gb) assertClose(await bias.grad!.data(), c.gb, { ...tol, what: `${c.name} (${b.name}) grad bias` });
      [x, w, y, ...(bias ? [bias] : [])].forEach((t) => t.dispose());
    }
  });
}

// ---------------------------------------------------------------- errors
test('shapes that cannot work fail with a ShapeError naming them, before any GPU work', async () => {
  const g = await gpu();
  const t = (s: number[]) => Tensor.from(new Float32Array(numel(s)), s, { backend: g });
  const x = t([1, 4, 5, 5]);
  const throwsShape = (fn: () => unknown, re: RegExp, what: string) => {
    try { fn(); } catch (e) {
      assert.instance(e, ShapeError, what);
      assert.match((e as Error).message, re, what);
      return;
    }
    assert.unreachable(`${what}: no error`);
  };
  throwsShape(() => conv2d(x, t([2, 4, 7, 7])), /larger than the padded input.*\[1, 4, 5, 5\]/, 'kernel larger than input');
  throwsShape(() => conv2d(x, t([2, 4, 8, 3]), null, { padding: 1 }), /larger than the padded input/, 'kernel larger than padded input');
  throwsShape(() => conv2d(x, t([3, 2, 3, 3]), null, { groups: 3 }), /not divisible by groups=3/, 'channels not divisible');
  throwsShape(() => conv2d(x, t([3, 2, 3, 3]), null, { groups: 2 }), /output channels 3.*not divisible by groups=2/, 'output channels not divisible');
  throwsShape(() => conv2d(x, t([2, 3, 3, 3])), /weight \[2, 3, 3, 3\] expects 3 input channels.*\[1, 4, 5, 5\] has 4/, 'weight in-channels');
  throwsShape(() => conv2d(x, t([2, 2, 3, 3]), null, { groups: 1 }), /expects 2 input channels/, 'weight in-channels vs groups');
  throwsShape(() => conv2d(x, t([2, 4, 3, 3]), null, { padding: 'same', stride: 2 }), /'same' is not supported for strided/, "'same' with stride");
  throwsShape(() => conv2d(x, t([2, 4, 3, 3]), t([3])), /bias must have shape \[2\]/, 'bias shape');
  throwsShape(() => conv2d(x, t([2, 4, 3, 3]), null, { stride: 0 }), /stride must be an integer >= 1/, 'stride 0');
  throwsShape(() => conv2d(x, t([2, 4, 3, 3]), null, { padding: -1 }), /padding must be an integer >= 0/, 'negative padding');
  throwsShape(() => conv2d(x, t([2, 4, 3, 3]), null, { dilation: [1, 0] }), /dilation/, 'dilation 0');
  throwsShape(() => conv2d(x, t([2, 4, 3, 3]), null, { groups: 0 }), /groups must be a positive integer/, 'groups 0');
  throwsShape(() => conv2d(t([4, 5, 5]).reshape([4, 25]), t([2, 4, 3, 3])), /input must be 4-D/, 'rank');
  throwsShape(() => conv2d(t([1, 4, 0, 5]), t([2, 4, 3, 3])), /sizes must be positive/, 'empty plane');
  throwsShape(() => conv2d(x, t([2, 4, 0, 3])), /sizes must be positive/, 'empty kernel');
  throwsShape(() => convTranspose2d(x, t([4, 2, 3, 3]), null, { stride: 2, outputPadding: 2 }), /output padding \(2, 2\) must be smaller than either stride \(2, 2\) or dilation/, 'output padding >= stride');
  throwsShape(() => convTranspose2d(x, t([4, 2, 3, 3]), null, { outputPadding: 1 }), /output padding/, 'output padding with stride 1');
  throwsShape(() => convTranspose2d(x, t([3, 2, 3, 3])), /expects 3 input channels/, 'transposed weight in-channels');
  throwsShape(() => convTranspose2d(x, t([4, 2, 3, 3]), null, { groups: 3 }), /not divisible by groups=3/, 'transposed groups');
  throwsShape(() => convTranspose2d(t([1, 4, 1, 1]), t([4, 2, 3, 3]), null, { padding: 2 }), /output would be -1x-1/, 'transposed empty output');
  throwsShape(() => convTranspose2d(x, t([4, 2, 3, 3]), t([3]), { groups: 2 }), /bias must have shape \[4\]/, 'transposed bias');
  const before = (g as unknown as { engine: { dispatchCount: number } }).engine.dispatchCount;
  throwsShape(() => conv2d(x, t([2, 4, 7, 7])), /larger/, 'again');
  // t() uploads (no dispatch); the failing conv2d dispatched nothing
  assert.is((g as unknown as { engine: { dispatchCount: number } }).engine.dispatchCount, before);
  x.dispose();
});
test.run();
