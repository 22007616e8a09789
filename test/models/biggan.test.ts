// BigGAN-deep against a PyTorch implementation (tools/golden/biggan.py: torch.nn layers with torch's own
// nn.utils.spectral_norm in eval mode) with deterministic random weights, read from the legacy-format checkpoint the
// script wrote (as the published pytorch_model.bin): the width-1/32 network (biggan-deep-256's 12 blocks, z 16,
// 50 classes, 11 stored statistics) in full at truncation 0.7 (output, gradient to noise and class vectors) and
// 0.55 (statistics rows mixed); the gradient also against central finite differences on the float64 CPU backend.
// The published size is checked for keys, shapes and parameter count against the script's torch module.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, tidy, noGrad, cpu, type Backend } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { readAnyTorchCheckpoint, legacyTorchToZip } from '../../src/io/pytorch-legacy.js';
import { readTorchCheckpoint } from '../../src/io/pytorch.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { FormatError, InputError, ShapeError, WeightsError } from '../../src/errors.js';
import {
  BIGGAN_DEEP_128, BIGGAN_DEEP_256, BigGanDeep, bigganConfig, bigganConfigFromJson, bigganParameterCount, bigganShapes, truncationIndex, type BigGanConfig,
} from '../../src/models/biggan.js';
import { BIGGAN_STORED, checkBigganStateDict, findBiggan, importBiggan, loadBiggan, pullBiggan, requireBiggan } from '../../src/models/weights/biggan-weights.js';
import { readManifest } from '../../src/models/weights/store.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detValue } from '../helpers/det-weights.js';
import { assertThrowsWith } from '../io/io-helpers.js';
import { cli } from '../helpers/cli.js';
import { maxRelToScale } from '../helpers/compare.js';

const test = suite('BigGAN-deep vs PyTorch (deterministic random weights), legacy checkpoint, import, pull');
const fx = (...p: string[]) => fixture('biggan', ...p);
/** The script's small network: width 128 / 32, z 16, 50 classes, 11 statistics rows. */
const SMALL: BigGanConfig = bigganConfig(32, { zDim: 16, numClasses: 50, nStats: 11 });
const npy = (name: string) => readNpy(fx(name)).data as Float32Array;
const tmpHome = () => mkdtempSync(join(tmpdir(), 'dualneuron-biggan-'));

function smallModel(backend: Backend): BigGanDeep {
  const m = new BigGanDeep(SMALL, { backend });
  m.loadStateDict(checkBigganStateDict(readAnyTorchCheckpoint(fx('s32', 'pytorch_model.bin')), 'fixture', SMALL));
  m.requiresGrad_(false);
  return m;
}

/** The script's inputs: noise 2 * det_value('noise', [2, 16], 1000000); class 3 for sample 0, half 7 half 11 for sample 1. */
function inputs(backend: Backend): { noise: Tensor; cls: Tensor } {
  const noise = Tensor.from(Float32Array.from(detValue('noise', [2, 16], 1000000).data as Float32Array, (v) => 2 * v), [2, 16], { backend });
  const c = new Float32Array(100);
  c[3] = 1; c[50 + 7] = 0.5; c[50 + 11] = 0.5;
  return { noise, cls: Tensor.from(c, [2, 50], { backend }) };
}

/** Every `step`-th row and column of (B, 3, 256, 256). */
function sub(d: ArrayLike<number>, step: number): Float32Array {
  const n = Math.ceil(256 / step), out = new Float32Array(2 * 3 * n * n);
  let o = 0;
  for (let p = 0; p < 6; p++) for (let r = 0; r < 256; r += step) for (let c = 0; c < 256; c += step) out[o++] = d[p * 65536 + r * 256 + c];
  return out;
}


/** L = sum(image * W) with the script's cotangent; returns dL/dnoise and dL/dclass. */
function grads(m: BigGanDeep, noise0: Tensor, cls0: Tensor, backend: Backend): { gn: Tensor; gc: Tensor; noise: Tensor; cls: Tensor } {
  const noise = noise0.detach().requiresGrad_(), cls = cls0.detach().requiresGrad_();
  tidy(() => {
    const y = m.image(noise, cls, 0.7);
    const w = Tensor.from(detValue('cotangent', [2, 3, 256, 256], 1000001).data as Float32Array, y.shape, { backend });
    y.mul(w).sum().backward();
  });
  return { gn: noise.grad!, gc: cls.grad!, noise, cls };
}

