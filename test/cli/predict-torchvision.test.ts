// `dualneuron predict --model vgg16_bn|vit_b_16` end to end on the tiny variants' .pth files (imported into a
// temporary cache): logits against PyTorch, a unit (--layer/--channel/--location) against torchvision's forward
// hook output, and the errors for bad units, which come before any prediction.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { importTorchvision } from '../../src/models/weights/torchvision-weights.js';
import { cli } from '../helpers/cli.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detValue } from '../helpers/det-weights.js';
import { maxRelToScale } from '../helpers/compare.js';

const test = suite('predict with torchvision networks and units (CLI)');
const fx = (...p: string[]) => fixture('torchvision', ...p);
const npy = (name: string) => readNpy(fx(`${name}.npy`));
let home = '';

test.before(async () => {
  await gpu(); // the importer builds the network to check the keys against
  home = mkdtempSync(join(tmpdir(), 'dn-tvcli-'));
  importTorchvision(fx('vgg16_bn_tiny-0be9fa3a.pth'), home, { variant: 'tiny' });
  importTorchvision(fx('vit_b_16_tiny-f056f6c0.pth'), home, { variant: 'tiny' });
  for (const [id, shape] of [['vgg16_bn', [2, 3, 64, 64]], ['vit_b_16', [2, 3, 32, 32]]] as const) {
    writeNpy(join(home, `${id}_x.npy`), { dtype: 'f32', shape: [...shape], data: Float32Array.from(detValue('input', shape, 1000000).data as Float32Array, (v) => v * 4) });
  }
});
test.after(() => rmSync(home, { recursive: true, force: true }));

test('logits and top-5 (vgg16_bn), a unit of a feature map and of a token map', () => {
  const out = join(home, 'y.npy');
  const r = cli(['predict', '--model', 'vgg16_bn', '--input', join(home, 'vgg16_bn_x.npy'), '--out', out, '--weights-dir', home]);
  assert.is(r.status, 0, r.stderr);
  const e = maxRelToScale(readNpy(out).data as Float32Array, npy('vgg16_bn_logits').data as Float32Array);
  assert.ok(e.scaled < 1e-4, `logits ${e.scaled}`);
  const top = JSON.parse(readFileSync(join(home, 'y.top5.json'), 'utf8')) as { top5: { index: number; name: string }[] }[];
  const L = npy('vgg16_bn_logits').data as Float32Array;
  const best = [...L.subarray(0, 10).keys()].sort((a, b) => L[b] - L[a])[0];
  assert.is(top[0].top5[0].index, best);
  assert.ok(existsSync(join(home, 'y.run.json')));

  // features.7 (a BatchNorm: the convolution before it runs unfolded under the hook), channel 3, at h,w = 5,9
  const u = join(home, 'u.npy');
  const r2 = cli(['predict', '--model', 'vgg16_bn', '--input', join(home, 'vgg16_bn_x.npy'), '--out', u, '--weights-dir', home, '--layer', 'features.7', '--channel', '3', '--location', '5,9', '--grad-out', join(home, 'g.npy')]);
  assert.is(r2.status, 0, r2.stderr);
  const a = npy('vgg16_bn_act_features.7'); // (2, 4, 32, 32)
  const [, Cc, H, W] = a.shape;
  const want = [0, 1].map((b) => (a.data as Float32Array)[((b * Cc + 3) * H + 5) * W + 9]);
  const got = readNpy(u);
  assert.equal(got.shape, [2, 1]);
  for (const b of [0, 1]) assert.ok(Math.abs((got.data as Float32Array)[b] - want[b]) <= 1e-4 * Math.max(1, Math.abs(want[b])), `unit ${b}: ${(got.data as Float32Array)[b]} vs ${want[b]}`);
  assert.equal(readNpy(join(home, 'g.npy')).shape, [2, 3, 64, 64]);

  // the ViT's final norm, feature 5 of token 0 (the class token), and the mean over tokens
  for (const loc of ['0', 'mean']) {
    const r3 = cli(['predict', '--model', 'vit_b_16', '--input', join(home, 'vit_b_16_x.npy'), '--out', u, '--weights-dir', home, '--layer', 'encoder.ln', '--channel', '5', '--location', loc]);
    assert.is(r3.status, 0, r3.stderr);
    const t = npy('vit_b_16_act_encoder.ln'); // (2, 17, 16)
    const [, T, D] = t.shape;
    const td = t.data as Float32Array;
    const w = [0, 1].map((b) => loc === '0' ? td[(b * T) * D + 5] : Array.from({ length: T }, (_, k) => td[(b * T + k) * D + 5]).reduce((s, v) => s + v, 0) / T);
    const g = readNpy(u).data as Float32Array;
    for (const b of [0, 1]) assert.ok(Math.abs(g[b] - w[b]) <= 1e-4 * Math.max(1, Math.abs(w[b])), `vit ${loc} ${b}: ${g[b]} vs ${w[b]}`);
  }
});

test('bad units fail with what is wrong', () => {
  const base = ['predict', '--model', 'vgg16_bn', '--input', join(home, 'vgg16_bn_x.npy'), '--out', join(home, 'bad.npy'), '--weights-dir', home];
  let r = cli([...base, '--layer', 'feature.7', '--channel', '0']);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--layer 'feature.7': no such module. Nearest names: features.7/);
  r = cli([...base, '--layer', 'features.7', '--channel', '4']);
  assert.match(r.stderr, /--channel 4 is out of range: features.7 has channels 0..3/);
  r = cli([...base, '--layer', 'features.7', '--channel', '0', '--location', '40,1']);
  assert.match(r.stderr, /--location 40,1 is outside the 32x32 map of features.7/);
  r = cli([...base, '--channel', '0']);
  assert.match(r.stderr, /--channel and --location need --layer/);
  assert.not.ok(existsSync(join(home, 'bad.npy')));
});

test.run();
