// torchvision's VGG16, VGG16-BN and ViT-B/16 (small variants built with torchvision's own classes) and ResNet-50
// (full, at 64x64) with deterministic random weights against PyTorch float64
// (tools/golden/torchvision_models.py): logits, input gradients, forward-hook outputs of inner modules, the
// module tree (names in named_modules order, output shapes, parameter counts), and the .pth importer on files
// written by torch.save, with the sha256 prefix of the file name checked.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, tidy, noGrad } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import type { Module } from '../../src/nn/module.js';
import { withForwardHooks } from '../../src/nn/hooks.js';
import { layerTable } from '../../src/dualneuron/units/layers.js';
import { buildTorchvision, type TorchvisionId } from '../../src/models/torchvision/zoo.js';
import { TorchvisionViT } from '../../src/models/torchvision/vit-b16.js';
import { resnet50 } from '../../src/models/resnet.js';
import { checkHashPrefix, importTorchvision, loadTorchvision } from '../../src/models/weights/torchvision-weights.js';
import { WeightsError } from '../../src/errors.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detStateDict, detValue } from '../helpers/det-weights.js';
import { maxRelToScale } from '../helpers/compare.js';

const test = suite('torchvision models vs PyTorch (deterministic random weights)');
const fx = (...p: string[]) => fixture('torchvision', ...p);
const npy = (name: string) => readNpy(fx(`${name}.npy`)).data as Float32Array;
const shapesOf = (m: Module) => new Map([...m.stateDict()].map(([k, t]) => [k, t.shape] as [string, readonly number[]]));
interface ModulesFixture { input: number[]; modules: { name: string; shape: number[] | null; params: number }[] }
const modulesFixture = (id: string) => JSON.parse(readFileSync(fx(`${id}_modules.json`), 'utf8')) as ModulesFixture;
const LAYERS: Record<string, string[]> = {
  vgg16: ['features.5', 'features.16', 'avgpool', 'classifier.1'],
  vgg16_bn: ['features.1', 'features.7', 'features.43', 'classifier.4'],
  vit_b_16: ['conv_proj', 'encoder.layers.encoder_layer_0.self_attention', 'encoder.layers.encoder_layer_1.mlp.1', 'encoder.ln'],
  resnet50: ['layer1.0.relu', 'layer2.0.downsample.1', 'layer3.2.bn2', 'avgpool'],
};

async function tiny(id: TorchvisionId) {
  const g = await gpu();
  // ResNet-50 at full size (torchvision fixes its widths), at 64x64
  const m = buildTorchvision(id, { variant: id === 'resnet50' ? 'full' : 'tiny', backend: g });
  m.loadStateDict(detStateDict(shapesOf(m)));
  m.requiresGrad_(false).eval();
  const shape = modulesFixture(id).input;
  const x = Tensor.from(Float32Array.from(detValue('input', shape, 1000000).data as Float32Array, (v) => v * 4), shape, { backend: g });
  return { m, x };
}

for (const id of ['vgg16', 'vgg16_bn', 'vit_b_16', 'resnet50'] as const) {
  test(`${id} (tiny; ResNet-50 full): logits and d logit[3] / d input`, async () => {
    const { m, x } = await tiny(id);
    x.requiresGrad_();
    const y = tidy(() => { const out = m.forward(x); out.select(1, 3).sum().backward(); return out.detach(); });
    const e = maxRelToScale(await y.dataF32(), npy(`${id}_logits`));
    const eg = maxRelToScale(await x.grad!.dataF32(), npy(`${id}_grad`));
    console.log(`    logits: max error / max |logit| ${e.scaled.toExponential(2)}; input gradient ${eg.scaled.toExponential(2)}`);
    assert.ok(e.scaled < 1e-4, `logits ${e.scaled}`);
    assert.ok(eg.scaled < 1e-3, `input gradient ${eg.scaled}`);
    y.dispose(); x.dispose(); m.dispose();
  });

  test(`${id} (tiny; ResNet-50 full): module tree (names, output shapes, parameter counts) and forward-hook outputs`, async () => {
    const { m, x } = await tiny(id);
    const want = modulesFixture(id).modules;
    // the table `dualneuron layers` prints: names, output shapes, parameter counts
    const table = layerTable(m, modulesFixture(id).input.slice(1));
    assert.equal(table.map((r) => r.name), want.map((w) => w.name), 'named_modules order');
    for (const [i, w] of want.entries()) {
      // nn.MultiheadAttention applies out_proj's weights without calling it, so PyTorch's hook never fires there
      if (w.shape === null && w.name.endsWith('self_attention.out_proj')) assert.ok(table[i].shape !== null);
      else assert.equal(table[i].shape?.slice(1), w.shape?.slice(1), `output shape of '${w.name}'`);
      assert.is(table[i].params, w.params, `parameters of '${w.name}'`);
    }
    // forward-hook outputs of inner modules
    const acts = new Map<string, Float32Array>();
    const pending: Promise<void>[] = [];
    noGrad(() => tidy(() => withForwardHooks(m, LAYERS[id], (n, out) => { pending.push(out.dataF32().then((d) => { acts.set(n, d); })); }, () => m.forward(x))));
    await Promise.all(pending);
    for (const l of LAYERS[id]) {
      const e = maxRelToScale(acts.get(l)!, npy(`${id}_act_${l}`));
      assert.ok(e.scaled < 1e-4, `${l}: ${e.scaled}`);
    }
    x.dispose(); m.dispose();
  });
}

