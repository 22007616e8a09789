// `dualneuron oracle` end to end: outputs against the NumPy reference (tools/golden/oracle_reference.py), every
// option in --help, bad data and options refused with the file/option named, the output lock respected.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { parseCsv } from '../../src/io/csv.js';

const test = suite('cli oracle');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-cli-oracle-'));
const ref = JSON.parse(readFileSync(fixture('oracle', 'expected.json'), 'utf8'));
const refArgs = ['--iterations', String(ref.iterations), '--seed', ref.seed];

function readTable(file: string): Record<string, string>[] {
  const t = parseCsv(new Uint8Array(readFileSync(file)), file);
  return t.rows.map((r) => Object.fromEntries(t.header.map((h, k) => [h, r[k]!])));
}

const num = (s: string) => (s === '' ? null : Number(s));

test('DATA folder: oracle.csv and selected.json equal the NumPy reference (1e-6), figure and run.json written', () => {
  const out = join(tmp, 'folder');
  const r = cli(['oracle', fixture('oracle', 'data'), '--out', out, ...refArgs]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /selected 4 of 14 neurons/);
  assert.match(r.stdout, /skipped 4 neuron\(s\)/);
  const rows = readTable(join(out, 'oracle.csv'));
  assert.is(rows.length, ref.neurons.length);
  rows.forEach((row, n) => {
    const want = ref.neurons[n];
    for (const [col, key] of [['oracle', 'oracle'], ['super_oracle', 'super_oracle'], ['average_super_oracle', 'average_super_oracle'],
      ['explainable_variance', 'explainable_variance'], ['variance', 'variance']] as const) {
      const g = num(row[col]!), w = want[key];
      if (w === null) assert.is(g, null, `${n} ${col}`);
      else assert.ok(g !== null && Math.abs(g - w) <= 1e-6, `neuron ${n} ${col}: ${g} vs ${w}`);
    }
    assert.is(Number(row.repeats_min), want.repeats_min);
    assert.is(Number(row.repeats_max), want.repeats_max);
    assert.is(row.skip !== '', want.skipped, `neuron ${n} skip '${row.skip}'`);
    assert.is(row.selected, String(ref.selection['average_super_oracle:60:50'].selected[n]));
  });
  const sel = JSON.parse(readFileSync(join(out, 'selected.json'), 'utf8'));
  const want = ref.selection['average_super_oracle:60:50'];
  assert.ok(Math.abs(sel.oracle_threshold - want.oracle_threshold) < 1e-6);
  assert.ok(Math.abs(sel.variance_threshold - want.variance_threshold) < 1e-6);
  const ids = JSON.parse(readFileSync(fixture('oracle', 'data', 'dataset.json'), 'utf8')).neuron_ids as string[];
  assert.equal(sel.selected_ids, ids.filter((_, n) => want.selected[n]));
  const svg = readFileSync(join(out, 'oracle.svg'), 'utf8');
  assert.match(svg, /4 of 14 neurons selected \(4 skipped\)/);
  assert.match(svg, /p60 = /);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(run.command, 'oracle');
  assert.is(run.options.seed, ref.seed);
  assert.equal(readdirSync(out).sort().filter((f) => !f.endsWith('.png')), ['oracle.csv', 'oracle.svg', 'run.json', 'selected.json']);
});

test('the trial table gives the same selection; --select-by oracle and other percentiles follow the reference', () => {
  const out = join(tmp, 'table');
  const r = cli(['oracle', fixture('oracle', 'trials.csv'), '--out', out, ...refArgs, '--select-by', 'oracle', '--oracle-percentile', '25', '--variance-percentile', '10']);
  assert.is(r.status, 0, r.stderr);
  const sel = JSON.parse(readFileSync(join(out, 'selected.json'), 'utf8'));
  const want = ref.selection['oracle:25:10'];
  // the table has no row of the neuron without responses: 13 neurons; the scored ones and their oracles are the same
  assert.is(sel.neurons, 13);
  assert.ok(Math.abs(sel.oracle_threshold - want.oracle_threshold) < 1e-6, `${sel.oracle_threshold} vs ${want.oracle_threshold}`);
  assert.ok(Math.abs(sel.variance_threshold - want.variance_threshold) < 1e-6);
  const ids = JSON.parse(readFileSync(fixture('oracle', 'data', 'dataset.json'), 'utf8')).neuron_ids as string[];
  assert.equal(sel.selected_ids, ids.filter((_, n) => want.selected[n]));
});

