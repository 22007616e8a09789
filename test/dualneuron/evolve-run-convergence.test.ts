// The convergence time constant of `evolve summary` against scipy's curve_fit (tools/golden/evolve_summary.py,
// test/fixtures/evolve/summary_fit.json) on three noisy synthetic trajectories.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fitExponentialRise, successRatio } from '../../src/dualneuron/evolve/convergence.js';

const test = suite('evolve convergence fit');
const fx = JSON.parse(readFileSync('test/fixtures/evolve/summary_fit.json', 'utf8')) as { cases: { y: number[]; a: number; b: number; tau: number }[] };

test('a, b, tau equal scipy curve_fit within 1e-5 relative', () => {
  for (const c of fx.cases) {
    const f = fitExponentialRise(c.y);
    for (const k of ['a', 'b', 'tau'] as const) {
      assert.ok(Math.abs(f[k] - c[k]) <= 1e-5 * Math.abs(c[k]), `${k}: ${f[k]} vs scipy ${c[k]}`);
    }
  }
});

test('success ratio and short trajectories', () => {
  assert.equal(successRatio([2, 3, 5]), { ratio: 2.5, success: true });
  assert.equal(successRatio([4, 3, 2]), { ratio: 0.5, success: false });
  assert.throws(() => fitExponentialRise([1, 2]), /at least 3/);
});

test.run();
