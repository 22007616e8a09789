// Full ConvNeXt V2-atto (all four stages) and torchvision ResNet-50 (full, and truncated after layer3.0) with
// deterministic random weights (helpers/det-weights.ts = tools/golden/det_weights.py) against PyTorch outputs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Tensor, tidy, noGrad } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { ConvNextV2, CONVNEXTV2_PRESETS } from '../../src/models/convnextv2.js';
import { resnet50 } from '../../src/models/resnet.js';
import type { Module } from '../../src/nn/module.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detStateDict, detValue } from '../helpers/det-weights.js';
import { maxRelToScale } from '../helpers/compare.js';

const test = suite('backbones vs PyTorch (deterministic random weights)');

const shapesOf = (m: Module) => new Map([...m.stateDict()].map(([k, t]) => [k, t.shape] as [string, readonly number[]]));
const detInput = (shape: number[]) => Float32Array.from(detValue('input', shape, 1000000).data as Float32Array, (v) => v * 4);


test('the TS generator reproduces the Python weights', async () => {
  const check = JSON.parse(readFileSync(fixture('backbones', 'weights_check.json'), 'utf8')) as { resnet50: Record<string, [number, number, number]> };
  const rn = resnet50({ backend: await gpu() });
  const sd = detStateDict(shapesOf(rn));
  for (const [k, [first, last, sum]] of Object.entries(check.resnet50)) {
    const d = Array.from(sd.get(k)!.data as ArrayLike<number | bigint>, Number);
    assert.is(d[0], first, `${k}[0]`);
    assert.is(d[d.length - 1], last, `${k}[-1]`);
    assert.ok(Math.abs(d.reduce((a, b) => a + b, 0) - sum) <= 1e-9 * Math.max(1, Math.abs(sum)) * d.length, `${k} sum`);
  }
  rn.dispose();
});

test('ResNet-50 full (logits) and truncated after layer3.0', async () => {
  const g = await gpu();
  const full = resnet50({ backend: g });
  const sd = detStateDict(shapesOf(full));
  full.loadStateDict(sd);
  full.eval();
  const x = Tensor.from(detInput([1, 3, 100, 100]), [1, 3, 100, 100], { backend: g });
  const y = noGrad(() => tidy(() => full.forward(x)));
  const e1 = maxRelToScale(await y.data(), readNpy(fixture('backbones', 'resnet50_logits.npy')).data as Float32Array);
  console.log(`    logits: max error / max |logit| ${e1.scaled.toExponential(2)}, max relative ${e1.rel.toExponential(2)}`);
  assert.ok(e1.rel < 1e-4, `logits relative error ${e1.rel}`);
  full.dispose();
  const cut = resnet50({ backend: g, truncateAfter: 'layer3.0' });
  const report = cut.loadStateDict(sd, { strict: false });
  assert.equal(report.missing, [], 'the truncated model takes a subset of the full keys');
  assert.ok(report.unexpected.every((k) => /^(layer3\.[1-5]|layer4|fc)\./.test(k)), 'only later layers are left over');
  cut.eval();
  const h = noGrad(() => tidy(() => cut.forward(x)));
  assert.equal([...h.shape], [1, 1024, 7, 7]);
  const e2 = maxRelToScale(await h.data(), readNpy(fixture('backbones', 'resnet50_layer3_0.npy')).data as Float32Array);
  console.log(`    layer3.0: max error / max |value| ${e2.scaled.toExponential(2)}, max relative ${e2.rel.toExponential(2)}`);
  assert.ok(e2.scaled < 1e-4 && e2.rel < 1e-3, `layer3.0 error ${JSON.stringify(e2)}`);
  cut.dispose(); x.dispose();
});

test('ConvNeXt V2-atto, all four stages', async () => {
  const g = await gpu();
  const m = new ConvNextV2(CONVNEXTV2_PRESETS.atto, { backend: g });
  m.loadStateDict(detStateDict(shapesOf(m)));
  m.eval();
  const x = Tensor.from(detInput([2, 3, 64, 64]), [2, 3, 64, 64], { backend: g });
  const y = noGrad(() => tidy(() => m.forward(x)));
  assert.equal([...y.shape], [2, 320, 2, 2]);
  const e = maxRelToScale(await y.data(), readNpy(fixture('backbones', 'convnextv2_atto_last_hidden.npy')).data as Float32Array);
  console.log(`    last hidden state: max error / max |value| ${e.scaled.toExponential(2)}, max relative ${e.rel.toExponential(2)}`);
  assert.ok(e.scaled < 1e-4 && e.rel < 1e-3, `error ${JSON.stringify(e)}`);
  m.dispose(); x.dispose();
});

test('truncation: ConvNeXt at stages.1.layers.0 keeps exactly the 28 backbone keys of the V1 checkpoints', async () => {
  const m = new ConvNextV2(CONVNEXTV2_PRESETS.atto, { truncateAt: 'encoder.stages.1.layers.0', backend: await gpu() });
  const keys = [...m.stateDict().keys()];
  assert.is(keys.length, 2 + 2 + 20 + 4);
  assert.ok(keys.includes('encoder.stages.1.downsampling_layer.1.weight'));
  assert.not.ok(keys.some((k) => k.startsWith('encoder.stages.1.layers') || k.startsWith('layernorm')));
  m.dispose();
});

test.run();
