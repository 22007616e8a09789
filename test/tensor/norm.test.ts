// Normalisation (src/tensor/ops/norm.ts): WebGPU against the float64 oracle, finite-difference gradient checks
// (through batch statistics in training mode), PyTorch fixtures (tools/golden/pool_norm.py), error cases.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu, noGrad, memory, layerNorm, layerNorm2d, batchNorm, grn, l2Scale, type Backend } from '../../src/tensor/index.js';
import { ShapeError, DTypeError } from '../../src/errors.js';
import { gpu, seededValues, assertClose } from '../helpers/backends.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';
import { goldenCase, runGolden, type GoldenOp } from '../helpers/pool-norm-golden.js';

const test = suite('norm');
type F = (...xs: Tensor[]) => Tensor;
const I = (shape: number[], lo = -1, hi = 1): GradInput => ({ shape, lo, hi });

/** f on the same inputs on WebGPU and the oracle (inputs given as shapes with value ranges) */
async function vsOracle(name: string, f: F, specs: GradInput[], seed = 1): Promise<void> {
  const g = await gpu();
  const run = async (b: Backend) => {
    const xs = specs.map((s, k) => Tensor.from(seededValues(s.shape.reduce((p, q) => p * q, 1), seed * 13 + k, s.lo ?? -1, s.hi ?? 1), s.shape, { backend: b }));
    const y = tidy(() => f(...xs));
    const v = await y.data();
    [...xs, y].forEach((t) => t.dispose());
    return v;
  };
  assertClose(await run(g), await run(cpu()), { rtol: 1e-4, atol: 1e-5, what: name });
}

const FWD: [string, F, GradInput[]][] = [
  ['layerNorm last dim', (x, w, b) => layerNorm(x, [7], w, b), [I([3, 5, 7], -3, 4), I([7]), I([7])]],
  ['layerNorm two dims no bias', (x, w) => layerNorm(x, [3, 5], w, null, 1e-6), [I([2, 3, 5]), I([3, 5])]],
  ['layerNorm no affine, row of 1', (x) => layerNorm(x, [1]), [I([4, 1])]],
  ['layerNorm strided input', (x, w, b) => layerNorm(x.permute([1, 0, 2]), [5], w, b), [I([3, 2, 5]), I([5]), I([5])]],
  ['layerNorm2d', (x, w, b) => layerNorm2d(x, w, b), [I([2, 6, 5, 3], -2, 3), I([6]), I([6])]],
  ['layerNorm2d batch 3, 1x1', (x, w, b) => layerNorm2d(x, w, b, 1e-5), [I([3, 4, 1, 1]), I([4]), I([4])]],
  ['layerNorm2d from NHWC view', (x, w, b) => layerNorm2d(x.permute([0, 3, 1, 2]), w, b), [I([1, 3, 5, 7]), I([7]), I([7])]],
  ['batchNorm eval', (x, m, v, w, b) => batchNorm(x, m, v, w, b, { training: false }), [I([2, 3, 5, 4]), I([3]), I([3], 0.3, 2), I([3]), I([3])]],
  ['batchNorm eval, 7x6 planes (grid kernel)', (x, m, v, w, b) => batchNorm(x, m, v, w, b), [I([3, 2, 7, 6]), I([2]), I([2], 0.3, 2), I([2]), I([2])]],
  ['batchNorm eval no affine (N, C)', (x, m, v) => batchNorm(x, m, v, null, null, { training: false, eps: 1e-3 }), [I([5, 4]), I([4]), I([4], 0.5, 1)]],
  ['batchNorm train', (x, w, b) => batchNorm(x, null, null, w, b, { training: true }), [I([3, 2, 3, 5], -1, 3), I([2]), I([2])]],
  ['batchNorm train (N, C, L)', (x) => batchNorm(x, null, null, null, null, { training: true }), [I([2, 5, 3])]],
  ['grn', (x, g, b) => grn(x, g, b), [I([2, 3, 5, 4]), I([1, 1, 1, 4]), I([1, 1, 1, 4])]],
  ['grn 1-D params, batch 3', (x, g, b) => grn(x, g, b, 1e-3), [I([3, 2, 2, 5]), I([5]), I([5])]],
  ['grn grouped: 3 groups of 2 samples', (x, g, b) => grn(x, g, b), [I([6, 3, 2, 5]), I([3, 1, 1, 5]), I([3, 1, 1, 5])]],
  ['l2Scale images', (x) => l2Scale(x, 12), [I([3, 1, 7, 5], -2, 2)]],
  ['l2Scale odd sizes, strided, eps 1e-3', (x) => l2Scale(x.permute([1, 0, 2]), 0.5, 1e-3), [I([5, 3, 9])]],
  ['l2Scale one sample of 1001 values', (x) => l2Scale(x, 3), [I([1, 1001])]],
  ['grn grouped: one sample per group, strided input', (x, g, b) => grn(x.permute([0, 2, 1, 3]), g, b), [I([2, 3, 1, 7]), I([2, 1, 1, 7]), I([2, 1, 1, 7])]],
];
for (const [name, f, specs] of FWD) test(`${name} vs oracle`, () => vsOracle(name, f, specs));