test('published size: keys, shapes and parameter count are the torch module\'s (55,880,833 parameters)', () => {
  const full = JSON.parse(readFileSync(fx('full_shapes.json'), 'utf8')) as { parameters: number; keys: number; shapes: [string, number[]][] };
  const want = new Map(full.shapes);
  const ours = bigganShapes(BIGGAN_DEEP_256);
  assert.equal([...ours.keys()].sort(), [...want.keys()].sort());
  for (const [k, s] of want) assert.equal(ours.get(k), s, k);
  assert.is(bigganParameterCount(), full.parameters);
  assert.is(full.parameters, 55880833);
  assert.is(ours.size, full.keys);
  // the module's own state dict has exactly these keys and shapes (checked at width 1/32: the full size would
  // allocate 55.9M float64 parameters on the CPU backend)
  const m = new BigGanDeep(bigganConfig(32), { backend: cpu() });
  const sd = m.stateDict(), small = bigganShapes(bigganConfig(32));
  assert.equal([...sd.keys()].sort(), [...small.keys()].sort());
  for (const [k, s] of small) assert.equal([...sd.get(k)!.shape], s, `module ${k}`);
  assert.is(m.codeDim, 256);
  m.dispose();
  // biggan-deep-128 builds too: two GenBlocks fewer, 48 state-dict entries each (4 x (2 statistics + 2 x 3 SN
  // Linear) + 4 x 4 SN conv)
  assert.is(bigganShapes(BIGGAN_DEEP_128).size, full.keys - 2 * 48);
  // the published config.json, as upstream writes it, reads back to the same config
  const json = { output_dim: 256, z_dim: 128, class_embed_dim: 128, channel_width: 128, num_classes: 1000, layers: BIGGAN_DEEP_256.layers.map((l) => [...l]), attention_layer_position: 8, eps: 1e-4, n_stats: 51 };
  assert.equal(bigganConfigFromJson(json, 'c.json'), BIGGAN_DEEP_256);
  assertThrowsWith(() => bigganConfigFromJson({ ...json, output_dim: 512 }, 'c.json'), InputError, 'c.json', 'up-sample 4 x 4 to 256 x 256, but outputDim is 512');
  assertThrowsWith(() => bigganConfig(3), InputError, 'power of two');
  // upstream's arithmetic, math.modf(t / (1.0 / (n_stats - 1))) in Python: (0.0, 35.0) for 0.7 and 51 rows;
  // (0.9999999999999991, 6.0) for 0.7 and the fixture's 11 rows; (0.5, 5.0) for 0.55 and 11 rows
  assert.equal(truncationIndex(0.7, 51), { start: 35, coef: 0 });
  assert.equal(truncationIndex(0.7, 11), { start: 6, coef: 0.9999999999999991 });
  assert.equal(truncationIndex(0.55, 11), { start: 5, coef: 0.5 });
  assert.equal(truncationIndex(1, 51), { start: 50, coef: 0 });
  assertThrowsWith(() => truncationIndex(0, 51), InputError, 'truncation must be in (0, 1]');
});

