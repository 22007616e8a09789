// `poles --shard k/n` and `merge` of poles folders. A run's results (neuron, seed, pole) are split into n
// contiguous, batch-aligned parts. Each result draws its streams from its own (seed, pole) (see poles.ts) and is
// optimised in the same batch as in the whole run, so a shard computes exactly the bytes the whole run would;
// merging copies the results, draws the poles figure of a pair whose two poles were in different shards, and
// writes one run.json.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { checkShardSet, copyFolderAtomic, isCommandFolder, mergedRunRecord } from '../shard-merge.js';
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

/** A poles folder (not a screening output): one with a run.json written by `poles`. */
export const isPolesFolder = (dir: string): boolean => isCommandFolder(dir, 'poles');

export interface PolesMerge { shards: number; results: number }

/**
 * Combines the n shard folders of one `poles --shard k/n` run into `out`: every shard present once, each with
 * all its results finished, all made with the same options (done.json's configHash), no result in two shards.
 */
export function mergePolesShards(dirs: string[], out: string): PolesMerge {
  const runs = checkShardSet(dirs, 'poles', 'results');
  const n = runs[0].run.shard!.n, total = runs[0].run.jobsTotal!;
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
    for (const part of whole ? [rel] : poles.map((p) => join(rel, p))) copyFolderAtomic(join(src, part), join(out, part));
    if (!whole) split.push({ neuron, seed, dir: join(out, rel) });
  }
  // the figure each shard could not draw, from the merged pair (as runPoles draws it once both poles are done)
  for (const { neuron, seed, dir } of split) {
    const a = readNpy(join(dir, poles0(dir), 'image.npy'));
    const [C, H, W] = a.shape.length === 3 ? a.shape : [1, ...a.shape];
    writePolesFigureIfComplete(out, neuron, seed, C, H === W ? H : [H, W]);
  }
  const record = mergedRunRecord(runs, ['computed']);
  writeFileAtomic(join(out, 'run.json'), JSON.stringify(record, null, 1) + '\n');
  return { shards: n, results: total };
}
