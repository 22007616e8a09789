// `dualneuron analyze dual` end to end on a tiny trained twin (ln-population.ts, 16 x 24 images, two members,
// 2 epochs): poles made on member 1, labels in-sample (member 1) and on the held-out member 2, a screen of
// member 1 as the second baseline. Oracles independent of the command: `predict --member k` on the zero image and
// on the poles' image.npy files (baseline and seed responses), predict on the screened image files (the screen's
// mean, MAI and LAI), and the seed bootstrap and Benjamini-Hochberg of the library (checked against NumPy in
// test/dualneuron/analysis-dual.test.ts) applied to those predict values. Bad inputs fail with the problem named.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { writePNG } from '../../src/io/image/index.js';
import { toFloat32 } from '../../src/io/host-array.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { benjaminiHochberg, seedBootstrap } from '../../src/dualneuron/analysis/seed-bootstrap.js';
import { cliFails, cliOk } from '../helpers/cli.js';
import { writeLnPopulation } from '../train/ln-population.js';

const test = suite('analyze dual (CLI, trained twin)');
const tmp = mkdtempSync(join(tmpdir(), 'dn-dual-'));
const twin = join(tmp, 'twin'), poles = join(tmp, 'poles'), screen = join(tmp, 'screen'), imagesDir = join(tmp, 'images');
const H = 16, W = 24, N = 3, SEEDS = 3, IMAGES = 8;

const ok = (args: string[]) => cliOk(args);
const fails = (args: string[], re: RegExp) => { cliFails(args, re); };
const f32 = (p: string) => toFloat32(readNpy(p));

function readCsv(path: string): Record<string, string>[] {
  const [head, ...rows] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])));
}

test.before(() => {
  const data = join(tmp, 'data');
  writeLnPopulation(data, { images: 60, neurons: N, repeats: 2, h: H, w: W, seed: 9n });
  ok(['train', data, '--image-size', `${H}x${W}`, '--hidden-channels', '4', '--layers', '2', '--epochs', '2', '--batch', '16', '--members', '2', '--clip', '50', '--out', twin]);
  mkdirSync(imagesDir);
  const rng = new HostRng(21n);
  for (let i = 0; i < IMAGES; i++) {
    const d = new Uint8Array(H * W);
    for (let k = 0; k < d.length; k++) d[k] = Math.floor(rng.uniform() * 256);
    writePNG(join(imagesDir, `im${i}.png`), { width: W, height: H, channels: 1, data: d });
  }
  ok(['screen', '--model', twin, '--member', '1', '--images', imagesDir, '--batch', '4', '--out', screen]);
  ok(['poles', '--model', twin, '--members', '1', '--neurons', `0-${N - 1}`, '--seeds', String(SEEDS), '--steps', '8', '--out', poles]);
});