test('width 1/32: output (truncation 0.7 and 0.55) and gradients to noise and class match PyTorch (float64) within 1e-4', async () => {
  const g = await gpu();
  const m = smallModel(g);
  const { noise, cls } = inputs(g);
  const raw = noGrad(() => tidy(() => m.forward(noise, cls, 0.7)));
  assert.equal([...raw.shape], [2, 3, 256, 256]);
  const eRaw = maxRelToScale(sub(await raw.data(), 3), npy('s32_raw.npy'));
  const raw55 = noGrad(() => tidy(() => m.forward(noise, cls, 0.55)));
  const e55 = maxRelToScale(sub(await raw55.data(), 6), npy('s32_raw055.npy'));
  // the same through the wrapper's code path: [noise | class embedding] straight into the generator
  const viaCode = noGrad(() => tidy(() => m.fromCode(m.code(noise, cls), 0.7)));
  const eCode = maxRelToScale(sub(await viaCode.data(), 3), npy('s32_raw.npy'));
  const { gn, gc, noise: n2, cls: c2 } = grads(m, noise, cls, g);
  const eGn = maxRelToScale(await gn.data(), npy('s32_grad_noise.npy'));
  const eGc = maxRelToScale(await gc.data(), npy('s32_grad_class.npy'));
  console.log(`    output ${eRaw.scaled.toExponential(2)} of scale (max rel ${eRaw.rel.toExponential(2)}); t=0.55 ${e55.scaled.toExponential(2)}; grad noise ${eGn.scaled.toExponential(2)}, class ${eGc.scaled.toExponential(2)} (max rel ${eGn.rel.toExponential(2)}, ${eGc.rel.toExponential(2)})`);
  assert.ok(eRaw.scaled < 1e-4, `output ${JSON.stringify(eRaw)}`);
  assert.ok(e55.scaled < 1e-4, `output at 0.55 ${JSON.stringify(e55)}`);
  assert.ok(eCode.scaled < 1e-4, `output from the code ${JSON.stringify(eCode)}`);
  assert.ok(eGn.scaled < 1e-4, `noise gradient ${JSON.stringify(eGn)}`);
  assert.ok(eGc.scaled < 1e-4, `class gradient ${JSON.stringify(eGc)}`);
  // the statistics rows matter: the two truncations differ by far more than the tolerance
  const stats = JSON.parse(readFileSync(fx('s32_stats.json'), 'utf8')) as { diff_055_07: number; std: number };
  assert.ok(stats.diff_055_07 > 0.1 && stats.std > 0.1, JSON.stringify(stats));
  assertThrowsWith(() => m.forward(noise, cls, 1.5), InputError, 'truncation must be in (0, 1]');
  assertThrowsWith(() => m.fromCode(noise), ShapeError, '(batch, 32)', '[2, 16]');
  for (const t of [raw, raw55, viaCode, gn, gc, n2, c2, noise, cls]) t.dispose();
  m.dispose();
});

test('noise and class gradients equal a central finite difference along a direction (float64 CPU backend, width 1/32)', async () => {
  const c = cpu();
  const m = smallModel(c);
  const { noise, cls } = inputs(c);
  const { gn, gc, noise: n2, cls: c2 } = grads(m, noise, cls, c);
  const gNoise = await gn.data(), gClass = await gc.data();
  const w = Tensor.from(detValue('cotangent', [2, 3, 256, 256], 1000001).data as Float32Array, [2, 3, 256, 256], { backend: c });
  const nv = Float64Array.from(await noise.data()), cv = Float64Array.from(await cls.data());
  const L = async (a: Float64Array, b: Float64Array) => {
    const y = noGrad(() => tidy(() => m.image(Tensor.from(a, [2, 16], { backend: c }), Tensor.from(b, [2, 50], { backend: c }), 0.7).mul(w).sum()));
    const r = await y.item();
    y.dispose();
    return r;
  };
  // one central difference along a direction d that moves every noise and class coordinate (two forward passes
  // on the CPU backend cost ~7 s each): (L(x + h d) - L(x - h d)) / 2h against grad . d, and one coordinate alone
  const dn = detValue('dir-noise', [2, 16], 1000002).data as Float32Array, dc = detValue('dir-class', [2, 50], 1000003).data as Float32Array;
  const h = 1e-6;
  const shift = (base: Float64Array, d: ArrayLike<number>, s: number) => Float64Array.from(base, (v, i) => v + s * d[i]);
  const fd = ((await L(shift(nv, dn, h), shift(cv, dc, h))) - (await L(shift(nv, dn, -h), shift(cv, dc, -h)))) / (2 * h);
  let gd = 0;
  for (let i = 0; i < dn.length; i++) gd += gNoise[i] * dn[i];
  for (let i = 0; i < dc.length; i++) gd += gClass[i] * dc[i];
  assert.ok(Math.abs(fd - gd) <= 1e-5 * Math.max(1, Math.abs(fd)), `directional derivative: autodiff ${gd}, finite differences ${fd}`);
  assert.ok(Math.abs(gd) > 1e-3, `the direction probes a non-zero derivative (${gd})`);
  for (const t of [gn, gc, n2, c2, noise, cls, w]) t.dispose();
  m.dispose();
});

