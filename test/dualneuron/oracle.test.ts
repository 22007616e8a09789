// Reliability measures against the NumPy reference (tools/golden/oracle_reference.py, written from the
// definitions): a random data set with uneven repeats and the neurons that must be skipped by name.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fixture } from '../helpers/fixtures.js';
import { loadRecorded } from '../../src/dualneuron/recorded/index.js';
import { computeReliability, type SelectBy } from '../../src/dualneuron/reliability/table.js';
import { superOracleDraw, pearson, jackknifeOracle } from '../../src/dualneuron/reliability/oracle.js';
import { quantileLinear } from '../../src/dualneuron/reliability/select.js';

const test = suite('dualneuron/oracle');

interface RefNeuron {
  repeats_min: number; repeats_max: number; images: number; repeated_images: number;
  oracle: number | null; super_oracle: number | null; average_super_oracle: number | null; super_oracle_iterations: number;
  explainable_variance: number | null; variance: number | null; skipped: boolean;
}
interface Ref {
  seed: string; iterations: number; percentiles: [number, number][]; neurons: RefNeuron[];
  selection: Record<string, { oracle_threshold: number; variance_threshold: number; selected: boolean[] }>;
  draws: [number, number, number, number, number][];
}
const ref = JSON.parse(readFileSync(fixture('oracle', 'expected.json'), 'utf8')) as Ref;
const TOL = 1e-6;

function close(got: number | null, want: number | null, what: string): void {
  if (want === null) { assert.is(got, null, `${what}: expected no value, got ${got}`); return; }
  assert.ok(got !== null, `${what}: expected ${want}, got null`);
  assert.ok(Math.abs(got! - want) <= TOL, `${what}: ${got} vs reference ${want} (diff ${Math.abs(got! - want)})`);
}

test('the counter-based draw equals the reference Philox draw', () => {
  for (const [t, n, i, c, k] of ref.draws) assert.is(superOracleDraw(BigInt(ref.seed), t, n, i, c), k, `draw ${t},${n},${i},${c}`);
});

test('every measure of every neuron within 1e-6 of NumPy (uneven repeats), skips where the reference has no value', () => {
  const data = loadRecorded(fixture('oracle', 'data'), { loadImages: false });
  const r = computeReliability(data.responses, data.neuronIds, {
    iterations: ref.iterations, seed: BigInt(ref.seed), oraclePercentile: 60, variancePercentile: 50, selectBy: 'average_super_oracle',
  });
  assert.is(r.neurons.length, ref.neurons.length);
  let maxDiff = 0;
  r.neurons.forEach((got, n) => {
    const want = ref.neurons[n]!;
    const w = `neuron ${n}`;
    assert.is(got.repeatsMin, want.repeats_min, `${w} repeats min`);
    assert.is(got.repeatsMax, want.repeats_max, `${w} repeats max`);
    assert.is(got.images, want.images, `${w} images`);
    assert.is(got.repeatedImages, want.repeated_images, `${w} repeated images`);
    close(got.oracle, want.oracle, `${w} oracle`);
    close(got.superOracle, want.super_oracle, `${w} super_oracle`);
    close(got.averageSuperOracle, want.average_super_oracle, `${w} average_super_oracle`);
    assert.is(got.superOracleIterations, want.super_oracle_iterations, `${w} iterations used`);
    close(got.explainableVariance, want.explainable_variance, `${w} explainable variance`);
    close(got.variance, want.variance, `${w} variance`);
    assert.is(got.skip !== null, want.skipped, `${w} skipped: ${got.skip}`);
    for (const [a, b] of [[got.oracle, want.oracle], [got.averageSuperOracle, want.average_super_oracle], [got.explainableVariance, want.explainable_variance]]) {
      if (a !== null && b !== null) maxDiff = Math.max(maxDiff, Math.abs(a - b));
    }
  });
  // the fixture really holds each awkward case, named
  const skips = r.neurons.map((x) => x.skip).filter((s): s is string => s !== null);
  assert.ok(skips.some((s) => s.startsWith('no responses')), skips.join('; '));
  assert.ok(skips.some((s) => s.startsWith('only 0 image(s) with 2 or more repeats')), skips.join('; '));
  assert.ok(skips.some((s) => s.startsWith('only 1 image(s) with 2 or more repeats')), skips.join('; '));
  assert.ok(skips.some((s) => s.includes('equals 3')), skips.join('; '));
  assert.ok(maxDiff < 1e-9, `max difference ${maxDiff}`);
});

test('percentile thresholds and selection as the reference (both oracles, two percentile pairs)', () => {
  const data = loadRecorded(fixture('oracle', 'data'), { loadImages: false });
  for (const by of ['average_super_oracle', 'oracle'] as SelectBy[]) {
    for (const [po, pv] of ref.percentiles) {
      const want = ref.selection[`${by}:${po}:${pv}`]!;
      const r = computeReliability(data.responses, data.neuronIds, { iterations: ref.iterations, seed: BigInt(ref.seed), oraclePercentile: po, variancePercentile: pv, selectBy: by });
      close(r.oracleThreshold, want.oracle_threshold, `${by} ${po} threshold`);
      close(r.varianceThreshold, want.variance_threshold, `variance ${pv} threshold`);
      assert.equal(r.neurons.map((x) => x.selected), want.selected, `${by} ${po}/${pv} selection`);
      assert.ok(want.selected.some(Boolean) && !want.selected.every(Boolean));
    }
  }
});

test('the oracle does not depend on the order of repeats; the draws depend only on their counters', () => {
  const groups = [[1, 4, 2], [5, 7], [0, 1, 3, 2], [9]];
  const shuffled = [[2, 1, 4], [7, 5], [3, 0, 2, 1], [9]];
  assert.ok(Math.abs(jackknifeOracle(groups)! - jackknifeOracle(shuffled)!) < 1e-15);
  assert.is(superOracleDraw(5n, 1, 2, 3, 10), superOracleDraw(5n, 1, 2, 3, 10));
  // with two repeats, each value against the other: a hand-computed case
  // pairs (1,3),(3,1),(5,9),(9,5): corr of x=[1,3,5,9], y=[3,1,9,5]
  const want = pearson([1, 3, 5, 9], [3, 1, 9, 5])!;
  assert.ok(Math.abs(jackknifeOracle([[1, 3], [5, 9]])! - want) < 1e-15);
  assert.ok(Math.abs(want - 3 / 7) < 1e-15, String(want)); // deviations (-3.5,-1.5,.5,4.5), (-1.5,-3.5,4.5,.5): 15 / 35
});

test('quantileLinear is pandas/NumPy linear interpolation', () => {
  assert.is(quantileLinear([3, 1, 2, 4], 0.5), 2.5);
  assert.is(quantileLinear([10, 20, 30, 40, 50], 0.6), 34);
  assert.is(quantileLinear([7], 0.3), 7);
  assert.is(quantileLinear([], 0.3), null);
});

test.run();
