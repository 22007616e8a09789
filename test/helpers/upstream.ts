// Where the upstream DualNeuron data files are (real V1 checkpoints, masks, priors), for tests that need them.
// They are never copied into the repository: tests read ../shared/upstream/dualneuron or $DUALNEURON_UPSTREAM and
// are registered as skipped (with the reason printed once by the runner) when neither exists.
import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'uvu';
import { runIf } from './skip.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The upstream folder, or null; DUALNEURON_UPSTREAM=none hides it (to run the suite as a clone without ../shared). */
export function upstreamDir(): string | null {
  if (process.env.DUALNEURON_UPSTREAM === 'none') return null;
  const candidates = [process.env.DUALNEURON_UPSTREAM, resolve(repoRoot, '../shared/upstream/dualneuron')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/** Registers a test that needs the upstream data: run when present, counted as skipped when absent. */
export function withUpstream(test: Test) {
  return runIf(test, upstreamDir() !== null, 'upstream data not found (set DUALNEURON_UPSTREAM or provide ../shared/upstream/dualneuron)');
}

/** The upstream folder, inside a test registered with `withUpstream`. */
export function requireUpstream(): string {
  const dir = upstreamDir();
  if (!dir) throw new Error('requireUpstream() called outside a test registered with withUpstream(test)');
  return dir;
}

export { repoRoot };
