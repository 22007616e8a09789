// The training step against PyTorch (tools/golden/train_step.py, float64): neuralpredictors' PoissonLoss and the
// squared error (sum and mean), and one full step of the notebook model at small width (scaled Poisson loss plus
// regularisers, backward, clip_grad_norm_ to 0.5, Adam at lr 5e-3): the loss, the gradient norm before clipping
// and every parameter and buffer after the step, on the float64 CPU backend and on WebGPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, cpu, type Backend } from '../../src/tensor/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import type { HostArray } from '../../src/io/host-array.js';
import { Adam } from '../../src/nn/optim.js';
import { Stacked2dCore, type Stacked2dCoreConfig } from '../../src/models/stacked2d.js';
import { SpatialTransformerPyramid2d } from '../../src/models/pyramid-readout.js';
import { FiringRateEncoder } from '../../src/models/encoder.js';
import { mseLoss, poissonLoss } from '../../src/dualneuron/train/loss.js';
import { trainStep } from '../../src/dualneuron/train/trainer.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { maxRelToScale } from '../helpers/compare.js';

const test = suite('training step vs PyTorch');

const host = (a: HostArray): Float64Array => Float64Array.from(a.data as ArrayLike<number>, Number);
const tensorOf = (a: HostArray, b: Backend) => Tensor.from(host(a), a.shape, { backend: b });

test('PoissonLoss and MSE (sum, mean) equal PyTorch on the CPU oracle to 1e-12', async () => {
  const t = readSafetensors(fixture('train', 'losses.safetensors')).tensors;
  const b = cpu();
  const o = tensorOf(t.get('output')!, b), y = tensorOf(t.get('target')!, b);
  const cases: [string, Tensor][] = [
    ['poisson_sum', poissonLoss(o, y)], ['poisson_mean', poissonLoss(o, y, { reduction: 'mean' })],
    ['mse_sum', mseLoss(o, y)], ['mse_mean', mseLoss(o, y, { reduction: 'mean' })],
  ];
  for (const [k, v] of cases) {
    const want = host(t.get(k)!)[0]!;
    const got = await v.item();
    assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `${k}: ${got} vs ${want}`);
  }
});

async function runStep(b: Backend): Promise<{ loss: number; norm: number; worst: number; key: string }> {
  const st = readSafetensors(fixture('train', 'step.safetensors'));
  const cfg = JSON.parse(st.metadata.config!) as { core: Stacked2dCoreConfig; neurons: number; scaleN: number; featureRegWeight: number; scale: number; clip: number; lr: number };
  const t = st.tensors;
  const core = new Stacked2dCore(cfg.core, b);
  const model = new FiringRateEncoder(core, new SpatialTransformerPyramid2d(core.outChannels, cfg.neurons, { scaleN: cfg.scaleN, positive: true, bias: true, featureRegWeight: cfg.featureRegWeight }, b), 0, b);
  const init = new Map([...t].filter(([k]) => k.startsWith('init.')).map(([k, v]) => [k.slice(5), v]));
  model.loadStateDict(init, { source: 'step.safetensors' });
  model.requiresGrad_(true).train();
  const adam = new Adam(model.parameters(), { lr: cfg.lr });
  const x = tensorOf(t.get('input')!, b), y = tensorOf(t.get('target')!, b);
  const r = await trainStep(model, adam, x, y, { loss: 'poisson', reduction: 'sum', scale: cfg.scale, clip: cfg.clip });
  let worst = 0, key = '';
  for (const [k, v] of model.stateDict()) {
    const want = t.get(`after.${k}`);
    assert.ok(want, `fixture has after.${k}`);
    const e = maxRelToScale(await v.data(), host(want)).scaled;
    if (e > worst) { worst = e; key = k; }
  }
  const out = { loss: r.loss, norm: r.gradNorm, worst, key };
  const lw = host(t.get('loss')!)[0]!, nw = host(t.get('grad_norm')!)[0]!;
  out.loss = Math.abs(r.loss - lw) / Math.abs(lw);
  out.norm = Math.abs(r.gradNorm - nw) / nw;
  adam.dispose(); model.dispose(); x.dispose(); y.dispose();
  return out;
}

test('one training step (scaled Poisson + regularisers, clipping, Adam) equals PyTorch: CPU oracle', async () => {
  const r = await runStep(cpu());
  assert.ok(r.loss < 1e-10, `loss relative error ${r.loss}`);
  assert.ok(r.norm < 1e-10, `gradient norm relative error ${r.norm}`);
  assert.ok(r.worst < 1e-9, `after the step: worst ${r.worst} of scale at ${r.key}`);
});

test('one training step equals PyTorch: WebGPU within 1e-4 of scale', async () => {
  const r = await runStep(await gpu());
  assert.ok(r.loss < 1e-5, `loss relative error ${r.loss}`);
  assert.ok(r.norm < 1e-4, `gradient norm relative error ${r.norm}`);
  assert.ok(r.worst < 1e-4, `after the step: worst ${r.worst} of scale at ${r.key}`);
  console.log(`    WebGPU step: loss ${r.loss.toExponential(1)}, grad norm ${r.norm.toExponential(1)}, parameters ${r.worst.toExponential(1)} of scale (${r.key})`);
});

test.run();
