// The two batch scripts of a cluster run: an array job whose task k runs shard k/N of the command, and a merge
// job (submitted with --dependency=afterok on the array) that runs `dualneuron merge` (and `stats` for a screen).
// Pure text generation: nothing here runs sbatch or touches files.
import { join } from 'node:path';
import { finishedMarker, mergedDir, shardDir, shardsRoot, stateDir, type ClusterRun } from './layout.js';

/** One argument for bash, single-quoted (a ' inside becomes '\''). */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function sbatchLines(r: ClusterRun, name: string, output: string): string[] {
  const s = r.sbatch;
  const lines = [`--job-name=${name}`, `--output=${output}`, `--chdir=${r.workdir}`];
  if (s.partition) lines.push(`--partition=${s.partition}`);
  if (s.account) lines.push(`--account=${s.account}`);
  if (s.time) lines.push(`--time=${s.time}`);
  if (s.gres) lines.push(`--gres=${s.gres}`);
  if (s.mem) lines.push(`--mem=${s.mem}`);
  if (s.cpusPerTask) lines.push(`--cpus-per-task=${s.cpusPerTask}`);
  lines.push(...s.extra);
  return lines.map((l) => `#SBATCH ${shq(l)}`);
}

/** The array script: task k runs `dualneuron <command> <args> --shard k/N --out DIR/shards/shard_KKK`. */
export function arrayScript(dir: string, r: ClusterRun): string {
  const launcher = r.launcher.map(shq).join(' ');
  const state = shq(stateDir(dir));
  return [
    '#!/bin/bash',
    ...sbatchLines(r, `dn-${r.command}`, join(dir, 'slurm', 'logs', 'shard_%a.out')),
    `# dualneuron cluster slurm: shard $SLURM_ARRAY_TASK_ID of ${r.shards} of \`dualneuron ${r.command}\`, written to ${join(dir, 'shards')}`,
    'set -u',
    'k=$SLURM_ARRAY_TASK_ID',
    `out=${shq(shardsRoot(dir))}/shard_$(printf %03d "$k")`,
    `mkdir -p ${state}`,
    `echo "$SLURM_ARRAY_JOB_ID"_"$k" > ${state}/"shard_$k.started"`,
    `rm -f ${state}/"shard_$k.exit"`,
    // Slurm runs one task k at a time (cluster slurm never resubmits a queued shard), so a lock left in the shard
    // folder by a killed task, perhaps on another node, is stale: without this the rerun would refuse the folder
    'mkdir -p "$out" && rm -f "$out/.dualneuron.lock"',
    `${launcher} ${r.command} ${r.args.map(shq).join(' ')} --shard "$k/${r.shards}" --out "$out"`,
    'rc=$?',
    `echo "$rc" > ${state}/"shard_$k.exit"`,
    'exit "$rc"',
    '',
  ].join('\n');
}

/** The merge script: `dualneuron merge` of every shard into DIR/merged, then `stats` of a screen. */
export function mergeScript(dir: string, r: ClusterRun): string {
  const launcher = r.launcher.map(shq).join(' ');
  const shards = Array.from({ length: r.shards }, (_, k) => shq(shardDir(dir, k)));
  const lines = [
    '#!/bin/bash',
    ...sbatchLines(r, `dn-${r.command}-merge`, join(dir, 'slurm', 'logs', 'merge_%j.out')),
    `# dualneuron cluster slurm: combines the ${r.shards} shards into ${mergedDir(dir)}`,
    'set -eu',
    `${launcher} merge ${shards.join(' ')} --out ${shq(mergedDir(dir))}`,
  ];
  if (r.command === 'screen') lines.push(`${launcher} stats ${shq(mergedDir(dir))}`);
  lines.push(`test -f ${shq(finishedMarker(r.command, mergedDir(dir)))}`, '');
  return lines.join('\n');
}
