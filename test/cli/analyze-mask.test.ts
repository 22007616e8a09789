// `dualneuron analyze mask` end to end: a poles folder whose MEIs are the images of the mask fixture
// (tools/golden/mei_masks.py) gives the reference's get_mean_mask and estimate_mask; bad folders are refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliFails, cliOk } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { toFloat32, toFloat64 } from '../../src/io/host-array.js';

const test = suite('cli analyze mask');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-mask-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Case { set: string; image?: number; z: number; offset?: number; mean_of?: number[]; offset_mean?: number }
const { cases } = JSON.parse(readFileSync(fixture('masks', 'cases.json'), 'utf8')) as { cases: Case[] };
const imgs = toFloat32(readNpy(fixture('masks', 'images_gray.npy')));
const HW = 93 * 93;
const group = cases.find((c) => c.set === 'gray' && c.mean_of?.length === 4 && c.z === 1)!;

/** neuron 5 with seeds 0..3 whose MEIs are the fixture group's images; LEIs and alpha maps are other images */
function folder(name: string, o: { skipSeed?: number; noAlpha?: boolean } = {}): string {
  const dir = join(tmp, name);
  group.mean_of!.forEach((img, s) => {
    if (s === o.skipSeed) return;
    for (const pole of ['most', 'least'] as const) {
      const d = join(dir, 'neuron_0005', `seed_${String(s).padStart(4, '0')}`, pole);
      mkdirSync(d, { recursive: true });
      const src = pole === 'most' ? img : 5;
      writeNpy(join(d, 'image.npy'), { dtype: 'f32', shape: [1, 93, 93], data: imgs.slice(src * HW, (src + 1) * HW) });
      if (!o.noAlpha) writeNpy(join(d, 'alpha.npy'), { dtype: 'f32', shape: [1, 93, 93], data: imgs.slice(6 * HW, 7 * HW) });
      writeFileSync(join(d, 'done.json'), JSON.stringify({ neuron: 5, seed: s, pole, final: 1, initial: 0, steps: 1, configHash: 'h', config: { '--model': 'v1' } }));
    }
  });
  if (o.skipSeed !== undefined) {
    // a second neuron with every seed makes the missing one a mismatch
    for (let s = 0; s < 4; s++) for (const pole of ['most', 'least']) {
      const d = join(dir, 'neuron_0006', `seed_${String(s).padStart(4, '0')}`, pole);
      mkdirSync(d, { recursive: true });
      writeNpy(join(d, 'image.npy'), { dtype: 'f32', shape: [1, 93, 93], data: imgs.slice(0, HW) });
      writeFileSync(join(d, 'done.json'), JSON.stringify({ neuron: 6, seed: s, pole, final: 1, initial: 0, steps: 1, configHash: 'h', config: { '--model': 'v1' } }));
    }
  }
  return dir;
}

test('the mean mask of a neuron\'s MEIs equals get_mean_mask; each seed\'s mask estimate_mask', () => {
  const poles = folder('ok');
  const out = join(tmp, 'out');
  cliOk(['analyze', 'mask', '--poles', poles, '--out', out]);
  const m = readNpy(join(out, 'masks.npy'));
  assert.equal(m.shape, [1, 93, 93]);
  const want = toFloat64(readNpy(fixture('masks', 'mean.npy'))).subarray(group.offset_mean!, group.offset_mean! + HW);
  const got = toFloat32(m);
  let err = 0;
  for (let i = 0; i < HW; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  assert.ok(err < 1e-5, `mean mask: max |error| ${err}`);
  const each = readNpy(join(out, 'seed_masks.npy'));
  assert.equal(each.shape, [1, 4, 93, 93]);
  const est = toFloat64(readNpy(fixture('masks', 'estimate.npy'))), e = toFloat32(each);
  group.mean_of!.forEach((img, j) => {
    const c = cases.find((x) => x.set === 'gray' && x.image === img && x.z === 1)!;
    let d = 0;
    for (let i = 0; i < HW; i++) d = Math.max(d, Math.abs(e[j * HW + i] - est[c.offset! + i]));
    assert.ok(d < 1e-5, `seed ${j}: max |error| ${d}`);
  });
  const csv = readFileSync(join(out, 'masks.csv'), 'utf8').trim().split(/\r?\n/);
  assert.is(csv[0], 'neuron,images,area,pixels_above_half,centroid_x,centroid_y');
  assert.is(csv[1].split(',')[0], '5');
  assert.ok(existsSync(join(out, 'masks.svg')));
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(rec.command, 'analyze mask');
  assert.equal(rec.items.map((i: { seed: string }) => Number(i.seed)), [0, 1, 2, 3]);
});

test('--source alpha masks the alpha maps; --pole both takes MEIs and LEIs', () => {
  const poles = folder('alpha');
  const out = join(tmp, 'out-alpha');
  cliOk(['analyze', 'mask', '--poles', poles, '--source', 'alpha', '--pole', 'both', '--z', '0.5', '--figure-neurons', '0', '--out', out]);
  assert.equal(readNpy(join(out, 'seed_masks.npy')).shape, [1, 8, 93, 93]);
  // every alpha map here is fixture image 6: its estimate_mask at z 0.5
  const c = cases.find((x) => x.set === 'gray' && x.image === 6 && x.z === 0.5)!;
  const est = toFloat64(readNpy(fixture('masks', 'estimate.npy'))), e = toFloat32(readNpy(join(out, 'seed_masks.npy')));
  let d = 0;
  for (let j = 0; j < 8; j++) for (let i = 0; i < HW; i++) d = Math.max(d, Math.abs(e[j * HW + i] - est[c.offset! + i]));
  assert.ok(d < 1e-5, `max |error| ${d}`);
  assert.not.ok(existsSync(join(out, 'masks.svg')), '--figure-neurons 0 draws nothing');
});

test('bad inputs: missing seeds, missing alpha maps, a flat image, a bad threshold', () => {
  cliFails(['analyze', 'mask', '--poles', folder('gap', { skipSeed: 2 }), '--out', join(tmp, 'o1')], /neuron 6 has seeds 0, 1, 2, 3 but neuron 5 has 0, 1, 3/);
  cliFails(['analyze', 'mask', '--poles', folder('noalpha', { noAlpha: true }), '--source', 'alpha', '--out', join(tmp, 'o2')], /no alpha maps \(use --source image\)/);
  const flat = folder('flat');
  writeNpy(join(flat, 'neuron_0005', 'seed_0001', 'most', 'image.npy'), { dtype: 'f32', shape: [1, 93, 93], data: new Float32Array(HW).fill(0.2) });
  cliFails(['analyze', 'mask', '--poles', flat, '--out', join(tmp, 'o3')], /neuron 5: estimate_mask: no pixel .* flat image/);
  cliFails(['analyze', 'mask', '--poles', folder('z'), '--z', '-1', '--out', join(tmp, 'o4')], /--z must be >= 0/);
  cliFails(['analyze', 'mask', '--poles', join(tmp, 'nowhere'), '--out', join(tmp, 'o5')], /no such folder/);
  const r = cli(['analyze', 'mask', '--help']);
  assert.match(r.stdout, /--source/);
});

test.run();
