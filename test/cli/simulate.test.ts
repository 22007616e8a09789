// `dualneuron simulate` end to end: the DATA folder has the files and shapes of the recorded-data format
// (data14.md) and truth/ as documented; rates.npy equals the float64 host formula rebuilt from params.json
// (so params.json fully specifies the neurons); images are the rendered scenes in gray; the same command gives
// the same bytes; options are checked before any work.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { cli } from '../helpers/cli.js';
import { HostNeuron, type NeuronParams } from '../../src/dualneuron/simulate/neuron.js';
import { contrastImage, grayScene, scaleContrast } from '../../src/dualneuron/simulate/stimuli.js';
import { runIf } from '../helpers/skip.js';
import { readTruth, cosineInAperture } from '../../src/dualneuron/simulate/truth.js';

const test = suite('cli simulate');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-sim-'));
const I = 12, N = 5, R = 4, S = 24;
const args = (out: string) => ['simulate', '--neurons', String(N), '--images', String(I), '--repeats', String(R), '--min-repeats', '2', '--size', String(S),
  '--seed', '6', '--steps', '30', '--restarts', '2', '--window', '0.4', '--out', out];

test('writes dataset.json, responses.npy, images.npy and truth/ with the documented shapes; rates from params.json; reproducible', () => {
  const out = join(tmp, 'data');
  const r = cli(args(out));
  assert.is(r.status, 0, r.stderr);
  const ds = JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8'));
  assert.equal({ ...ds, source: undefined }, {
    format: 'dualneuron-recorded', version: 1, images: I, neurons: N, repeats: R, image_shape: [S, S],
    neuron_ids: [0, 1, 2, 3, 4], image_ids: Array.from({ length: I }, (_, i) => i), response_unit: 'spike_count', window_s: 0.4, source: undefined,
  });
  assert.match(ds.source, /dualneuron simulate --neurons 5 --images 12 --repeats 4/);
  const resp = readNpy(join(out, 'responses.npy')), imgs = readNpy(join(out, 'images.npy'));
  assert.is(resp.dtype, 'f32'); assert.equal(resp.shape, [R, I, N]);
  assert.is(imgs.dtype, 'u8'); assert.equal(imgs.shape, [I, S, S]);
  const reps = readNpy(join(out, 'truth', 'repeats.npy')).data as Int32Array;
  const counts = resp.data as Float32Array;
  for (let r = 0; r < R; r++) for (let i = 0; i < I; i++) for (let n = 0; n < N; n++) {
    const v = counts[(r * I + i) * N + n];
    if (r < reps[i]) assert.ok(Number.isInteger(v) && v >= 0, `count ${v}`);
    else assert.ok(Number.isNaN(v), 'NaN for a missing repeat');
  }
  assert.ok(reps.every((k) => k >= 2 && k <= R));
  // images: render scenes of the seed, in gray
  for (const i of [0, 7]) assert.equal([...(imgs.data as Uint8Array).subarray(i * S * S, (i + 1) * S * S)], [...grayScene(i, S, 6n)]);
  // truth: params.json rebuilds the neurons; rates.npy is their float64 rate
  const truth = JSON.parse(readFileSync(join(out, 'truth', 'params.json'), 'utf8'));
  assert.is(truth.format, 'dualneuron-simulated-truth');
  const hosts = (truth.neurons as NeuronParams[]).map((p) => new HostNeuron(p, S));
  const rates = readNpy(join(out, 'truth', 'rates.npy'));
  assert.is(rates.dtype, 'f64'); assert.equal(rates.shape, [I, N]);
  for (let i = 0; i < I; i++) {
    const x = contrastImage(grayScene(i, S, 6n));
    hosts.forEach((h, n) => assert.is((rates.data as Float64Array)[i * N + n], h.rate(x)));
  }
  for (const f of ['mei', 'lei']) {
    const a = readNpy(join(out, 'truth', `${f}.npy`));
    assert.is(a.dtype, 'f32'); assert.equal(a.shape, [N, S, S]);
    const rate = readNpy(join(out, 'truth', `${f}_rate.npy`)).data as Float64Array;
    hosts.forEach((h, n) => assert.is(rate[n], h.rate((a.data as Float32Array).subarray(n * S * S, (n + 1) * S * S))));
  }
  const below = readNpy(join(out, 'truth', 'lei_below_baseline.npy'));
  assert.is(below.dtype, 'bool'); assert.equal(below.shape, [N]);
  assert.equal(readNpy(join(out, 'truth', 'baseline.npy')).shape, [N]);
  assert.equal(readNpy(join(out, 'truth', 'aperture.npy')).shape, [S, S]);
  truth.neurons.forEach((p: NeuronParams & { lei_below_baseline: boolean }, n: number) => assert.is(p.lei_below_baseline, (below.data as Uint8Array)[n] === 1));
  assert.ok(existsSync(join(out, 'truth', 'neurons.csv')) && existsSync(join(out, 'run.json')));
  // readTruth gives the same neurons and images; the true MEI compared with itself (shifted, scaled) is 1
  const tr = readTruth(out);
  assert.is(tr.neurons.length, N);
  assert.equal([...tr.mei], [...(readNpy(join(out, 'truth', 'mei.npy')).data as Float32Array)]);
  const m0 = tr.mei.subarray(0, S * S), l0 = tr.lei.subarray(0, S * S);
  assert.is(tr.neuron(0).rate(m0), truth.neurons[0].mei_rate);
  assert.ok(Math.abs(cosineInAperture(m0, m0.map((v) => 0.3 + 2 * v), tr.aperture) - 1) < 1e-6);
  assert.ok(Math.abs(cosineInAperture(m0, m0.map((v) => -v), tr.aperture) + 1) < 1e-6);
  assert.ok(Math.abs(cosineInAperture(m0, l0, tr.aperture)) < 0.9, 'MEI and LEI differ');
  assert.ok(!readdirSync(out).some((f) => f.startsWith('.dualneuron')), 'lock released');

  // a second run into the same folder is refused; with --overwrite it gives the same bytes
  const again = cli(args(out));
  assert.is(again.status, 1);
  assert.match(again.stderr, /already holds a data set.*--overwrite/);
  const before = Object.fromEntries(['responses.npy', 'images.npy', 'truth/rates.npy', 'truth/mei.npy', 'truth/lei.npy', 'truth/params.json'].map((f) => [f, readFileSync(join(out, f))]));
  const r2 = cli([...args(out), '--overwrite']);
  assert.is(r2.status, 0, r2.stderr);
  for (const [f, b] of Object.entries(before)) assert.ok(b.equals(readFileSync(join(out, f))), `${f} differs between two runs with the same seed`);
});

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

