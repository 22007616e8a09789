// The DeePSim fc6 generator against a PyTorch implementation (tools/golden/deepsim_fc6.py: torch.nn.Linear,
// ConvTranspose2d, LeakyReLU) with the same deterministic random weights (helpers/det-weights.ts =
// tools/golden/det_weights.py; deconv0 times a power-of-two gain so the clamp to [0, 255] takes effect): the
// width-1/32 network in full (raw output, image, gradient to the codes), the published size on a grid of outputs
// and per-channel statistics; the gradient also against central finite differences on the float64 CPU backend.
// The importer reads torch.save'd files written by the same script in the published format.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor, tidy, noGrad, cpu, type Backend } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { encodeSafetensors, readSafetensors } from '../../src/io/safetensors.js';
import type { HostArray } from '../../src/io/host-array.js';
import { FormatError, InputError, ShapeError, WeightsError } from '../../src/errors.js';
import { DEEPSIM_FC6, DeepSimFc6, deepsimFc6Config, deepsimFc6Shapes } from '../../src/models/deepsim-fc6.js';
import {
  DEEPSIM_FC6_STORED, checkDeepsimFc6StateDict, findDeepsimFc6, importDeepsimFc6, loadDeepsimFc6, pullDeepsimFc6, requireDeepsimFc6, rewriteDeepsimKeys,
} from '../../src/models/weights/deepsim-weights.js';
import { readManifest } from '../../src/models/weights/store.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detStateDict, detValue } from '../helpers/det-weights.js';
import { assertThrowsWith } from '../io/io-helpers.js';
import { cli } from '../helpers/cli.js';
import { maxRelToScale } from '../helpers/compare.js';

const test = suite('DeePSim fc6 generator vs PyTorch (deterministic random weights), import, pull');
const fx = (name: string) => fixture('deepsim', name);
const SMALL = deepsimFc6Config(32);

/** The script's weights: det weights of every key, deconv0 times `gain` (exact: a power of two). */
function detWeights(shapes: Map<string, readonly number[]>, gain: number): Map<string, HostArray> {
  const sd = detStateDict(shapes);
  for (const k of ['deconv0.weight', 'deconv0.bias']) {
    const d = sd.get(k)!.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] *= gain;
  }
  return sd;
}

/** The script's codes: det_value('code', [B, D], 1000000) * k. */
function detCodes(b: number, d: number, backend: Backend): Tensor {
  const k = d === 128 ? 16 : 64;
  return Tensor.from(Float32Array.from(detValue('code', [b, d], 1000000).data as Float32Array, (v) => v * k), [b, d], { backend });
}

/** Every 3rd row and column of (B, C, 256, 256), as x[:, :, ::3, ::3]. */
function every3rd(d: ArrayLike<number>, b: number): Float32Array {
  const n = 86, out = new Float32Array(b * 3 * n * n);
  let o = 0;
  for (let p = 0; p < b * 3; p++) for (let r = 0; r < 256; r += 3) for (let c = 0; c < 256; c += 3) out[o++] = d[p * 65536 + r * 256 + c];
  return out;
}

/** max |got - want| / max |want|, and the largest elementwise relative error where |want| > 1% of that scale. */

const shapesOf = (m: DeepSimFc6) => new Map([...m.stateDict()].map(([k, t]) => [k, t.shape] as [string, readonly number[]]));
const npy = (name: string) => readNpy(fx(name)).data as Float32Array;
const tmpHome = () => mkdtempSync(join(tmpdir(), 'dualneuron-deepsim-'));

/** L(z) = sum(image(z) * W) with the script's cotangent W; returns the image and dL/dz. */
function imageAndGrad(m: DeepSimFc6, codes: Tensor, backend: Backend): { img: Tensor; grad: Tensor; z: Tensor } {
  const z = codes.detach().requiresGrad_();
  const img = tidy(() => {
    const y = m.forward(z);
    const w = Tensor.from(detValue('cotangent', [codes.shape[0], 3, 256, 256], 1000001).data as Float32Array, y.shape, { backend });
    y.mul(w).sum().backward();
    return y.detach();
  });
  return { img, grad: z.grad!, z };
}

