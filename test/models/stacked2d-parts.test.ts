// The parts of the Stacked2d twins beyond the PyTorch fixtures (stacked2d.test.ts): the regularisers by hand from
// their definitions, FullGaussian2d's seeded sampling (its generator's draw is the noise the fixtures pass in, the
// same on WebGPU and the float64 CPU backend), batchSample=false, the sample switch, the notebook model's keys and
// sizes at 60 x 96, initialisation statistics, configuration errors and memory over training steps.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, Generator, tidy, noGrad, randn, memory, cpu, type Backend } from '../../src/tensor/index.js';
import { ShapeError } from '../../src/errors.js';
import { Adam } from '../../src/nn/optim.js';
import { LaplaceL2, LaplaceL2norm, LAPLACE_3X3, groupSparsity, featureL1 } from '../../src/nn/regularizers.js';
import { readFileSync } from 'node:fs';
import { Stacked2dCore, notebookStacked2dConfig, neuralpredictorsStacked2dConfig, type NeuralpredictorsStacked2dArgs } from '../../src/models/stacked2d.js';
import { fixture } from '../helpers/fixtures.js';
import { FullGaussian2d } from '../../src/models/readout.js';
import { SpatialTransformerPyramid2d, LaplacePyramid, type PyramidFilter } from '../../src/models/pyramid-readout.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { notebookTwin, gaussianTwin, initializeEncoder } from '../../src/models/encoder.js';
import { gpu, seededValues, assertClose } from '../helpers/backends.js';

const test = suite('Stacked2d twins: regularisers, Gaussian sampling, notebook model');

test('LaplaceL2, LaplaceL2norm, group sparsity and feature L1 equal their definitions (float64 by hand)', async () => {
  const b = cpu();
  const [O, I, K] = [2, 3, 4];
  const w = seededValues(O * I * K * K, 11);
  // laplace of each 4x4 slice without padding: 2x2 values sum_ij f[i][j] w[r+i][c+j]; with padding 1: 4x4 values
  const lap = (pad: number) => {
    const out: number[] = [];
    for (let s = 0; s < O * I; s++) {
      for (let r = -pad; r + 2 < K + pad; r++) for (let c = -pad; c + 2 < K + pad; c++) {
        let v = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
          const rr = r + i, cc = c + j;
          if (rr >= 0 && rr < K && cc >= 0 && cc < K) v += LAPLACE_3X3[i * 3 + j] * w[s * K * K + rr * K + cc];
        }
        out.push(v);
      }
    }
    return out;
  };
  const sq = (a: ArrayLike<number>) => Array.from(a, (v) => v * v);
  const sum = (a: number[]) => a.reduce((p, q) => p + q, 0);
  const wt = Tensor.from(w, [O, I, K, K], { backend: b });
  const l0 = lap(0), l1 = lap(1);
  assert.is(l0.length, O * I * 4);
  const l2 = new LaplaceL2(0, b), l2p = new LaplaceL2(1, b), l2n = new LaplaceL2norm(1, b);
  assertClose([await l2.penalty(wt).item()], [sum(sq(l0)) / l0.length / 2], { rtol: 1e-12, what: 'LaplaceL2 mean' });
  assertClose([await l2.penalty(wt, { reduction: 'sum' }).item()], [sum(sq(l0)) / 2], { rtol: 1e-12, what: 'LaplaceL2 sum' });
  assertClose([await l2p.penalty(wt).item()], [sum(sq(l1)) / l1.length / 2], { rtol: 1e-12, what: 'LaplaceL2 padding 1' });
  assertClose([await l2n.penalty(wt).item()], [sum(sq(l1)) / sum(sq(w))], { rtol: 1e-12, what: 'LaplaceL2norm sum' });
  // group sparsity: mean over (out, in) of the kernel's L2 norm, averaged over layers
  const w2 = seededValues(3 * 2 * 9, 12);
  const norms = (a: ArrayLike<number>, n: number, k: number) => Array.from({ length: n }, (_, g) => Math.sqrt(sum(sq(Array.from(a).slice(g * k, (g + 1) * k)))));
  const want = (sum(norms(w, O * I, K * K)) / (O * I) + sum(norms(w2, 6, 9)) / 6) / 2;
  const gs = groupSparsity([wt, Tensor.from(w2, [3, 2, 3, 3], { backend: b })], b);
  assertClose([await gs.item()], [want], { rtol: 1e-12, what: 'group sparsity' });
  assert.is(await groupSparsity([], b).item(), 0);
  assertClose([await featureL1(wt).item(), await featureL1(wt, 'mean').item()], [sum(Array.from(w, Math.abs)), sum(Array.from(w, Math.abs)) / w.length], { rtol: 1e-12, what: 'feature L1' });
  assert.equal([...l2.stateDict().keys()], ['laplace.filter']);
});

