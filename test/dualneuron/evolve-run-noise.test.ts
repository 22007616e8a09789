// Recording-like noise (issue 13 item 4). Oracles: the closed-form mean and second moment of max(0, 1 + eta Z)
// for Z ~ N(0,1) (a rectified normal), the Poisson mean and variance, and the stream's own determinism per
// (neuron, thread, seed) across a save/restore.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RecordingNoise, noiseSeed } from '../../src/dualneuron/evolve/recording-noise.js';

const test = suite('evolve recording noise');

const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
/** standard normal CDF by the complementary error function (Abramowitz-Stegun 7.1.26 is too coarse: use a series) */
function Phi(x: number): number {
  // erf by its Taylor series (converges fast for |x| < 6)
  const z = x / Math.SQRT2;
  let term = z, sum = z;
  for (let n = 1; n < 200; n++) { term *= -z * z / n; sum += term / (2 * n + 1); }
  return 0.5 * (1 + 2 / Math.sqrt(Math.PI) * sum);
}

test('max(0, 1 + eta Z): sample mean and second moment match the rectified-normal closed form', () => {
  const eta = 0.8, n = 200000;
  const noise = new RecordingNoise({ eta }, 3, 1, 7);
  const g = noise.apply(new Float64Array(n).fill(1));
  let m1 = 0, m2 = 0;
  for (const v of g) { m1 += v; m2 += v * v; }
  m1 /= n; m2 /= n;
  // X = 1 + eta Z ~ N(1, eta^2); a = 1/eta; E[max(0,X)] = Phi(a) + eta phi(a); E[max(0,X)^2] = (1 + eta^2) Phi(a) + eta phi(a)
  const a = 1 / eta;
  const e1 = Phi(a) + eta * phi(a), e2 = (1 + eta * eta) * Phi(a) + eta * phi(a);
  const sd1 = Math.sqrt((e2 - e1 * e1) / n);
  assert.ok(Math.abs(m1 - e1) < 5 * sd1, `mean ${m1} vs ${e1} (sd ${sd1})`);
  assert.ok(Math.abs(m2 - e2) < 0.01 * e2, `second moment ${m2} vs ${e2}`);
  assert.ok(g.every((v) => v >= 0), 'gains are rectified at 0');
});

test('Poisson counts over a window: mean and variance of the counts equal rate * window', () => {
  const rate = 20, window = 0.25, n = 40000;
  const noise = new RecordingNoise({ eta: 0, poissonWindow: window }, 0, 0, 1);
  const r = noise.apply(new Float64Array(n).fill(rate));
  let m = 0, v = 0;
  for (const x of r) { const c = x * window; assert.ok(Number.isInteger(Math.round(c * 1e9) / 1e9), 'a count'); m += c; }
  m /= n;
  for (const x of r) v += (x * window - m) ** 2;
  v /= n - 1;
  const lam = rate * window;
  assert.ok(Math.abs(m - lam) < 5 * Math.sqrt(lam / n), `mean count ${m} vs ${lam}`);
  assert.ok(Math.abs(v - lam) < 0.05 * lam, `variance ${v} vs ${lam}`);
});

test('streams: eta 0 is the identity; distinct per (neuron, thread, seed); a restored state continues the stream', () => {
  const x = Float64Array.from([1, 2, 3, 4]);
  assert.equal([...new RecordingNoise({ eta: 0 }, 0, 0, 0).apply(x)], [...x]);
  const seeds = new Set([noiseSeed(0, 0, 0), noiseSeed(1, 0, 0), noiseSeed(0, 1, 0), noiseSeed(0, 0, 1)].map(String));
  assert.is(seeds.size, 4);
  const a = new RecordingNoise({ eta: 0.2, poissonWindow: 0.5 }, 5, 1, 9);
  a.apply(x);
  const saved = a.state();
  const next = a.apply(x);
  const b = new RecordingNoise({ eta: 0.2, poissonWindow: 0.5 }, 5, 1, 9, saved);
  assert.equal([...b.apply(x)], [...next]);
  const fresh = new RecordingNoise({ eta: 0.2, poissonWindow: 0.5 }, 5, 1, 9);
  assert.equal([...fresh.apply(x)].length, 4);
  assert.throws(() => new RecordingNoise({ eta: 0.2 }, 6, 1, 9, saved), /another/);
  assert.throws(() => new RecordingNoise({ eta: -1 }, 0, 0, 0), /eta/);
  assert.throws(() => new RecordingNoise({ eta: 0, poissonWindow: 0 }, 0, 0, 0), /window/);
});

test.run();
