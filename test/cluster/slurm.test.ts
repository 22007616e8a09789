// `dualneuron cluster slurm` against a real (local, single-node) Slurm: a 3-shard screen (one task cancelled
// with scancel, then --resubmit-failed), a 2-shard poles run and a 2-shard evolve run, each merged by the dependent job and compared
// byte for byte with the single-machine run of the same command (the oracle: the unsharded run). Plus the
// batch-aligned split of poles jobs and the errors that need no Slurm.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cli } from '../helpers/cli.js';
import { upstreamDir } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { slurmEnv, withSlurm } from '../helpers/slurm.js';
import { shardJobs } from '../../src/dualneuron/synthesis/poles-shard.js';
import type { Job } from '../../src/dualneuron/synthesis/poles.js';

const test = suite('cluster slurm');

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      // run.json records times and the host; a lock is the writer's
      else if (e !== 'run.json' && !e.startsWith('.')) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

function assertSameFiles(single: string, merged: string): void {
  const a = files(single), b = files(merged);
  assert.equal(b, a, 'the merged folder holds the files of the single run');
  for (const f of a) assert.ok(readFileSync(join(single, f)).equals(readFileSync(join(merged, f))), `${f} differs from the single run`);
}

function queued(env: Record<string, string>): string[] {
  const r = spawnSync('squeue', ['-h', '-r', '-o', '%i'], { encoding: 'utf8', env: { ...process.env, ...env } });
  return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

/** Waits until Slurm lists none of the jobs (they finished, failed or were cancelled). */
async function waitQueueEmpty(env: Record<string, string>, timeoutS = 420): Promise<void> {
  const end = Date.now() + timeoutS * 1000;
  while (queued(env).length) {
    if (Date.now() > end) throw new Error(`jobs still queued after ${timeoutS} s: ${queued(env).join(' ')}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const jobIds = (stdout: string) => {
  const m = /submitted array job ([0-9]+) .* merge job ([0-9]+)/.exec(stdout);
  assert.ok(m, `job ids in: ${stdout}`);
  return { array: m![1], merge: m![2] };
};

test('poles shards: contiguous whole batches covering the run, empty shards allowed', () => {
  const jobs: Job[] = Array.from({ length: 10 }, (_, i) => ({ neuron: i >> 1, seed: 0n, pole: i % 2 ? 'most' : 'least' }));
  // 10 jobs in batches of 3: batches {0-2} {3-5} {6-8} {9}; 3 shards take 1, 1 and 2 of the 4 batches
  const idx = (k: number, n: number, b: number) => shardJobs(jobs, { k, n }, b).map((j) => jobs.indexOf(j));
  assert.equal(idx(0, 3, 3), [0, 1, 2]);
  assert.equal(idx(1, 3, 3), [3, 4, 5]);
  assert.equal(idx(2, 3, 3), [6, 7, 8, 9]);
  // more shards than batches: some empty, the union still every job once, in order
  const parts = Array.from({ length: 7 }, (_, k) => idx(k, 7, 4));
  assert.ok(parts.some((p) => p.length === 0));
  assert.equal(parts.flat(), jobs.map((_, i) => i));
  for (const p of parts) if (p.length) assert.is(p[0] % 4, 0, `shard starts at a batch boundary: ${p}`);
});

test('errors: no sbatch on PATH, --shard/--out in the command, a command without --shard', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dn-cluster-err-'));
  try {
    let r = cli(['cluster', 'slurm', '--shards', '2', '--out', join(tmp, 'a'), '--', 'screen', '--model', 'v1', '--images', tmp], { PATH: '/nonexistent' });
    assert.is(r.status, 1);
    assert.match(r.stderr, /sbatch is not on PATH/);
    assert.match(r.stderr, /apt-get install slurm-client/);
    assert.match(r.stderr, /--dry-run/);
    r = cli(['cluster', 'slurm', '--shards', '2', '--out', join(tmp, 'b'), '--', 'screen', '--images', tmp, '--out', 'x']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /cluster slurm sets --out/);
    r = cli(['cluster', 'slurm', '--shards', '2', '--out', join(tmp, 'c'), '--', 'synthesize', '--model', 'v1']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /'synthesize' cannot run sharded; cluster slurm runs screen or poles or evolve/);
    // evolve is sharded as the others: task k runs evolve --shard k/N, the merge job merges its shard folders
    r = cli(['cluster', 'slurm', '--shards', '2', '--out', join(tmp, 'e'), '--dry-run', '--', 'evolve', '--model', 'v1', '--neurons', '0-3', '--spaces', 'pixel', '--generations', '5'], { PATH: '/nonexistent' });
    assert.is(r.status, 0, r.stderr);
    for (const s of [' evolve --model v1 --neurons 0-3 --spaces pixel --generations 5 --shard "$k/2"', '--array=0-1', '--dependency=afterok:', ' merge ']) assert.ok(r.stdout.includes(s), `dry run shows ${s}:\n${r.stdout}`);
    assert.not.ok(r.stdout.includes(' stats '), 'stats is for screens');
    // --dry-run needs no Slurm: both scripts, the array range and the dependency
    r = cli(['cluster', 'slurm', '--shards', '3', '--out', join(tmp, 'd'), '--partition', 'gpu', '--gres', 'gpu:1', '--time', '1:00:00', '--mem', '8G', '--sbatch-flag=--qos=high', '--dry-run', '--', 'screen', '--model', 'v1', '--images', tmp], { PATH: '/nonexistent' });
    assert.is(r.status, 0, r.stderr);
    for (const s of ['#SBATCH --partition=gpu', '#SBATCH --gres=gpu:1', '#SBATCH --time=1:00:00', '#SBATCH --mem=8G', '#SBATCH --qos=high', '--shard "$k/3"', '--array=0-2', '--dependency=afterok:', ' merge ', ' stats ']) assert.ok(r.stdout.includes(s), `dry run shows ${s}:\n${r.stdout}`);
    assert.not.ok(existsSync(join(tmp, 'd', 'cluster.json')), 'a dry run submits nothing');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const slurmTest = withSlurm(test, upstreamDir() !== null, 'upstream data not found (set DUALNEURON_UPSTREAM or provide ../shared/upstream/dualneuron)');

slurmTest('3-shard screen on Slurm: scancel of one task, cluster status, --resubmit-failed; merged == single run', async () => {
  const env = slurmEnv();
  const home = upstreamWeightsHome();
  const tmp = mkdtempSync(join(tmpdir(), 'dn-cluster-screen-'));
  try {
    const imgs = join(tmp, 'imgs');
    assert.is(cli(['render', '--count', '9', '--size', '48', '--out', imgs]).status, 0);
    const args = ['screen', '--model', 'v1', '--images', imgs, '--batch', '3', '--weights-dir', home];
    const single = cli([...args, '--out', join(tmp, 'single')]);
    assert.is(single.status, 0, single.stderr);
    const run = join(tmp, 'run');
    let r = cli(['cluster', 'slurm', '--shards', '3', '--out', run, '--', ...args], env);
    assert.is(r.status, 0, r.stderr);
    const ids = jobIds(r.stdout);
    // two CPUs: tasks 0 and 1 start, task 2 waits; cancel it
    spawnSync('scancel', [`${ids.array}_2`], { env: { ...process.env, ...env } });
    await waitQueueEmpty(env);
    r = cli(['cluster', 'status', run], env);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /shard +0 +done/);
    assert.match(r.stdout, /shard +1 +done/);
    assert.match(r.stdout, /shard +2 +(failed|missing)/);
    assert.match(r.stdout, /merge +not done/);
    r = cli(['cluster', 'slurm', '--resubmit-failed', run], env);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /shards 2 of 3/);
    await waitQueueEmpty(env);
    r = cli(['cluster', 'status', run], env);
    assert.match(r.stdout, /3 done/, r.stdout);
    assert.match(r.stdout, /merge +done/, r.stdout);
    assertSameFiles(join(tmp, 'single'), join(run, 'merged'));
    // the merge job printed the stats of the merged screen
    const log = readdirSync(join(run, 'slurm', 'logs')).filter((f) => f.startsWith('merge_')).map((f) => readFileSync(join(run, 'slurm', 'logs', f), 'utf8')).join('');
    assert.match(log, /458 units, [0-9]+ active/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

/** Runs `args` on this machine and as a 2-shard array through `cluster slurm`; the merged folder must equal the single one. Returns the merged run.json. */
async function singleVsTwoShards<T>(prefix: string, args: string[]): Promise<T> {
  const env = slurmEnv();
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  try {
    const single = cli([...args, '--out', join(tmp, 'single')]);
    assert.is(single.status, 0, single.stderr);
    const run = join(tmp, 'run');
    const r = cli(['cluster', 'slurm', '--shards', '2', '--out', run, '--', ...args], env);
    assert.is(r.status, 0, r.stderr);
    await waitQueueEmpty(env);
    assert.ok(existsSync(join(run, 'merged', 'run.json')), readdirSync(join(run, 'slurm', 'logs')).map((f) => readFileSync(join(run, 'slurm', 'logs', f), 'utf8')).join('\n'));
    assertSameFiles(join(tmp, 'single'), join(run, 'merged'));
    return JSON.parse(readFileSync(join(run, 'merged', 'run.json'), 'utf8')) as T;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

slurmTest('2-shard poles on Slurm (a pair split across shards); merged == single run', async () => {
  // 4 results in batches of 3: shard 0 holds neuron 0 and neuron 1's LEI, shard 1 neuron 1's MEI
  const args = ['poles', '--model', 'v1', '--neurons', '0-1', '--steps', '2', '--crops', '1', '--oversample', '1', '--batch', '3', '--weights-dir', upstreamWeightsHome()];
  const rec = await singleVsTwoShards<{ jobs: number; merged: { shards: number } }>('dn-cluster-poles-', args);
  assert.is(rec.jobs, 4);
  assert.is(rec.merged.shards, 2);
});

slurmTest('2-shard evolve on Slurm; merged == single run', async () => {
  // 3 (neuron, seed) jobs: shard 0 holds neuron 0, shard 1 neurons 3 and 5
  const args = ['evolve', '--model', 'v1', '--members', '1', '--neurons', '0,3,5', '--spaces', 'pixel,fourier', '--generations', '3', '--pop', '4', '--batch', '5', '--weights-dir', upstreamWeightsHome()];
  const rec = await singleVsTwoShards<{ jobs: number; threads: number; merged: { shards: number } }>('dn-cluster-evolve-', args);
  assert.is(rec.jobs, 3);
  assert.is(rec.threads, 6);
  assert.is(rec.merged.shards, 2);
});

test.run();