const GRADS: [string, F, GradInput[]][] = [
  ['layerNorm input, weight, bias', (x, w, b) => layerNorm(x, [5], w, b), [I([3, 5], -2, 2), I([5]), I([5])]],
  ['layerNorm two dims, weight only', (x, w) => layerNorm(x, [2, 3], w), [I([2, 2, 3]), I([2, 3])]],
  ['layerNorm no affine', (x) => layerNorm(x, [4]), [I([3, 4])]],
  ['layerNorm weight and bias only', (w, b) => layerNorm(Tensor.from(seededValues(8, 5), [2, 4], { backend: w.backend }), [4], w, b), [I([4]), I([4])]],
  ['layerNorm2d', (x, w, b) => layerNorm2d(x, w, b), [I([2, 3, 2, 3]), I([3]), I([3])]],
  ['layerNorm2d strided', (x, w) => layerNorm2d(x.permute([0, 3, 1, 2]), w, null), [I([1, 2, 3, 4]), I([4])]],
  ['batchNorm eval', (x, w, b) => batchNorm(x, Tensor.from([0.1, -0.3], [2], { backend: x.backend }), Tensor.from([0.5, 1.5], [2], { backend: x.backend }), w, b),
    [I([2, 2, 3]), I([2]), I([2])]],
  ['batchNorm eval through running stats', (x, m, v) => batchNorm(x, m, v, null, null, { training: false }), [I([2, 3, 2]), I([3]), I([3], 0.5, 1.5)]],
  ['batchNorm train through batch statistics', (x, w, b) => batchNorm(x, null, null, w, b, { training: true }), [I([3, 2, 2, 2], -1, 2), I([2]), I([2])]],
  ['batchNorm train, 6x6 planes (grid kernel)', (x, w, b) => batchNorm(x, null, null, w, b, { training: true }), [I([1, 2, 6, 6]), I([2]), I([2])]],
  ['batchNorm train (N, C), no affine', (x) => batchNorm(x, null, null, null, null, { training: true, eps: 1e-3 }), [I([4, 3])]],
  ['grn input, gamma, beta', (x, g, b) => grn(x, g, b), [I([2, 2, 3, 3]), I([1, 1, 1, 3]), I([1, 1, 1, 3])]],
  ['l2Scale', (x) => l2Scale(x, 2.5), [I([3, 2, 3, 2], -1, 1)]],
  ['l2Scale strided, eps 0.1', (x) => l2Scale(x.permute([1, 0]), 1.5, 0.1), [I([4, 3])]],
  ['grn grouped input, gamma, beta', (x, g, b) => grn(x, g, b), [I([4, 2, 2, 3]), I([2, 1, 1, 3]), I([2, 1, 1, 3])]],
];
for (const [name, f, specs] of GRADS) test(`gradcheck ${name}`, async () => { await gradcheck(name, f, specs, await gpu(), { fdTol: 2e-5 }); });

