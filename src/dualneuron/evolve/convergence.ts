// Convergence of an evolution (Wang & Ponce Figure 4): the time constant tau of an exponential rise
// y(t) = a - b exp(-t / tau) fitted by least squares to the mean-score trajectory, and the success ratio
// final / initial. The fit is separable: for a fixed tau, a and b are a linear least-squares problem, so only
// the residual as a function of log tau is searched (a grid, then golden-section refinement).
import { InputError } from '../../errors.js';

export interface ExpFit { a: number; b: number; tau: number; rss: number }

function linearFit(y: ArrayLike<number>, tau: number): ExpFit {
  // basis 1 and e_t = -exp(-t/tau); normal equations of a 2-column least squares
  const n = y.length;
  let se = 0, see = 0, sy = 0, sey = 0;
  for (let t = 0; t < n; t++) {
    const e = -Math.exp(-t / tau);
    se += e; see += e * e; sy += y[t]; sey += e * y[t];
  }
  const det = n * see - se * se;
  const a = det === 0 ? sy / n : (see * sy - se * sey) / det;
  const b = det === 0 ? 0 : (n * sey - se * sy) / det;
  let rss = 0;
  for (let t = 0; t < n; t++) { const r = y[t] - a + b * Math.exp(-t / tau); rss += r * r; }
  return { a, b, tau, rss };
}

/** Least-squares fit of y(t) = a - b exp(-t/tau), t = 0..n-1 (generations), tau searched in [0.05, 100 n]. */
export function fitExponentialRise(y: ArrayLike<number>): ExpFit {
  const n = y.length;
  if (n < 3) throw new InputError(`an exponential fit needs at least 3 generations, got ${n}`);
  const lo = Math.log(0.05), hi = Math.log(100 * n), steps = 400;
  let best = 0, bestRss = Infinity;
  for (let i = 0; i <= steps; i++) {
    const r = linearFit(y, Math.exp(lo + (hi - lo) * i / steps)).rss;
    if (r < bestRss) { bestRss = r; best = i; }
  }
  let x0 = lo + (hi - lo) * Math.max(0, best - 1) / steps, x3 = lo + (hi - lo) * Math.min(steps, best + 1) / steps;
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = x3 - g * (x3 - x0), x2 = x0 + g * (x3 - x0);
  let f1 = linearFit(y, Math.exp(x1)).rss, f2 = linearFit(y, Math.exp(x2)).rss;
  for (let it = 0; it < 200 && x3 - x0 > 1e-13; it++) {
    if (f1 < f2) { x3 = x2; x2 = x1; f2 = f1; x1 = x3 - g * (x3 - x0); f1 = linearFit(y, Math.exp(x1)).rss; }
    else { x0 = x1; x1 = x2; f1 = f2; x2 = x0 + g * (x3 - x0); f2 = linearFit(y, Math.exp(x2)).rss; }
  }
  return linearFit(y, Math.exp((x0 + x3) / 2));
}

/** final / initial mean score, and whether the evolution succeeded (final above initial). */
export function successRatio(meanScores: ArrayLike<number>): { ratio: number; success: boolean } {
  const first = meanScores[0], last = meanScores[meanScores.length - 1];
  return { ratio: last / first, success: last > first };
}
