// `evolve summary` on fake run folders in the `dualneuron evolve` layout whose scores are known: each generation's
// scores are m(t) + fixed offsets summing to zero, with m(t) = a - b exp(-t / tau) an exact exponential of known tau,
// stored as float32 as the runner does. Expected initial/final/best/ratio are computed here in float64 from the
// float32-rounded values; tau is compared with the tau the data were made from.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { summarizeEvolution, summaryCsv, summaryFigure, writeEvolveSummary, SUMMARY_COLUMNS, median } from '../../src/dualneuron/evolve/summary.js';
import { FormatError, InputError } from '../../src/errors.js';
import { cli } from '../helpers/cli.js';

const test = suite('evolve summary');

const OFFSETS = [-0.75, -0.25, 0.125, 0.375, 0.5]; // sum 0: the mean of a row is m(t) up to float32 rounding

interface Traj { a: number; b: number; tau: number }
interface FakeThread { neuron: number; seed: number; space: string; told: Traj; clean?: Traj; rows?: number; nanRow0?: boolean }

/** scores (rows x pop) of a trajectory, float32 */
function scoresOf(t: Traj, rows: number, nanRow0 = false): Float32Array {
  const pop = OFFSETS.length, out = new Float32Array(rows * pop);
  for (let g = 0; g < rows; g++) {
    const m = t.a - t.b * Math.exp(-g / t.tau);
    for (let k = 0; k < pop; k++) out[g * pop + k] = nanRow0 && g === 0 && k > 0 ? NaN : m + OFFSETS[k] * (1 + 0.01 * g);
  }
  return out;
}

function makeRun(root: string, threads: FakeThread[], done: number, asked: number, stateThreads?: string[]): string {
  const out = mkdtempSync(join(root, 'run-'));
  for (const t of threads) {
    const dir = join(out, `n${t.neuron}`, `s${t.seed}`, t.space);
    mkdirSync(dir, { recursive: true });
    const rows = t.rows ?? done;
    writeNpy(join(dir, 'scores.npy'), { dtype: 'f32', shape: [rows, OFFSETS.length], data: scoresOf(t.told, rows, t.nanRow0) });
    if (t.clean) writeNpy(join(dir, 'clean_scores.npy'), { dtype: 'f32', shape: [rows, OFFSETS.length], data: scoresOf(t.clean, rows) });
  }
  const keys = stateThreads ?? threads.map((t) => `${t.neuron}/${t.seed}/${t.space}`);
  const state = { version: 1, optionsHash: 'x', options: { generations: asked }, generationsDone: done, threads: Object.fromEntries(keys.map((k) => [k, { optimizer: {}, noise: null }])) };
  writeFileSync(join(out, 'state.json'), JSON.stringify(state));
  return out;
}

/** the float64 figures of the float32 data of the first `rows` generations */
function expected(t: Traj, rows: number, nanRow0 = false) {
  const s = scoresOf(t, rows, nanRow0), pop = OFFSETS.length;
  const rowMean = (g: number) => { let a = 0, k = 0; for (let j = 0; j < pop; j++) if (!Number.isNaN(s[g * pop + j])) { a += s[g * pop + j]; k++; } return a / k; };
  let best = -Infinity;
  for (const v of s) if (v > best) best = v;
  const initial = rowMean(0), final = rowMean(rows - 1);
  return { initial, final, best, ratio: final / initial, tau: t.tau };
}