test('batchNorm training updates the running statistics in place (unbiased variance)', async () => {
  for (const b of [await gpu(), cpu()]) {
    const vals = seededValues(2 * 3 * 4, 9, -2, 3);
    const x = Tensor.from(vals, [2, 3, 4], { backend: b });
    const rm = Tensor.from([0.5, -1, 0], [3], { backend: b }), rv = Tensor.from([1, 2, 0.5], [3], { backend: b });
    const rmView = rm.reshape([3]); // shares storage: the update must land in the existing buffer
    tidy(() => { batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.25 }); });
    const wantM: number[] = [], wantV: number[] = [];
    for (let c = 0; c < 3; c++) {
      const v = [0, 1].flatMap((n) => Array.from(vals.slice((n * 3 + c) * 4, (n * 3 + c) * 4 + 4)));
      const m = v.reduce((p, q) => p + q, 0) / 8;
      const unb = v.reduce((p, q) => p + (q - m) ** 2, 0) / 7;
      wantM.push(0.75 * [0.5, -1, 0][c] + 0.25 * m);
      wantV.push(0.75 * [1, 2, 0.5][c] + 0.25 * unb);
    }
    assertClose(await rm.data(), wantM, { rtol: 1e-5, what: `${b.name} running mean` });
    assertClose(await rmView.data(), wantM, { rtol: 1e-5, what: `${b.name} running mean through a view` });
    assertClose(await rv.data(), wantV, { rtol: 1e-5, what: `${b.name} running var` });
    // eval afterwards uses the updated statistics
    const y = noGrad(() => batchNorm(x, rm, rv, null, null, { training: false }));
    const yd = await y.data();
    assertClose([yd[0]], [(vals[0] - wantM[0]) / Math.sqrt(wantV[0] + 1e-5)], { rtol: 1e-5 });
    [x, rm, rv, rmView, y].forEach((t) => t.dispose());
  }
});

test('grn: an all-zero channel gives zero gradients, not NaN', async () => {
  for (const b of [await gpu(), cpu()]) {
    const v = Float32Array.from(seededValues(2 * 2 * 3, 4));
    for (let k = 0; k < v.length; k += 3) v[k] = 0; // channel 0 is zero everywhere
    const x = Tensor.from(v, [1, 2, 2, 3], { backend: b }).requiresGrad_();
    const g = Tensor.from([0.5, -1, 2], [3], { backend: b }), be = Tensor.from([0.1, 0.2, 0.3], [3], { backend: b });
    tidy(() => grn(x, g, be).square().sum().backward());
    const gx = await x.grad!.data();
    assert.ok(Array.from(gx).every(Number.isFinite), `${b.name}: finite gradients`);
    [x, g, be].forEach((t) => t.dispose());
  }
});

const GOLDEN: Record<string, [GoldenOp, Record<string, number>?]> = {
  layernorm_last: [(x, w, b) => layerNorm(x, [7], w, b, 1e-5)],
  layernorm_two_dims: [(x, w, b) => layerNorm(x, [3, 4], w, b, 1e-6)],
  layernorm_no_affine: [(x) => layerNorm(x, [9], null, null, 1e-5)],
  layernorm2d: [(x, w, b) => layerNorm2d(x, w, b, 1e-6)],
  batchnorm_eval: [(x, m, v, w, b) => batchNorm(x, m, v, w, b, { training: false, eps: 1e-5 })],
  batchnorm_train: [(x, m, v, w, b) => batchNorm(x, m, v, w, b, { training: true, momentum: 0.1, eps: 1e-5 }), { running_mean: 1, running_var: 2 }],
  batchnorm_train_2d: [(x, m, v) => batchNorm(x, m, v, null, null, { training: true, momentum: 0.3, eps: 1e-3 }), { running_mean: 1, running_var: 2 }],
  grn: [(x, g, b) => grn(x, g, b, 1e-6)],
};
for (const [name, [op, extra]] of Object.entries(GOLDEN)) {
  test(`PyTorch ${name}`, async () => {
    const c = goldenCase(name);
    await runGolden(c, op, cpu(), 1e-8, extra);
    await runGolden(c, op, await gpu(), 1e-4, extra);
  });
}

