// `poles --shard k/n` and `merge` of poles folders. A run's results (neuron, seed, pole) are split into n
// contiguous, batch-aligned parts. Each result draws its streams from its own (seed, pole) (see poles.ts) and is
// optimised in the same batch as in the whole run, so a shard computes exactly the bytes the whole run would;
// merging copies the results, draws the poles figure of a pair whose two poles were in different shards, and
// writes one run.json.
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { ensureDir, tempNameFor, writeFileAtomic } from '../../io/atomic.js';
import { scanPolesFolder } from './poles-folder.js';
import { writePolesFigureIfComplete, type Job, type Pole } from './poles.js';
import { readNpy } from '../../io/npy.js';

const poles0 = (dir: string) => (existsSync(join(dir, 'least')) ? 'least' : 'most');
import type { ShardSpec } from '../screening/screen.js';

/**
 * The jobs of shard k of n: the k-th of n contiguous, near-equal ranges of the run's batches (`batch` jobs each,
 * in job order), so every batch a shard optimises is one the whole run optimises: the GPU's float32 sums differ
 * in their last bits with the batch's composition (1e-7 in the activation traces), so only batch-aligned shards
 * give the bytes of one run. With an even --batch both poles of a (neuron, seed) pair stay in one shard.
 */
export function shardJobs(jobs: Job[], s: ShardSpec, batch: number): Job[] {
  const B = Math.ceil(jobs.length / batch);
  const lo = Math.floor((s.k * B) / s.n), hi = Math.floor(((s.k + 1) * B) / s.n);
  return jobs.slice(lo * batch, Math.min(hi * batch, jobs.length));
}

/** What a shard's run.json says about its part of the run (written by `poles --shard`). */
interface ShardRun { command?: string; shard?: ShardSpec | null; jobs?: number; jobsTotal?: number; computed?: number; wallSeconds?: number; startedAt?: string; finishedAt?: string; [k: string]: unknown }

/** A poles folder (not a screening output): one with a run.json written by `poles`. */
export function isPolesFolder(dir: string): boolean {
  const p = join(dir, 'run.json');
  if (!existsSync(p) || existsSync(join(dir, 'screen.json'))) return false;
  try { return (JSON.parse(readFileSync(p, 'utf8')) as ShardRun).command === 'poles'; } catch { return false; }
}

function readShardRun(dir: string): ShardRun {
  const p = join(dir, 'run.json');
  if (!existsSync(p)) throw new InputError(`${dir} is not a finished poles shard (no run.json); finish or resume it (rerun the same \`dualneuron poles --shard\` command) first`);
  let r: ShardRun;
  try { r = JSON.parse(readFileSync(p, 'utf8')) as ShardRun; } catch (e) { throw new InputError(`cannot read ${p}: ${(e as Error).message}`); }
  if (r.command !== 'poles') throw new InputError(`${p} was written by \`${String(r.command)}\`, not \`poles\`; merge combines shards of one command`);
  if (!r.shard || typeof r.jobsTotal !== 'number' || typeof r.jobs !== 'number') throw new InputError(`${dir} is a poles run without --shard; there is nothing to merge`);
  return r;
}

export interface PolesMerge { shards: number; results: number }

/**
 * Combines the n shard folders of one `poles --shard k/n` run into `out`: every shard present once, each with
 * all its results finished, all made with the same options (done.json's configHash), no result in two shards.
 */
