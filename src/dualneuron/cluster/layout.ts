// The folder of a cluster run (`dualneuron cluster slurm --out DIR`):
//   DIR/cluster.json          what was submitted: the command, its arguments, the shard count, sbatch options, job ids
//   DIR/slurm/array.sh        the array job script (task k runs shard k/N), DIR/slurm/merge.sh the dependent merge job
//   DIR/slurm/logs/           Slurm's output of every task (shard_K.out) and of the merge (merge_JOBID.out)
//   DIR/slurm/state/          shard_K.started (the task's job id) and shard_K.exit (its exit status), written by array.sh
//   DIR/shards/shard_KKK/     the --out of shard K
//   DIR/merged/               the merged outputs (what a single run would have written)
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';

/** The commands that take --shard k/n and whose shards `dualneuron merge` combines. */
export const SHARDABLE = ['screen', 'poles', 'evolve'] as const;
export type Shardable = (typeof SHARDABLE)[number];

export interface SbatchOptions {
  partition?: string; account?: string; time?: string; gres?: string; mem?: string; cpusPerTask?: number;
  /** further sbatch flags, each one argument (e.g. --qos=high) */
  extra: string[];
}

export interface Submission { arrayJob: string; mergeJob: string; shards: number[]; at: string }

export interface ClusterRun {
  version: 1;
  command: Shardable;
  /** the command's arguments, without --shard and --out */
  args: string[];
  shards: number;
  /** how a task starts dualneuron: node and the CLI's main.js */
  launcher: string[];
  /** the folder the jobs run in (relative paths in args are relative to it) */
  workdir: string;
  sbatch: SbatchOptions;
  submissions: Submission[];
}

export const clusterFile = (dir: string) => join(dir, 'cluster.json');
export const shardsRoot = (dir: string) => join(dir, 'shards');
export const shardDir = (dir: string, k: number) => join(shardsRoot(dir), `shard_${String(k).padStart(3, '0')}`);
export const mergedDir = (dir: string) => join(dir, 'merged');
export const stateDir = (dir: string) => join(dir, 'slurm', 'state');
export const stateFile = (dir: string, k: number, what: 'started' | 'exit') => join(stateDir(dir), `shard_${k}.${what}`);

/** The file whose presence says a command finished its outputs in `out` (written last, atomically). */
export function finishedMarker(command: Shardable, out: string): string {
  return join(out, command === 'screen' ? 'screen.json' : 'run.json');
}

export function readClusterRun(dir: string): ClusterRun {
  const p = clusterFile(dir);
  if (!existsSync(p)) throw new InputError(`${dir} is not a cluster run folder (no cluster.json); give the --out of \`dualneuron cluster slurm\``);
  try {
    const r = JSON.parse(readFileSync(p, 'utf8')) as ClusterRun;
    if (r.version !== 1 || !(SHARDABLE as readonly string[]).includes(r.command) || !(r.shards >= 1)) throw new Error('unknown layout');
    return r;
  } catch (e) {
    throw new InputError(`cannot read ${p}: ${(e as Error).message} (written by another version of dualneuron?)`);
  }
}

export function writeClusterRun(dir: string, r: ClusterRun): void {
  writeFileAtomic(clusterFile(dir), JSON.stringify(r, null, 1) + '\n');
}