test('no buffers leak: forward and backward inside tidy, inference outside any scope', async () => {
  for (const b of [await gpu(), cpu()]) {
    const T = (shape: number[], seed: number, lo = -1, hi = 1) => Tensor.from(seededValues(shape.reduce((p, q) => p * q, 1), seed, lo, hi), shape, { backend: b });
    const x = T([2, 3, 4, 5], 1).requiresGrad_(), w3 = T([3], 2).requiresGrad_(), w5 = T([5], 3).requiresGrad_();
    const rm = T([3], 4), rv = T([3], 5, 0.5, 1.5), xs = x.detach().permute([0, 1, 3, 2]);
    const before = memory(b).buffers;
    tidy(() => {
      const l = [layerNorm(x, [5], w5, w5), layerNorm2d(xs, w3, w3), batchNorm(x, rm, rv, w3, w3, { training: true }), batchNorm(x, rm, rv, w3, null),
        grn(x, w5, w5)].map((t) => t.sum()).reduce((p, q) => p.add(q));
      l.backward();
    });
    [x, w3, w5].forEach((t) => t.zeroGrad());
    const c3 = w3.detach();
    for (const y of [layerNorm(xs, [4]), layerNorm2d(xs, c3, c3), batchNorm(xs, rm, rv, c3, c3), batchNorm(xs, rm, rv, null, null, { training: true }),
      grn(x.detach(), rm.slice([[0, 1]]).expand([5]), rv.slice([[1, 2]]).expand([5]))]) y.dispose();
    assert.is(memory(b).buffers, before, `${b.name}: live buffers`);
    [x, w3, w5, rm, rv, xs, c3].forEach((t) => t.dispose());
  }
});

test('grn grouped equals each group through its own grn (WebGPU and the oracle)', async () => {
  for (const b of [await gpu(), cpu()]) {
    const K = 3, per = 2, H = 2, W = 3, C = 4;
    const x = Tensor.from(seededValues(K * per * H * W * C, 21, -2, 2), [K * per, H, W, C], { backend: b }).requiresGrad_();
    const g = Tensor.from(seededValues(K * C, 22), [K, 1, 1, C], { backend: b }).requiresGrad_();
    const be = Tensor.from(seededValues(K * C, 23), [K, 1, 1, C], { backend: b }).requiresGrad_();
    const w = Tensor.from(seededValues(K * per * H * W * C, 24), x.shape, { backend: b });
    const grads = async () => Promise.all([x, g, be].map(async (t) => { const d = await t.grad!.data(); t.zeroGrad(); return d; }));
    const yAll = tidy(() => { const y = grn(x, g, be); y.mul(w).sum().backward(); return y.detach(); });
    const [gxAll, ggAll, gbAll] = await grads();
    const parts = tidy(() => {
      const ys = Array.from({ length: K }, (_, k) => grn(x.slice([[k * per, (k + 1) * per]]), g.slice([[k, k + 1]]), be.slice([[k, k + 1]])));
      ys.map((y, k) => y.mul(w.slice([[k * per, (k + 1) * per]])).sum()).reduce((p, q) => p.add(q)).backward();
      return ys.map((y) => y.detach());
    });
    const want = new Float32Array(await yAll.data()).fill(0);
    let o = 0;
    for (const y of parts) { const d = await y.data(); want.set(d, o); o += d.length; }
    assertClose(await yAll.data(), want, { rtol: 1e-6, atol: 1e-7, what: `${b.name} grouped forward` });
    const [gx, gg, gb] = await grads();
    assertClose(gxAll, gx, { rtol: 1e-5, atol: 1e-6, what: `${b.name} grouped dx` });
    assertClose(ggAll, gg, { rtol: 1e-5, atol: 1e-6, what: `${b.name} grouped dgamma` });
    assertClose(gbAll, gb, { rtol: 1e-5, atol: 1e-6, what: `${b.name} grouped dbeta` });
    [x, g, be, w, yAll, ...parts].forEach((t) => t.dispose());
  }
});

test('l2Scale: the composed chain x * t / (sqrt(sum x^2) + eps) in value and gradient; a zero sample', async () => {
  for (const b of [await gpu(), cpu()]) {
    const x = Tensor.from(seededValues(3 * 2 * 5 * 4, 31, -2, 2), [3, 2, 5, 4], { backend: b });
    noGrad(() => tidy(() => { x.slice([[1, 2]]).copy_(x.slice([[1, 2]]).zerosLike()); })); // sample 1 is zero
    x.requiresGrad_();
    const w = Tensor.from(seededValues(x.size, 32), x.shape, { backend: b });
    const y = tidy(() => { const y = l2Scale(x, 12); y.mul(w).sum().backward(); return y.detach(); });
    const gx = await x.grad!.data();
    x.zeroGrad();
    const want = tidy(() => { const n = x.square().sum([1, 2, 3], true).sqrt().add(1e-8); const y = x.mul(12).div(n); return y.detach(); });
    assertClose(await y.data(), await want.data(), { rtol: 1e-6, atol: 1e-7, what: `${b.name} forward` });
    const yd = await y.data(), per = 2 * 5 * 4;
    assert.ok(yd.slice(per, 2 * per).every((v) => v === 0), 'a zero sample stays zero');
    // the gradient of the composed chain on the non-zero samples (its sqrt makes NaN at the zero sample)
    tidy(() => { const n = x.square().sum([1, 2, 3], true).sqrt().add(1e-8); x.mul(12).div(n).mul(w).sum().backward(); });
    const gw = await x.grad!.data();
    for (const s of [0, 2]) assertClose(gx.slice(s * per, (s + 1) * per), gw.slice(s * per, (s + 1) * per), { rtol: 1e-5, atol: 1e-6, what: `${b.name} gradient of sample ${s}` });
    // at zero the norm's subgradient 0 leaves dx = g * t / eps
    assertClose(gx.slice(per, 2 * per), Array.from((await w.data()).slice(per, 2 * per), (v) => v * 12 / 1e-8), { rtol: 1e-5, what: `${b.name} gradient at the zero sample` });
    [x, w, y, want].forEach((t) => t.dispose());
  }
});