export function mergePolesShards(dirs: string[], out: string): PolesMerge {
  const runs = dirs.map((dir) => ({ dir, run: readShardRun(dir) }));
  const n = runs[0].run.shard!.n, total = runs[0].run.jobsTotal!;
  const byK = new Map<number, string>();
  for (const { dir, run } of runs) {
    if (run.shard!.n !== n || run.jobsTotal !== total) throw new InputError(`${dir} is shard ${run.shard!.k}/${run.shard!.n} of a run of ${run.jobsTotal} results; ${runs[0].dir} is of ${n} shards and ${total} results: these are not shards of one run`);
    if (byK.has(run.shard!.k)) throw new InputError(`shard ${run.shard!.k}/${n} is given twice: ${byK.get(run.shard!.k)} and ${dir}`);
    byK.set(run.shard!.k, dir);
  }
  const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !byK.has(k));
  if (missing.length) throw new InputError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} missing: give all ${n} shard folders`);
  const seen = new Map<string, string>();
  let hash: string | undefined;
  const pairs: { src: string; rel: string; poles: Pole[]; neuron: number; seed: bigint }[] = [];
  for (const { dir, run } of runs) {
    const f = scanPolesFolder(dir);
    if (f.unfinished.length) throw new InputError(`${dir} has unfinished results (e.g. ${f.unfinished[0]}); resume that shard first`);
    if (f.results.length !== run.jobs) throw new InputError(`${dir} holds ${f.results.length} finished results; its run.json says the shard has ${run.jobs}`);
    for (const r of f.results) {
      const key = `neuron ${r.neuron}, seed ${r.seed}, ${r.pole}`;
      if (seen.has(key)) throw new InputError(`${key} is in two shards: ${seen.get(key)} and ${dir}`);
      seen.set(key, dir);
      hash ??= r.done.configHash;
      if (r.done.configHash !== hash) throw new InputError(`${r.dir} was made with other options than the other shards' results (configHash ${r.done.configHash} vs ${hash}); rerun that shard with the same options`);
      const rel = join(basename(dirname(dirname(r.dir))), basename(dirname(r.dir)));
      const last = pairs.at(-1);
      if (last && last.rel === rel && last.src === dir) last.poles.push(r.pole);
      else pairs.push({ src: dir, rel, poles: [r.pole], neuron: r.neuron, seed: r.seed });
    }
  }
  if (seen.size !== total) throw new InputError(`the shards hold ${seen.size} results; the run has ${total}`);
  ensureDir(out);
  const split: { neuron: number; seed: bigint; dir: string }[] = [];
  for (const { src, rel, poles, neuron, seed } of pairs) {
    // a (neuron, seed) folder whole when one shard holds both poles, else each pole's folder; each under a
    // temporary name first so a kill never leaves half a folder
    const whole = poles.length === 2;
    for (const part of whole ? [rel] : poles.map((p) => join(rel, p))) {
      const dest = join(out, part);
      ensureDir(dirname(dest));
      const tmp = tempNameFor(dest);
      cpSync(join(src, part), tmp, { recursive: true });
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
    }
    if (!whole) split.push({ neuron, seed, dir: join(out, rel) });
  }
  // the figure each shard could not draw, from the merged pair (as runPoles draws it once both poles are done)
  for (const { neuron, seed, dir } of split) {
    const a = readNpy(join(dir, poles0(dir), 'image.npy'));
    const [C, H, W] = a.shape.length === 3 ? a.shape : [1, ...a.shape];
    writePolesFigureIfComplete(out, neuron, seed, C, H === W ? H : [H, W]);
  }
  const ordered = [...runs].sort((a, b) => a.run.shard!.k - b.run.shard!.k);
  const first = ordered[0].run;
  const record = {
    ...first, shard: null, jobs: total, computed: ordered.reduce((s, r) => s + (r.run.computed ?? 0), 0),
    startedAt: ordered.map((r) => r.run.startedAt ?? '').sort()[0], finishedAt: ordered.map((r) => r.run.finishedAt ?? '').sort().at(-1),
    wallSeconds: ordered.reduce((s, r) => s + (r.run.wallSeconds ?? 0), 0),
    merged: { shards: n, from: ordered.map((r) => r.dir), note: 'wallSeconds: the sum over shards' },
  };
  writeFileAtomic(join(out, 'run.json'), JSON.stringify(record, null, 1) + '\n');
  return { shards: n, results: total };
}