const close = (a: number, b: number, rel: number, what: string) => assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs expected ${b}`);

function parseCsv(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])));
}

const tmp = mkdtempSync(join(tmpdir(), 'dn-evolve-summary-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const THREADS: FakeThread[] = [
  { neuron: 0, seed: 0, space: 'fc6', told: { a: 10, b: 8, tau: 8 } },
  { neuron: 0, seed: 0, space: 'pixel', told: { a: 4, b: 3, tau: 15 } },
  { neuron: 3, seed: 0, space: 'fc6', told: { a: 20, b: 12, tau: 5 } },
  { neuron: 3, seed: 0, space: 'pixel', told: { a: 6, b: 5.5, tau: 20 } },
  { neuron: 7, seed: 0, space: 'fc6', told: { a: 7, b: 2, tau: 11 } },
  { neuron: 7, seed: 0, space: 'pixel', told: { a: 3, b: 1, tau: 3 } },
];

test('per thread: initial, final, best, ratio from the float32 scores; tau of the exact exponential', () => {
  const G = 60;
  const out = makeRun(tmp, THREADS, G, G);
  const s = summarizeEvolution(out);
  assert.equal(s.notes, []);
  assert.is(s.rows.length, THREADS.length);
  for (const t of THREADS) {
    const r = s.rows.find((q) => q.neuron === t.neuron && q.space === t.space)!;
    const e = expected(t.told, G);
    assert.is(r.generations, G); assert.is(r.pop, OFFSETS.length);
    for (const k of ['initial', 'final', 'best', 'ratio'] as const) close(r.told[k], e[k], 1e-12, `n${t.neuron} ${t.space} ${k}`);
    // float32 rounding of y (~1e-7 relative) moves the fitted tau by far less than 1e-4
    close(r.told.tau, t.told.tau, 1e-4, `n${t.neuron} ${t.space} tau`);
    assert.is(r.clean, null);
  }
  // medians per space over the three neurons = the middle value
  for (const space of ['fc6', 'pixel']) {
    const m = s.medians.find((q) => q.space === space)!;
    const ts = THREADS.filter((t) => t.space === space);
    const es = ts.map((t) => expected(t.told, G));
    close(m.told.final, [...es.map((e) => e.final)].sort((a, b) => a - b)[1], 1e-12, `${space} median final`);
    close(m.told.ratio, [...es.map((e) => e.ratio)].sort((a, b) => a - b)[1], 1e-12, `${space} median ratio`);
    close(m.told.tau, [...ts.map((t) => t.told.tau)].sort((a, b) => a - b)[1], 1e-4, `${space} median tau`);
    assert.is(m.count, 3);
  }
  // the CSV holds the same numbers, in the documented columns, and one median row per space
  const rows = parseCsv(summaryCsv(s));
  assert.equal(Object.keys(rows[0]), [...SUMMARY_COLUMNS]);
  assert.is(rows.length, THREADS.length + 2);
  const r3 = rows.find((r) => r.neuron === '3' && r.space === 'pixel')!;
  const e3 = expected(THREADS[3].told, G);
  close(Number(r3.final), e3.final, 1e-15, 'csv final');
  close(Number(r3.tau), 20, 1e-4, 'csv tau');
  assert.is(r3.clean_final, '');
  const med = rows.filter((r) => r.neuron === 'median');
  assert.equal(med.map((r) => r.space), ['fc6', 'pixel']);
});

test('median of an even count and with NaN', () => {
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([5, NaN, 1, 3]), 3);
  assert.ok(Number.isNaN(median([NaN])));
});

test('noiseless columns from clean_scores.npy; seeds; a generation 0 padded with NaN', () => {
  const G = 30;
  const threads: FakeThread[] = [
    { neuron: 2, seed: 0, space: 'fourier', told: { a: 9, b: 6, tau: 6 }, clean: { a: 8, b: 6.5, tau: 7 }, nanRow0: true },
    { neuron: 2, seed: 1, space: 'fourier', told: { a: 9.5, b: 6, tau: 9 }, clean: { a: 8.5, b: 6.5, tau: 10 } },
  ];
  const out = makeRun(tmp, threads, G, G);
  const s = summarizeEvolution(out);
  for (const t of threads) {
    const r = s.rows.find((q) => q.seed === t.seed)!;
    const e = expected(t.told, G, t.nanRow0), c = expected(t.clean!, G);
    for (const k of ['initial', 'final', 'best', 'ratio'] as const) {
      close(r.told[k], e[k], 1e-12, `seed ${t.seed} ${k}`);
      close(r.clean![k], c[k], 1e-12, `seed ${t.seed} clean ${k}`);
    }
    close(r.clean!.tau, t.clean!.tau, 1e-4, `seed ${t.seed} clean tau`);
  }
  // the NaN-padded generation 0 uses its one finite score
  close(s.rows[0].told.initial, Math.fround(9 - 6 - 0.75), 1e-15, 'initial from the single init code');
  const m = s.medians[0];
  close(m.clean!.tau, 8.5, 1e-4, 'median clean tau of two seeds');
  const csv = parseCsv(summaryCsv(s));
  close(Number(csv[1].clean_tau), 10, 1e-4, 'csv clean_tau');
});

test('an unfinished run is summarised as far as state.json counts, with a note; extra rows are ignored', () => {
  const t: FakeThread = { neuron: 1, seed: 0, space: 'fc6', told: { a: 10, b: 8, tau: 8 }, rows: 27 };
  const out = makeRun(tmp, [t], 25, 100);
  const s = summarizeEvolution(out);
  assert.ok(s.notes.some((n) => /not finished: 25 of 100/.test(n)), s.notes.join('; '));
  const e = expected(t.told, 25);
  assert.is(s.rows[0].generations, 25);
  close(s.rows[0].told.final, e.final, 1e-12, 'final of generation 24');
  close(s.rows[0].told.best, e.best, 1e-12, 'best within 25 generations');
  // two generations: no tau, a note, empty CSV cell
  const out2 = makeRun(tmp, [{ ...t, rows: 2 }], 2, 100);
  const s2 = summarizeEvolution(out2);
  assert.ok(Number.isNaN(s2.rows[0].told.tau));
  assert.ok(s2.notes.some((n) => /at least 3 generations/.test(n)));
  assert.is(parseCsv(summaryCsv(s2))[0].tau, '');
  summaryFigure(s2); // draws without a fit
});

test('clear errors: not an evolve folder, no checkpoint, malformed npy, missing thread, too few rows', () => {
  const empty = mkdtempSync(join(tmp, 'empty-'));
  assert.throws(() => summarizeEvolution(empty), (e: unknown) => e instanceof InputError && /not a `dualneuron evolve` output folder/.test((e as Error).message));
  assert.throws(() => summarizeEvolution(join(tmp, 'nope')), (e: unknown) => e instanceof InputError && /is not a folder/.test((e as Error).message));
  mkdirSync(join(empty, 'n0', 's0', 'fc6'), { recursive: true });
  assert.throws(() => summarizeEvolution(empty), /no state.json: the run has not finished its first generation/);
  const bad = makeRun(tmp, [THREADS[0]], 10, 10);
  const f = join(bad, 'n0', 's0', 'fc6', 'scores.npy');
  writeFileSync(f, readFileSync(f).subarray(0, 100));
  assert.throws(() => summarizeEvolution(bad), (e: unknown) => e instanceof FormatError && (e as Error).message.includes(f));
  writeFileSync(f, 'not numpy at all');
  assert.throws(() => summarizeEvolution(bad), (e: unknown) => e instanceof FormatError && (e as Error).message.includes(f));
  const miss = makeRun(tmp, [THREADS[0]], 10, 10, ['0/0/fc6', '0/0/pixel']);
  assert.throws(() => summarizeEvolution(miss), /0\/0\/pixel whose folder or scores.npy is missing/);
  const short = makeRun(tmp, [{ ...THREADS[0], rows: 8 }], 10, 10);
  assert.throws(() => summarizeEvolution(short), (e: unknown) => e instanceof FormatError && /holds 8 generations, state.json counts 10/.test((e as Error).message));
  const oneD = makeRun(tmp, [THREADS[0]], 10, 10);
  writeNpy(join(oneD, 'n0', 's0', 'fc6', 'scores.npy'), { dtype: 'f32', shape: [10], data: new Float32Array(10) });
  assert.throws(() => summarizeEvolution(oneD), /expected a 2-D float array/);
  writeFileSync(join(oneD, 'state.json'), '{"generationsDone": "x"}');
  assert.throws(() => summarizeEvolution(oneD), /generationsDone must be a non-negative integer/);
});

test('figure: one row of panels per space, a point per thread', () => {
  const out = makeRun(tmp, THREADS, 40, 40);
  const { svg, csv } = writeEvolveSummary(out);
  assert.is(svg, join(out, 'summary.svg'));
  assert.ok(existsSync(csv));
  const text = readFileSync(svg, 'utf8');
  for (const space of ['fc6', 'pixel']) {
    for (const panel of ['activation', 'success ratio final / initial', 'convergence tau']) assert.ok(text.includes(`${space}: ${panel}`), `${space}: ${panel}`);
  }
  // final activation and success ratio: one filled circle each per thread
  assert.is((text.match(/<circle /g) ?? []).length, 2 * THREADS.length);
});

test('CLI: evolve summary OUT --csv --svg [--figures]', () => {
  const out = makeRun(tmp, THREADS, 20, 50);
  const csv = join(tmp, 'elsewhere.csv'), svg = join(tmp, 'elsewhere.svg');
  const r = cli(['evolve', 'summary', out, '--csv', csv, '--svg', svg]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /note: the run is not finished: 20 of 50/);
  assert.match(r.stdout, /fc6\s+3 /);
  assert.is(parseCsv(readFileSync(csv, 'utf8')).length, THREADS.length + 2);
  assert.ok(readFileSync(svg, 'utf8').startsWith('<?xml'));
  assert.not.ok(existsSync(join(out, 'n0', 's0', 'trajectory.svg')));
  // --figures: the per-seed figures too (best_image.npy needed: a missing one is named)
  const f = cli(['evolve', 'summary', out, '--csv', csv, '--svg', svg, '--figures']);
  assert.is(f.status, 1);
  assert.match(f.stderr, /best_image.npy is missing/);
  for (const t of THREADS) writeNpy(join(out, `n${t.neuron}`, 's0', t.space, 'best_image.npy'), { dtype: 'f32', shape: [20, 1, 8, 8], data: Float32Array.from({ length: 20 * 64 }, (_, i) => Math.sin(i)) });
  const f2 = cli(['evolve', 'summary', out, '--csv', csv, '--svg', svg, '--figures']);
  assert.is(f2.status, 0, f2.stderr);
  for (const n of [0, 3, 7]) for (const file of ['trajectory.svg', 'montage.png']) assert.ok(existsSync(join(out, `n${n}`, 's0', file)), `n${n} ${file}`);
  const help = cli(['evolve', 'summary', '--help']);
  assert.match(help.stdout, /clean_\*\s+the same from the noiseless/);
  const bad = cli(['evolve', 'summary', tmp]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /dualneuron: .* is not a `dualneuron evolve` output folder/);
});

test.run();
