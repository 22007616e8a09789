// Test runner: finds every compiled `*.test.js` under dist/test, runs them in one process with uvu
// (so the WebGPU device is created once), releases the GPU so Node exits, and prints `N passed, M failed, K skipped`
// (skipped tests are registered with uvu's test.skip through test/helpers/skip.ts; each reason is printed once).
// Usage: node dist/test/run.js [substring ...]   (only files whose path contains one of the substrings)
import { readdirSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from 'uvu/run';
import { skipReasons } from './helpers/skip.js';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = findTests(here).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
// uvu prints "Total: / Passed: / Skipped:"; we read those back to print the one-line summary CI wants.
let captured = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  if (captured.length > 4096) captured = captured.slice(-4096);
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;

await run(files.map((file) => ({ name: relative(here, file), file })), { bail: false });
process.stdout.write = write;

const { shutdownAll } = await import('../src/tensor/runtime.js');
await shutdownAll();

// uvu's Total counts the tests that were registered to run (skipped ones are not in it), Passed those that did.
// eslint-disable-next-line no-control-regex
const plain = captured.replace(/\x1b\[[0-9;]*m/g, '');
const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? NaN);
const total = num('Total'), passed = num('Passed'), skipped = num('Skipped');
const failed = Number.isFinite(total) && Number.isFinite(passed) ? total - passed : 1;
for (const { reason, count } of skipReasons()) console.log(`skipped ${count} test${count === 1 ? '' : 's'}: ${reason}`);
console.log(`${Number.isFinite(passed) ? passed : 0} passed, ${failed} failed, ${Number.isFinite(skipped) ? skipped : 0} skipped`);
process.exitCode = failed > 0 || process.exitCode ? 1 : 0;
