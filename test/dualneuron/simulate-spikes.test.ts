// Spikes and parameters of the simulated population. Oracles: the Poisson pmf (chi-square goodness of fit at
// a fixed seed, bound chi2.ppf(0.999, dof) from SciPy), the Poisson mean and variance, and the construction
// rules of params.ts; determinism from the seed and independence of a neuron from the population size.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { poisson, repeatsPerImage, spikeCounts } from '../../src/dualneuron/simulate/spikes.js';
import { calibrate, drawNeuron, RANGES } from '../../src/dualneuron/simulate/params.js';
import { grayScene } from '../../src/dualneuron/simulate/stimuli.js';
import { renderScene } from '../../src/dualneuron/render/scenes.js';

const test = suite('simulate spikes and parameters');

test('Poisson(3.7): chi-square goodness of fit over 20000 draws (13 bins, bound chi2.ppf(0.999, 12) = 32.91)', () => {
  const lam = 3.7, n = 20000, rng = new HostRng(12345n);
  const bins = new Float64Array(13);
  for (let i = 0; i < n; i++) bins[Math.min(12, poisson(rng, lam))]++;
  const pmf = (k: number) => { let p = Math.exp(-lam); for (let j = 1; j <= k; j++) p *= lam / j; return p; };
  let chi2 = 0, tail = 1;
  for (let k = 0; k < 12; k++) { const e = n * pmf(k); chi2 += (bins[k] - e) ** 2 / e; tail -= pmf(k); }
  chi2 += (bins[12] - n * tail) ** 2 / (n * tail);
  assert.ok(chi2 < 32.91, `chi2 ${chi2.toFixed(2)}`);
  // the same check rejects a sampler off by 3% in its mean
  const shifted = new Float64Array(13), r2 = new HostRng(12345n);
  for (let i = 0; i < n; i++) shifted[Math.min(12, poisson(r2, lam * 1.03))]++;
  let chi2s = 0;
  for (let k = 0; k < 12; k++) { const e = n * pmf(k); chi2s += (shifted[k] - e) ** 2 / e; }
  chi2s += (shifted[12] - n * tail) ** 2 / (n * tail);
  assert.ok(chi2s > 32.91, `a 3% shift gives chi2 ${chi2s.toFixed(2)}`);
});

test('Poisson means above the chunk (250, 612.5): sample mean and variance equal the mean', () => {
  for (const lam of [250, 612.5]) {
    const n = 20000, rng = new HostRng(99n);
    let m = 0, v = 0;
    const xs = Array.from({ length: n }, () => poisson(rng, lam));
    for (const x of xs) { assert.ok(Number.isInteger(x) && x >= 0); m += x; }
    m /= n;
    for (const x of xs) v += (x - m) ** 2;
    v /= n - 1;
    assert.ok(Math.abs(m - lam) < 5 * Math.sqrt(lam / n), `mean ${m} vs ${lam}`);
    // sd of the sample variance is about lam sqrt(2 / n) (plus a small fourth-cumulant term)
    assert.ok(Math.abs(v - lam) < 5 * lam * Math.sqrt(2 / n + 1 / (lam * n)), `variance ${v} vs ${lam}`);
  }
  assert.is(poisson(new HostRng(1n), 0), 0);
  assert.throws(() => poisson(new HostRng(1n), NaN), /finite number >= 0/);
});

test('spikeCounts: per-neuron means and variances equal rate x window over 4000 repeats; NaN exactly where repeats are missing', () => {
  const I = 3, N = 2, R = 4000, window = 0.25;
  const rates = Float64Array.from([4, 40, 0, 12, 100, 0.5]);
  const counts = spikeCounts(5n, rates, I, N, new Int32Array(I).fill(R), R, window);
  for (let i = 0; i < I; i++) for (let n = 0; n < N; n++) {
    const lam = rates[i * N + n] * window;
    let m = 0, v = 0;
    for (let r = 0; r < R; r++) m += counts[(r * I + i) * N + n];
    m /= R;
    for (let r = 0; r < R; r++) v += (counts[(r * I + i) * N + n] - m) ** 2;
    v /= R - 1;
    assert.ok(Math.abs(m - lam) <= 5 * Math.sqrt(lam / R) + 1e-12, `image ${i} neuron ${n}: mean ${m} vs ${lam}`);
    assert.ok(Math.abs(v - lam) <= 5 * lam * Math.sqrt(2 / R) + 5 * Math.sqrt(lam / R) + 1e-12, `image ${i} neuron ${n}: variance ${v} vs ${lam}`);
  }
  const reps = repeatsPerImage(8n, 50, 6, 2);
  assert.ok(reps.every((k) => k >= 2 && k <= 6) && new Set(reps).size > 2, 'uneven repeats in 2..6');
  const c = spikeCounts(8n, new Float64Array(50 * 3).fill(10), 50, 3, reps, 6, 0.5);
  for (let r = 0; r < 6; r++) for (let i = 0; i < 50; i++) for (let n = 0; n < 3; n++) {
    assert.is(Number.isNaN(c[(r * 50 + i) * 3 + n]), r >= reps[i], `repeat ${r} of image ${i}`);
  }
  assert.equal([...repeatsPerImage(8n, 5, 6, 6)], [6, 6, 6, 6, 6]);
});

