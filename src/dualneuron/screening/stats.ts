// Per-unit response statistics, as upstream screening/utils.py (compute_population_statistics), and the
// stable ascending order of responses used for MAIs/LAIs. Plain float64 arithmetic on the host.

/** Indices that sort `v` ascending; ties keep index order (upstream's torch.sort was unstable). NaNs excluded. */
export function stableArgsort(v: ArrayLike<number>): Int32Array {
  const idx: number[] = [];
  for (let i = 0; i < v.length; i++) if (!Number.isNaN(v[i])) idx.push(i);
  idx.sort((a, b) => (v[a] < v[b] ? -1 : v[a] > v[b] ? 1 : a - b));
  return Int32Array.from(idx);
}

/** Gini coefficient of ascending values: 2 * sum(i * x_i) / (n * sum x) - (n + 1) / n, i = 1..n; 0 if sum is 0. */
export function gini(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  let s = 0, w = 0;
  for (let i = 0; i < n; i++) { s += sorted[i]; w += (i + 1) * sorted[i]; }
  if (s === 0) return 0;
  return (2 * w) / (n * s) - (n + 1) / n;
}

/** Linear-interpolated percentile of ascending values (NumPy's default 'linear' method). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos), hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface UnitStats {
  unit: number;
  gini: number;
  skewness: number;
  mean: number;
  std: number;
  range: number;
  cv: number;
  max: number;
  q95: number;
  q05: number;
  active: boolean;
}

export const STAT_COLUMNS = ['unit', 'gini', 'skewness', 'mean', 'std', 'range', 'cv', 'max', 'q95', 'q05', 'active'] as const;

/**
 * Statistics of one unit's responses given in ascending order. With no responses (an empty shard, or every
 * image unreadable) every statistic is NaN and the unit is not active, as NumPy's mean/max of nothing.
 */
export function unitStats(unit: number, sorted: ArrayLike<number>): UnitStats {
  const n = sorted.length;
  if (n === 0) return { unit, gini: NaN, skewness: NaN, mean: NaN, std: NaN, range: NaN, cv: NaN, max: NaN, q95: NaN, q05: NaN, active: false };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += sorted[i];
  mean /= n;
  let m2 = 0, m3 = 0;
  for (let i = 0; i < n; i++) { const d = sorted[i] - mean; m2 += d * d; m3 += d * d * d; }
  m2 /= n; m3 /= n;
  const std = Math.sqrt(m2);
  const skewness = m2 === 0 ? NaN : m3 / m2 ** 1.5; // scipy.stats.skew (biased g1); NaN for constant data as scipy
  const max = sorted[n - 1], min = sorted[0];
  return {
    unit, gini: gini(sorted), skewness, mean, std, range: max - min, cv: std / (mean + 1e-8), max,
    q95: percentile(sorted, 95), q05: percentile(sorted, 5),
    active: max > 0.5 && mean > 0.01 && std > 0,
  };
}

/** CSV with a header, one row per unit, sorted descending by `sortBy` (upstream sorts by gini). */
export function statsCsv(rows: UnitStats[], sortBy: keyof UnitStats = 'gini'): string {
  const sorted = [...rows].sort((a, b) => (b[sortBy] as number) - (a[sortBy] as number) || a.unit - b.unit);
  const fmt = (v: number | boolean) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : Number.isInteger(v) ? String(v) : v.toPrecision(9));
  return [STAT_COLUMNS.join(','), ...sorted.map((r) => STAT_COLUMNS.map((c) => fmt(r[c])).join(','))].join('\n') + '\n';
}

/**
 * Adaptive sampling along a sorted response curve (upstream sample_activations_adaptively): transitions are
 * drawn without replacement with probability proportional to |diff| of the sorted responses, so steep parts of
 * the curve get more samples. Returns positions into the sorted order (transition + 1), ascending.
 */
export function sampleAdaptively(sorted: ArrayLike<number>, numSamples: number, uniform: () => number): number[] {
  const n = sorted.length;
  const w: number[] = [];
  for (let i = 0; i + 1 < n; i++) w.push(Math.abs(sorted[i + 1] - sorted[i]));
  const k = Math.min(numSamples, w.filter((x) => x > 0).length);
  const picked: number[] = [];
  let total = w.reduce((a, b) => a + b, 0);
  for (let s = 0; s < k && total > 0; s++) {
    let r = uniform() * total, j = 0;
    while (j < w.length - 1 && r >= w[j]) { r -= w[j]; j++; }
    picked.push(j + 1);
    total -= w[j];
    w[j] = 0;
  }
  return picked.sort((a, b) => a - b);
}
