// DreamSim: the checkpoint readers on small files written in each upstream format (tools/golden/vit.py), the
// importer (loose files, the release zip, a pull from a local mirror) with LoRA merged, and the embedding and
// distance against upstream's PerceptualModel.embed run in PyTorch with the adapter unmerged.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Tensor, tidy, noGrad } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { VisionTransformer, detectVitLayout, toVitKeys, type VitConfig } from '../../src/models/vit.js';
import { readCheckpoint } from '../../src/models/dreamsim-formats.js';
import { DreamSim, type BranchName } from '../../src/models/dreamsim.js';
import { importDreamsim, loadDreamsim, pullDreamsim, requireDreamsim } from '../../src/models/weights/dreamsim-weights.js';
import { WeightsError } from '../../src/errors.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detValue } from '../helpers/det-weights.js';

const test = suite('DreamSim: upstream formats, import, pull, embed');
const f = (...p: string[]) => fixture('vit', ...p);

const micro = { channels: 3, patchSize: 8, gridSize: 2, width: 16, depth: 1, heads: 2, mlpRatio: 4 };
const MICRO: Record<'dino' | 'clip' | 'open_clip', VitConfig> = {
  dino: { ...micro, act: 'gelu', eps: 1e-6, lnPre: false, projDim: null, output: 'cls' },
  clip: { ...micro, act: 'quick_gelu', eps: 1e-5, lnPre: true, projDim: 8, output: 'cls_proj' },
  open_clip: { ...micro, act: 'gelu', eps: 1e-5, lnPre: true, projDim: 8, output: 'cls_proj' },
};
const CONFIGS: Partial<Record<BranchName, VitConfig>> = { dino_vitb16: MICRO.dino, clip_vitb16: MICRO.clip, open_clip_vitb16: MICRO.open_clip };

function maxScaled(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let s = 0, e = 0;
  for (let i = 0; i < want.length; i++) { s = Math.max(s, Math.abs(want[i])); e = Math.max(e, Math.abs(got[i] - want[i])); }
  return e / s;
}

const cases: [string, keyof typeof MICRO, string, string][] = [
  ['DINO hub state dict (.pth)', 'dino', 'dino_micro.pth', 'dino'],
  ['DINO full training checkpoint (teacher)', 'dino', 'dino_micro_full.pth', 'dino'],
  ['OpenAI CLIP TorchScript archive (float16)', 'clip', 'clip_micro.pt', 'clip'],
  ['OpenCLIP open_clip_pytorch_model.bin', 'open_clip', 'open_clip_micro.bin', 'open_clip'],
  ['OpenCLIP open_clip_model.safetensors', 'open_clip', 'open_clip_micro.safetensors', 'open_clip'],
  ["DreamSim's converted CLIP ({'state_dict'}, DINO keys + pos_drop + proj)", 'clip', 'clip_micro_pretrain.pth.tar', 'dreamsim_clip'],
];
for (const [what, kind, file, expected] of cases) {
  test(`reads ${what}`, async () => {
    const ck = readCheckpoint(f('formats', file));
    const layout = detectVitLayout(ck.tensors)!;
    const m = new VisionTransformer(MICRO[kind], await gpu());
    m.loadStateDict(toVitKeys(ck.tensors, layout), { source: file });
    const x = Tensor.from(Float32Array.from(detValue('input', [1, 3, 16, 16], 1000000).data as Float32Array, (v) => v * 4), [1, 3, 16, 16], { backend: await gpu() });
    const y = noGrad(() => tidy(() => m.forward(x)));
    const e = maxScaled(await y.data() as Float32Array, readNpy(f('formats', `${expected}_out.npy`)).data as Float32Array);
    assert.ok(e < 1e-5, `${file} (${ck.format}, ${layout}): error ${e}`);
    x.dispose(); y.dispose(); m.dispose();
  });
}

const images = async () => Tensor.from(Float32Array.from(detValue('input', [2, 3, 16, 16], 1000001).data as Float32Array, (v) => v + 0.5), [2, 3, 16, 16], { backend: await gpu() });

