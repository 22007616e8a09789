// `evolve --shard k/n` and `merge` of evolve shard folders. A run's jobs are its (neuron, seed) pairs in run order
// (neurons as given, then seeds), each with all its spaces' threads; shard k computes the k-th of n contiguous,
// near-equal ranges of them (empty when n exceeds the jobs). A thread's optimiser and noise are seeded from
// (neuron, seed, space) alone, and the twin scores each image on its own (no image's score depends on which images
// share its forward pass: tested byte for byte on WebGPU), so a shard writes exactly the bytes the whole run writes
// for its jobs. Merging copies the seed folders, writes the state.json of the whole run and one run.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FormatError, InputError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { configHash, type ResultConfig } from '../result-config.js';
import { checkShardSet, copyFolderAtomic, isCommandFolder, mergedRunRecord } from '../shard-merge.js';
import type { ShardSpec } from '../screening/screen.js';
import { STATE_VERSION, threadDir, writeEvolveState, type EvolveState } from './runner.js';

/** one job of a run: a (neuron, seed) pair, evolved in every space of the run */
export interface EvolveJob { neuron: number; seed: number }

/** The option a shard adds to its run's configuration (so a shard folder is resumed only as the same shard). */
export const SHARD_OPTION = '--shard';

/** The (neuron, seed) jobs of a run in run order, or of shard k of n: the k-th of n contiguous near-equal ranges. */
export function evolveJobs(neurons: readonly number[], seeds: number, shard?: ShardSpec): EvolveJob[] {
  const all = neurons.flatMap((neuron) => Array.from({ length: seeds }, (_, seed) => ({ neuron, seed })));
  if (!shard) return all;
  const T = all.length;
  return all.slice(Math.floor((shard.k * T) / shard.n), Math.floor(((shard.k + 1) * T) / shard.n));
}

/** A shard's configuration: the run's with --shard k/n added last (merge takes it out again). */
export function shardConfig(config: ResultConfig, shard: ShardSpec | undefined): ResultConfig {
  return shard ? { ...config, [SHARD_OPTION]: `${shard.k}/${shard.n}` } : config;
}

/** A run's part: its (neuron, seed) jobs, the run's job count and the shard (recorded in run.json for `merge`). */
export function shardPart(neurons: readonly number[], seeds: number, shard: ShardSpec | undefined): { shard: ShardSpec | undefined; jobs: EvolveJob[]; jobsTotal: number } {
  return { shard, jobs: evolveJobs(neurons, seeds, shard), jobsTotal: neurons.length * seeds };
}

/** What run.json records of a shard: its part and the whole run's size, which `merge` checks for completeness. */
export function shardRecord(p: { shard: ShardSpec | undefined; jobs: EvolveJob[]; jobsTotal: number }): Record<string, unknown> {
  return p.shard ? { shard: p.shard, jobs: p.jobs.length, jobsTotal: p.jobsTotal } : {};
}

/** An evolve output folder (one with a run.json written by `evolve`). */
export const isEvolveFolder = (dir: string): boolean => isCommandFolder(dir, 'evolve');

function readState(dir: string): EvolveState {
  const p = join(dir, 'state.json');
  if (!existsSync(p)) throw new InputError(`${dir} has a run.json but no state.json; rerun that shard's \`dualneuron evolve --shard\` command`);
  try { return JSON.parse(readFileSync(p, 'utf8')) as EvolveState; } catch (e) { throw new FormatError(`${p}: not valid JSON (${(e as Error).message}); rerun that shard with --overwrite`); }
}

export interface EvolveMerge { shards: number; jobs: number; threads: number }

/**
 * Combines the n shard folders of one `evolve --shard k/n` run into `out`: every shard present once and finished,
 * all made with the same options and generations, no (neuron, seed) job in two shards, all jobs present.
 */
export function mergeEvolveShards(dirs: string[], out: string): EvolveMerge {
  const runs = checkShardSet(dirs, 'evolve', '(neuron, seed) jobs');
  const n = runs[0].run.shard!.n, total = runs[0].run.jobsTotal!;
  let base: ResultConfig | undefined, hash = '', generations = -1;
  const threads: EvolveState['threads'] = {};
  const jobs = new Map<string, string>();
  const copies: { src: string; dest: string }[] = [];
  for (const { dir, run } of runs) {
    const s = readState(dir);
    if (s.version !== STATE_VERSION || typeof s.options !== 'object' || s.options === null) throw new FormatError(`${join(dir, 'state.json')} is not an evolution checkpoint of this version; rerun that shard with --overwrite`);
    const shard = `${run.shard!.k}/${run.shard!.n}`;
    if (s.options[SHARD_OPTION] !== shard) throw new InputError(`${join(dir, 'state.json')} was made as shard ${String(s.options[SHARD_OPTION] ?? 'none')}, its run.json says ${shard}; rerun that shard`);
    const rest = { ...s.options };
    delete rest[SHARD_OPTION];
    const h = configHash(rest);
    if (base === undefined) { base = rest; hash = h; generations = s.generationsDone; }
    if (h !== hash) throw new InputError(`${dir} was made with other options than ${runs[0].dir}; rerun that shard with the same options`);
    if (s.generationsDone !== generations) throw new InputError(`${dir} holds ${s.generationsDone} generations, ${runs[0].dir} ${generations}; resume the shorter shard`);
    const mine = new Set<string>();
    for (const [key, t] of Object.entries(s.threads)) {
      const [neuron, seed] = key.split('/').map(Number);
      const job = `neuron ${neuron}, seed ${seed}`;
      if (!mine.has(job)) {
        if (jobs.has(job)) throw new InputError(`${job} is in two shards: ${jobs.get(job)} and ${dir}`);
        jobs.set(job, dir);
        mine.add(job);
        const rel = dirname(threadDir('', neuron, seed, 'x'));
        copies.push({ src: join(dir, rel), dest: join(out, rel) });
      }
      threads[key] = t;
    }
    if (mine.size !== run.jobs) throw new InputError(`${dir} holds ${mine.size} (neuron, seed) jobs; its run.json says the shard has ${run.jobs}`);
  }
  if (jobs.size !== total) throw new InputError(`the shards hold ${jobs.size} (neuron, seed) jobs; the run has ${total}`);
  ensureDir(out);
  for (const { src, dest } of copies) {
    if (!existsSync(src)) throw new InputError(`${src} is missing: its shard's state.json lists it; rerun that shard with --overwrite`);
    copyFolderAtomic(src, dest);
  }
  // the checkpoint of the whole run: its options (no --shard) and every thread in run order (shards are
  // contiguous ranges of it, read in shard order), so `evolve` finds the merged folder finished
  writeEvolveState(out, { version: STATE_VERSION, optionsHash: hash, options: base!, generationsDone: generations, threads });
  const record = { ...mergedRunRecord(runs, ['evaluations', 'threads']), config: base };
  writeFileAtomic(join(out, 'run.json'), JSON.stringify(record, null, 1) + '\n');
  return { shards: n, jobs: total, threads: Object.keys(threads).length };
}