async function sampledPair(b: Backend, seed: bigint): Promise<{ drawn: Float64Array; given: Float64Array; second: Float64Array; secondGiven: Float64Array }> {
  const [B, C, H, W, N] = [3, 4, 5, 6, 7];
  const r = new FullGaussian2d(C, N, b, { generator: new Generator(seed) });
  r.loadStateDict(new Map([
    ['_mu', { dtype: 'f32', shape: [1, N, 1, 2], data: seededValues(2 * N, 1, -0.9, 0.9) }],
    ['sigma', { dtype: 'f32', shape: [1, N, 1, 1], data: seededValues(N, 2, 0.1, 0.5) }],
    ['_features', { dtype: 'f32', shape: [1, C, 1, N], data: seededValues(C * N, 3) }],
    ['bias', { dtype: 'f32', shape: [N], data: seededValues(N, 4) }],
  ]));
  r.train();
  const feat = Tensor.from(seededValues(B * C * H * W, 5), [B, C, H, W], { backend: b });
  const g = new Generator(seed);
  const out = tidy(() => [r.forward(feat), r.forward(feat, randn([B, N, 1, 2], { generator: g, backend: b })),
    r.forward(feat), r.forward(feat, randn([B, N, 1, 2], { generator: g, backend: b }))]);
  const [drawn, given, second, secondGiven] = await Promise.all(out.map(async (t) => Float64Array.from(await t.data())));
  out.forEach((t) => t.dispose()); feat.dispose(); r.dispose();
  return { drawn, given, second, secondGiven };
}

test('FullGaussian2d train mode draws its positions from its seeded generator, identically on WebGPU and the CPU oracle', async () => {
  const c = await sampledPair(cpu(), 42n), g = await sampledPair(await gpu(), 42n);
  assertClose(c.drawn, c.given, { rtol: 1e-12, atol: 1e-12, what: 'cpu: the generator draw is N(0, 1) noise in [B, N, 1, 2] order' });
  assertClose(c.second, c.secondGiven, { rtol: 1e-12, atol: 1e-12, what: 'cpu: the second forward continues the stream' });
  assert.ok(c.drawn.some((v, i) => Math.abs(v - c.second[i]) > 1e-3), 'successive forwards sample different positions');
  assertClose(g.drawn, c.drawn, { rtol: 1e-5, atol: 1e-5, what: 'webgpu vs cpu, first draw' });
  assertClose(g.second, c.second, { rtol: 1e-5, atol: 1e-5, what: 'webgpu vs cpu, second draw' });
  const other = await sampledPair(cpu(), 43n);
  assert.ok(other.drawn.some((v, i) => Math.abs(v - c.drawn[i]) > 1e-3), 'another seed samples other positions');
});

