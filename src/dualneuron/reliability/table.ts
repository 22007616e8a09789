// Per-neuron reliability of a whole data set: every measure of reliability/oracle.ts, the repeat counts, a named
// reason for each neuron that cannot be scored, and the notebook's percentile selection.
import type { ResponseCube } from '../recorded/types.js';
import { repeatGroups } from '../recorded/types.js';
import { averageSuperOracle, explainableVarianceFraction, jackknifeOracle, meanResponseVariance } from './oracle.js';
import { selectByPercentiles } from './select.js';

export type SelectBy = 'average_super_oracle' | 'oracle';
export const SELECT_BY: readonly SelectBy[] = ['average_super_oracle', 'oracle'];

export interface ReliabilityOptions {
  /** iterations of average_super_oracle (the notebook used 50) */
  iterations: number;
  seed: bigint;
  /** percentile (0..100) of the selection measure a neuron must exceed (notebook: 60) */
  oraclePercentile: number;
  /** percentile (0..100) of the variance a neuron must exceed (notebook: 50) */
  variancePercentile: number;
  /** which oracle the selection thresholds (notebook: its average_super_oracle) */
  selectBy: SelectBy;
}

export const DEFAULT_RELIABILITY: ReliabilityOptions = {
  iterations: 50, seed: 0n, oraclePercentile: 60, variancePercentile: 50, selectBy: 'average_super_oracle',
};

export interface NeuronReliability {
  index: number;
  id: string;
  /** fewest and most repeats over the images this neuron has responses to (0, 0 when none) */
  repeatsMin: number;
  repeatsMax: number;
  /** images with at least one response */
  images: number;
  /** images with at least two responses (the ones every oracle uses) */
  repeatedImages: number;
  oracle: number | null;
  superOracle: number | null;
  averageSuperOracle: number | null;
  /** iterations of average_super_oracle whose correlation was defined */
  superOracleIterations: number;
  explainableVariance: number | null;
  variance: number | null;
  selected: boolean;
  /** why this neuron has no score (then it is not selected); null when scored */
  skip: string | null;
}

export interface ReliabilityResult {
  neurons: NeuronReliability[];
  oracleThreshold: number | null;
  varianceThreshold: number | null;
  options: ReliabilityOptions;
}

function skipReason(groups: number[][], n: Omit<NeuronReliability, 'selected' | 'skip'>): string | null {
  if (n.images === 0) return 'no responses (every entry is NaN)';
  if (n.repeatedImages < 2) {
    return `only ${n.repeatedImages} image(s) with 2 or more repeats (repeats per image ${n.repeatsMin}..${n.repeatsMax}); ` +
      'the oracle needs at least 2 such images';
  }
  if (n.oracle === null) {
    const v = groups.find((g) => g.length >= 2)![0]!;
    return `every response on repeated images equals ${v}: no variation to correlate`;
  }
  if (n.averageSuperOracle === null) return 'super_oracle was undefined in every iteration (the drawn responses were constant)';
  if (n.variance === null) return 'the mean responses per image do not have a variance';
  return null;
}

export function computeReliability(cube: ResponseCube, neuronIds: readonly string[], o: ReliabilityOptions): ReliabilityResult {
  const rows: NeuronReliability[] = [];
  for (let n = 0; n < cube.neurons; n++) {
    const groups = repeatGroups(cube, n);
    const counts = groups.map((g) => g.length).filter((c) => c > 0);
    const repeated = counts.filter((c) => c >= 2).length;
    const sup = repeated >= 2 ? averageSuperOracle(groups, cube.images, o.seed, o.iterations, n) : { first: null, average: null, defined: 0 };
    const base = {
      index: n, id: neuronIds[n]!,
      repeatsMin: counts.length ? Math.min(...counts) : 0, repeatsMax: counts.length ? Math.max(...counts) : 0,
      images: counts.length, repeatedImages: repeated,
      oracle: repeated >= 2 ? jackknifeOracle(groups) : null,
      superOracle: sup.first, averageSuperOracle: sup.average, superOracleIterations: sup.defined,
      explainableVariance: repeated >= 2 ? explainableVarianceFraction(groups) : null,
      variance: meanResponseVariance(groups),
    };
    const skip = skipReason(groups, base);
    rows.push({ ...base, selected: false, skip });
  }
  const measure = rows.map((r) => (r.skip !== null ? null : o.selectBy === 'oracle' ? r.oracle : r.averageSuperOracle));
  const sel = selectByPercentiles(measure, rows.map((r) => (r.skip !== null ? null : r.variance)), o.oraclePercentile, o.variancePercentile);
  rows.forEach((r, n) => { r.selected = sel.selected[n]!; });
  return { neurons: rows, oracleThreshold: sel.oracleThreshold, varianceThreshold: sel.varianceThreshold, options: o };
}
