// Is the mean over seeds of a pole's responses below (or above) a fixed baseline? A one-sided studentized
// ("bootstrap-t") test over seeds, and the Benjamini-Hochberg correction across neurons.
//
// Why bootstrap-t and not the plain bootstrap of the mean: with 5 seeds the distribution of a resampled mean is
// too narrow (it ignores that the spread itself is estimated from 5 values), and the plain test rejects a true
// null about 11% of the time at alpha 0.05; the studentized one about 4.5% (measured on Gaussian nulls with
// 5 and 8 seeds; with 3 seeds no bootstrap is calibrated, about 9%: use >= 5 seeds).
//
// The test, for responses x_1..x_n and baseline b, H1 "mean below b":
//   d_i = x_i - b, t = mean(d), se = sd(d) / sqrt(n) (sd with n - 1), T = t / se;
//   a resample draws n of the d_i with replacement (multiplicities k_1..k_n), m* = sum k_i d_i / n,
//   se* = sd* / sqrt(n) (sd* with n - 1 over the drawn values), T* = (m* - t) / se*;
//   p = P(T* <= T) over resamples. A resample whose values are all equal (se* = 0) has T* = 0.
// For n <= EXACT_MAX_SEEDS every distinct resample is enumerated with its multinomial probability
// n! / (prod k_i! n^n), so p is exact and needs no random numbers; above, B resamples are drawn from a seeded
// generator and p = (1 + count) / (B + 1). When all d_i are equal (se = 0), p is 0 if t < 0, else 1.
// "Above b" is the same test on -d.
import { InputError } from '../../errors.js';
import { HostRng } from '../render/rng.js';

export const EXACT_MAX_SEEDS = 10;
export const MIN_SEEDS = 3;
export const MONTE_CARLO_RESAMPLES = 20_000;

/** se* at most this fraction of the sample's scale counts as zero (all drawn values equal up to rounding) */
const DEGENERATE = 1e-9;

const logFactorial = (() => {
  const t = [0];
  for (let i = 1; i <= 64; i++) t.push(t[i - 1] + Math.log(i));
  return (k: number) => t[k];
})();

/** Every multiplicity vector (k_1..k_n >= 0, sum n) with its probability under n draws with replacement. */
function* resamples(n: number): Generator<{ k: Int32Array; prob: number }> {
  const k = new Int32Array(n);
  const base = logFactorial(n) - n * Math.log(n);
  function* fill(i: number, left: number, logDen: number): Generator<{ k: Int32Array; prob: number }> {
    if (i === n - 1) {
      k[i] = left;
      yield { k, prob: Math.exp(base - logDen - logFactorial(left)) };
      return;
    }
    for (let c = left; c >= 0; c--) {
      k[i] = c;
      yield* fill(i + 1, left - c, logDen + logFactorial(c));
    }
  }
  yield* fill(0, n, 0);
}

/** T* of one resample given by multiplicities (k) over the values d, t the sample mean; 0 when degenerate. */
function studentized(d: ArrayLike<number>, k: ArrayLike<number>, t: number, scale: number): number {
  const n = d.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += k[i] * d[i];
  m /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) if (k[i]) ss += k[i] * (d[i] - m) * (d[i] - m);
  const se = Math.sqrt(ss / (n - 1) / n);
  return se <= DEGENERATE * scale ? 0 : (m - t) / se;
}

export interface BootstrapResult {
  /** one-sided p-value */
  p: number;
  /** mean(x) - baseline */
  difference: number;
  /** the observed studentized statistic (+-Infinity or NaN when the seeds agree exactly) */
  t: number;
  /** 'exact' (every resample enumerated) or 'monte-carlo' */
  method: 'exact' | 'monte-carlo';
}

/**
 * One-sided seed bootstrap-t test of mean(x) against a fixed baseline: 'below' tests H1 mean(x) < baseline,
 * 'above' tests H1 mean(x) > baseline. `seed` drives the Monte Carlo resamples (only used for > 10 values).
 */
export function seedBootstrap(x: ArrayLike<number>, baseline: number, side: 'below' | 'above', o: { seed?: bigint; resamples?: number } = {}): BootstrapResult {
  const n = x.length;
  // with 2 values every resample's T* is 0 or degenerate: p would be 0 or 1 whatever the data
  if (n < MIN_SEEDS) throw new InputError(`the seed bootstrap needs at least ${MIN_SEEDS} seeds, got ${n}`);
  if (!Number.isFinite(baseline) || Array.from(x).some((v) => !Number.isFinite(v))) throw new InputError('the seed bootstrap got a non-finite response (NaN or infinity): the twin\'s outputs are broken');
  const sign = side === 'below' ? 1 : -1;
  const d = Float64Array.from(x, (v) => sign * (v - baseline));
  const t = d.reduce((a, b) => a + b, 0) / n;
  let ss = 0, scale = 0;
  for (const v of d) { ss += (v - t) * (v - t); scale = Math.max(scale, Math.abs(v - t)); }
  const se = Math.sqrt(ss / (n - 1) / n);
  const difference = sign * t;
  if (se <= DEGENERATE * Math.max(scale, Math.abs(t))) {
    return { p: t < 0 ? 0 : 1, difference, t: t < 0 ? -Infinity : t > 0 ? Infinity : NaN, method: 'exact' };
  }
  const T = t / se;
  if (n <= EXACT_MAX_SEEDS) {
    let p = 0;
    for (const r of resamples(n)) if (studentized(d, r.k, t, scale) <= T) p += r.prob;
    return { p: Math.min(1, p), difference, t: sign * T, method: 'exact' };
  }
  const B = o.resamples ?? MONTE_CARLO_RESAMPLES;
  const rng = new HostRng(o.seed ?? 0n);
  const k = new Int32Array(n);
  let count = 0;
  for (let b = 0; b < B; b++) {
    k.fill(0);
    for (let j = 0; j < n; j++) k[rng.int(0, n)]++;
    if (studentized(d, k, t, scale) <= T) count++;
  }
  return { p: (1 + count) / (B + 1), difference, t: sign * T, method: 'monte-carlo' };
}

/** Benjamini-Hochberg adjusted p-values (q-values), in the order given: q_(i) = min_{j >= i} p_(j) m / j, at most 1. */
export function benjaminiHochberg(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
  const q = new Array<number>(m);
  let run = 1;
  for (let r = m - 1; r >= 0; r--) {
    const i = order[r];
    run = Math.min(run, (p[i] * m) / (r + 1));
    q[i] = run;
  }
  return q;
}
