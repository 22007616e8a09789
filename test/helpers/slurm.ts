// A local single-node Slurm (scripts/slurm-local.sh) for tests of `dualneuron cluster slurm`. Started once per
// process when first asked for, stopped (by the pids it recorded) when the process exits. Where it cannot start
// (no Slurm installed, not root), tests registered with `withSlurm` are counted as skipped with the reason.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Test } from 'uvu';
import { runIf } from './skip.js';
import { repoRoot } from './upstream.js';

let started: { conf: string } | { reason: string } | undefined;

function startSlurm(): { conf: string } | { reason: string } {
  if (started) return started;
  const script = resolve(repoRoot, 'scripts/slurm-local.sh');
  const dir = mkdtempSync(join(tmpdir(), 'dualneuron-slurm-'));
  const r = spawnSync('bash', [script, 'start', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    spawnSync('bash', [script, 'stop', dir]);
    rmSync(dir, { recursive: true, force: true });
    const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split('\n').at(-1);
    return (started = { reason: `a local Slurm could not start: ${why}` });
  }
  process.on('exit', () => {
    spawnSync('bash', [script, 'stop', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return (started = { conf: join(dir, 'slurm.conf') });
}

/** Registers a test that needs a running Slurm; `ok` false skips without starting one (e.g. no upstream data). */
export function withSlurm(test: Test, ok = true, reasonIfNot = '') {
  if (!ok) return runIf(test, false, reasonIfNot);
  const s = startSlurm();
  return runIf(test, 'conf' in s, 'reason' in s ? s.reason : '');
}

/** SLURM_CONF of the local Slurm, inside a test registered with `withSlurm`. */
export function slurmEnv(): { SLURM_CONF: string } {
  const s = startSlurm();
  if (!('conf' in s)) throw new Error('slurmEnv() called outside a test registered with withSlurm(test)');
  return { SLURM_CONF: s.conf };
}