test('module keys and shapes are the published state dict\'s (56,097,891 parameters)', async () => {
  const m = new DeepSimFc6(DEEPSIM_FC6, { backend: cpu() });
  const shapes = shapesOf(m);
  const want = deepsimFc6Shapes();
  assert.equal([...shapes.keys()].sort(), [...want.keys()].sort());
  for (const [k, s] of want) assert.equal([...shapes.get(k)!], s, k);
  assert.equal(want.get('conv5_1.weight'), [256, 512, 3, 3], 'ConvT weights are [Cin, Cout, k, k]');
  assert.equal(want.get('deconv0.weight'), [32, 3, 4, 4]);
  assert.is([...want.values()].reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0), 56097891);
  m.dispose();
  assert.equal(SMALL, { codeDim: 128, channels: [8, 8, 16, 8, 8, 4, 4, 2, 1, 3] });
  assertThrowsWith(() => deepsimFc6Config(3), InputError, 'power of two');
  assertThrowsWith(() => new DeepSimFc6({ codeDim: 100, channels: SMALL.channels }, { backend: cpu() }), InputError, 'channels[0] x 4 x 4');
  const s = new DeepSimFc6(SMALL, { backend: cpu() });
  assertThrowsWith(() => s.forward(Tensor.from(new Float32Array(64), [1, 64], { backend: cpu() })), ShapeError, '(batch, 128)', '[1, 64]');
  s.dispose();
});

test('width 1/32: raw output, image and code gradient match PyTorch (float64) within 1e-4', async () => {
  const g = await gpu();
  const m = new DeepSimFc6(SMALL, { backend: g });
  m.loadStateDict(detWeights(shapesOf(m), 1024));
  const z = detCodes(2, 128, g);
  const raw = noGrad(() => tidy(() => m.network(z)));
  assert.equal([...raw.shape], [2, 3, 256, 256]);
  const eRaw = maxRelToScale(every3rd(await raw.data(), 2), npy('fc6_s32_raw.npy'));
  const { img, grad, z: zg } = imageAndGrad(m, z, g);
  const imgData = await img.data();
  const eImg = maxRelToScale(every3rd(imgData, 2), npy('fc6_s32_image.npy'));
  const eGrad = maxRelToScale(await grad.data(), npy('fc6_s32_grad.npy'));
  console.log(`    raw: ${eRaw.scaled.toExponential(2)} of scale (max rel ${eRaw.rel.toExponential(2)}); image ${eImg.scaled.toExponential(2)}; gradient ${eGrad.scaled.toExponential(2)} (max rel ${eGrad.rel.toExponential(2)})`);
  assert.ok(eRaw.scaled < 1e-4, `raw output error ${JSON.stringify(eRaw)}`);
  assert.ok(eImg.scaled < 1e-4, `image error ${JSON.stringify(eImg)}`);
  assert.ok(eGrad.scaled < 1e-4, `gradient error ${JSON.stringify(eGrad)}`);
  // the clamp is exercised: the script counted the pixels at 0 and at 1
  const clamped = JSON.parse(readFileSync(fx('fc6_s32_clamped.json'), 'utf8')) as { low: number; high: number };
  let low = 0, high = 0;
  for (const v of imgData) { if (v === 0) low++; else if (v === 1) high++; }
  assert.ok(clamped.low > 0.005 && clamped.high > 0.005, 'the fixture clamps some pixels');
  assert.ok(Math.abs(low / imgData.length - clamped.low) < 1e-3 && Math.abs(high / imgData.length - clamped.high) < 1e-3, `clamped fractions ${low / imgData.length}, ${high / imgData.length} vs ${clamped.low}, ${clamped.high}`);
  for (const t of [raw, img, zg, z]) t.dispose();
  m.dispose();
});

