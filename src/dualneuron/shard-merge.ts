// What `merge` does alike for the shard folders of every command whose results are jobs (poles, evolve): read
// each shard's run.json (written by `<command> --shard k/n`: its part, the whole run's job count), check that the
// folders are exactly the n shards of one run, copy result folders atomically, and combine the run records.
import { cpSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InputError } from '../errors.js';
import { ensureDir, tempNameFor } from '../io/atomic.js';
import type { ShardSpec } from './screening/screen.js';

/** What a shard's run.json says about its part of the run. */
export interface ShardRun { command?: string; shard?: ShardSpec | null; jobs?: number; jobsTotal?: number; computed?: number; wallSeconds?: number; startedAt?: string; finishedAt?: string; [k: string]: unknown }

export interface ShardFolder { dir: string; run: ShardRun }

/** Whether `dir` holds a run.json written by `command` (and is not a screening output). */
export function isCommandFolder(dir: string, command: string): boolean {
  const p = join(dir, 'run.json');
  if (!existsSync(p) || existsSync(join(dir, 'screen.json'))) return false;
  try { return (JSON.parse(readFileSync(p, 'utf8')) as ShardRun).command === command; } catch { return false; }
}

function readShardRun(dir: string, command: string): ShardRun {
  const p = join(dir, 'run.json');
  if (!existsSync(p)) throw new InputError(`${dir} is not a finished ${command} shard (no run.json); finish or resume it (rerun the same \`dualneuron ${command} --shard\` command) first`);
  let r: ShardRun;
  try { r = JSON.parse(readFileSync(p, 'utf8')) as ShardRun; } catch (e) { throw new InputError(`cannot read ${p}: ${(e as Error).message}`); }
  if (r.command !== command) throw new InputError(`${p} was written by \`${String(r.command)}\`, not \`${command}\`; merge combines shards of one command`);
  if (!r.shard || typeof r.jobsTotal !== 'number' || typeof r.jobs !== 'number') throw new InputError(`${dir} is a ${command} run without --shard; there is nothing to merge`);
  return r;
}

/**
 * The shard folders of one `command --shard k/n` run, in shard order, after checking that every shard 0..n-1 is
 * there exactly once and all are of one run (same n, same job count); a missing shard is named.
 */
export function checkShardSet(dirs: string[], command: string, what: string): ShardFolder[] {
  const runs = dirs.map((dir) => ({ dir, run: readShardRun(dir, command) }));
  const n = runs[0].run.shard!.n, total = runs[0].run.jobsTotal!;
  const byK = new Map<number, string>();
  for (const { dir, run } of runs) {
    if (run.shard!.n !== n || run.jobsTotal !== total) throw new InputError(`${dir} is shard ${run.shard!.k}/${run.shard!.n} of a run of ${run.jobsTotal} ${what}; ${runs[0].dir} is of ${n} shards and ${total} ${what}: these are not shards of one run`);
    if (byK.has(run.shard!.k)) throw new InputError(`shard ${run.shard!.k}/${n} is given twice: ${byK.get(run.shard!.k)} and ${dir}`);
    byK.set(run.shard!.k, dir);
  }
  const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !byK.has(k));
  if (missing.length) throw new InputError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${n}`).join(', ')} missing: give all ${n} shard folders`);
  return [...runs].sort((a, b) => a.run.shard!.k - b.run.shard!.k);
}

/** Copies the folder `src` to `dest` under a temporary name first, so a kill never leaves half a folder. */
export function copyFolderAtomic(src: string, dest: string): void {
  ensureDir(dirname(dest));
  const tmp = tempNameFor(dest);
  cpSync(src, tmp, { recursive: true });
  rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
}

/**
 * The run.json of the merged run: shard 0's record with shard null, `jobs` the whole run's, the `sums` fields
 * added over the shards, the earliest start and latest finish, and where it was merged from.
 */
export function mergedRunRecord(ordered: ShardFolder[], sums: string[]): Record<string, unknown> {
  const first = ordered[0].run;
  const added = Object.fromEntries(sums.map((k) => [k, ordered.reduce((s, r) => s + (typeof r.run[k] === 'number' ? (r.run[k] as number) : 0), 0)]));
  return {
    ...first, shard: null, jobs: first.jobsTotal, ...added,
    startedAt: ordered.map((r) => r.run.startedAt ?? '').sort()[0], finishedAt: ordered.map((r) => r.run.finishedAt ?? '').sort().at(-1),
    wallSeconds: ordered.reduce((s, r) => s + (r.run.wallSeconds ?? 0), 0),
    merged: { shards: ordered.length, from: ordered.map((r) => r.dir), note: 'wallSeconds: the sum over shards' },
  };
}