async function checkEmbedding(home: string, what: string): Promise<void> {
  const { model } = loadDreamsim('ensemble', { weightsDir: home, backend: await gpu() });
  assert.is(model.dim, 16 + 8 + 8);
  const x = await images();
  const e = noGrad(() => tidy(() => model.embed(x)));
  const got = await e.data() as Float32Array;
  const err = maxScaled(got, readNpy(f('dreamsim', 'embed.npy')).data as Float32Array);
  const d = noGrad(() => tidy(() => DreamSim.distance(e.slice([[0, 1]]), e.slice([[1, 2]]))));
  const derr = Math.abs((await d.data())[0] - (readNpy(f('dreamsim', 'distance.npy')).data as Float32Array)[0]);
  console.log(`    ${what}: embedding error ${err.toExponential(1)}, distance error ${derr.toExponential(1)}`);
  assert.ok(err < 1e-5, `${what}: embedding error ${err}`);
  assert.ok(derr < 1e-6, `${what}: distance error ${derr}`);
  for (let b = 0; b < 2; b++) {
    let s = 0, q = 0;
    for (let i = 0; i < 32; i++) { s += got[b * 32 + i]; q += got[b * 32 + i] ** 2; }
    assert.ok(Math.abs(s) < 1e-5 && Math.abs(q - 1) < 1e-5, 'each embedding is centred and unit length');
  }
  // gradients reach the images
  const xg = (await images()).requiresGrad_();
  tidy(() => { model.embed(xg).select(1, 3).sum().backward(); return undefined; });
  const g = await xg.grad!.data() as Float32Array;
  assert.ok(g.some((v) => v !== 0) && g.every(Number.isFinite), 'finite nonzero input gradient');
  [x, e, d, xg].forEach((t) => t.dispose());
  model.dispose();
}

test('import from loose upstream files (DINO hub .pth, OpenAI TorchScript, OpenCLIP safetensors, PEFT adapter)', async () => {
  const home = mkdtempSync(join(tmpdir(), 'dn-ds-'));
  try {
    assert.throws(() => requireDreamsim('ensemble', home), (e: Error) => e instanceof WeightsError && /weights pull dreamsim/.test(e.message) && /weights import/.test(e.message));
    // the micro TorchScript file is named ViT-B-16.pt but is not OpenAI's: its published sha256 refuses it
    assert.throws(() => importDreamsim([f('dreamsim', 'loose')], home, { configs: CONFIGS }), (e: Error) => e instanceof WeightsError && /5806e77cd80f8b59/.test(e.message) && /--force/.test(e.message));
    const r = importDreamsim([f('dreamsim', 'loose')], home, { configs: CONFIGS, force: true });
    assert.equal(r.types, ['ensemble']);
    assert.is(r.stored.length, 3);
    assert.ok(r.skipped.some((s) => s.type === 'dino_vitb16'), 'types whose files are absent are skipped');
    await checkEmbedding(home, 'loose files');
  } finally { rmSync(home, { recursive: true, force: true }); }
});

test('import from the release zip (full DINO checkpoint, converted towers) beside the hub backbone', async () => {
  const home = mkdtempSync(join(tmpdir(), 'dn-ds-'));
  try {
    importDreamsim([f('dreamsim', 'dreamsim_ensemble_checkpoint.zip'), f('dreamsim', 'loose', 'dino_vitbase16_pretrain.pth')], home, { types: ['ensemble'], configs: CONFIGS });
    await checkEmbedding(home, 'zip + hub file');
    // the zip alone: DINO from the full checkpoint's teacher
    const home2 = mkdtempSync(join(tmpdir(), 'dn-ds-'));
    importDreamsim([f('dreamsim', 'dreamsim_ensemble_checkpoint.zip')], home2, { types: ['ensemble'], configs: CONFIGS });
    await checkEmbedding(home2, 'zip alone (teacher)');
    rmSync(home2, { recursive: true, force: true });
  } finally { rmSync(home, { recursive: true, force: true }); }
});

test('pull from a local mirror, and a clear message when offline', async () => {
  const files = new Map([f('dreamsim', 'dreamsim_ensemble_checkpoint.zip'), f('dreamsim', 'loose', 'dino_vitbase16_pretrain.pth')].map((p) => [basename(p), readFileSync(p)]));
  const server = createServer((req, res) => {
    const b = files.get(basename(req.url ?? ''));
    if (!b) { res.statusCode = 404; res.end(); return; }
    res.setHeader('content-length', String(b.length));
    res.end(b);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const home = mkdtempSync(join(tmpdir(), 'dn-ds-'));
  try {
    const stored = await pullDreamsim(['ensemble'], home, { mirror: `http://127.0.0.1:${port}`, configs: CONFIGS, log: () => {} });
    assert.is(stored.length, 3);
    await checkEmbedding(home, 'pulled');
    const again = await pullDreamsim(['ensemble'], home, { mirror: `http://127.0.0.1:${port}`, log: () => {} });
    assert.is(again.length, 0, 'already installed');
  } finally {
    server.close();
    rmSync(home, { recursive: true, force: true });
  }
  const home3 = mkdtempSync(join(tmpdir(), 'dn-ds-'));
  try {
    await pullDreamsim(['dino_vitb16'], home3, { mirror: 'http://127.0.0.1:1', log: () => {} });
    assert.unreachable('should fail');
  } catch (e) {
    assert.ok(e instanceof WeightsError && /offline/i.test((e as Error).message) && /weights import/.test((e as Error).message), (e as Error).message);
  } finally { rmSync(home3, { recursive: true, force: true }); }
});

test.run();
