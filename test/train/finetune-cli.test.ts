// `dualneuron train --arch convnext-finetune` end to end on a small LN population (32 x 32 images):
// - from a state dict file (HF ConvNextV2ForImageClassification keys with 'convnextv2.', extra stages and the head
//   beyond the cut) with --freeze-core: the member's backbone is the file's weights bit for bit, OutBatchNorm and the
//   readout learned; the twin folder, copied elsewhere with no weights cache, predicts as the float64 CPU backend
//   computes from its member file;
// - from the installed V1 twin (needs ../shared): the member's backbone starts at the V1 core (its first-epoch
//   checkpoint is near it, not equal: it was fine-tuned), predict --model DIR equals the CPU oracle;
// - resnet-finetune from a torchvision state dict cut after layer1, frozen;
// - clear errors: a twin not installed (weights pull v1), a state dict with wrong keys (some listed), missing keys,
//   a twin of the other backbone, an input too small for a deeper cut.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, cpu } from '../../src/tensor/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { parseSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import type { HostArray } from '../../src/io/host-array.js';
import { ConvNextV2, CONVNEXTV2_PRESETS } from '../../src/models/convnextv2.js';
import { resnet50 } from '../../src/models/resnet.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { loadTrainedTwin } from '../../src/dualneuron/train/trained-twin.js';
import { buildFinetuneModel, finetuneArchitecture } from '../../src/dualneuron/train/finetune.js';
import { InputError } from '../../src/errors.js';
import { loadMemberStateDict } from '../../src/models/weights/store.js';
import { cli } from '../helpers/cli.js';
import { withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { maxRelToScale } from '../helpers/compare.js';
import { writeLnPopulation } from './ln-population.js';

const test = suite('dualneuron train --arch convnext-finetune');
const tmp = mkdtempSync(join(tmpdir(), 'dn-finetune-'));
const data = join(tmp, 'data');
writeLnPopulation(data, { images: 24, neurons: 3, repeats: 2, h: 32, w: 32, seed: 7n });
const base = ['--image-size', '32x32', '--epochs', '2', '--batch', '8', '--validation', '0.2', '--test', '0.2'];
const x = (() => {
  const rng = new HostRng(3n);
  const v = new Float32Array(2 * 32 * 32).map(() => rng.normal());
  writeNpy(join(tmp, 'x.npy'), { dtype: 'f32', shape: [2, 1, 32, 32], data: v });
  return v;
})();
const memberTensors = (dir: string) => parseSafetensors(readFileSync(join(dir, 'member_1.safetensors'))).tensors;
const BB = 'core.features.backbone.model.';

/** predict --model DIR (WebGPU) against the float64 CPU backend running the member file */
async function predictMatchesOracle(dir: string, env: Record<string, string> = {}): Promise<number> {
  const out = join(tmp, `y-${Math.random().toString(36).slice(2)}.npy`);
  const r = cli(['predict', '--model', dir, '--input', join(tmp, 'x.npy'), '--out', out], env);
  assert.is(r.status, 0, r.stderr);
  const got = readNpy(out).data as Float32Array;
  const { model } = loadTrainedTwin(dir, { backend: cpu() });
  const y = model.forward(Tensor.from(x, [2, 1, 32, 32], { backend: cpu() }));
  const want = await y.data();
  y.dispose(); model.dispose();
  assert.is(got.length, 2 * 3);
  return maxRelToScale(got, want).scaled;
}

/** an HF ConvNextV2ForImageClassification-like state dict: atto cut at stage 2 plus a head, random weights */
function writeHfFile(path: string, extraKeys = true): Map<string, HostArray> {
  const m = new ConvNextV2(CONVNEXTV2_PRESETS.atto!, { truncateAt: 'encoder.stages.2.layers.1', backend: cpu() });
  const rng = new HostRng(99n);
  const sd = new Map<string, HostArray>();
  for (const [k, t] of m.stateDict()) {
    if (!extraKeys && k.startsWith('encoder.stages.2')) continue;
    const n = t.shape.reduce((a, b) => a * b, 1);
    sd.set(`convnextv2.${k}`, { dtype: 'f32', shape: [...t.shape], data: new Float32Array(n).map(() => (k.endsWith('layernorm.weight') || k.endsWith('downsampling_layer.0.weight') ? 1 : 0) + 0.2 * rng.normal()) });
  }
  m.dispose();
  if (extraKeys) sd.set('classifier.weight', { dtype: 'f32', shape: [2, 320], data: new Float32Array(640) });
  writeSafetensors(path, sd);
  return sd;
}

test('--core-weights (HF keys) with --freeze-core: the backbone is the file\'s, bit for bit; the folder alone predicts as the CPU oracle', async () => {
  const file = join(tmp, 'hf.safetensors');
  const sd = writeHfFile(file);
  const out = join(tmp, 'frozen');
  const r = cli(['train', data, '--arch', 'convnext-finetune', '--core-weights', file, '--freeze-core', ...base, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(out, 'twin.json'), 'utf8'));
  assert.is(m.architecture.arch, 'convnext-finetune');
  assert.is(m.architecture.freezeCore, true);
  assert.is(m.architecture.coreSource.kind, 'file');
  assert.match(m.architecture.coreSource.sha256, /^[0-9a-f]{64}$/);
  assert.is(m.architecture.core.backbone.truncateAt, 'encoder.stages.1.layers.0');
  const mt = memberTensors(out);
  let compared = 0;
  for (const [k, v] of mt) {
    if (!k.startsWith(BB)) continue;
    const src = sd.get(`convnextv2.${k.slice(BB.length)}`)!;
    assert.ok(src, `${k} comes from the file`);
    assert.ok((v.data as Float32Array).every((u, i) => u === (src.data as Float32Array)[i]), `${k} frozen`);
    compared++;
  }
  assert.is(compared, 4 + 2 * 10 + 4, 'embeddings, two blocks, stage 1 downsampling');
  assert.not.ok([...mt.keys()].some((k) => k.includes('stages.2')), 'nothing beyond the cut');
  const bn = mt.get('core.features.OutBatchNorm.weight')!.data as Float32Array;
  assert.ok(bn.some((u) => u !== 1), 'OutBatchNorm learned');
  // self-contained: copied elsewhere, no weights cache, no source file
  const moved = join(tmp, 'moved');
  cpSync(out, moved, { recursive: true });
  rmSync(file);
  const err = await predictMatchesOracle(moved, { DUALNEURON_HOME: join(tmp, 'no-cache') });
  assert.ok(err < 1e-4, `predict vs CPU oracle: ${err} of scale`);
});

test('resnet-finetune from a torchvision state dict (\'module.\' prefix) cut after layer1, frozen: weights kept, batch norm statistics follow the data (train mode, as upstream)', async () => {
  const m = resnet50({ truncateAfter: 'layer2.0', backend: cpu() });
  const rng = new HostRng(5n);
  const sd = new Map<string, HostArray>();
  for (const [k, t] of m.stateDict()) {
    const n = t.shape.reduce((a, b) => a * b, 1), fan = t.shape.slice(1).reduce((a, b) => a * b, 1);
    if (k.endsWith('num_batches_tracked')) { sd.set(`module.${k}`, { dtype: 'i64', shape: [], data: new BigInt64Array(1) }); continue; }
    const bnScale = t.shape.length === 1 && k.endsWith('weight');
    sd.set(`module.${k}`, { dtype: 'f32', shape: [...t.shape], data: new Float32Array(n).map(() => (k.endsWith('running_var') ? 1 + Math.abs(rng.normal()) : bnScale ? 1 + 0.2 * rng.normal() : rng.normal() / Math.sqrt(fan))) });
  }
  m.dispose();
  const file = join(tmp, 'tv.safetensors');
  writeSafetensors(file, sd);
  const out = join(tmp, 'resnet');
  const r = cli(['train', data, '--arch', 'resnet-finetune', '--core-weights', file, '--truncate', 'layer1', '--freeze-core', ...base, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const tw = JSON.parse(readFileSync(join(out, 'twin.json'), 'utf8'));
  assert.equal(tw.architecture.core.backbone, { kind: 'resnet50', truncateAfter: 'layer1' });
  assert.is(tw.architecture.readout.featureRegWeight, 3);
  const mt = memberTensors(out), TD = 'core.features.TaskDriven.';
  let kept = 0, stats = 0;
  for (const [k, v] of mt) {
    if (!k.startsWith(TD) || k.endsWith('num_batches_tracked')) continue;
    assert.not.ok(k.startsWith(`${TD}layer2`), `${k} is beyond the cut`);
    const src = sd.get(`module.${k.slice(TD.length)}`)!.data as Float32Array, a = v.data as Float32Array;
    if (k.endsWith('running_mean') || k.endsWith('running_var')) { if (a.some((u, i) => u !== src[i])) stats++; continue; }
    assert.ok(a.every((u, i) => u === src[i]), `${k} frozen`);
    kept++;
  }
  assert.is(kept, 3 + 3 * (3 + 3 * 2) + 3, 'stem conv + bn affine, layer1: 3 blocks x (3 convs + 3 bn affine pairs), downsample conv + bn affine');
  assert.ok(stats > 0, 'running statistics updated in train mode');
  const err = await predictMatchesOracle(out);
  assert.ok(err < 1e-4, `predict vs CPU oracle: ${err} of scale`);
});

test('clear errors: twin not installed, wrong and missing keys, the other backbone, an input too small for the cut', () => {
  const empty = join(tmp, 'empty-cache');
  mkdirSync(empty, { recursive: true });
  let r = cli(['train', data, '--arch', 'convnext-finetune', '--weights-dir', empty, ...base, '--out', join(tmp, 'e1')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /V1 twin's weights are not installed/);
  assert.match(r.stderr, /dualneuron weights pull v1/);
  const bad = join(tmp, 'bad.safetensors');
  writeSafetensors(bad, { 'fc.weight': { dtype: 'f32', shape: [2, 2], data: new Float32Array(4) }, 'layer1.0.conv1.weight': { dtype: 'f32', shape: [1], data: new Float32Array(1) } });
  r = cli(['train', data, '--arch', 'convnext-finetune', '--core-weights', bad, ...base, '--out', join(tmp, 'e2')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /has no weights of a ConvNeXtV2 .*keys like fc\.weight, layer1\.0\.conv1\.weight; expected keys like embeddings\.patch_embeddings\.weight/);
  const part = join(tmp, 'part.safetensors');
  const sd = writeHfFile(part, false);
  sd.delete('convnextv2.encoder.stages.1.downsampling_layer.1.weight');
  writeSafetensors(part, sd);
  r = cli(['train', data, '--arch', 'convnext-finetune', '--core-weights', part, ...base, '--out', join(tmp, 'e3')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /1 of its 28 keys are missing \(e\.g\. encoder\.stages\.1\.downsampling_layer\.1\.weight\)/);
  r = cli(['train', data, '--arch', 'resnet-finetune', '--core-from', 'v1', ...base, '--out', join(tmp, 'e4')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /the v1 twin's core is convnextv2-atto-stage1, not a ResNet-50; use --arch convnext-finetune/);
  r = cli(['train', data, '--core-from', 'v1', ...base, '--out', join(tmp, 'e5')]);
  assert.match(r.stderr, /--core-from, --core-weights, --truncate, --freeze-core and --core-lr are for --arch convnext-finetune or resnet-finetune/);
  // a cut after stage 3's downsampling needs 32x32 or more: at 16x16 the 2x2 stride-2 conv of stage 3 meets a 1x1 map
  const arch = finetuneArchitecture('convnext-finetune', { neurons: 2, size: [16, 16], source: { kind: 'file', path: 'x', sha256: '' }, truncate: 'layernorm' });
  assert.throws(() => buildFinetuneModel(arch, cpu()), (e: Error) => e instanceof InputError && /images of 16x16 are too small for the truncated ConvNeXtV2 .*cut at layernorm.*larger --image-size/.test(e.message));
  const typo = finetuneArchitecture('convnext-finetune', { neurons: 2, size: [93, 93], source: { kind: 'file', path: 'x', sha256: '' }, truncate: 'encoder.stage.1' });
  assert.throws(() => buildFinetuneModel(typo, cpu()), /no module named 'encoder.stage.1' to cut at \(e\.g\. encoder\.stages\.1\.layers\.0/);
});

withUpstream(test)('--core-from v1: starts at the V1 core and fine-tunes it; predict --model DIR equals the CPU oracle', async () => {
  const home = upstreamWeightsHome();
  const out = join(tmp, 'v1');
  const r = cli(['train', data, '--arch', 'convnext-finetune', '--core-from', 'v1', '--weights-dir', home, '--core-lr', '0.0005', ...base, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const m = JSON.parse(readFileSync(join(out, 'twin.json'), 'utf8'));
  assert.equal(m.architecture.coreSource.twin, 'v1');
  assert.is(m.architecture.coreLr, 0.0005);
  assert.is(m.architecture.freezeCore, false);
  assert.equal(m.input.shape, [1, 32, 32]);
  const v1 = loadMemberStateDict('v1', 1, home).tensors;
  const mt = memberTensors(out);
  let near = 0, moved = 0;
  for (const [k, v] of mt) {
    if (!k.startsWith('core.')) continue;
    if (k.endsWith('num_batches_tracked')) continue;
    const src = v1.get(k)!;
    assert.ok(src, `${k} is a key of the V1 twin's core`);
    const a = v.data as Float32Array, b = Float32Array.from(src.data as ArrayLike<number>, Number);
    const d = maxRelToScale(a, b).scaled;
    // two epochs of Adam at 5e-4 (backbone) move each weight by at most ~2 * 2 steps * lr
    if (k.startsWith(BB)) assert.ok(a.every((u, i) => Math.abs(u - b[i]!) <= 4 * 5e-4 * 1.01), `${k} within Adam's reach of the V1 core`);
    if (d > 0) moved++;
    near++;
  }
  assert.is(near, 37 - 4 - 1, 'every core tensor of the V1 checkpoint (readout and counter aside)');
  assert.ok(moved > 20, `the core was fine-tuned (${moved} tensors changed)`);
  const err = await predictMatchesOracle(out);
  assert.ok(err < 1e-4, `predict vs CPU oracle: ${err} of scale`);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
