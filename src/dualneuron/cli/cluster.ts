// `dualneuron cluster slurm` (a sharded screen, poles or evolve run as a Slurm array job plus a dependent merge job) and
// `dualneuron cluster status` (per-shard state from the outputs and the queue).
import { Command, Option } from 'commander';
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { openOutputFolder } from '../output-folder.js';
import { parseIntStrict } from './parse.js';
import { SHARDABLE, readClusterRun, writeClusterRun, stateFile, type ClusterRun, type Shardable, type SbatchOptions } from '../cluster/layout.js';
import { arrayScript, mergeScript } from '../cluster/slurm-scripts.js';
import { queueStates, requireSlurm, sbatch, scancel } from '../cluster/slurm-client.js';
import { runStatus } from '../cluster/status.js';

interface SlurmCli {
  shards?: string; out?: string; partition?: string; account?: string; time?: string; gres?: string; mem?: string;
  cpusPerTask?: string; sbatchFlag: string[]; dryRun?: boolean; resubmitFailed?: string;
}

/** The command to shard and its arguments; --shard and --out are the cluster's to set. */
function parseInner(words: string[]): { command: Shardable; args: string[] } {
  const [command, ...args] = words;
  if (!command) throw new InputError(`give the command to run after '--', e.g. dualneuron cluster slurm --shards 8 --out runs/s -- screen --model v1 --images renders/`);
  if (!(SHARDABLE as readonly string[]).includes(command)) throw new InputError(`'${command}' cannot run sharded; cluster slurm runs ${SHARDABLE.join(' or ')} (the commands with --shard k/n)`);
  for (const a of args) {
    const flag = a.split('=')[0];
    if (flag === '--shard' || flag === '--out') throw new InputError(`${command} ${flag}: cluster slurm sets ${flag} for each shard (the shards go to --out DIR/shards/, the merged outputs to DIR/merged/); leave it out`);
  }
  return { command: command as Shardable, args };
}

