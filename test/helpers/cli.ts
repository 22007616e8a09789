// Running the built CLI as a user would, for end-to-end tests.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { repoRoot } from './upstream.js';

export interface CliResult { status: number | null; stdout: string; stderr: string }

export function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 600_000): CliResult {
  const r = spawnSync(process.execPath, [resolve(repoRoot, 'dist/src/dualneuron/cli/main.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, DUALNEURON_QUIET: '1', ...env }, timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
