// Comparisons of results with their oracles that more than one test file needs.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';

/**
 * Largest error relative to the largest |want| (`scaled`), and the largest elementwise relative error over the
 * entries above 1% of that scale (`rel`: small entries would make it meaningless).
 */
export function maxRelToScale(got: ArrayLike<number>, want: ArrayLike<number>): { rel: number; scaled: number } {
  assert.is(got.length, want.length, 'length');
  let scale = 0, abs = 0, rel = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    abs = Math.max(abs, e);
    if (Math.abs(want[i]) > 1e-2 * scale) rel = Math.max(rel, e / Math.abs(want[i]));
  }
  return { rel, scaled: abs / scale };
}

/** Two output folders hold the same files with the same bytes (run.json and screen.json aside: they hold times). */
export function sameTree(a: string, b: string): void {
  const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(d, e.name)).map((f) => join(e.name, f)) : [e.name])
    .filter((f) => f !== 'run.json' && f !== 'screen.json').sort();
  const fa = files(a), fb = files(b);
  assert.equal(fa, fb, 'same files');
  for (const f of fa) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
}