test('FullGaussian2d: batchSample=false shares one draw over the batch; sample=false reads mu in train mode; sigma 0 is the eval readout', async () => {
  const b = cpu();
  const [B, C, H, W, N] = [3, 2, 6, 5, 4];
  const sd = (sigma: number) => new Map([
    ['_mu', { dtype: 'f32' as const, shape: [1, N, 1, 2], data: seededValues(2 * N, 7, -0.9, 0.9) }],
    ['sigma', { dtype: 'f32' as const, shape: [1, N, 1, 1], data: new Float32Array(N).fill(sigma) }],
    ['_features', { dtype: 'f32' as const, shape: [1, C, 1, N], data: seededValues(C * N, 8) }],
    ['bias', { dtype: 'f32' as const, shape: [N], data: seededValues(N, 9) }],
  ]);
  const feat = Tensor.from(seededValues(B * C * H * W, 10), [B, C, H, W], { backend: b });
  const one = Tensor.from(seededValues(N * 2, 11, -2, 2), [1, N, 1, 2], { backend: b });
  const shared = new FullGaussian2d(C, N, b, { batchSample: false }); shared.loadStateDict(sd(0.3));
  const perImage = new FullGaussian2d(C, N, b); perImage.loadStateDict(sd(0.3));
  const a = await shared.forward(feat, one).data();
  const c = await perImage.forward(feat, one.expand([B, N, 1, 2]).contiguous()).data();
  assertClose(a, c, { rtol: 1e-12, atol: 1e-12, what: 'one draw for the batch = the same draw per image' });
  assert.throws(() => shared.forward(feat, one.expand([B, N, 1, 2])), (e: unknown) => e instanceof ShapeError && /noise must have shape \[1, 4, 1, 2\]/.test((e as Error).message));
  const evalOut = await perImage.eval().forward(feat).data();
  perImage.train(); perImage.sample = false;
  assertClose(await perImage.forward(feat).data(), evalOut, { rtol: 1e-12, atol: 1e-12, what: 'sample=false in train mode' });
  const zero = new FullGaussian2d(C, N, b); zero.loadStateDict(sd(0));
  assertClose(await zero.forward(feat, one.expand([B, N, 1, 2]).contiguous()).data(), evalOut, { rtol: 1e-12, atol: 1e-12, what: 'sigma 0 samples at mu' });
  for (const m of [shared, perImage, zero]) m.dispose();
  feat.dispose(); one.dispose();
});

test('Laplace pyramids equal PyTorch for every filter, with and without downsampling, down to 1-pixel levels', async () => {
  const st = readSafetensors(fixture('stacked2d', 'pyramids.safetensors'));
  const cases = JSON.parse(st.metadata.config) as [PyramidFilter, boolean, number, [number, number]][];
  for (const b of [cpu(), await gpu()]) {
    for (const [i, [kind, down, n]] of cases.entries()) {
      const x = st.tensors.get(`input.${i}`)!;
      const p = new LaplacePyramid(n, kind, down, b);
      const levels = p.levels(Tensor.from(x.data as Float32Array, x.shape, { backend: b }));
      assert.is(levels.length, n + 1);
      for (const [j, lv] of levels.entries()) {
        const want = st.tensors.get(`level.${i}.${j}`)!;
        assert.equal([...lv.shape], want.shape, `case ${i} level ${j} shape`);
        const tol = b === cpu() ? 1e-12 : 1e-5;
        assertClose(await lv.data(), want.data as Float64Array, { rtol: tol, atol: tol, what: `${kind} ${down ? 'down' : 'same'} case ${i} level ${j} on ${b.name}` });
        lv.dispose();
      }
      p.dispose();
    }
  }
});

test('SpatialTransformerPyramid2d: a shift (B, 2) moves every neuron of image b by shift[b]', async () => {
  const b = cpu();
  const [B, C, H, W, N] = [2, 3, 9, 10, 4];
  // multiples of 1/64, so grid + shift is exact in float32 and both sides sample the same points
  const grid = Array.from(seededValues(N * 2, 21, -0.5, 0.5), (v) => Math.round(v * 64) / 64), shift = [13 / 64, -19 / 64, -7 / 64, 16 / 64];
  const sd = (g: ArrayLike<number>) => new Map([
    ['grid', { dtype: 'f32' as const, shape: [1, N, 1, 2], data: Float32Array.from(g) }],
    ['features', { dtype: 'f32' as const, shape: [1, C * 3, 1, N], data: seededValues(C * 3 * N, 22, 0, 1) }],
    ['bias', { dtype: 'f32' as const, shape: [N], data: seededValues(N, 23) }],
  ]);
  const r = new SpatialTransformerPyramid2d(C, N, { scaleN: 2 }, b);
  r.loadStateDict(sd(grid), { strict: false });
  const feat = Tensor.from(seededValues(B * C * H * W, 24), [B, C, H, W], { backend: b });
  const got = await r.forward(feat, Tensor.from(shift, [B, 2], { backend: b })).data();
  for (let i = 0; i < B; i++) {
    const moved = new SpatialTransformerPyramid2d(C, N, { scaleN: 2 }, b);
    moved.loadStateDict(sd(Array.from(grid, (v, k) => v + shift[i * 2 + (k % 2)])), { strict: false });
    const want = await moved.forward(feat.slice([[i, i + 1]])).data();
    assertClose(Array.from(got).slice(i * N, (i + 1) * N), want, { rtol: 1e-12, atol: 1e-12, what: `image ${i}` });
    moved.dispose();
  }
  r.dispose(); feat.dispose();
});