function sbatchOptions(o: SlurmCli): SbatchOptions {
  const word = (name: string, v: string | undefined) => {
    if (v !== undefined && !/^[^\s'"\\]+$/.test(v)) throw new InputError(`${name} '${v}': one word without spaces or quotes`);
    return v;
  };
  for (const f of o.sbatchFlag) if (!f.startsWith('-')) throw new InputError(`--sbatch-flag '${f}': give the flag itself, e.g. --sbatch-flag=--qos=high`);
  return {
    partition: word('--partition', o.partition), account: word('--account', o.account), time: word('--time', o.time),
    gres: word('--gres', o.gres), mem: word('--mem', o.mem),
    cpusPerTask: o.cpusPerTask !== undefined ? parseIntStrict('--cpus-per-task', o.cpusPerTask, { min: 1 }) : undefined,
    extra: o.sbatchFlag,
  };
}

const cliMain = () => resolve(dirname(fileURLToPath(import.meta.url)), 'main.js');

function writeScripts(dir: string, r: ClusterRun): { array: string; merge: string } {
  ensureDir(join(dir, 'slurm', 'logs'));
  ensureDir(join(dir, 'slurm', 'state'));
  const array = join(dir, 'slurm', 'array.sh'), merge = join(dir, 'slurm', 'merge.sh');
  writeFileAtomic(array, arrayScript(dir, r));
  writeFileAtomic(merge, mergeScript(dir, r));
  chmodSync(array, 0o755);
  chmodSync(merge, 0o755);
  return { array, merge };
}

/** Submits the array (the given shards) and the merge job after it; records both in cluster.json and prints how to follow them. */
function submit(dir: string, r: ClusterRun, shards: number[], scripts: { array: string; merge: string }): void {
  for (const k of shards) for (const w of ['started', 'exit'] as const) rmSync(stateFile(dir, k, w), { force: true });
  let arrayJob = '';
  if (shards.length) arrayJob = sbatch(scripts.array, [`--array=${shards.join(',')}`]);
  const mergeJob = sbatch(scripts.merge, arrayJob ? [`--dependency=afterok:${arrayJob}`, '--kill-on-invalid-dep=yes'] : []);
  r.submissions.push({ arrayJob, mergeJob, shards, at: new Date().toISOString() });
  writeClusterRun(dir, r);
  if (arrayJob) console.log(`submitted array job ${arrayJob} (shards ${shards.join(',')} of ${r.shards}) and merge job ${mergeJob} (runs after every task succeeds)`);
  else console.log(`submitted merge job ${mergeJob} (every shard is done)`);
  const ids = [arrayJob, mergeJob].filter(Boolean).join(',');
  console.log(`follow with: squeue -j ${ids}   sacct -j ${ids}   dualneuron cluster status ${dir}`);
  console.log(`merged outputs: ${join(dir, 'merged')}; logs: ${join(dir, 'slurm', 'logs')}`);
}

function printStatus(dir: string, r: ClusterRun): ReturnType<typeof runStatus> {
  const s = runStatus(dir, r, queueStates());
  console.log(`${r.command} in ${r.shards} shards (${dir})`);
  for (const x of s.shards) console.log(`shard ${String(x.shard).padStart(3)}  ${x.state.padEnd(8)} ${x.detail}`);
  console.log(`merge      ${s.merge.state.padEnd(8)} ${s.merge.detail}`);
  const counts = (['done', 'running', 'pending', 'failed', 'missing'] as const).map((st) => [st, s.shards.filter((x) => x.state === st).length] as const).filter(([, n]) => n);
  console.log(counts.map(([st, n]) => `${n} ${st}`).join(', '));
  return s;
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('run screen, poles or evolve on a cluster: one Slurm array task per shard, then a merge job');
  cluster.command('slurm')
    .description("submit `screen`, `poles` or `evolve` as a Slurm job array (task k runs --shard k/N into DIR/shards/) and a job that runs after every task succeeds (--dependency=afterok) to merge them into DIR/merged (and print `stats` of a screen). Example: dualneuron cluster slurm --shards 8 --out runs/imagenet --partition gpu --gres gpu:1 --time 4:00:00 -- screen --model v4 --images /data/imagenet")
    .argument('[command...]', "after '--': the command and its options, without --shard and --out")
    .option('--shards <n>', 'number of shards (array tasks); shards are whole batches (--batch images of a screen, --batch results of poles; (neuron, seed) jobs of evolve), so more shards than batches (or jobs) leaves some empty, which merge correctly')
    .option('--out <dir>', 'the run folder: cluster.json, slurm/ (scripts, logs), shards/, merged/')
    .option('--partition <p>', 'sbatch --partition')
    .option('--account <a>', 'sbatch --account')
    .option('--time <t>', 'sbatch --time, per task (e.g. 2:00:00)')
    .option('--gres <g>', 'sbatch --gres, per task (e.g. gpu:1)')
    .option('--mem <m>', 'sbatch --mem, per task (e.g. 16G)')
    .option('--cpus-per-task <c>', 'sbatch --cpus-per-task (decoding threads of a screen use them)')
    .addOption(new Option('--sbatch-flag <flag>', 'a further sbatch flag for both jobs, e.g. --sbatch-flag=--qos=high (repeatable)').argParser((v: string, prev: string[]) => [...prev, v]).default([], 'none'))
    .option('--dry-run', 'write and print the two job scripts and the sbatch commands; submit nothing')
    .option('--resubmit-failed <dir>', 'a run folder: resubmit only the shards without finished outputs that are not queued (each resumes what it had done) and a new merge job; the options of the first submission are reused')
    .action((words: string[], o: SlurmCli) => {
      if (o.resubmitFailed !== undefined) {
        if (words.length || o.shards !== undefined || o.out !== undefined) throw new InputError('--resubmit-failed DIR reuses the command, --shards and --out recorded in DIR/cluster.json; give nothing else');
        const dir = resolve(o.resubmitFailed);
        const r = readClusterRun(dir);
        const queue = queueStates();
        if (!o.dryRun) requireSlurm();
        const s = runStatus(dir, r, queue);
        const redo = s.shards.filter((x) => x.state === 'failed' || x.state === 'missing').map((x) => x.shard);
        const busy = s.shards.filter((x) => x.state === 'running' || x.state === 'pending').map((x) => x.shard);
        if (s.merge.state === 'done' && !redo.length) return console.log(`nothing to resubmit: every shard and the merge are done (${join(dir, 'merged')})`);
        if (busy.length && !redo.length) return console.log(`nothing to resubmit: shards ${busy.join(',')} are still queued or running; the merge job waits for them`);
        if (busy.length) throw new InputError(`shards ${busy.join(',')} are still queued or running; wait for them (or scancel them) before resubmitting shards ${redo.join(',')}, so the new merge job waits for every shard`);
        const scripts = writeScripts(dir, r);
        if (o.dryRun) return console.log(`would resubmit shards ${redo.join(',') || '(none)'}: sbatch --array=${redo.join(',')} ${scripts.array}, then sbatch --dependency=afterok ${scripts.merge}`);
        // the old merge job waits on an array that can no longer succeed
        const old = r.submissions.at(-1)?.mergeJob;
        if (old && queue?.has(old)) scancel([old]);
        return submit(dir, r, redo, scripts);
      }
      if (o.shards === undefined || o.out === undefined) throw new InputError('give --shards N and --out DIR (or --resubmit-failed DIR)');
      const shards = parseIntStrict('--shards', o.shards, { min: 1, max: 100000 });
      const { command, args } = parseInner(words);
      const sb = sbatchOptions(o);
      if (!o.dryRun) requireSlurm();
      const dir = resolve(o.out);
      if (existsSync(join(dir, 'cluster.json'))) throw new InputError(`${dir} already holds a cluster run (cluster.json); see \`dualneuron cluster status ${o.out}\`, resubmit its failed shards with --resubmit-failed ${o.out}, or choose a new --out`);
      const lock = openOutputFolder(dir, 'cluster slurm');
      try {
        const r: ClusterRun = { version: 1, command, args, shards, launcher: [process.execPath, cliMain()], workdir: process.cwd(), sbatch: sb, submissions: [] };
        const scripts = writeScripts(dir, r);
        if (o.dryRun) {
          console.log(`# ${scripts.array}\n${arrayScript(dir, r)}\n# ${scripts.merge}\n${mergeScript(dir, r)}`);
          console.log(`# would run: sbatch --parsable --array=0-${shards - 1} ${scripts.array}`);
          console.log(`#            sbatch --parsable --dependency=afterok:<array job id> --kill-on-invalid-dep=yes ${scripts.merge}`);
          return;
        }
        submit(dir, r, Array.from({ length: shards }, (_, k) => k), scripts);
      } finally {
        lock.release();
      }
    });
  cluster.command('status')
    .description('per-shard state of a cluster run: done (finished outputs), running, pending (Slurm queue), failed (left the queue without finishing), missing; and the merge')
    .argument('<dir>', 'the --out of `dualneuron cluster slurm`')
    .action((dir: string) => { printStatus(resolve(dir), readClusterRun(resolve(dir))); });
}
