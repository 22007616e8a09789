// `evolve --shard k/n` and `merge` of its shards on the tiny hand-made twin (evolve-runner-fixture.ts; no
// ../shared), on WebGPU: sharded runs (2 shards; 3 shards with one empty) merged equal the unsharded run byte for
// byte in every file but run.json (the oracle: the unsharded run, itself checked against the float64 host twin in
// evolve-runner.test.ts); the jobs split; a missing shard named; a shard folder resumed as another shard refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gpu } from '../helpers/backends.js';
import { tinyRun } from './evolve-runner-fixture.js';
import { evolveJobs, mergeEvolveShards, shardConfig } from '../../src/dualneuron/evolve/shard.js';
import { prepareEvolveOutput } from '../../src/dualneuron/evolve/runner.js';

const test = suite('evolve shards');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-evolve-shard-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d).sort()) { const p = join(d, e); if (statSync(p).isDirectory()) walk(p); else if (e !== 'run.json') out.push(relative(dir, p)); } };
  walk(dir);
  return out;
}
function assertSameFiles(single: string, merged: string): void {
  const a = files(single), b = files(merged);
  assert.ok(a.includes('state.json') && a.some((f) => f.endsWith('best_image.npy')), 'the single run wrote its files');
  assert.equal(b, a, 'the merged folder holds the files of the single run');
  for (const f of a) assert.ok(readFileSync(join(single, f)).equals(readFileSync(join(merged, f))), `${f} differs from the single run`);
}

test('jobs: contiguous (neuron, seed) ranges in run order covering the run once; empty shards when n exceeds the jobs', () => {
  const all = evolveJobs([4, 1, 7], 2);
  assert.equal(all.map((j) => `${j.neuron}/${j.seed}`), ['4/0', '4/1', '1/0', '1/1', '7/0', '7/1']);
  const parts = (n: number) => Array.from({ length: n }, (_, k) => evolveJobs([4, 1, 7], 2, { k, n }));
  assert.equal(parts(4).map((p) => p.length), [1, 2, 1, 2]);
  for (const n of [1, 2, 4, 6, 9]) assert.equal(parts(n).flat(), all, `${n} shards`);
  assert.ok(parts(9).some((p) => p.length === 0));
});

test('sharded == unsharded byte for byte (2 shards; 3 shards with an empty one), batch 7 on WebGPU with noise', async () => {
  const be = await gpu();
  const cases = [{ neurons: [0, 1, 4], seeds: 2, n: 2 }, { neurons: [3, 2], seeds: 1, n: 3 }];
  for (const c of cases) {
    const tag = `${c.neurons.join('-')}x${c.seeds}-${c.n}`;
    const single = join(tmp, `single-${tag}`);
    const run = { neurons: c.neurons, seeds: c.seeds, generations: 6, batch: 7, noise: 0.2, record: true };
    await tinyRun({ ...run, out: single }, be);
    const shards: string[] = [];
    for (let k = 0; k < c.n; k++) {
      const out = join(tmp, `shard-${tag}-${k}`);
      const r = await tinyRun({ ...run, out, shard: { k, n: c.n } }, be);
      assert.ok(r.complete);
      shards.push(out);
    }
    if (c.n === 3) assert.not.ok(existsSync(join(shards[0], 'n3')), 'shard 0 of 3 over 2 jobs is empty');
    const merged = join(tmp, `merged-${tag}`);
    const m = mergeEvolveShards([...shards].reverse(), merged);
    assert.equal(m, { shards: c.n, jobs: c.neurons.length * c.seeds, threads: c.neurons.length * c.seeds * 2 });
    assertSameFiles(single, merged);
    const rec = JSON.parse(readFileSync(join(merged, 'run.json'), 'utf8'));
    const one = JSON.parse(readFileSync(join(single, 'run.json'), 'utf8'));
    assert.is(rec.shard, null);
    assert.is(rec.evaluations, one.evaluations, 'evaluations add up to the single run\'s');
    assert.is(rec.threads, one.threads);
    assert.equal(rec.config, one.config);
    // the merged folder is a finished run of the unsharded options
    assert.is(prepareEvolveOutput(merged, one.config), 6);
  }
});

test('merge: a missing shard is named; a shard given twice, or shards of another split, refused; a shard folder is resumed only as that shard', async () => {
  const be = await gpu();
  const run = { neurons: [0, 2, 4], seeds: 1, generations: 2, batch: 5, record: true };
  const s = (k: number, n: number) => join(tmp, `m-${k}-${n}`);
  for (const k of [0, 1, 2]) await tinyRun({ ...run, out: s(k, 3), shard: { k, n: 3 } }, be);
  await tinyRun({ ...run, out: s(0, 2), shard: { k: 0, n: 2 } }, be);
  assert.throws(() => mergeEvolveShards([s(0, 3), s(2, 3)], join(tmp, 'm-out')), /shard 1\/3 missing: give all 3 shard folders/);
  assert.throws(() => mergeEvolveShards([s(0, 3), s(1, 3), s(1, 3)], join(tmp, 'm-out')), /shard 1\/3 is given twice/);
  assert.throws(() => mergeEvolveShards([s(0, 3), s(1, 3), s(0, 2)], join(tmp, 'm-out')), /these are not shards of one run/);
  assert.not.ok(existsSync(join(tmp, 'm-out')), 'nothing written by a refused merge');
  const config = { test: 'tiny', optimizer: 'cholcma', pop: 6, generations: 2, neurons: [0, 2, 4], noise: 0 };
  assert.throws(() => prepareEvolveOutput(s(1, 3), shardConfig(config, { k: 2, n: 3 })), /--shard: done with 1\/3, asked 2\/3/);
  assert.is(prepareEvolveOutput(s(1, 3), shardConfig(config, { k: 1, n: 3 })), 2);
});

test.run();
