// Fine-tuning a truncated ConvNeXtV2 core with a new Gaussian readout against PyTorch (tools/golden/convnext_finetune.py,
// float64, written from the ConvNeXt V2 definitions): the model built by the convnext-finetune architecture (gray
// input repeated to RGB, embeddings, two ConvNeXtV2 blocks, stage 1's downsampling, OutBatchNorm in train mode,
// GELU, FullGaussian2d with given position noise, elu(y - 1) + 1), the scaled Poisson loss plus the readout's L1,
// every parameter's gradient (dwconv, LayerNorm/LayerNorm2d affine, Linear, GRN gamma/beta, conv, batch norm, readout)
// and one Adam step with the backbone at its own learning rate; on the float64 CPU backend and on WebGPU. A frozen
// core leaves the backbone out of the optimiser and its weights unchanged.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, cpu, tidy, keep, type Backend } from '../../src/tensor/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import type { HostArray } from '../../src/io/host-array.js';
import { Adam } from '../../src/nn/optim.js';
import { poissonLoss } from '../../src/dualneuron/train/loss.js';
import { buildFinetuneModel, finetuneParameters, type FinetuneArchitecture } from '../../src/dualneuron/train/finetune.js';
import type { PretrainedCore } from '../../src/models/pretrained-core.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { maxRelToScale } from '../helpers/compare.js';

const test = suite('fine-tuning step vs PyTorch');

const host = (a: HostArray): Float64Array => Float64Array.from(a.data as ArrayLike<number>, Number);
const tensorOf = (a: HostArray, b: Backend) => Tensor.from(host(a), a.shape, { backend: b });

interface Cfg { widths: number[]; depths: number[]; patch: number; size: [number, number]; neurons: number; scale: number; lr: number; core_lr: number; gamma_readout: number; truncate_at: string }

function load() {
  const st = readSafetensors(fixture('train', 'convnext_finetune.safetensors'));
  return { cfg: JSON.parse(st.metadata.config!) as Cfg, t: st.tensors };
}

function architecture(cfg: Cfg, o: { freeze?: boolean } = {}): FinetuneArchitecture {
  return {
    arch: 'convnext-finetune', neurons: cfg.neurons, inputShape: [1, cfg.size[0], cfg.size[1]],
    core: { backbone: { kind: 'convnextv2', config: { numChannels: 3, depths: cfg.depths, hiddenSizes: cfg.widths, patchSize: cfg.patch, layerNormEps: 1e-12 }, truncateAt: cfg.truncate_at }, inputChannels: 1, nonlinearity: 'gelu', momentum: 0.1 },
    coreSource: { kind: 'file', path: 'fixture', sha256: '' }, freezeCore: !!o.freeze, coreLr: o.freeze ? null : cfg.core_lr,
    readout: { kind: 'gaussian', gaussType: 'isotropic', featureRegWeight: cfg.gamma_readout, initMuRange: 0.4, initSigma: 0.6 }, eluOffset: -1,
  };
}

interface Worst { err: number; key: string }
const worse = (w: Worst, err: number, key: string) => (err > w.err ? { err, key } : w);

async function runStep(b: Backend) {
  const { cfg, t } = load();
  const model = buildFinetuneModel(architecture(cfg), b);
  const init = new Map([...t].filter(([k]) => k.startsWith('init.')).map(([k, v]) => [k.slice(5), v]));
  model.loadStateDict(init, { source: 'convnext_finetune.safetensors' });
  model.requiresGrad_(true).train();
  const { params, lrScale } = finetuneParameters(model, architecture(cfg), cfg.lr);
  const x = tensorOf(t.get('input')!, b), y = tensorOf(t.get('target')!, b), noise = tensorOf(t.get('noise')!, b);
  const { rate, loss } = tidy(() => {
    const r = model.forward(x, noise);
    const l = poissonLoss(r, y).mul(cfg.scale).add(model.regularizer('sum'));
    l.backward();
    return { rate: keep(r.detach()), loss: keep(l.detach()) };
  });
  const res = { rate: maxRelToScale(await rate.data(), host(t.get('rate')!)).scaled, loss: 0, grad: { err: 0, key: '' } as Worst, after: { err: 0, key: '' } as Worst, gradNonzero: { err: 0, key: '' } as Worst, grads: 0, zeroGrad: 0 };
  const lw = host(t.get('loss')!)[0]!;
  res.loss = Math.abs((await loss.item()) - lw) / Math.abs(lw);
  // errors relative to each gradient's scale, floored at 1e-3 of the largest gradient: the biases in front of the
  // batch-normalised conv output have a true gradient of 0 (batch norm removes per-channel constants)
  let all = 0;
  const zeroGrad = new Set<string>(); // parameters whose true gradient is 0 (up to rounding)
  for (const [k] of model.namedParameters()) for (const v of host(t.get(`grad.${k}`)!)) all = Math.max(all, Math.abs(v));
  for (const [k, p] of model.namedParameters()) {
    const want = t.get(`grad.${k}`);
    assert.ok(want, `fixture has grad.${k}`);
    assert.ok(p.grad, `${k} has a gradient`);
    const w = host(want!), g = await p.grad!.data();
    let scale = 0, abs = 0;
    w.forEach((v, i) => { scale = Math.max(scale, Math.abs(v)); abs = Math.max(abs, Math.abs(g[i]! - v)); });
    res.grad = worse(res.grad, abs / Math.max(scale, 1e-3 * all), k);
    if (scale < 1e-9 * all) zeroGrad.add(k);
    else res.gradNonzero = worse(res.gradNonzero, abs / scale, k);
    res.grads++;
  }
  const adam = new Adam(params, { lr: cfg.lr, lrScale });
  adam.step();
  for (const [k, v] of model.stateDict()) {
    if (k.endsWith('num_batches_tracked')) continue; // a counter our batch norm does not keep (no momentum=None mode)
    const want = t.get(`after.${k}`);
    assert.ok(want, `fixture has after.${k}`);
    if (zeroGrad.has(k)) {
      // Adam's first step is lr * sign(g) wherever g != 0: on a gradient of pure rounding noise its direction is
      // arbitrary, so only its size is checked (at most the group's rate, as PyTorch's)
      const lr = k.startsWith('core.features.backbone.') ? cfg.core_lr : cfg.lr;
      const now = await v.data(), was = host(t.get(`init.${k}`)!);
      now.forEach((u, i) => assert.ok(Math.abs(u - was[i]!) <= lr * 1.001, `${k}[${i}] moved ${u - was[i]!} (more than lr ${lr})`));
      res.zeroGrad++;
      continue;
    }
    res.after = worse(res.after, maxRelToScale(await v.data(), host(want!)).scaled, k);
  }
  adam.dispose(); model.dispose(); [x, y, noise, rate, loss].forEach((u) => u.dispose());
  return res;
}