/** predict --member k on (B, 1, H, W) -> (B, N) */
function predict(x: Float32Array, B: number, member: number, name: string): Float32Array {
  const inp = join(tmp, `${name}.npy`), out = join(tmp, `${name}.pred.npy`);
  writeNpy(inp, { dtype: 'f32', shape: [B, 1, H, W], data: x });
  ok(['predict', '--model', twin, '--member', String(member), '--input', inp, '--out', out]);
  return f32(out);
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('labels in-sample (member 1), against the screen, and on the held-out member 2 equal predict + the seed bootstrap', () => {
  const out = join(tmp, 'dual');
  const r = ok(['analyze', 'dual', '--model', twin, '--poles', poles, '--screen', screen, '--out', out]);
  assert.match(r.stderr, /with fewer than 5 the seed bootstrap rejects/);
  for (const f of ['dual.csv', 'summary.json', 'run.json', 'dual.svg', 'mei_responses.npy', 'lei_responses.npy', 'baseline_responses.npy', 'mei_responses_heldout.npy']) assert.ok(existsSync(join(out, f)), f);
  const rows = readCsv(join(out, 'dual.csv'));
  assert.is(rows.length, N);
  // the images: zero, then per neuron and seed the MEI and the LEI
  const per = H * W, imgs: Float32Array[] = [new Float32Array(per)];
  for (let n = 0; n < N; n++) for (let s = 0; s < SEEDS; s++) for (const pole of ['most', 'least']) {
    imgs.push(f32(join(poles, `neuron_${String(n).padStart(4, '0')}`, `seed_${String(s).padStart(4, '0')}`, pole, 'image.npy')));
  }
  const x = new Float32Array(imgs.length * per);
  imgs.forEach((im, i) => x.set(im, i * per));
  const screenPred = (() => {
    const o = join(tmp, 'screen.pred.npy');
    ok(['predict', '--model', twin, '--member', '1', '--images', imagesDir, '--out', o]);
    return f32(o);
  })();
  for (const [member, suffix] of [[1, ''], [2, '_heldout']] as const) {
    const y = predict(x, imgs.length, member, `poles_m${member}`);
    const resp = (n: number, s: number, pole: 0 | 1) => y[(1 + (n * SEEDS + s) * 2 + pole) * N + n];
    const tests = rows.map((row, n) => {
      const baseline = y[n];
      const mei = Array.from({ length: SEEDS }, (_, s) => resp(n, s, 0)), lei = Array.from({ length: SEEDS }, (_, s) => resp(n, s, 1));
      close(Number(row[`baseline_gray${suffix}`]), baseline, `neuron ${n} baseline${suffix}`);
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      close(Number(row[`mei_mean${suffix}`]), mean(mei), `neuron ${n} MEI mean${suffix}`);
      close(Number(row[`lei_mean${suffix}`]), mean(lei), `neuron ${n} LEI mean${suffix}`);
      if (member === 1) mei.forEach((v, s) => { close(Number(row[`mei_seed_${s}`]), v, `neuron ${n} MEI seed ${s}`); close(Number(row[`lei_seed_${s}`]), lei[s], `neuron ${n} LEI seed ${s}`); });
      return { baseline, mei, lei };
    });
    const check = (sfx: string, base: (n: number) => number) => {
      const pm = tests.map((t, n) => seedBootstrap(t.mei, base(n), 'above').p), pl = tests.map((t, n) => seedBootstrap(t.lei, base(n), 'below').p);
      const qm = benjaminiHochberg(pm), ql = benjaminiHochberg(pl);
      rows.forEach((row, n) => {
        // p-values of float32 responses: compare loosely (a rounding can only move a resample across T at a tie)
        assert.ok(Math.abs(Number(row[`p_mei${sfx}`]) - pm[n]) <= 1e-6 && Math.abs(Number(row[`p_lei${sfx}`]) - pl[n]) <= 1e-6, `neuron ${n} p-values${sfx}`);
        assert.ok(Math.abs(Number(row[`q_lei${sfx}`]) - ql[n]) <= 1e-6, `neuron ${n} q_lei${sfx}`);
        const want = qm[n] > 0.05 ? 'unreliable' : ql[n] <= 0.05 ? 'dual' : 'excitatory only';
        assert.is(row[`label${sfx}`], want, `neuron ${n} label${sfx}`);
        const t = tests[n], b = base(n), mm = t.mei.reduce((a, c) => a + c, 0) / SEEDS, lm = t.lei.reduce((a, c) => a + c, 0) / SEEDS;
        if (mm > b) close(Number(row[`suppression_index${sfx}`]), (b - lm) / (mm - b), `neuron ${n} index${sfx}`);
        else assert.is(row[`suppression_index${sfx}`], '');
      });
    };
    check(suffix, (n) => tests[n].baseline);
    if (member === 1) {
      rows.forEach((row, n) => {
        const col = Array.from({ length: IMAGES }, (_, i) => screenPred[i * N + n]);
        close(Number(row.baseline_screen), col.reduce((a, b) => a + b, 0) / IMAGES, `neuron ${n} screened mean`);
        close(Number(row.mai), Math.max(...col), `neuron ${n} MAI`);
        close(Number(row.lai), Math.min(...col), `neuron ${n} LAI`);
        assert.is(Number(row.screened_images), IMAGES);
      });
      check('_screen', (n) => Number(rows[n].baseline_screen));
    }
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(summary.members, [1]);
  assert.equal(summary.heldOutMembers, [2]);
  assert.is(summary.inSample.counts.dual, rows.filter((r) => r.label === 'dual').length);
  assert.is(summary.heldOut.agreement, rows.filter((r) => r.label === r.label_heldout).length / N);
  assert.equal(readNpy(join(out, 'mei_responses.npy')).shape, [N, SEEDS]);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(run.model, twin);
});

test('bad inputs: missing seeds, too few seeds, another model, other weights, an empty image set; a screen of other members is warned about', () => {
  const o = (k: string) => join(tmp, `bad-${k}`);
  const copy = (name: string) => { const d = join(tmp, name); cpSync(poles, d, { recursive: true }); return d; };
  const editDone = (dir: string, f: (c: Record<string, unknown>) => void) => {
    for (const n of readdirSync(dir).filter((e) => e.startsWith('neuron_'))) for (const s of readdirSync(join(dir, n))) for (const p of ['most', 'least']) {
      const file = join(dir, n, s, p, 'done.json');
      const d = JSON.parse(readFileSync(file, 'utf8'));
      f(d.config);
      writeFileSync(file, JSON.stringify(d));
    }
  };
  const missing = copy('p-missing');
  rmSync(join(missing, 'neuron_0001', 'seed_0002'), { recursive: true });
  fails(['analyze', 'dual', '--model', twin, '--poles', missing, '--out', o('1')], /neuron 1 has seeds 0, 1 but neuron 0 has 0, 1, 2/);
  const two = copy('p-two');
  for (const n of [0, 1, 2]) rmSync(join(two, `neuron_000${n}`, 'seed_0002'), { recursive: true });
  fails(['analyze', 'dual', '--model', twin, '--poles', two, '--out', o('2')], /has 2 seeds per neuron; the seed bootstrap needs at least 3/);
  fails(['analyze', 'dual', '--model', 'v1', '--poles', poles, '--out', o('3')], /holds results of the twin ".*twin", not v1/);
  const other = copy('p-other');
  editDone(other, (c) => { c['weights sha256'] = { member_1: 'ab'.repeat(32) }; });
  fails(['analyze', 'dual', '--model', twin, '--poles', other, '--out', o('4')], /other weights for member_1.*mismatched model/);
  const allScreen = join(tmp, 'screen-all');
  ok(['screen', '--model', twin, '--images', imagesDir, '--batch', '4', '--out', allScreen]);
  const w = ok(['analyze', 'dual', '--model', twin, '--poles', poles, '--screen', allScreen, '--out', o('5')]);
  assert.match(w.stderr, /warning: --screen .* screened members 1,2 but the poles' responses come from members 1/);
  assert.equal(JSON.parse(readFileSync(join(o('5'), 'summary.json'), 'utf8')).screenMembers, [1, 2]);
  const empty = join(tmp, 'screen-empty');
  cpSync(screen, empty, { recursive: true });
  const respDir = readdirSync(empty).find((d) => d.endsWith('_ordered_responses'))!;
  writeNpy(join(empty, respDir, '1.npy'), { dtype: 'f32', shape: [0], data: new Float32Array(0) });
  fails(['analyze', 'dual', '--model', twin, '--poles', poles, '--screen', empty, '--out', o('6')], /neuron 1 has no screened images \(an empty image set\)/);
  fails(['analyze', 'dual', '--model', twin, '--poles', join(tmp, 'nowhere'), '--out', o('7')], /no such folder/);
  fails(['analyze', 'dual', '--model', twin, '--poles', poles, '--alpha', '1.5', '--out', o('8')], /--alpha must lie in \(0, 1\)/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