runIf(test, hasNumpy, 'python3 with numpy is not installed')('NumPy reads every file with the shapes and dtypes of the recorded-data format', () => {
  const out = join(tmp, 'numpy');
  const r = cli(args(out));
  assert.is(r.status, 0, r.stderr);
  const py = `
import json, sys, numpy as np
d = sys.argv[1]
ds = json.load(open(d + '/dataset.json'))
R, I, N, (H, W) = ds['repeats'], ds['images'], ds['neurons'], ds['image_shape']
resp, imgs = np.load(d + '/responses.npy'), np.load(d + '/images.npy')
assert resp.dtype == np.float32 and resp.shape == (R, I, N), resp.shape
assert imgs.dtype == np.uint8 and imgs.shape == (I, H, W), imgs.shape
reps = np.load(d + '/truth/repeats.npy')
assert (np.isnan(resp) == (np.arange(R)[:, None, None] >= reps[None, :, None])).all()
for f, dt, sh in [('rates', np.float64, (I, N)), ('mei', np.float32, (N, H, W)), ('lei', np.float32, (N, H, W)), ('mei_rate', np.float64, (N,)),
                  ('lei_rate', np.float64, (N,)), ('baseline', np.float64, (N,)), ('lei_below_baseline', np.bool_, (N,)), ('aperture', np.float32, (H, W))]:
    a = np.load(d + '/truth/' + f + '.npy')
    assert a.dtype == dt and a.shape == sh, (f, a.dtype, a.shape)
t = json.load(open(d + '/truth/params.json'))
assert len(t['neurons']) == N
assert (np.load(d + '/truth/lei_below_baseline.npy') == (np.load(d + '/truth/lei_rate.npy') <= 0.8 * np.load(d + '/truth/baseline.npy'))).all()
print('ok')
`;
  const p = spawnSync('python3', ['-c', py, out], { encoding: 'utf8' });
  assert.is(p.status, 0, p.stderr);
  assert.is(p.stdout.trim(), 'ok');
});

