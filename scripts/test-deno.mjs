#!/usr/bin/env node
// npm run test:deno: the core subset of the test suite (tensor/, nn/, models/v1-twin, models/load-bytes, models/weights-cache) under
// Deno, with Deno's own WebGPU (navigator.gpu; no Dawn). Runs the compiled tests (dist/test, from npm run build)
// with the same runner as Node. Deno comes from the dev dependency `deno` (node_modules/.bin/deno), $DENO, or
// PATH; where there is none, it says so and exits 0 (skipped), as the browser tests do without Chromium.
// Usage: node scripts/test-deno.mjs [substring ...]   (default: the core subset)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CORE_SUBSET = ['/tensor/', '/nn/', '/models/v1-twin', '/models/load-bytes', '/models/weights-cache'];

function findDeno() {
  const local = join(root, 'node_modules', '.bin', 'deno');
  for (const c of [process.env.DENO, local]) if (c && existsSync(c)) return c;
  const r = spawnSync('deno', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'deno' : null;
}

const deno = findDeno();
if (!deno) {
  console.log('test:deno skipped: no Deno found (npm ci installs the dev dependency `deno`; or set DENO=/path/to/deno)');
  process.exit(0);
}
if (!existsSync(join(root, 'dist', 'test', 'run.js'))) {
  console.error('test:deno: dist/test/run.js is missing; run npm run build first');
  process.exit(1);
}
const filters = process.argv.slice(2);
const version = spawnSync(deno, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
console.log(`${version}: dist/test/run.js ${(filters.length ? filters : CORE_SUBSET).join(' ')}`);
const r = spawnSync(deno, ['run', '--allow-all', join(root, 'dist', 'test', 'run.js'), ...(filters.length ? filters : CORE_SUBSET)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