test("the notebook's model: neuralpredictors keys and shapes, 60 x 96 -> 192 x 30 x 48 features, positive rates", async () => {
  const b = await gpu();
  const model = notebookTwin({ neurons: 2, backend: b });
  const shapes = Object.fromEntries([...model.stateDict()].map(([k, t]) => [k, t.shape.join('x')]));
  const want: Record<string, string> = {
    'core._input_weights_regularizer.laplace.filter': '1x1x3x3',
    'readout.gauss_pyramid.filter': '5x5', 'readout.grid': '1x2x1x2', 'readout.features': `1x${192 * 4}x1x2`, 'readout.bias': '2',
  };
  for (let l = 0; l < 3; l++) {
    want[`core.features.layer${l}.conv.weight`] = l === 0 ? '64x1x4x4' : '64x64x3x3';
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) want[`core.features.layer${l}.norm.${p}`] = '64';
    want[`core.features.layer${l}.norm.num_batches_tracked`] = '';
  }
  assert.equal(shapes, want);
  assert.equal(model.core.outSize(60, 96), [30, 48]);
  initializeEncoder(model, 7n);
  model.eval();
  const x = Tensor.from(seededValues(2 * 60 * 96, 3, 0, 1), [2, 1, 60, 96], { backend: b });
  const parts = noGrad(() => model.forwardParts(x));
  assert.equal([...parts.features.shape], [2, 192, 30, 48]);
  assert.equal([...parts.rate.shape], [2, 2]);
  const rates = await parts.rate.data();
  assert.ok([...rates].every((v) => v > 0 && Number.isFinite(v)), `rates positive: ${[...rates]}`);
  assertClose(rates, Array.from(await parts.readout.data(), (v) => (v > 0 ? v + 1 : Math.exp(v))), { rtol: 1e-5, what: 'ELU + 1' });
  for (const t of [x, parts.features, parts.readout, parts.rate]) t.dispose();
  model.dispose();
});

test('initialisation: Xavier-normal kernels, batch norms reset, readout grid in range and features 1/C (seeded)', async () => {
  const b = cpu();
  const model = notebookTwin({ neurons: 5, backend: b });
  initializeEncoder(model, 3n);
  const sd = model.stateDict();
  const w = await sd.get('core.features.layer1.conv.weight')!.data();
  const std = Math.sqrt(Array.from(w).reduce((s, v) => s + v * v, 0) / w.length), want = Math.sqrt(2 / ((64 + 64) * 9));
  assert.ok(Math.abs(std / want - 1) < 0.03, `hidden kernel std ${std} vs Xavier ${want}`);
  assert.equal([...(await sd.get('core.features.layer0.norm.weight')!.data())], new Array(64).fill(1));
  assert.equal([...(await sd.get('core.features.layer2.norm.running_var')!.data())], new Array(64).fill(1));
  const grid = await sd.get('readout.grid')!.data();
  assert.ok([...grid].every((v) => Math.abs(v) <= 0.1) && new Set(grid).size === grid.length, 'grid uniform in [-0.1, 0.1]');
  assert.ok([...(await sd.get('readout.features')!.data())].every((v) => v === 1 / 192));
  const again = notebookTwin({ neurons: 5, backend: b });
  initializeEncoder(again, 3n);
  assert.equal([...(await again.stateDict().get('core.features.layer0.conv.weight')!.data())], [...(await sd.get('core.features.layer0.conv.weight')!.data())], 'same seed, same weights');
  const g = gaussianTwin(new Stacked2dCore({ ...notebookStacked2dConfig(), hiddenChannels: 4 }, b), 3);
  initializeEncoder(g, 1n);
  const gsd = g.stateDict();
  assert.equal([...(await gsd.get('readout.sigma')!.data())], [1, 1, 1]);
  assert.ok([...(await gsd.get('readout._mu')!.data())].every((v) => Math.abs(v) <= 0.1));
  for (const m of [model, again, g]) m.dispose();
});

