// The real Slurm commands (sbatch, squeue, scancel), run as child processes: we do not schedule anything ourselves.
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { existsSync } from 'node:fs';
import { InputError } from '../../errors.js';

export function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, bin)));
}

/** Refuses early, saying what to do, when Slurm's client commands are not installed. */
export function requireSlurm(): void {
  if (!onPath('sbatch')) {
    throw new InputError('sbatch is not on PATH: run this on a Slurm login node (e.g. after `module load slurm`), or install the Slurm client (Debian/Ubuntu: apt-get install slurm-client; a single-node test cluster: scripts/slurm-local.sh start DIR). To see the job scripts without submitting them, add --dry-run');
  }
}

function run(bin: string, args: string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  if (r.error) return { ok: false, stdout: '', stderr: r.error.message };
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** Submits `script` with extra sbatch flags; returns the job id (sbatch --parsable prints "id" or "id;cluster"). */
export function sbatch(script: string, flags: string[]): string {
  const r = run('sbatch', ['--parsable', ...flags, script]);
  if (!r.ok) throw new InputError(`sbatch ${[...flags, script].join(' ')} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  const id = r.stdout.trim().split(';')[0];
  if (!/^[0-9]+$/.test(id)) throw new InputError(`sbatch printed '${r.stdout.trim()}', not a job id`);
  return id;
}

/** The state of every job and array task Slurm still lists (squeue; RUNNING, PENDING, ...), by "job" or "job_task"; null without squeue. */
export function queueStates(): Map<string, string> | null {
  if (!onPath('squeue')) return null;
  const r = run('squeue', ['-h', '-r', '-o', '%i %T']);
  if (!r.ok) return null;
  const m = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) m.set(id, state);
  }
  return m;
}

export function scancel(ids: string[]): void {
  if (!ids.length || !onPath('scancel')) return;
  run('scancel', ids);
}
