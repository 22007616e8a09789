// Dual-feature labels (analyze dual), library level. Oracles: the NumPy reference of the seed bootstrap-t and
// Benjamini-Hochberg (tools/golden/dual_bootstrap.py: ordered resamples by itertools.product, a different
// enumeration from ours); a known null (a rectified-Gabor neuron, excitatory only, whose LEI responses are its
// baseline plus symmetric seed noise) for the false-positive rate; the simulated population's float64 host neuron
// (simulate/neuron.ts) built dual, and the same neuron with sup_gain 0 (excitatory only), for the labels.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/fixtures.js';
import { benjaminiHochberg, seedBootstrap, MONTE_CARLO_RESAMPLES } from '../../src/dualneuron/analysis/seed-bootstrap.js';
import { classifyDual, summariseDual, type NeuronPoleResponses } from '../../src/dualneuron/analysis/dual-labels.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { gaborPair, aperture } from '../../src/dualneuron/simulate/gabor.js';
import { HostNeuron, baselineRate } from '../../src/dualneuron/simulate/neuron.js';
import { calibrate, drawNeuron, filterImage } from '../../src/dualneuron/simulate/params.js';
import { InputError } from '../../src/errors.js';

const test = suite('analyze dual: seed bootstrap and labels');

interface Case { x: number[]; baseline: number; side: 'below' | 'above'; p: number; t: number; method: 'product' | 'multiset' }
const golden = JSON.parse(readFileSync(fixture('dual', 'bootstrap.json'), 'utf8')) as { cases: Case[]; bh: { p: number[]; q: number[] } };

test('p-values equal the NumPy reference (exact for <= 10 seeds: 1e-12; Monte Carlo for 11 seeds: within 4 standard errors)', () => {
  assert.ok(golden.cases.length >= 10);
  for (const c of golden.cases) {
    const r = seedBootstrap(c.x, c.baseline, c.side, { seed: 3n });
    const what = `${c.x.length} seeds ${c.side} (x ${c.x.join(', ')})`;
    assert.ok(Math.abs(r.t - c.t) <= 1e-9 * Math.max(1, Math.abs(c.t)), `${what}: T ${r.t} vs ${c.t}`);
    if (c.method === 'product') {
      assert.is(r.method, 'exact');
      assert.ok(Math.abs(r.p - c.p) <= 1e-12, `${what}: p ${r.p} vs NumPy ${c.p}`);
    } else {
      assert.is(r.method, 'monte-carlo');
      const se = Math.sqrt((c.p * (1 - c.p)) / MONTE_CARLO_RESAMPLES);
      assert.ok(Math.abs(r.p - c.p) <= 4 * se, `${what}: Monte Carlo p ${r.p} vs exact ${c.p} (se ${se.toFixed(4)})`);
    }
  }
});

test('Benjamini-Hochberg equals the NumPy reference', () => {
  const q = benjaminiHochberg(golden.bh.p);
  q.forEach((v, i) => assert.ok(Math.abs(v - golden.bh.q[i]) <= 1e-15, `q[${i}] ${v} vs ${golden.bh.q[i]}`));
});

/**
 * A rectified Gabor r(x) = b + relu(g . x), excitatory only: every image with g . x <= 0 is an LEI and gives b.
 * Each seed's LEI is such an image (noise at the MEI norm, sign chosen so g . x <= 0) and its response is
 * measured with additive seed noise N(0, sigma), so mean(LEI) = b exactly: the null of the LEI test.
 */
function rectifiedGaborRepeats(repeats: number, seeds: number, seed: bigint): NeuronPoleResponses[] {
  const S = 16, a = aperture(S), g = gaborPair({ x: 7.5, y: 7.5, sigma: 3, frequency: 0.15, orientation: 0.7, phase: 0 }, S).cos;
  const b = 0.8, sigma = 0.05, eta = 2;
  const rng = new HostRng(seed);
  const r = (x: Float64Array) => { let s = 0; for (let k = 0; k < x.length; k++) s += g[k] * x[k]; return b + Math.max(s, 0); };
  const mei = filterImage(g, a, eta);
  return Array.from({ length: repeats }, (_, n) => ({
    neuron: n, baseline: b,
    mei: Array.from({ length: seeds }, () => r(mei) + sigma * rng.normal()),
    lei: Array.from({ length: seeds }, () => {
      let x: Float64Array = Float64Array.from({ length: S * S }, () => rng.normal());
      x = filterImage(x, a, eta);
      if (r(x) > b) x = x.map((v) => -v);
      assert.is(r(x), b);
      return r(x) + sigma * rng.normal();
    }),
  }));
}

