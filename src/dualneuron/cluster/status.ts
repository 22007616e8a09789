// The state of each shard of a cluster run, read from its outputs first (a shard is done when its command wrote
// its finished marker), then from Slurm's queue (pending, running), then from the markers array.sh leaves
// (started without an exit status: killed, cancelled or timed out; a non-zero exit status: failed).
import { existsSync, readFileSync } from 'node:fs';
import { finishedMarker, mergedDir, shardDir, stateFile, type ClusterRun } from './layout.js';

export type ShardState = 'done' | 'pending' | 'running' | 'failed' | 'missing';

export interface ShardStatus { shard: number; state: ShardState; detail: string }
export interface RunStatus { shards: ShardStatus[]; merge: { state: 'done' | 'pending' | 'running' | 'not done'; detail: string } }

const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8').trim() : null);

/** `queue`: squeue's states by job id ("123" or "123_4"), or null when squeue cannot be asked. */
export function runStatus(dir: string, r: ClusterRun, queue: Map<string, string> | null): RunStatus {
  const last = r.submissions.at(-1);
  const shards: ShardStatus[] = [];
  for (let k = 0; k < r.shards; k++) {
    const out = shardDir(dir, k);
    if (existsSync(finishedMarker(r.command, out))) { shards.push({ shard: k, state: 'done', detail: out }); continue; }
    // the latest submission that ran this shard
    const sub = [...r.submissions].reverse().find((s) => s.shards.includes(k));
    const q = sub && queue ? queue.get(`${sub.arrayJob}_${k}`) : undefined; // squeue -r lists each array task as job_task
    if (q === 'PENDING' || q === 'CONFIGURING') { shards.push({ shard: k, state: 'pending', detail: `job ${sub!.arrayJob}_${k} ${q}` }); continue; }
    if (q === 'RUNNING' || q === 'COMPLETING') { shards.push({ shard: k, state: 'running', detail: `job ${sub!.arrayJob}_${k} ${q}` }); continue; }
    const started = read(stateFile(dir, k, 'started')), exit = read(stateFile(dir, k, 'exit'));
    const log = `see ${dir}/slurm/logs/shard_${k}.out`;
    if (exit !== null) shards.push({ shard: k, state: 'failed', detail: exit === '0' ? `exited 0 without finished outputs; ${log}` : `exit status ${exit}; ${log}` });
    else if (started !== null) {
      shards.push(queue === null
        ? { shard: k, state: 'running', detail: `job ${started} started, no exit status yet (squeue is not available to confirm it is still running)` }
        : { shard: k, state: 'failed', detail: `job ${started} started and left the queue without an exit status (cancelled, killed, timed out or its node failed); ${log}` });
    } else shards.push({ shard: k, state: 'missing', detail: sub && q ? `job ${sub.arrayJob}_${k} ${q}` : 'no output and not in the queue' });
  }
  let merge: RunStatus['merge'];
  if (existsSync(finishedMarker(r.command, mergedDir(dir)))) merge = { state: 'done', detail: mergedDir(dir) };
  else {
    const q = last && queue ? queue.get(last.mergeJob) : undefined;
    merge = q === 'RUNNING' || q === 'COMPLETING' ? { state: 'running', detail: `job ${last!.mergeJob}` }
      : q ? { state: 'pending', detail: `job ${last!.mergeJob} ${q}` }
      : { state: 'not done', detail: last ? mergeGone(dir, last.mergeJob) : 'never submitted' };
  }
  return { shards, merge };
}

/** A merge job that left the queue without merging: it failed (its log says why), or Slurm cancelled it when a shard failed. */
function mergeGone(dir: string, job: string): string {
  const log = `${dir}/slurm/logs/merge_${job}.out`;
  return existsSync(log) ? `job ${job} ended without merging; see ${log}` : `job ${job} never ran (Slurm cancels it when a shard fails); resubmit with --resubmit-failed`;
}