test('determinism: the same seed gives the same counts and neurons; neuron n does not depend on the population size', () => {
  const rates = Float64Array.from({ length: 10 * 5 }, (_, k) => 1 + (k % 7) * 3);
  const a = spikeCounts(3n, rates, 10, 5, new Int32Array(10).fill(4), 4, 0.5);
  assert.equal([...a], [...spikeCounts(3n, rates, 10, 5, new Int32Array(10).fill(4), 4, 0.5)]);
  assert.not.equal([...a], [...spikeCounts(4n, rates, 10, 5, new Int32Array(10).fill(4), 4, 0.5)]);
  // the first 3 neurons of a 5-neuron population equal a 3-neuron population with the same rates
  const r3 = Float64Array.from({ length: 10 * 3 }, (_, k) => rates[Math.floor(k / 3) * 5 + (k % 3)]);
  const b = spikeCounts(3n, r3, 10, 3, new Int32Array(10).fill(4), 4, 0.5);
  for (let r = 0; r < 4; r++) for (let i = 0; i < 10; i++) for (let n = 0; n < 3; n++) assert.is(b[(r * 10 + i) * 3 + n], a[(r * 10 + i) * 5 + n]);
  const cal = calibrate(2n, 32);
  assert.equal(drawNeuron(4, 2n, 0.5, cal), drawNeuron(4, 2n, 0.5, calibrate(2n, 32)));
  assert.not.equal(drawNeuron(4, 2n, 0.5, cal), drawNeuron(4, 3n, 0.5, calibrate(3n, 32)));
});

test('parameters: drawn within the documented ranges; suppression strength follows the dual label by construction', () => {
  const S = 32, cal = calibrate(1n, S), c = (S - 1) / 2;
  const ps = Array.from({ length: 40 }, (_, n) => drawNeuron(n, 1n, 0.5, cal));
  const duals = ps.filter((p) => p.dual).length;
  assert.ok(duals > 8 && duals < 32, `${duals} dual of 40 at fraction 0.5`);
  assert.is(Array.from({ length: 20 }, (_, n) => drawNeuron(n, 1n, 0, cal)).filter((p) => p.dual).length, 0);
  assert.is(Array.from({ length: 20 }, (_, n) => drawNeuron(n, 1n, 1, cal)).filter((p) => p.dual).length, 20);
  for (const p of ps) {
    const e = p.excitatory, s = p.suppressive;
    assert.ok(Math.hypot(e.x - c, e.y - c) <= RANGES.excCentreRadius * S + 1e-9);
    assert.ok(Math.hypot(s.x - e.x, s.y - e.y) <= RANGES.supOffsetRadius * S + 1e-9);
    assert.ok(e.sigma >= RANGES.sigma[0] * S && e.sigma <= RANGES.sigma[1] * S);
    for (const u of [e, s]) assert.ok(u.frequency >= 0.02 && u.frequency <= 0.25 && u.invariance >= 0.2 && u.invariance <= 0.6);
    let d = Math.abs(s.orientation - e.orientation) % (2 * Math.PI);
    d = Math.min(d, 2 * Math.PI - d);
    assert.ok(d >= Math.PI / 6 - 1e-9 && d <= Math.PI / 2 + 1e-9, `orientation difference ${d}`);
    assert.ok(p.baseline_drive >= 1 && p.baseline_drive <= 2 && p.rate_scale >= 5 && p.rate_scale <= 15 && p.exc_gain > 0);
    // non-dual: no image at the MEI norm can remove more than 0.1 of drive (S_s <= 2 |x|^2)
    if (!p.dual) assert.ok(p.sup_gain * 2 * cal.norm ** 2 <= 0.1 + 1e-12);
    else assert.ok(p.sup_gain * 2 * cal.norm ** 2 > 2, 'dual: a strong suppressive subunit');
  }
});

test('stimuli: scene i of the seed is `render` scene i in PIL L gray', () => {
  const rgb = renderScene(3, { size: 40, seed: 9n }), g = grayScene(3, 40, 9n);
  for (const k of [0, 17, 800, 1599]) {
    const want = Math.floor((rgb[3 * k] * 19595 + rgb[3 * k + 1] * 38470 + rgb[3 * k + 2] * 7471 + 0x8000) / 65536);
    assert.is(g[k], want);
  }
});

test.run();
