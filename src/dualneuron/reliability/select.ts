// The notebook's neuron selection: neurons whose oracle measure lies strictly above the p-th percentile of all
// neurons' values and whose response variance lies strictly above the q-th percentile (it used 60 and 50, with
// pandas' Series.quantile: linear interpolation between order statistics, NaN left out). Neurons without a value
// (skipped) take no part in the percentiles and are never selected.

/** Linear-interpolation quantile of finite values (pandas' and NumPy's default); q in [0, 1]. */
export function quantileLinear(values: readonly number[], q: number): number | null {
  const v = values.filter(Number.isFinite).slice().sort((a, b) => a - b);
  if (v.length === 0) return null;
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, v.length - 1);
  return v[lo]! + (v[hi]! - v[lo]!) * (pos - lo);
}

export interface Selection {
  oracleThreshold: number | null;
  varianceThreshold: number | null;
  selected: boolean[];
}

/** measure[n] and variance[n] (null when skipped); percentiles in 0..100. */
export function selectByPercentiles(measure: readonly (number | null)[], variance: readonly (number | null)[], oraclePercentile: number, variancePercentile: number): Selection {
  const ok = measure.map((m, n) => m !== null && variance[n] !== null);
  const oracleThreshold = quantileLinear(measure.filter((_, n) => ok[n]) as number[], oraclePercentile / 100);
  const varianceThreshold = quantileLinear(variance.filter((_, n) => ok[n]) as number[], variancePercentile / 100);
  const selected = measure.map((m, n) => ok[n]! && m! > oracleThreshold! && variance[n]! > varianceThreshold!);
  return { oracleThreshold, varianceThreshold, selected };
}
