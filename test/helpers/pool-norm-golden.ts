// PyTorch fixtures of the pool, norm and image families (tools/golden/pool_norm.py), run by ./golden.ts.
import { readFileSync } from 'node:fs';
import { fixture } from './fixtures.js';
import type { GoldenCase } from './golden.js';

export { runGolden, type GoldenCase, type GoldenOp } from './golden.js';

let cache: GoldenCase[] | null = null;
export function goldenCases(): GoldenCase[] {
  cache ??= (JSON.parse(readFileSync(fixture('pool_norm', 'cases.json'), 'utf8')) as { cases: GoldenCase[] }).cases;
  return cache;
}

export function goldenCase(name: string): GoldenCase {
  const c = goldenCases().find((k) => k.name === name);
  if (!c) throw new Error(`fixture case ${name} not found: rerun tools/golden/pool_norm.py`);
  return c;
}
