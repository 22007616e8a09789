// `dualneuron evolve --shard k/n` + `dualneuron merge` on the real V1 twin (../shared; skipped without it): the
// merged shards equal the single run byte for byte in every file but run.json (the oracle: the single run). The
// single run's generation 0 leaves one image alone in its last forward chunk (6 threads, --batch 5), which the
// shards do not: this checks that a job's scores do not depend on how a generation is split into forward passes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cli } from '../helpers/cli.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';

const test = suite('cli evolve shards');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-evolve-shard-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d).sort()) { const p = join(d, e); if (statSync(p).isDirectory()) walk(p); else if (e !== 'run.json' && !e.startsWith('.dualneuron')) out.push(relative(dir, p)); } };
  walk(dir);
  return out;
}

withUpstream(test)('real V1 twin: 2 shards and 3 shards (one empty) merged == the single run byte for byte; a missing shard named', () => {
  const home = upstreamWeightsHome();
  const args = (neurons: string, out: string, extra: string[] = []) => ['evolve', '--model', 'v1', '--members', '1', '--neurons', neurons, '--spaces', 'pixel,fourier',
    '--generations', '3', '--pop', '4', '--batch', '5', '--noise', '0.2', '--weights-dir', home, '--out', out, ...extra];
  for (const { neurons, n } of [{ neurons: '0,3,5', n: 2 }, { neurons: '7,2', n: 3 }]) {
    const tag = `${neurons.replace(/,/g, '-')}-${n}`;
    const single = join(tmp, `single-${tag}`);
    let r = cli(args(neurons, single));
    assert.is(r.status, 0, r.stderr);
    const shards = Array.from({ length: n }, (_, k) => join(tmp, `shard-${tag}-${k}`));
    for (let k = 0; k < n; k++) {
      r = cli(args(neurons, shards[k], ['--shard', `${k}/${n}`]));
      assert.is(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`shard ${k}/${n}`));
    }
    if (n === 3) {
      assert.is(JSON.parse(readFileSync(join(shards[0], 'run.json'), 'utf8')).jobs, 0, 'shard 0 of 3 over 2 jobs is empty');
      r = cli(['merge', shards[0], shards[2], '--out', join(tmp, `never-${tag}`)]);
      assert.is(r.status, 1);
      assert.match(r.stderr, /shard 1\/3 missing: give all 3 shard folders/);
      assert.not.ok(existsSync(join(tmp, `never-${tag}`, 'state.json')));
    }
    const merged = join(tmp, `merged-${tag}`);
    r = cli(['merge', ...shards, '--out', merged]);
    assert.is(r.status, 0, r.stderr);
    const a = files(single), b = files(merged);
    assert.ok(a.includes('state.json') && a.some((f) => f.endsWith('scores.npy')), 'the single run wrote its files');
    assert.equal(b, a, 'the merged folder holds the files of the single run');
    for (const f of a) assert.ok(readFileSync(join(single, f)).equals(readFileSync(join(merged, f))), `${f} differs from the single run`);
    // the merged folder is the finished run: the single run's command finds nothing to do there
    r = cli(args(neurons, merged));
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /already holds the finished run/);
  }
});

test.run();
