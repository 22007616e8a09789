// `dualneuron screen` end to end on rendered scenes with the real V1 twin (member 1): shards merge into exactly
// the files of a single run; killed runs resume to the same bytes; unreadable files are skipped in place; the
// per-unit orders and statistics are right.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { repoRoot, withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { sameTree } from '../helpers/compare.js';

const test = suite('screening');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-screen-'));
const scenes = join(tmp, 'scenes');
const N = 20;
let listFile = '';


const screenArgs = (out: string, extra: string[] = []) => ['screen', '--model', 'v1', '--member', '1', '--images', listFile, '--preset', 'rendered', '--batch', '8', '--workers', '1', '--out', out, ...extra];

withUpstream(test)('single run: ordered indices sort each unit ascending (ties by index) and stats match a direct computation', () => {
  const home = upstreamWeightsHome();
  let r = cli(['render', '--count', String(N), '--size', '120', '--seed', '5', '--out', scenes]);
  assert.is(r.status, 0, r.stderr);
  // a list with two unreadable files in the middle
  copyFileSync(fixture('images', 'bad', 'text.png'), join(tmp, 'text.png'));
  copyFileSync(fixture('images', 'bad', 'truncated.png'), join(tmp, 'truncated.png'));
  const paths = readdirSync(scenes).sort().map((f) => join(scenes, f));
  paths.splice(5, 0, join(tmp, 'text.png'));
  paths.splice(13, 0, join(tmp, 'truncated.png'));
  listFile = join(tmp, 'list.txt');
  writeFileSync(listFile, paths.join('\n') + '\n');
  r = cli(screenArgs(join(tmp, 'single')), { DUALNEURON_HOME: home });
  assert.is(r.status, 0, r.stderr);
  const out = join(tmp, 'single');
  const R = readNpy(join(out, 'responses.npy'));
  assert.equal(R.shape, [N + 2, 458]);
  const data = R.data as Float32Array;
  // the unreadable files keep their rows (NaN) and are listed; the others keep their indices
  const skipped = readFileSync(join(out, 'skipped.txt'), 'utf8').trim().split('\n').map((l) => Number(l.split('\t')[0]));
  assert.equal(skipped, [5, 13]);
  for (const i of [5, 13]) assert.ok(Number.isNaN(data[i * 458]));
  assert.match(r.stderr, /text\.png/);
  const lines = readFileSync(join(out, 'images.txt'), 'utf8').trim().split('\n');
  assert.is(lines[6], `6\t${paths[6]}`);
  const csv = readFileSync(join(out, 'stats.csv'), 'utf8').trim().split('\n');
  const cols = csv[0].split(',');
  const rows = new Map(csv.slice(1).map((l) => { const v = l.split(','); return [Number(v[0]), v] as [number, string[]]; }));
  for (const u of [0, 17, 200, 457]) {
    const order = Array.from(readNpy(join(out, 'v1_None_rendered_ordered_indices', `${u}.npy`)).data as BigInt64Array, Number);
    const sorted = readNpy(join(out, 'v1_None_rendered_ordered_responses', `${u}.npy`)).data as Float32Array;
    assert.is(order.length, N);
    assert.not.ok(order.includes(5) || order.includes(13));
    for (let k = 0; k < N; k++) {
      assert.is(sorted[k], data[order[k] * 458 + u]);
      if (k) assert.ok(sorted[k - 1] < sorted[k] || (sorted[k - 1] === sorted[k] && order[k - 1] < order[k]), `unit ${u} rank ${k}`);
    }
    // gini as the mean absolute difference, an independent formula for ascending data
    const x = Array.from(sorted, Number);
    const mean = x.reduce((a, b) => a + b, 0) / N;
    let mad = 0;
    for (const a of x) for (const b of x) mad += Math.abs(a - b);
    const gini = mad / (2 * N * N * mean);
    const row = rows.get(u)!;
    assert.ok(Math.abs(Number(row[cols.indexOf('gini')]) - gini) < 1e-6, `gini of unit ${u}`);
    assert.ok(Math.abs(Number(row[cols.indexOf('mean')]) - mean) < 1e-6 * Math.max(1, Math.abs(mean)));
    assert.ok(Math.abs(Number(row[cols.indexOf('max')]) - x[N - 1]) < 1e-6);
  }
});

withUpstream(test)('3 shards merged are byte-identical to the single run', () => {
  const home = upstreamWeightsHome();
  assert.ok(listFile, 'the first screening test writes the image list');
  for (const k of [0, 1, 2]) {
    const r = cli(screenArgs(join(tmp, `shard${k}`), ['--shard', `${k}/3`]), { DUALNEURON_HOME: home });
    assert.is(r.status, 0, r.stderr);
  }
  const r = cli(['merge', join(tmp, 'shard0'), join(tmp, 'shard1'), join(tmp, 'shard2'), '--out', join(tmp, 'merged')]);
  assert.is(r.status, 0, r.stderr);
  sameTree(join(tmp, 'single'), join(tmp, 'merged'));
  const bad = cli(['merge', join(tmp, 'shard0'), join(tmp, 'shard2'), '--out', join(tmp, 'merged-bad')]);
  assert.is.not(bad.status, 0);
  assert.match(bad.stderr, /do not cover the list contiguously|missing/);
});

async function killAfterFirstCheckpoint(out: string, signal: 'SIGINT' | 'SIGKILL', home: string): Promise<void> {
  const child = spawn(process.execPath, [resolve(repoRoot, 'dist/src/dualneuron/cli/main.js'), ...screenArgs(out)], { env: { ...process.env, DUALNEURON_HOME: home, DUALNEURON_QUIET: '1' }, stdio: 'ignore' });
  const state = join(out, '.partial', 'state.json');
  await new Promise<void>((res) => {
    const t = setInterval(() => {
      if (existsSync(state) && JSON.parse(readFileSync(state, 'utf8')).done >= 8) { clearInterval(t); child.kill(signal); res(); }
    }, 20);
    child.on('exit', () => { clearInterval(t); res(); });
  });
  if (child.exitCode === null && child.signalCode === null) await new Promise((res) => child.once('exit', res));
}

for (const signal of ['SIGINT', 'SIGKILL'] as const) {
  withUpstream(test)(`a run killed with ${signal} and restarted gives the same bytes`, async () => {
    const home = upstreamWeightsHome();
    assert.ok(listFile, 'the first screening test writes the image list');
    const out = join(tmp, `killed-${signal}`);
    await killAfterFirstCheckpoint(out, signal, home);
    assert.not.ok(existsSync(join(out, 'responses.npy')), 'the killed run did not finish');
    const r = cli(screenArgs(out), { DUALNEURON_HOME: home });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /resuming/);
    sameTree(join(tmp, 'single'), out);
  });
}

withUpstream(test)('--strict stops at the first unreadable file', () => {
  const home = upstreamWeightsHome();
  assert.ok(listFile, 'the first screening test writes the image list');
  const r = cli(screenArgs(join(tmp, 'strict'), ['--strict']), { DUALNEURON_HOME: home });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /text\.png/);
});

test.run();