test('empty batches: grouped grn and l2Scale give empty outputs (and gradients)', async () => {
  for (const b of [await gpu(), cpu()]) {
    const x = Tensor.from(new Float32Array(0), [0, 2, 3, 4], { backend: b }).requiresGrad_();
    const g = Tensor.from(seededValues(8, 3), [2, 1, 1, 4], { backend: b }), be = Tensor.from(seededValues(8, 4), [2, 1, 1, 4], { backend: b });
    tidy(() => {
      const y = grn(x, g, be), z = l2Scale(x, 2);
      assert.equal(y.shape, [0, 2, 3, 4]);
      assert.equal(z.shape, [0, 2, 3, 4]);
      y.sum().add(z.sum()).backward();
    });
    assert.equal(x.grad!.shape, [0, 2, 3, 4]);
    [x, g, be].forEach((t) => t.dispose());
  }
});

test('errors: shapes, dtypes, modes', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(24, 1), [2, 3, 4], { backend: g });
  const w3 = Tensor.from([1, 1, 1], [3], { backend: g }), w4 = Tensor.from([1, 1, 1, 1], [4], { backend: g });
  const isShape = (re: RegExp) => (e: Error) => e instanceof ShapeError && re.test(e.message);
  assert.throws(() => layerNorm(x, [3]), isShape(/last dims/));
  assert.throws(() => layerNorm(x, [4], w3), isShape(/weight must have shape \[4\]/));
  assert.throws(() => layerNorm(x, []), isShape(/last dims/));
  assert.throws(() => layerNorm2d(x, w4), isShape(/weight must have shape \[3\]/));
  assert.throws(() => layerNorm2d(Tensor.from([1], [1], { backend: g })), isShape(/\(N, C, H, W\)/));
  assert.throws(() => batchNorm(x, null, null), isShape(/eval mode needs runningMean/));
  assert.throws(() => batchNorm(x, w4, w3), isShape(/runningMean must have shape \[3\]/));
  assert.throws(() => batchNorm(Tensor.from([1, 2, 3], [1, 3], { backend: g }), null, null, null, null, { training: true }), isShape(/more than 1 value per channel/));
  assert.throws(() => grn(x, w4, w4), isShape(/channels-last/));
  const x4 = x.reshape([1, 2, 3, 4]);
  assert.throws(() => grn(x4, w3, w3), isShape(/gamma must have shape \[1, 1, 1, 4\]/));
  const g3 = Tensor.from(new Float32Array(12), [3, 1, 1, 4], { backend: g });
  assert.throws(() => grn(x4, g3, g3), isShape(/3 groups of parameters .* must divide the batch of 1/));
  assert.throws(() => grn(x4.expand([3, 2, 3, 4]), g3, w4), isShape(/beta must have shape/));
  g3.dispose();
  assert.throws(() => l2Scale(w3, 1), isShape(/at least 2 dims/));
  assert.throws(() => l2Scale(x, Number.NaN), isShape(/target must be a finite number/));
  const xi = Tensor.from(new Int32Array(24), [2, 3, 4], { backend: g, dtype: 'i32' });
  assert.throws(() => layerNorm(xi, [4]), (e: Error) => e instanceof DTypeError);
  [x, w3, w4, x4, xi].forEach((t) => t.dispose());
});

test.run();
