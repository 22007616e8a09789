// The test runner's summary: skipped tests are counted as skipped (not passed), each reason is printed once,
// and a failing test is counted as failed. Runs the runner itself on one test file in a child process.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, upstreamDir, withUpstream } from './helpers/upstream.js';

const test = suite('test runner');
const runner = resolve(repoRoot, 'dist/test/run.js');

function runOne(filter: string, env: Record<string, string>): { status: number | null; lines: string[] } {
  const r = spawnSync(process.execPath, [runner, filter], { encoding: 'utf8', env: { ...process.env, DUALNEURON_QUIET: '1', ...env }, timeout: 300_000 });
  return { status: r.status, lines: r.stdout.split('\n').map((l) => l.trim()).filter(Boolean) };
}

test('without the upstream data, tests that need it are counted as skipped, with the reason once', () => {
  const r = runOne('io/upstream-weights', { DUALNEURON_UPSTREAM: 'none' });
  assert.is(r.status, 0, r.lines.join('\n'));
  assert.is(r.lines[r.lines.length - 1], '0 passed, 0 failed, 2 skipped');
  const reasons = r.lines.filter((l) => l.startsWith('skipped '));
  assert.equal(reasons, ['skipped 2 tests: upstream data not found (set DUALNEURON_UPSTREAM or provide ../shared/upstream/dualneuron)']);
});

withUpstream(test)('with the upstream data, the same test runs and passes', () => {
  const r = runOne('io/upstream-weights', { DUALNEURON_UPSTREAM: upstreamDir()! });
  assert.is(r.status, 0, r.lines.join('\n'));
  assert.is(r.lines[r.lines.length - 1], '2 passed, 0 failed, 0 skipped');
});

test('a failing test is counted as failed and the runner exits non-zero', () => {
  const r = runOne('io/upstream-weights', { DUALNEURON_UPSTREAM: resolve(repoRoot, 'test') });   // a folder without the V1 files
  assert.is.not(r.status, 0);
  assert.is(r.lines[r.lines.length - 1], '0 passed, 2 failed, 0 skipped');
});

test.run();