test('code gradient equals central finite differences (float64 CPU backend, width 1/32, 6 coordinates)', async () => {
  const c = cpu();
  const m = new DeepSimFc6(SMALL, { backend: c });
  m.loadStateDict(detWeights(shapesOf(m), 1024));
  const z0 = detCodes(2, 128, c);
  const { img, grad, z: zg } = imageAndGrad(m, z0, c);
  const gz = await grad.data();
  const zv = Float64Array.from(await z0.data());
  const w = Tensor.from(detValue('cotangent', [2, 3, 256, 256], 1000001).data as Float32Array, [2, 3, 256, 256], { backend: c });
  const L = async (v: Float64Array) => {
    const y = noGrad(() => tidy(() => m.forward(Tensor.from(v, [2, 128], { backend: c })).mul(w).sum()));
    const r = await y.item();
    y.dispose();
    return r;
  };
  const h = 1e-6;
  for (const i of [0, 37, 127, 128, 200, 255]) {
    const p = zv.slice(), q = zv.slice();
    p[i] += h; q[i] -= h;
    const fd = ((await L(p)) - (await L(q))) / (2 * h);
    assert.ok(Math.abs(fd - gz[i]) <= 1e-5 * Math.max(1, Math.abs(fd)), `code ${i}: autodiff ${gz[i]}, finite differences ${fd}`);
  }
  for (const t of [img, zg, z0, w]) t.dispose();
  m.dispose();
});