test('the output folder lock: a folder a live process writes is refused, nothing written', () => {
  const out = join(tmp, 'locked');
  mkdirSync(out);
  const lock = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'simulate' });
  writeFileSync(join(out, '.dualneuron.lock'), lock);
  const r = cli(args(out));
  assert.is(r.status, 1);
  assert.match(r.stderr, /is being written by process \d+ .*Wait for it to finish, or choose another --out/);
  assert.equal(readdirSync(out), ['.dualneuron.lock']);
  assert.is(readFileSync(join(out, '.dualneuron.lock'), 'utf8'), lock);
});

test('options are checked before any work, each error naming its option', () => {
  const out = join(tmp, 'bad');
  const base = ['simulate', '--neurons', '3', '--images', '4', '--repeats', '2', '--out', out];
  const cases: [string[], RegExp][] = [
    [['--neurons', '0'], /--neurons must lie in 1\.\.100000/],
    [['--images', '1e3'], /--images must be an integer/],
    [['--repeats', '2', '--min-repeats', '3'], /--min-repeats must lie in 1\.\.2/],
    [['--size', '16'], /--size must lie in 24\.\.256/],
    [['--window', '0'], /--window must be a number of seconds/],
    [['--dual-fraction', '1.5'], /--dual-fraction must lie in \[0, 1\]/],
    [['--seed', '-1'], /--seed must be an integer/],
    [['--steps', '0'], /--steps must lie in 1\.\.100000/],
    [['--lr', 'NaN'], /--lr must be a decimal number/],
    [['--neurons', '10000', '--images', '100000', '--repeats', '10'], /responses; one simulation writes at most/],
    [['--pole-range=0.1,0.5'], /--pole-range must be 'lo,hi' with lo < 0 < hi/],
    [['--contrast-range', '0,2'], /--contrast-range must be 'lo,hi' with 0 < lo <= hi <= 16/],
    [['--contrast-range', '3,2'], /--contrast-range must be/],
    [['--contrast-range', '2'], /--contrast-range must be/],
    [['--pole-range=-0.5'], /--pole-range must be 'lo,hi'/],
    [['--pole-range=a,b'], /--pole-range must be 'lo,hi'/],
  ];
  for (const [extra, re] of cases) {
    const r = cli([...base, ...extra]);
    assert.is(r.status, 1, `${extra.join(' ')} was accepted`);
    assert.match(r.stderr, re);
  }
  assert.ok(!existsSync(out), 'nothing written');
  const h = cli(['simulate', '--help']);
  for (const o of ['--neurons', '--images', '--repeats', '--min-repeats', '--size', '--window', '--seed', '--dual-fraction', '--steps', '--restarts', '--lr', '--pole-range', '--contrast-range', '--overwrite', '--out']) assert.ok(h.stdout.includes(o), `--help names ${o}`);
});

test('scaleContrast: by hand', () => {
  // mean 100: 90 -> 100 - 20 = 80, 110 -> 120, 100 -> 100; factor 30 clips
  assert.equal([...scaleContrast(Uint8Array.from([90, 110, 100, 100]), 2)], [80, 120, 100, 100]);
  assert.equal([...scaleContrast(Uint8Array.from([0, 255]), 0.5)], [64, 191]); // m = 127.5: 63.75 -> 64, 191.25 -> 191
  assert.equal([...scaleContrast(Uint8Array.from([90, 110]), 30)], [0, 255]);
});