test('--help explains every option and the measures', () => {
  const r = cli(['oracle', '--help']);
  assert.is(r.status, 0);
  for (const opt of ['--out', '--images', '--missing-rows', '--response-unit', '--oracle-percentile', '--variance-percentile', '--select-by', '--iterations', '--seed']) {
    assert.ok(r.stdout.includes(opt), `--help lacks ${opt}`);
  }
  for (const word of ['jackknife', 'super_oracle', 'average_super_oracle', 'explainable_variance', 'trial_id, neuron_id, image_id, spike_count', 'skip']) {
    assert.ok(r.stdout.includes(word), `--help lacks ${word}`);
  }
});

test('bad options and bad data stop before writing, naming the option or the file', () => {
  const cases: [string[], RegExp][] = [
    [['--oracle-percentile', '101'], /--oracle-percentile must be a percentile in 0\.\.100, got '101'/],
    [['--variance-percentile', 'half'], /--variance-percentile must be a decimal number/],
    [['--iterations', '0'], /--iterations must lie in 1\.\.100000/],
    [['--seed', '-1'], /--seed must be an integer in 0\.\./],
  ];
  for (const [args, msg] of cases) {
    const out = join(tmp, `bad-${args[0]!.slice(2)}`);
    const r = cli(['oracle', fixture('oracle', 'data'), '--out', out, ...args]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, msg);
    assert.not.ok(existsSync(out), 'nothing written');
  }
  const t = join(tmp, 'nan.csv');
  writeFileSync(t, 'trial_id,neuron_id,spike_count,image_id\n1,7,2,0\n2,7,nan,0\n');
  let r = cli(['oracle', t, '--out', join(tmp, 'nan-out')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /nan\.csv: line 3: spike_count is nan; every row needs a spike count/);
  writeFileSync(t, 'trial_id,neuron_id,spike_count,image_id\n1,7,2,0\n2,7,1,0\n3,7,4,-1\n');
  r = cli(['oracle', t, '--out', join(tmp, 'ids-out'), '--images', fixture('oracle', 'data', 'images.npy')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /image id\(s\) -1 have no image in .*images\.npy \(it holds 30 images, ids 0\.\.29; image id k is image k\)/);
  assert.not.match(r.stderr, /unexpected error/);
});

test('a neuron with one repeat only: a named skip, never NaN, and the command succeeds', () => {
  const t = join(tmp, 'one.csv');
  writeFileSync(t, 'trial_id,neuron_id,spike_count,image_id\n1,7,2,0\n2,7,5,1\n3,7,3,0\n4,7,6,1\n1,8,2,0\n2,8,1,1\n');
  const out = join(tmp, 'one-out');
  const r = cli(['oracle', t, '--out', out, '--iterations', '3']);
  assert.is(r.status, 0, r.stderr);
  const rows = readTable(join(out, 'oracle.csv'));
  assert.is(rows[1]!.neuron_id, '8');
  assert.match(rows[1]!.skip!, /only 0 image\(s\) with 2 or more repeats/);
  assert.is(rows[1]!.oracle, '');
  assert.not.match(readFileSync(join(out, 'oracle.csv'), 'utf8'), /NaN/);
  assert.match(r.stdout, /8: only 0 image\(s\)/);
});

test('an output folder locked by a live process is refused', () => {
  const out = join(tmp, 'locked');
  mkdirSync(out);
  const lock = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'oracle' });
  writeFileSync(join(out, '.dualneuron.lock'), lock);
  const r = cli(['oracle', fixture('oracle', 'data'), '--out', out]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /is being written by process/);
  assert.not.ok(existsSync(join(out, 'oracle.csv')));
});

test.run();