test('module names of the full networks are those of torchvision named_modules()', async () => {
  const g = await gpu();
  const full = JSON.parse(readFileSync(fx('full_modules.json'), 'utf8')) as Record<string, string[]>;
  // VGG's and the ViT's names do not depend on widths: the tiny VGGs and a 12-layer narrow ViT have the full ones
  const vit = new TorchvisionViT({ imageSize: 32, patchSize: 16, layers: 12, heads: 2, hidden: 8, mlp: 8, numClasses: 10 }, g);
  const rn = resnet50({ backend: g });
  const cases: [string, Module][] = [['vgg16', buildTorchvision('vgg16', { variant: 'tiny', backend: g })], ['vgg16_bn', buildTorchvision('vgg16_bn', { variant: 'tiny', backend: g })], ['vit_b_16', vit], ['resnet50', rn]];
  for (const [id, m] of cases) {
    assert.equal([...m.namedModules()].map(([n]) => n), full[id], id);
    m.dispose();
  }
});

test('weights import of .pth files written by torch.save, sha256 prefix of the name checked', async () => {
  const home = mkdtempSync(join(tmpdir(), 'dn-tv-'));
  try {
    for (const [id, file] of [['vgg16_bn', 'vgg16_bn_tiny-0be9fa3a.pth'], ['vit_b_16', 'vit_b_16_tiny-f056f6c0.pth']] as const) {
      const bytes = new Uint8Array(readFileSync(fx(file)));
      assert.ok(checkHashPrefix(file, bytes).ok);
      const r = importTorchvision(fx(file), home, { variant: 'tiny' });
      assert.is(r.id, id, 'model told by the keys');
      const { model, variant } = loadTorchvision(id, { weightsDir: home, backend: await gpu() });
      assert.is(variant, 'tiny');
      const shape = modulesFixture(id).input;
      const x = Tensor.from(Float32Array.from(detValue('input', shape, 1000000).data as Float32Array, (v) => v * 4), shape, { backend: model.backend });
      const y = noGrad(() => tidy(() => model.forward(x)));
      const e = maxRelToScale(await y.dataF32(), npy(`${id}_logits`));
      assert.ok(e.scaled < 1e-4, `${id} imported logits ${e.scaled}`);
      y.dispose(); x.dispose(); model.dispose();
    }
    // a damaged file under a torchvision name: refused, imported with force
    const bad = join(home, 'vgg16_bn-deadbeef.pth');
    copyFileSync(fx('vgg16_bn_tiny-0be9fa3a.pth'), bad);
    assert.throws(() => importTorchvision(bad, home, { variant: 'tiny' }), (e: Error) => e instanceof WeightsError && /does not start with deadbeef/.test(e.message));
    assert.is(importTorchvision(bad, home, { variant: 'tiny', force: true }).id, 'vgg16_bn');
    // the wrong model named
    assert.throws(() => importTorchvision(fx('vit_b_16_tiny-f056f6c0.pth'), home, { id: 'vgg16', variant: 'tiny' }), (e: Error) => e instanceof WeightsError && /missing keys/.test(e.message) && /does not fit torchvision's vgg16/.test(e.message));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
