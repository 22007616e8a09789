// The evolution runner on a tiny hand-made twin (evolve-runner-fixture.ts; no ../shared): output shapes, scores
// against a float64 host re-evaluation of the saved codes and images, batched == single runs, resume after a
// stop and after SIGKILL byte-identical to an uninterrupted run, and a checkpoint made with other options refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { cpu } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { gpu } from '../helpers/backends.js';
import { repoRoot } from '../helpers/upstream.js';
import { prepareEvolveOutput } from '../../src/dualneuron/evolve/runner.js';
import { APERTURE, K, NORM, S, hostPixelImage, hostResponses, tinyRun } from './evolve-runner-fixture.js';

const test = suite('evolve runner');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-evolve-runner-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const f32 = (p: string) => { const a = readNpy(p); return { shape: a.shape, data: a.data as Float32Array }; };
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d).sort()) { const p = join(d, e); if (statSync(p).isDirectory()) walk(p); else out.push(relative(dir, p)); } };
  walk(dir);
  return out;
}

test('files: shapes of the layout; every best score and centre score equals the float64 host twin on the saved image; best codes make the saved best images', async () => {
  const out = join(tmp, 'shapes');
  const G = 6, pop = 5;
  const r = await tinyRun({ out, neurons: [0, 2], seeds: 2, generations: G, pop, noise: 0.3 }, await gpu());
  assert.ok(r.complete);
  assert.is(r.evaluations, 2 * 2 * 2 * (1 + (G - 1) * pop), 'CMA generation 0 asks the start code only, then pop codes');
  const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
  assert.is(state.generationsDone, G);
  assert.equal(Object.keys(state.threads).sort(), ['0/0/fourier', '0/0/pixel', '0/1/fourier', '0/1/pixel', '2/0/fourier', '2/0/pixel', '2/1/fourier', '2/1/pixel']);
  for (const neuron of [0, 2]) for (const seed of [0, 1]) for (const space of ['pixel', 'fourier']) {
    const d = join(out, `n${neuron}`, `s${seed}`, space);
    const scores = f32(join(d, 'scores.npy')), clean = f32(join(d, 'clean_scores.npy')), codes = f32(join(d, 'best_codes.npy'));
    const best = f32(join(d, 'best_image.npy')), mean = f32(join(d, 'mean_image.npy')), ms = f32(join(d, 'mean_scores.npy'));
    assert.equal(scores.shape, [G, pop]); assert.equal(clean.shape, [G, pop]); assert.equal(codes.shape, [G, S * S]);
    assert.equal(best.shape, [G, 1, S, S]); assert.equal(mean.shape, [G, 1, S, S]); assert.equal(ms.shape, [G]);
    assert.ok(Number.isNaN(scores.data[1]) && !Number.isNaN(scores.data[0]), 'generation 0 is the start code alone');
    for (let g = 0; g < G; g++) {
      const row = Array.from(scores.data.slice(g * pop, (g + 1) * pop)).filter((v) => !Number.isNaN(v));
      const crow = Array.from(clean.data.slice(g * pop, (g + 1) * pop));
      const b = row.indexOf(Math.max(...row));
      const img = best.data.slice(g * S * S, (g + 1) * S * S);
      // the saved best image scored by the host twin equals the clean score of the best told code
      const want = hostResponses(img)[neuron];
      assert.ok(Math.abs(crow[b] - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${d} generation ${g}: clean best ${crow[b]} vs host ${want}`);
      assert.ok(row.some((v, i) => v !== crow[i]), 'noise changes the told scores');
      const mimg = mean.data.slice(g * S * S, (g + 1) * S * S);
      const mwant = hostResponses(mimg)[neuron];
      assert.ok(Math.abs(ms.data[g] - mwant) <= 1e-5 * Math.max(1, Math.abs(mwant)), `${d} centre ${g}: ${ms.data[g]} vs host ${mwant}`);
      const norm = Math.sqrt(Array.from(mimg).reduce((a, v) => a + v * v, 0));
      assert.ok(Math.abs(norm - NORM) < 1e-4, `centre image norm ${norm}`);
      if (space === 'pixel') {
        // the saved best code, made into an image on the host in float64, is the saved best image
        const h = hostPixelImage(codes.data.slice(g * S * S, (g + 1) * S * S));
        for (let i = 0; i < S * S; i++) assert.ok(Math.abs(h[i] - img[i]) <= 1e-5, `${d} g ${g} pixel ${i}: ${img[i]} vs host ${h[i]}`);
      }
    }
  }
  assert.ok(APERTURE.length === S * S && K === 5);
});

test('batched == single: 3 neurons x 2 seeds x 2 spaces in one run equal each neuron run alone within 1e-5 (spherecma and ga too)', async () => {
  for (const optimizer of ['cholcma', 'spherecma', 'ga'] as const) {
    const all = join(tmp, `batched-${optimizer}`);
    await tinyRun({ out: all, neurons: [0, 1, 4], seeds: 2, generations: 8, optimizer, batch: 7 }, await gpu());
    let worst = 0, compared = 0;
    for (const n of [0, 1, 4]) {
      const one = join(tmp, `single-${optimizer}-${n}`);
      await tinyRun({ out: one, neurons: [n], seeds: 2, generations: 8, optimizer, batch: 7 }, await gpu());
      for (const f of files(one).filter((p) => p.endsWith('.npy'))) {
        const a = f32(join(one, f)), b = f32(join(all, f));
        assert.equal(a.shape, b.shape, f);
        for (let i = 0; i < a.data.length; i++) {
          if (Number.isNaN(a.data[i])) { assert.ok(Number.isNaN(b.data[i]), `${f}[${i}]`); continue; }
          const d = Math.abs(a.data[i] - b.data[i]) / Math.max(1, Math.abs(a.data[i]));
          worst = Math.max(worst, d);
          compared++;
        }
      }
    }
    assert.ok(compared > 1000, `compared ${compared} values`);
    assert.ok(worst <= 1e-5, `${optimizer}: worst relative difference ${worst}`);
  }
});

test('resume after a stop: the files are byte-identical to an uninterrupted run; a run with other options is refused, naming them', async () => {
  const full = join(tmp, 'full'), part = join(tmp, 'part');
  await tinyRun({ out: full, neurons: [1, 3], seeds: 2, generations: 9, noise: 0.2 }, cpu());
  const stopped = await tinyRun({ out: part, neurons: [1, 3], seeds: 2, generations: 9, noise: 0.2, stopAfter: 4 }, cpu());
  assert.is(stopped.generationsDone, 4);
  assert.is(f32(join(part, 'n1', 's0', 'pixel', 'scores.npy')).shape[0], 4);
  assert.is(f32(join(part, 'n1', 's0', 'pixel', 'mean_scores.npy')).shape[0], 4);
  const resumed = await tinyRun({ out: part, neurons: [1, 3], seeds: 2, generations: 9, noise: 0.2 }, cpu());
  assert.is(resumed.resumedFrom, 4);
  assert.equal(files(part), files(full));
  for (const f of files(full)) assert.ok(readFileSync(join(full, f)).equals(readFileSync(join(part, f))), `${f} differs`);
  // other options: refused before any work, naming the option; --overwrite removes the run
  const other = { test: 'tiny', optimizer: 'cholcma', pop: 6, generations: 12, neurons: [1, 3], noise: 0.2 };
  assert.throws(() => prepareEvolveOutput(part, other), /The evolution run in .* was made with other options:\n {2}generations: done with 9, asked 12/);
  assert.is(prepareEvolveOutput(part, other, true, () => {}), 0);
  assert.not.ok(existsSync(join(part, 'state.json')) || existsSync(join(part, 'n1')));
});

test('SIGKILL mid-run, then the same run again: byte-identical to an uninterrupted run', async () => {
  const full = join(tmp, 'full-kill'), killed = join(tmp, 'killed');
  const G = 40;
  await tinyRun({ out: full, neurons: [1, 3], seeds: 2, generations: G, noise: 0.2, saveEvery: 0 }, cpu());
  const child = resolve(repoRoot, 'dist/test/dualneuron/evolve-runner-child.js');
  const a = spawn(process.execPath, [child, killed, String(G)], { stdio: 'ignore' });
  const state = join(killed, 'state.json');
  const done = () => { try { return JSON.parse(readFileSync(state, 'utf8')).generationsDone as number; } catch { return 0; } };
  const at = await new Promise<number>((res) => {
    const t = setInterval(() => { const g = done(); if (g >= 5) { clearInterval(t); a.kill('SIGKILL'); res(g); } }, 5);
    a.on('exit', () => { clearInterval(t); res(-1); });
  });
  await new Promise((res) => (a.exitCode !== null || a.signalCode !== null ? res(null) : a.once('exit', res)));
  assert.ok(at >= 5 && a.signalCode === 'SIGKILL', `killed mid-run (after ${at} generations, ${a.signalCode})`);
  const left = done();
  assert.ok(left > 0 && left < G, `the killed run left a checkpoint of ${left} of ${G} generations`);
  const r = await tinyRun({ out: killed, neurons: [1, 3], seeds: 2, generations: G, noise: 0.2, saveEvery: 0 }, cpu());
  assert.is(r.resumedFrom, left);
  const names = files(full).filter((f) => !f.includes('.tmp-'));
  assert.equal(files(killed).filter((f) => !f.includes('.tmp-')), names);
  for (const f of names) assert.ok(readFileSync(join(full, f)).equals(readFileSync(join(killed, f))), `${f} differs`);
});

test.run();
