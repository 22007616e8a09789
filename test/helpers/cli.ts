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

/** Runs the CLI and asserts that it succeeded (the message has the command and its stderr). */
export function cliOk(args: string[], env: Record<string, string> = {}): CliResult {
  const r = cli(args, env);
  if (r.status !== 0) throw new Error(`expected success: dualneuron ${args.join(' ')} (status ${r.status})\n${r.stderr}`);
  return r;
}

/** Runs the CLI and asserts that it failed with status 1 and a message matching `re`. */
export function cliFails(args: string[], re: RegExp, env: Record<string, string> = {}): CliResult {
  const r = cli(args, env);
  if (r.status !== 1) throw new Error(`expected a failure: dualneuron ${args.join(' ')} (status ${r.status})\n${r.stderr}`);
  if (!re.test(r.stderr)) throw new Error(`dualneuron ${args.join(' ')}: stderr does not match ${re}:\n${r.stderr}`);
  return r;
}
