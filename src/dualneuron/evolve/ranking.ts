// Score checks and the orderings and recombination weights shared by the optimisers.
import { InputError } from '../../errors.js';

/** the scores of one generation as float64, negated when minimising so that every optimiser maximises */
export function checkScores(scores: ArrayLike<number>, expected: number, maximize: boolean, who: string): Float64Array {
  if (!scores || scores.length !== expected) {
    throw new InputError(`${who}.tell: got ${scores?.length ?? 'no'} scores for a population of ${expected}; pass one score per code of ask()`);
  }
  const out = new Float64Array(expected);
  for (let i = 0; i < expected; i++) {
    const s = Number(scores[i]);
    if (!Number.isFinite(s)) throw new InputError(`${who}.tell: score ${i} is ${s}; scores must be finite numbers`);
    out[i] = maximize ? s : -s;
  }
  return out;
}

/** indices from the highest score to the lowest; ties keep index order (a stable sort) */
export function descendingOrder(scores: ArrayLike<number>): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => (scores[b] - scores[a]) || (a - b));
  return idx;
}

/**
 * Recombination weights w_i = ln(mu + 1/2) - ln i for i = 1..floor(mu), normalised to sum 1 (Hansen; upstream's
 * CholeskyCMAES and rankweight). mu may be fractional (lambda / 2), as upstream computes it.
 */
export function logWeights(mu: number): Float64Array {
  const n = Math.floor(mu);
  const w = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) { w[i] = Math.log(mu + 0.5) - Math.log(i + 1); sum += w[i]; }
  for (let i = 0; i < n; i++) w[i] /= sum;
  return w;
}

/** the variance effective selection mass (sum w)^2 / sum w^2 */
export function muEff(w: Float64Array): number {
  let s = 0, s2 = 0;
  for (const x of w) { s += x; s2 += x * x; }
  return (s * s) / s2;
}

export function checkPositiveInt(v: number, name: string, who: string, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new InputError(`${who}: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

export function checkPositive(v: number, name: string, who: string): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InputError(`${who}: ${name} must be a finite number > 0, got ${v}`);
  return v;
}