test('legacy torch.save: read directly and equal to torch\'s values; the zip reader still refuses it with a hint', () => {
  const sd = readAnyTorchCheckpoint(fx('s32', 'pytorch_model.bin'));
  assert.is(sd.size, bigganShapes(SMALL).size);
  // the first element of the embedding is the det value the script started from (not changed by it)
  const emb = detValue('embeddings.weight', [16, 50], 0).data as Float32Array;
  assert.equal(Array.from(sd.get('embeddings.weight')!.data as Float32Array), Array.from(emb));
  assertThrowsWith(() => readTorchCheckpoint(fx('s32', 'pytorch_model.bin')), FormatError, 'legacy');
  const bytes = readFileSync(fx('s32', 'pytorch_model.bin'));
  assertThrowsWith(() => legacyTorchToZip(bytes.subarray(0, bytes.length - 100), 'cut.bin'), FormatError, 'cut.bin', 'truncated');
  assertThrowsWith(() => legacyTorchToZip(bytes.subarray(0, 40), 'head.bin'), FormatError, 'head.bin');
  // the older io fixture in the legacy format reads too
  const small = readAnyTorchCheckpoint(fixture('io', 'torch_legacy.pth'));
  assert.ok(small.size > 0);
});

test('import: config.json + pytorch_model.bin (legacy format) to <home>/biggan/biggan-deep-256.safetensors, loads, same output', async () => {
  const home = tmpHome();
  try {
    assertThrowsWith(() => requireBiggan(home), WeightsError, 'not installed', 'dualneuron weights pull biggan-deep-256', 'weights import');
    const logs: string[] = [];
    const rel = importBiggan(fx('s32'), home, { config: SMALL, log: (s) => logs.push(s) });
    assert.is(rel, BIGGAN_STORED);
    assert.ok(logs.join('\n').includes('no published checksum') && logs.join('\n').includes('config config.json checked'), logs.join('\n'));
    const man = readManifest(home).files[BIGGAN_STORED];
    assert.is(man.upstreamPath, 'biggan-deep-256-pytorch_model.bin');
    assert.is(man.sizeOriginal, readFileSync(fx('s32', 'pytorch_model.bin')).length);
    const st = readSafetensors(join(home, BIGGAN_STORED));
    assert.equal(JSON.parse(st.metadata.config), JSON.parse(JSON.stringify(SMALL)));
    const g = await gpu();
    const { model } = loadBiggan({ weightsDir: home, backend: g });
    const { noise, cls } = inputs(g);
    const raw = noGrad(() => tidy(() => model.forward(noise, cls, 0.7)));
    const e = maxRelToScale(sub(await raw.data(), 3), npy('s32_raw.npy'));
    assert.ok(e.scaled < 1e-4, `imported model ${JSON.stringify(e)}`);
    for (const t of [raw, noise, cls]) t.dispose();
    model.dispose();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('import: mismatched, wrong-config and corrupt checkpoints fail naming the key and shapes', () => {
  const home = tmpHome();
  try {
    const dir = join(home, 'bad');
    mkdirSync(dir);
    copyFileSync(fx('s32_bad.bin'), join(dir, 'pytorch_model.bin'));
    copyFileSync(fx('s32', 'config.json'), join(dir, 'config.json'));
    assertThrowsWith(() => importBiggan(dir, home, { config: SMALL }), WeightsError, 'pytorch_model.bin', 'missing keys (1): generator.gen_z.bias',
      'generator.layers.3.conv_3.weight_orig: checkpoint [16, 32, 1, 1] vs model [32, 16, 1, 1]');
    // the small network's config.json against the published network
    assertThrowsWith(() => importBiggan(fx('s32'), home), WeightsError, 'config.json describes another network than biggan-deep-256', 'channel_width: file 4 vs expected 128', 'z_dim: file 16 vs expected 128');
    // without its config.json, the shapes tell
    const lone = join(home, 'lone');
    mkdirSync(lone);
    copyFileSync(fx('s32', 'pytorch_model.bin'), join(lone, 'model.bin'));
    assertThrowsWith(() => importBiggan(join(lone, 'model.bin'), home), WeightsError, 'embeddings.weight: checkpoint [16, 50] vs model [128, 1000]', 'generator.gen_z.weight_orig: checkpoint [1024, 32] vs model [32768, 256]');
    // a truncated download
    const cut = join(lone, 'cut.bin');
    const bytes = readFileSync(fx('s32', 'pytorch_model.bin'));
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    assertThrowsWith(() => importBiggan(cut, home, { config: SMALL }), FormatError, cut, 'truncated');
    assert.not.ok(existsSync(join(home, BIGGAN_STORED)), 'nothing stored');
    assertThrowsWith(() => importBiggan(join(home, 'nothing-here'), home), InputError, 'does not exist');
    assertThrowsWith(() => importBiggan(home, home), InputError, 'no BigGAN-deep-256 weights in');
    // a state dict saved without spectral norm gets a hint
    const sd = readAnyTorchCheckpoint(fx('s32', 'pytorch_model.bin'));
    const plain = new Map([...sd].map(([k, v]) => [k.replace(/\.weight_orig$/, '.weight'), v]));
    assertThrowsWith(() => checkBigganStateDict(plain, 'plain.bin', SMALL), WeightsError, 'saved without torch\'s spectral_norm');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('pull: downloads config and weights from a mirror, imports, and does not download twice', async () => {
  const home = tmpHome();
  const files: Record<string, Buffer> = {
    '/biggan-deep-256-pytorch_model.bin': readFileSync(fx('s32', 'pytorch_model.bin')),
    '/biggan-deep-256-config.json': readFileSync(fx('s32', 'config.json')),
  };
  let hits = 0;
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (body) { hits++; res.setHeader('content-length', String(body.length)); res.end(body); return; }
    res.statusCode = 404; res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const mirror = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const stored = await pullBiggan(home, { mirror, config: SMALL, log: () => {} });
    assert.is(stored, BIGGAN_STORED);
    assert.is(hits, 2);
    assert.is(readManifest(home).files[BIGGAN_STORED].source, `${mirror}/biggan-deep-256-pytorch_model.bin`);
    assert.not.ok(existsSync(join(home, 'downloads', 'biggan-deep-256-pytorch_model.bin')), 'downloads removed');
    assert.is(await pullBiggan(home, { mirror, config: SMALL, log: () => {} }), null);
    assert.is(hits, 2);
    // the published network asked for: the config tells, nothing stored
    const home2 = tmpHome();
    try {
      let err: Error | null = null;
      try { await pullBiggan(home2, { mirror, log: () => {} }); } catch (e) { err = e as Error; }
      assert.instance(err, WeightsError);
      assert.ok(err!.message.includes('channel_width: file 4 vs expected 128'), err!.message);
      assert.not.ok(existsSync(join(home2, BIGGAN_STORED)));
      assert.not.ok(existsSync(join(home2, 'downloads', 'biggan-deep-256-pytorch_model.bin')));
    } finally {
      rmSync(home2, { recursive: true, force: true });
    }
  } finally {
    server.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('CLI: weights import --only biggan-deep-256 checks the files, weights list shows the target', () => {
  const home = tmpHome();
  try {
    const r = cli(['weights', 'import', fx('s32'), '--only', 'biggan-deep-256', '--weights-dir', home]);
    assert.is.not(r.status, 0);
    assert.ok(r.stderr.includes('channel_width: file 4 vs expected 128'), r.stderr);
    const l = cli(['weights', 'list', '--weights-dir', home]);
    assert.is(l.status, 0, l.stderr);
    assert.ok(/biggan-deep-256 +missing +\(dualneuron weights pull biggan-deep-256\)/.test(l.stdout), l.stdout);
    assert.equal(findBiggan(fx('s32')), { weights: fx('s32', 'pytorch_model.bin'), config: fx('s32', 'config.json') });
    assert.is(findBiggan(fixture('deepsim')), null);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
