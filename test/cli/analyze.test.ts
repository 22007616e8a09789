// `dualneuron analyze metrics` end to end against the NumPy reference (tools/golden/gabor_metrics.py), and the
// errors of `analyze gabor` / `analyze metrics` on bad inputs (an empty image set, a poles folder with missing
// seeds or poles, results of another twin), all before any weights are needed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { toFloat32 } from '../../src/io/host-array.js';

const test = suite('cli analyze');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-analyze-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('analyze lists its subcommands', () => {
  const r = cli(['analyze', '--help']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /gabor/);
  assert.match(r.stdout, /metrics/);
});

test('metrics of an image equal the NumPy reference', () => {
  const cases = JSON.parse(readFileSync(fixture('analysis', 'metrics.json'), 'utf8')) as { shape: [number, number]; luminance: number; contrast: number; sym1: number; sym2: number; peak: { frequency: number; orientation: number } }[];
  const c = cases[0]; // the notebook's Gabor scaled to [0, 1], 60 x 96, radius 12, default centre
  const [h, w] = c.shape;
  const img = toFloat32(readNpy(fixture('analysis', 'metric_images.npy'))).slice(0, h * w);
  writeNpy(join(tmp, 'one.npy'), { dtype: 'f32', shape: [1, h, w], data: img });
  const out = join(tmp, 'm1');
  const r = cli(['analyze', 'metrics', '--images', join(tmp, 'one.npy'), '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const [head, row] = readFileSync(join(out, 'metrics.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
  const v = (name: string) => Number(row[head.indexOf(name)]);
  for (const [name, want] of [['luminance', c.luminance], ['contrast', c.contrast], ['symmetry_1', c.sym1], ['symmetry_2', c.sym2], ['peak_frequency', c.peak.frequency]] as const) {
    assert.ok(Math.abs(v(name) - want) <= 1e-5 * Math.abs(want), `${name}: ${v(name)} vs ${want}`);
  }
  assert.equal(readNpy(join(out, 'log_power.npy')).shape, [1, h, w]);
  assert.ok(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).command === 'analyze metrics');
});

test('an empty image set is refused', () => {
  writeNpy(join(tmp, 'empty.npy'), { dtype: 'f32', shape: [0, 8, 8], data: new Float32Array(0) });
  const r = cli(['analyze', 'metrics', '--images', join(tmp, 'empty.npy'), '--out', join(tmp, 'm2')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /holds no images/);
});

/** a fake poles folder: neuron -> seeds, each with both poles unless listed in `skip` */
function polesFolder(name: string, model: string, layout: Record<number, number[]>, skip: string[] = []): string {
  const dir = join(tmp, name);
  for (const [n, seeds] of Object.entries(layout)) for (const s of seeds) for (const pole of ['most', 'least']) {
    const key = `${n}/${s}/${pole}`;
    if (skip.includes(key)) continue;
    const d = join(dir, `neuron_${String(n).padStart(4, '0')}`, `seed_${String(s).padStart(4, '0')}`, pole);
    mkdirSync(d, { recursive: true });
    writeNpy(join(d, 'image.npy'), { dtype: 'f32', shape: [1, 93, 93], data: new Float32Array(93 * 93).fill(0.01) });
    writeFileSync(join(d, 'done.json'), JSON.stringify({ neuron: Number(n), seed: s, pole, final: 1, initial: 0, steps: 1, configHash: model, config: { '--model': model, '--target-norm': 12, '--aperture': false, '--members': [1], '--centered': true } }));
  }
  return dir;
}

test('a poles folder with a missing seed or pole is refused, naming it', () => {
  const a = polesFolder('missing-seed', 'v1', { 0: [0, 1], 1: [0] });
  let r = cli(['analyze', 'metrics', '--poles', a, '--model', 'v1', '--out', join(tmp, 'm3')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /neuron 1 has seeds 0 but neuron 0 has 0, 1/);
  const b = polesFolder('missing-pole', 'v1', { 0: [0], 1: [0] }, ['1/0/least']);
  r = cli(['analyze', 'gabor', '--model', 'v1', '--poles', b, '--out', join(tmp, 'g1')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /neuron 1, seed 0 has no finished LEI/);
  r = cli(['analyze', 'gabor', '--model', 'v1', '--poles', b, '--neurons', '5', '--out', join(tmp, 'g1')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /no results for neuron 5/);
});

test('a poles folder of another twin, or options contradicting it, are refused', () => {
  const d = polesFolder('v4-poles', 'v4', { 0: [0] });
  let r = cli(['analyze', 'gabor', '--model', 'v1', '--poles', d, '--out', join(tmp, 'g2')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /results of the v4 twin, not v1/);
  const e = polesFolder('v1-poles', 'v1', { 0: [0] });
  r = cli(['analyze', 'gabor', '--model', 'v1', '--poles', e, '--target-norm', '20', '--out', join(tmp, 'g3')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /--target-norm 20 contradicts the poles folder/);
  r = cli(['analyze', 'gabor', '--model', 'v1', '--out', join(tmp, 'g4')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /give --neurons/);
  r = cli(['analyze', 'gabor', '--model', 'v1', '--neurons', '0', '--wavelengths', '1.5,8', '--out', join(tmp, 'g5')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /Nyquist/);
});

test.run();