test('published size: the TS det weights equal the script\'s, and the output matches PyTorch (batch 1)', async () => {
  const g = await gpu();
  const m = new DeepSimFc6(DEEPSIM_FC6, { backend: g });
  const sd = detWeights(shapesOf(m), 256);
  const check = JSON.parse(readFileSync(fx('weights_check.json'), 'utf8')) as Record<string, [number, number, number]>;
  for (const [k, [first, last, sum]] of Object.entries(check)) {
    const d = sd.get(k)!.data as Float32Array;
    assert.is(d[0], first, `${k}[0]`);
    assert.is(d[d.length - 1], last, `${k}[-1]`);
    let s = 0;
    for (const v of d) s += v;
    assert.ok(Math.abs(s - sum) <= 1e-9 * Math.max(1, Math.abs(sum)) * Math.sqrt(d.length), `${k} sum ${s} vs ${sum}`);
  }
  m.loadStateDict(sd);
  const z = detCodes(1, 4096, g);
  const t0 = performance.now();
  const raw = noGrad(() => tidy(() => m.network(z)));
  const d = await raw.data();
  const ms = performance.now() - t0;
  const full = JSON.parse(readFileSync(fx('fc6_full.json'), 'utf8')) as { shape: number[]; mean: number[]; std: number[]; min: number[]; max: number[]; grid_step: number; grid: number[] };
  assert.equal([...raw.shape], full.shape);
  const grid: number[] = [];
  for (let ch = 0; ch < 3; ch++) for (let r = 0; r < 256; r += full.grid_step) for (let c = 0; c < 256; c += full.grid_step) grid.push(d[ch * 65536 + r * 256 + c]);
  const eGrid = maxRelToScale(grid, full.grid);
  const stats = (ch: number) => {
    let s = 0, s2 = 0, lo = Infinity, hi = -Infinity;
    for (let i = ch * 65536; i < (ch + 1) * 65536; i++) { s += d[i]; lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
    const mean = s / 65536;
    for (let i = ch * 65536; i < (ch + 1) * 65536; i++) s2 += (d[i] - mean) ** 2;
    return { mean, std: Math.sqrt(s2 / 65535), min: lo, max: hi };
  };
  let eStats = 0;
  for (let ch = 0; ch < 3; ch++) {
    const st = stats(ch), scale = full.std[ch];
    eStats = Math.max(eStats, Math.abs(st.mean - full.mean[ch]) / scale, Math.abs(st.std - full.std[ch]) / scale, Math.abs(st.min - full.min[ch]) / scale, Math.abs(st.max - full.max[ch]) / scale);
  }
  console.log(`    full size forward ${ms.toFixed(0)} ms; 16x16x3 grid ${eGrid.scaled.toExponential(2)} of scale (max rel ${eGrid.rel.toExponential(2)}); channel mean/std/min/max ${eStats.toExponential(2)} of the std`);
  assert.ok(eGrid.scaled < 1e-4, `grid error ${JSON.stringify(eGrid)}`);
  assert.ok(eStats < 1e-4, `statistics error ${eStats}`);
  raw.dispose(); z.dispose();
  m.dispose();
});

test('import: the published format (torch.save zip) converts to <home>/deepsim/fc6.safetensors and loads', async () => {
  const home = tmpHome();
  try {
    assertThrowsWith(() => requireDeepsimFc6(home), WeightsError, 'not installed', 'dualneuron weights pull deepsim-fc6', 'weights import');
    const logs: string[] = [];
    // a folder laid out as torch hub's cache (<hub>/checkpoints/upconvGAN_fc6.pt, where upstream downloads it)
    const hub = join(home, 'hub');
    mkdirSync(join(hub, 'checkpoints'), { recursive: true });
    copyFileSync(fx('fc6_s32.pt'), join(hub, 'checkpoints', 'upconvGAN_fc6.pt'));
    const rel = importDeepsimFc6(hub, home, { config: SMALL, log: (s) => logs.push(s) });
    assert.is(rel, DEEPSIM_FC6_STORED);
    assert.ok(logs.join('\n').includes('no published checksum'), logs.join('\n'));
    const man = readManifest(home).files[DEEPSIM_FC6_STORED];
    assert.ok(man, 'manifest entry');
    assert.is(man.upstreamPath, 'upconvGAN_fc6.pt');
    assert.is(man.sizeOriginal, readFileSync(fx('fc6_s32.pt')).length);
    const st = readSafetensors(join(home, DEEPSIM_FC6_STORED));
    assert.equal(JSON.parse(st.metadata.config), SMALL);
    const want = detWeights(deepsimFc6Shapes(SMALL), 1024);
    assert.equal([...st.tensors.keys()].sort(), [...want.keys()].sort());
    for (const [k, v] of want) assert.equal(Array.from(st.tensors.get(k)!.data as Float32Array), Array.from(v.data as Float32Array), `${k} stored bit for bit`);
    const g = await gpu();
    const { model } = loadDeepsimFc6({ weightsDir: home, backend: g });
    assert.equal(model.config, SMALL);
    const z = detCodes(2, 128, g);
    const raw = noGrad(() => tidy(() => model.network(z)));
    const e = maxRelToScale(every3rd(await raw.data(), 2), npy('fc6_s32_raw.npy'));
    assert.ok(e.scaled < 1e-4, `imported model output ${JSON.stringify(e)}`);
    raw.dispose(); z.dispose(); model.dispose();
    // a stored file whose config metadata was damaged
    writeFileSync(join(home, DEEPSIM_FC6_STORED), encodeSafetensors(st.tensors, { config: '{"x": 1}' }));
    assertThrowsWith(() => loadDeepsimFc6({ weightsDir: home, backend: g }), WeightsError, 'fc6.safetensors', 'is not a DeePSim fc6 config', 'import the weights again');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('import: mismatched, renamed and corrupt checkpoints fail with the key and shapes', () => {
  const home = tmpHome();
  try {
    // pre-rewrite key style ('deconv5.1.weight'), defc7/defc6 left out, deconv3.weight transposed
    const msg = assertThrowsWith(() => importDeepsimFc6(fx('fc6_s32_bad.pt'), home, { config: SMALL }), WeightsError,
      'fc6_s32_bad.pt', 'missing keys (4): defc7.weight, defc7.bias, defc6.weight, defc6.bias',
      'deconv3.weight: checkpoint [4, 8, 4, 4] vs model [8, 4, 4, 4]');
    assert.not.ok(msg.includes('unexpected'), 'every other key was renamed by the .1. rewrite and fits');
    // the small file against the published widths
    assertThrowsWith(() => importDeepsimFc6(fx('fc6_s32.pt'), home), WeightsError, 'defc7.weight: checkpoint [128, 128] vs model [4096, 4096]', 'conv5_1.weight: checkpoint [8, 16, 3, 3] vs model [256, 512, 3, 3]');
    // a truncated download
    const cut = join(home, 'upconvGAN_fc6.pt');
    const bytes = readFileSync(fx('fc6_s32.pt'));
    writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    assertThrowsWith(() => importDeepsimFc6(cut, home, { config: SMALL }), FormatError, cut);
    assert.not.ok(existsSync(join(home, DEEPSIM_FC6_STORED)), 'nothing stored');
    assertThrowsWith(() => importDeepsimFc6(join(home, 'nothing-here'), home), InputError, 'does not exist');
    // a missing key and a non-float tensor, checked directly
    const sd = detWeights(deepsimFc6Shapes(SMALL), 1);
    sd.delete('deconv1.bias');
    sd.set('deconv2.bias', { dtype: 'i64', shape: [2], data: new BigInt64Array(2) });
    assertThrowsWith(() => checkDeepsimFc6StateDict(sd, 'x.pt', SMALL), WeightsError, 'missing keys (1): deconv1.bias', 'not floating point (1): deconv2.bias: i64');
    const two = new Map<string, HostArray>([['a.1.b', sd.get('deconv0.bias')!], ['a.b', sd.get('deconv0.bias')!]]);
    assertThrowsWith(() => rewriteDeepsimKeys(two, 'y.pt'), WeightsError, "'a.1.b' and 'a.b' both become 'a.b'");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('pull: downloads from a mirror, imports, and does not download twice', async () => {
  const home = tmpHome();
  const body = readFileSync(fx('fc6_s32.pt'));
  let hits = 0;
  const server = createServer((req, res) => {
    if (req.url === '/upconvGAN_fc6.pt') { hits++; res.setHeader('content-length', String(body.length)); res.end(body); return; }
    res.statusCode = 404; res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const mirror = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const logs: string[] = [];
    const stored = await pullDeepsimFc6(home, { mirror, config: SMALL, log: (s) => logs.push(s) });
    assert.is(stored, DEEPSIM_FC6_STORED);
    assert.is(hits, 1);
    assert.is(readManifest(home).files[DEEPSIM_FC6_STORED].source, `${mirror}/upconvGAN_fc6.pt`);
    assert.not.ok(existsSync(join(home, 'downloads', 'upconvGAN_fc6.pt')), 'the download is removed after the import');
    assert.is(await pullDeepsimFc6(home, { mirror, config: SMALL, log: (s) => logs.push(s) }), null);
    assert.is(hits, 1);
    // a file that is not the generator: nothing stored, the download removed
    const home2 = tmpHome();
    try {
      let err: Error | null = null;
      try { await pullDeepsimFc6(home2, { mirror, log: () => {} }); } catch (e) { err = e as Error; }
      assert.instance(err, WeightsError);
      assert.ok(err!.message.includes('defc7.weight: checkpoint [128, 128] vs model [4096, 4096]'), err!.message);
      assert.not.ok(existsSync(join(home2, DEEPSIM_FC6_STORED)));
      assert.not.ok(existsSync(join(home2, 'downloads', 'upconvGAN_fc6.pt')));
    } finally {
      rmSync(home2, { recursive: true, force: true });
    }
  } finally {
    server.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('CLI: weights import --only deepsim-fc6 checks the file, weights list shows the target', () => {
  const home = tmpHome();
  try {
    const r = cli(['weights', 'import', fx('fc6_s32.pt'), '--only', 'deepsim-fc6', '--weights-dir', home]);
    assert.is.not(r.status, 0);
    assert.ok(r.stderr.includes('defc7.weight: checkpoint [128, 128] vs model [4096, 4096]'), r.stderr);
    const l = cli(['weights', 'list', '--weights-dir', home]);
    assert.is(l.status, 0, l.stderr);
    assert.ok(/deepsim-fc6 +missing +\(dualneuron weights pull deepsim-fc6\)/.test(l.stdout), l.stdout);
    // importing everything from a folder without the generator leaves it alone
    assert.is(findDeepsimFc6(fixture('deepsim')), null);
    const hub = join(home, 'hub', 'checkpoints');
    mkdirSync(hub, { recursive: true });
    copyFileSync(fx('fc6_s32.pt'), join(hub, 'upconvGAN_fc6.pt'));
    assert.is(findDeepsimFc6(join(home, 'hub')), join(hub, 'upconvGAN_fc6.pt'));
    assert.is(findDeepsimFc6(join(hub, 'upconvGAN_fc6.pt')), join(hub, 'upconvGAN_fc6.pt'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