test('--contrast-range: images are the scenes with their contrast scaled (factors in truth/contrast.npy), rates follow them', () => {
  const out = join(tmp, 'contrast');
  const r = cli(['simulate', '--neurons', '2', '--images', '5', '--repeats', '2', '--size', String(S), '--seed', '3', '--steps', '5', '--contrast-range', '2.5,2.5', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const imgs = readNpy(join(out, 'images.npy')).data as Uint8Array, f = readNpy(join(out, 'truth', 'contrast.npy')).data as Float64Array;
  const rates = readNpy(join(out, 'truth', 'rates.npy')).data as Float64Array;
  const hosts = (JSON.parse(readFileSync(join(out, 'truth', 'params.json'), 'utf8')).neurons as NeuronParams[]).map((p) => new HostNeuron(p, S));
  for (let i = 0; i < 5; i++) {
    assert.ok(Math.abs(f[i] - 2.5) < 1e-12, `factor ${f[i]}`);
    const want = scaleContrast(grayScene(i, S, 3n), 2.5);
    assert.equal([...imgs.subarray(i * S * S, (i + 1) * S * S)], [...want], `image ${i}`);
    hosts.forEach((h, n) => assert.is(rates[i * 2 + n], h.rate(contrastImage(want))));
  }
  assert.match(JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8')).source, /--contrast-range 2\.5,2\.5/);
  // a spread: factors differ per image and lie in the range
  const out2 = join(tmp, 'contrast2');
  assert.is(cli(['simulate', '--neurons', '1', '--images', '40', '--repeats', '1', '--size', String(S), '--seed', '3', '--steps', '2', '--contrast-range', '0.5,4', '--out', out2]).status, 0);
  const f2 = readNpy(join(out2, 'truth', 'contrast.npy')).data as Float64Array;
  assert.ok(f2.every((v) => v >= 0.5 && v <= 4) && Math.min(...f2) < 1 && Math.max(...f2) > 2, `factors ${[...f2].map((v) => v.toFixed(2))}`);
});

test('--pole-range: the truth records its range, every pole pixel lies in it, and recover refuses another norm for it', () => {
  const out = join(tmp, 'ranged');
  const r = cli(['simulate', '--neurons', '3', '--images', '6', '--repeats', '2', '--size', String(S), '--seed', '2', '--steps', '40', '--pole-range=-0.3,0.3', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const t = readTruth(out);
  assert.equal(t.range, [-0.3, 0.3]);
  let atBound = 0;
  for (const img of [t.mei, t.lei]) for (let k = 0; k < img.length; k++) {
    const a = t.aperture[k % (S * S)];
    assert.ok(img[k] >= -0.3 * a - 1e-6 && img[k] <= 0.3 * a + 1e-6, `pixel ${k} = ${img[k]} outside ${a} x [-0.3, 0.3]`);
    if (Math.abs(img[k]) > 0.3 - 1e-6) atBound++;
  }
  assert.ok(atBound > 0, 'the range is active at this norm');
  const p = JSON.parse(readFileSync(join(out, 'truth', 'params.json'), 'utf8'));
  assert.match(p.mei.constraint, /range\[0\] <= z <= range\[1\] and \|x\| <= norm/);
  assert.match(JSON.parse(readFileSync(join(out, 'dataset.json'), 'utf8')).source, /--lr 1 --pole-range=-0.3,0.3/);
  const rec = cli(['recover', out, '--model', join(out, 'no-such-twin'), '--norm-scale', '0.5', '--out', join(tmp, 'rec-ranged')]);
  assert.is(rec.status, 1);
  assert.match(rec.stderr, /--norm-scale 0\.5: .* pixel range \[-0\.3, 0\.3\].*--pole-range=none/);
});

test.run();