test('forward, loss, every gradient and one Adam step (core at its own rate) equal PyTorch: CPU oracle', async () => {
  const r = await runStep(cpu());
  assert.ok(r.grads >= 20, `gradients of all parameters compared (${r.grads})`);
  assert.is(r.zeroGrad, 2, 'the two biases in front of the batch-normalised output have no gradient');
  assert.ok(r.rate < 1e-10, `rates: ${r.rate} of scale`);
  assert.ok(r.loss < 1e-10, `loss relative error ${r.loss}`);
  assert.ok(r.grad.err < 1e-9, `gradients: worst ${r.grad.err} of scale at ${r.grad.key}`);
  assert.ok(r.after.err < 1e-9, `after the step: worst ${r.after.err} of scale at ${r.after.key}`);
});

test('the same on WebGPU within 1e-4 of scale', async () => {
  const r = await runStep(await gpu());
  assert.ok(r.rate < 1e-4, `rates: ${r.rate} of scale`);
  assert.ok(r.loss < 1e-4, `loss relative error ${r.loss}`);
  assert.ok(r.grad.err < 1e-4, `gradients: worst ${r.grad.err} of scale at ${r.grad.key}`);
  assert.ok(r.after.err < 1e-4, `after the step: worst ${r.after.err} of scale at ${r.after.key}`);
  console.log(`    WebGPU: rates ${r.rate.toExponential(1)}, loss ${r.loss.toExponential(1)}, gradients ${r.grad.err.toExponential(1)} (${r.grad.key}; others within ${r.gradNonzero.err.toExponential(1)} of their own scale, ${r.gradNonzero.key}), step ${r.after.err.toExponential(1)} (${r.after.key}) of scale; ${r.zeroGrad} zero-gradient parameters checked by step size`);
});

test('--freeze-core: the backbone is not optimised and keeps its weights; OutBatchNorm and the readout learn', async () => {
  const { cfg, t } = load();
  const b = cpu();
  const arch = architecture(cfg, { freeze: true });
  const model = buildFinetuneModel(arch, b);
  model.loadStateDict(new Map([...t].filter(([k]) => k.startsWith('init.')).map(([k, v]) => [k.slice(5), v])), { source: 'fixture' });
  model.requiresGrad_(true).train();
  const { params, lrScale } = finetuneParameters(model, arch, cfg.lr);
  const backbone = (model.core as PretrainedCore).backbone;
  assert.is(lrScale, undefined);
  assert.is(params.length, model.parameters().length - backbone.parameters().length);
  assert.ok(backbone.parameters().every((p) => !p.requiresGrad && !params.includes(p)), 'no backbone parameter is optimised');
  const before = new Map(await Promise.all([...model.stateDict()].map(async ([k, v]) => [k, await v.data()] as const)));
  const x = tensorOf(t.get('input')!, b), y = tensorOf(t.get('target')!, b), noise = tensorOf(t.get('noise')!, b);
  tidy(() => { poissonLoss(model.forward(x, noise), y).add(model.regularizer('sum')).backward(); });
  const adam = new Adam(params, { lr: cfg.lr });
  adam.step();
  for (const [k, v] of backbone.stateDict()) {
    const was = before.get(`core.features.backbone.model.${k}`)!, now = await v.data();
    assert.ok(now.every((u, i) => u === was[i]), `${k} unchanged`);
  }
  for (const k of ['core.features.OutBatchNorm.weight', 'readout._features']) {
    const was = before.get(k)!, now = await model.stateDict().get(k)!.data();
    assert.ok(now.some((u, i) => u !== was[i]), `${k} learned`);
  }
  adam.dispose(); model.dispose(); [x, y, noise].forEach((u) => u.dispose());
});

test.run();
