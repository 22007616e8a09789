// Tests that cannot run here (no upstream data, no browser, no Slurm) are registered with uvu's `test.skip`, so
// uvu counts them as skipped rather than passed, and their reason is recorded once for the runner's summary.
import type { Test } from 'uvu';

type Body = Parameters<Test>[1];
type Register = (name: string, fn: Body) => void;

const reasons = new Map<string, number>();

/** `test` when `ok`, else uvu's `test.skip` with `reason` recorded (printed once by test/run.ts). */
export function runIf(test: Test, ok: boolean, reason: string): Register {
  if (ok) return (name, fn) => test(name, fn);
  return (name, fn) => {
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    test.skip(name, fn);
  };
}

/** Every recorded reason with the number of tests it skipped, in the order first seen. */
export function skipReasons(): Array<{ reason: string; count: number }> {
  return [...reasons].map(([reason, count]) => ({ reason, count }));
}