test('false-positive rate on an excitatory-only neuron (rectified Gabor, 5 seeds): <= 5 of 100 repeats, and ~5% over 2000', () => {
  const hundred = rectifiedGaborRepeats(100, 5, 15n);
  const fp = hundred.filter((r) => seedBootstrap(r.lei, r.baseline, 'below').p <= 0.05).length;
  console.log(`    rectified Gabor, 5 seeds: ${fp} of 100 repeats with p <= 0.05`);
  assert.ok(fp <= 5, `${fp} of 100 false positives`);
  // each repeat labelled alone (BH over one neuron is the raw p): excitatory only unless a false positive
  const labels = hundred.map((r) => classifyDual([r])[0].label);
  assert.is(labels.filter((l) => l === 'unreliable').length, 0, 'the MEI drives the rectified Gabor far above baseline');
  assert.is(labels.filter((l) => l === 'dual').length, fp);
  const many = rectifiedGaborRepeats(2000, 5, 16n);
  const rate = many.filter((r) => seedBootstrap(r.lei, r.baseline, 'below').p <= 0.05).length / many.length;
  console.log(`    over 2000 repeats: false-positive rate ${rate.toFixed(4)}`);
  assert.ok(rate >= 0.02 && rate <= 0.06, `false-positive rate ${rate}: the test should be calibrated, neither liberal nor blind`);
});

test('the simulated host neuron built dual is labelled dual; the same neuron with sup_gain 0 excitatory only; flat MEIs unreliable', () => {
  const S = 24, cal = calibrate(7n, S);
  const p = drawNeuron(0, 7n, 1, cal);
  assert.ok(p.dual);
  const dual = new HostNeuron(p, S), exc = new HostNeuron({ ...p, sup_gain: 0 }, S);
  const rng = new HostRng(4n);
  // seed-dependent MEIs and LEIs: each subunit's best image with a little noise, back at the norm
  const seedImage = (f: Float64Array) => filterImage(Float64Array.from(f, (v, k) => v + 0.02 * rng.normal() * cal.aperture[k]), cal.aperture, cal.norm);
  const meis = Array.from({ length: 5 }, () => seedImage(dual.filters[0]));
  const leis = Array.from({ length: 5 }, () => seedImage(dual.filters[2]));
  const zero = new Float64Array(S * S);
  const resp = (h: HostNeuron, n: number): NeuronPoleResponses => ({ neuron: n, baseline: h.rate(zero), mei: meis.map((x) => h.rate(x)), lei: leis.map((x) => h.rate(x)) });
  const d = resp(dual, 0), e = resp(exc, 1);
  assert.ok(Math.abs(d.baseline - baselineRate(p)) < 1e-12);
  // a neuron whose "MEIs" do not beat its baseline: symmetric noise around it
  const b = 3.0;
  const u: NeuronPoleResponses = { neuron: 2, baseline: b, mei: [0.1, -0.2, 0.05, 0.15, -0.1].map((v) => b + v), lei: [0.1, -0.05, 0.2, -0.15, 0.02].map((v) => b + v) };
  const rs = classifyDual([d, e, u]);
  assert.is(rs[0].label, 'dual', `dual neuron: p_lei ${rs[0].pLei}, LEI ${rs[0].leiMean} vs baseline ${d.baseline}`);
  assert.is(rs[1].label, 'excitatory only', `sup_gain 0: p_lei ${rs[1].pLei}`);
  assert.ok(e.lei.every((v) => v >= e.baseline), 'without suppression no image goes below the baseline');
  assert.is(rs[2].label, 'unreliable');
  // index from the host rates
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  const want = (d.baseline - mean(d.lei)) / (mean(d.mei) - d.baseline);
  assert.ok(Math.abs(rs[0].suppressionIndex! - want) <= 1e-12 * Math.abs(want));
  assert.ok(rs[0].suppressionIndex! > 0 && rs[1].suppressionIndex! <= 0);
  const s = summariseDual(rs);
  assert.equal(s.counts, { dual: 1, 'excitatory only': 1, unreliable: 1 });
  assert.ok(Math.abs(s.fractionDual - 1 / 3) < 1e-15 && s.fractionDualOfReliable === 0.5);
  assert.is(s.index!.median, (rs[0].suppressionIndex! + rs[1].suppressionIndex!) / 2);
});

test('bad inputs: too few seeds, unequal MEI and LEI seeds, non-finite responses, alpha outside (0, 1)', () => {
  assert.throws(() => seedBootstrap([1, 2], 0, 'below'), (e: unknown) => e instanceof InputError && /at least 3 seeds/.test((e as Error).message));
  assert.throws(() => seedBootstrap([1, NaN, 2], 0, 'below'), /non-finite/);
  assert.throws(() => classifyDual([{ neuron: 4, baseline: 0, mei: [1, 2, 3], lei: [1, 2] }]), /neuron 4: 3 MEI responses but 2 LEI/);
  assert.throws(() => classifyDual([{ neuron: 0, baseline: 0, mei: [1, 2, 3], lei: [1, 2, 3] }], { alpha: 1 }), /--alpha/);
  assert.throws(() => classifyDual([]), /no neurons/);
});

test.run();
