// Paths of committed test fixtures (small files made by tools/golden/*.py with Debian's python3-torch).
import { resolve } from 'node:path';
import { repoRoot } from './upstream.js';

export const fixturesDir = resolve(repoRoot, 'test/fixtures');
export function fixture(...parts: string[]): string {
  return resolve(fixturesDir, ...parts);
}
