// Where the upstream DualNeuron data files are (real V1 checkpoints, masks, priors), for tests that need them.
// They are never copied into the repository: tests read ../shared/upstream/dualneuron or $DUALNEURON_UPSTREAM
// and skip with a printed reason when neither exists.
import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function upstreamDir(): string | null {
  const candidates = [process.env.DUALNEURON_UPSTREAM, resolve(repoRoot, '../shared/upstream/dualneuron')];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/** Returns the upstream folder, or prints why the caller skips and returns null. */
export function upstreamOrSkip(what: string): string | null {
  const dir = upstreamDir();
  if (!dir) console.log(`  SKIP ${what}: upstream data not found (set DUALNEURON_UPSTREAM or provide ../shared/upstream/dualneuron)`);
  return dir;
}

export { repoRoot };