test("neuralpredictors' arguments give its state-dict keys and shapes (np_keys.json, from its own Stacked2dCore)", () => {
  const sets = JSON.parse(readFileSync(fixture('stacked2d', 'np_keys.json'), 'utf8')) as { args: NeuralpredictorsStacked2dArgs; keys: Record<string, number[]> }[];
  assert.is(sets.length, 3);
  for (const { args, keys } of sets) {
    const core = new Stacked2dCore(neuralpredictorsStacked2dConfig(args), cpu());
    const ours = Object.fromEntries([...core.stateDict()].map(([k, t]) => [k, [...t.shape]]));
    assert.equal(ours, keys, JSON.stringify(args));
    core.dispose();
  }
  const np = { input_channels: 1, hidden_channels: 4, input_kern: 3, hidden_kern: 3 };
  for (const [extra, re] of [[{ depth_separable: true }, /depth_separable=True is not supported/], [{ nonlinearity_type: 'relu' }, /nonlinearity_type 'relu'/],
    [{ input_regularizer: 'GaussianLaplaceL2' }, /input_regularizer 'GaussianLaplaceL2'/], [{ hidden_channels: [4, 8, 8] }, /hidden_channels of different sizes/]] as const) {
    assert.throws(() => neuralpredictorsStacked2dConfig({ ...np, ...extra } as NeuralpredictorsStacked2dArgs), (e: unknown) => e instanceof ShapeError && re.test((e as Error).message));
  }
});

test('configuration errors name the option', () => {
  const base = { inputChannels: 1, hiddenChannels: 4, inputKern: 3, hiddenKern: 3, layers: 3 };
  const fails = (cfg: object, re: RegExp) => assert.throws(() => new Stacked2dCore({ ...base, ...cfg }, cpu()), (e: unknown) => e instanceof ShapeError && re.test((e as Error).message));
  fails({ hiddenKern: [3] }, /hiddenKern has 1 sizes, expected 2/);
  fails({ convBias: [true] }, /convBias has 1 entries, expected one per layer \(3\)/);
  fails({ momentum: 2 }, /momentum must be in \[0, 1\]/);
  fails({ stack: [5] }, /stack selects layers \[5\]/);
  fails({ pooling: 0 }, /pooling must be an integer >= 1/);
  const core = new Stacked2dCore(base, cpu());
  assert.throws(() => core.forward(Tensor.from(new Float32Array(2 * 8 * 8), [1, 2, 8, 8], { backend: cpu() })), (e: unknown) => e instanceof ShapeError && /expected input \(B, 1, H, W\), got shape \[1, 2, 8, 8\]/.test((e as Error).message));
  core.dispose();
});

test('training steps do not leak device memory', async () => {
  const b = await gpu();
  const model = notebookTwin({ neurons: 2, backend: b, core: { hiddenChannels: 4 } });
  initializeEncoder(model, 1n);
  model.requiresGrad_(true).train();
  const adam = new Adam(model.parameters(), { lr: 1e-3 });
  const x = Tensor.from(seededValues(4 * 20 * 24, 2, 0, 1), [4, 1, 20, 24], { backend: b });
  const y = Tensor.from([1, 2, 0, 3, 1, 1, 2, 0], [4, 2], { backend: b });
  const step = async () => {
    const loss = tidy(() => {
      const r = model.forward(x);
      const l = r.sub(y.mul(r.add(1e-12).log())).mean().add(model.regularizer());
      l.backward();
      return l;
    });
    adam.step(); adam.zeroGrad();
    const v = await loss.item(); loss.dispose();
    return v;
  };
  const l1 = await step(), l2 = await step();
  const used = memory(b).bytesInUse;
  const l3 = await step();
  assert.is(memory(b).bytesInUse, used, 'bytes in use after a third step');
  assert.ok(Number.isFinite(l1) && Number.isFinite(l2) && Number.isFinite(l3));
  x.dispose(); y.dispose(); adam.dispose(); model.dispose();
});

test.run();
