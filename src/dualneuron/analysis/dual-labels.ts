// Dual-feature labels (issue 15 item 1): does a neuron have a preferred feature that drives it above its
// baseline *and* a distinct feature that pushes it below? Per neuron, from the responses of its MEIs and LEIs
// over seeds and a baseline response:
//   - MEI test: seed bootstrap-t, H1 mean(MEI) > baseline; LEI test: H1 mean(LEI) < baseline (seed-bootstrap.ts);
//   - each test's p-values are corrected across the neurons analysed together (Benjamini-Hochberg, false
//     discovery rate alpha);
//   - label: "unreliable" when the MEI test is not significant (the twin's MEIs do not reliably beat the baseline,
//     so there is no preferred feature to compare with), else "dual" when the LEI test is significant, else
//     "excitatory only";
//   - suppression index (baseline - mean LEI) / (mean MEI - baseline): 0 for no suppression, 1 when the LEI
//     pushes as far below the baseline as the MEI drives above it (null when mean MEI <= baseline).
import { InputError } from '../../errors.js';
import { median } from '../../util/median.js';
import { benjaminiHochberg, seedBootstrap } from './seed-bootstrap.js';

export type DualLabel = 'dual' | 'excitatory only' | 'unreliable';
export const DUAL_LABELS: readonly DualLabel[] = ['dual', 'excitatory only', 'unreliable'];

export interface NeuronPoleResponses {
  neuron: number;
  baseline: number;
  /** one response per seed */
  mei: number[];
  lei: number[];
}

export interface DualResult {
  neuron: number;
  baseline: number;
  meiMean: number;
  leiMean: number;
  pMei: number;
  qMei: number;
  pLei: number;
  qLei: number;
  label: DualLabel;
  suppressionIndex: number | null;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

export function suppressionIndex(baseline: number, meiMean: number, leiMean: number): number | null {
  return meiMean > baseline ? (baseline - leiMean) / (meiMean - baseline) : null;
}

/** Labels of neurons analysed together (the correction runs across them). `seed` only matters for > 10 seeds. */
export function classifyDual(rs: NeuronPoleResponses[], o: { alpha?: number; seed?: bigint } = {}): DualResult[] {
  const alpha = o.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new InputError(`--alpha must lie in (0, 1), got ${alpha}`);
  if (!rs.length) throw new InputError('no neurons to classify');
  for (const r of rs) {
    if (r.mei.length !== r.lei.length) throw new InputError(`neuron ${r.neuron}: ${r.mei.length} MEI responses but ${r.lei.length} LEI responses; every seed needs both`);
  }
  const pMei = rs.map((r, i) => seedBootstrap(r.mei, r.baseline, 'above', { seed: (o.seed ?? 0n) + BigInt(2 * i) }).p);
  const pLei = rs.map((r, i) => seedBootstrap(r.lei, r.baseline, 'below', { seed: (o.seed ?? 0n) + BigInt(2 * i + 1) }).p);
  const qMei = benjaminiHochberg(pMei), qLei = benjaminiHochberg(pLei);
  return rs.map((r, i) => {
    const meiMean = mean(r.mei), leiMean = mean(r.lei);
    const label: DualLabel = qMei[i] > alpha ? 'unreliable' : qLei[i] <= alpha ? 'dual' : 'excitatory only';
    return { neuron: r.neuron, baseline: r.baseline, meiMean, leiMean, pMei: pMei[i], qMei: qMei[i], pLei: pLei[i], qLei: qLei[i], label, suppressionIndex: suppressionIndex(r.baseline, meiMean, leiMean) };
  });
}

export interface DualSummary {
  neurons: number;
  counts: Record<DualLabel, number>;
  fractionDual: number;
  /** over neurons that are not "unreliable" */
  fractionDualOfReliable: number | null;
  /** suppression index over the reliable neurons (dual and excitatory only) */
  index: { median: number; q25: number; q75: number; min: number; max: number } | null;
}

const quantile = (sorted: number[], q: number) => {
  const pos = q * (sorted.length - 1), lo = Math.floor(pos), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
};

export function summariseDual(rs: DualResult[]): DualSummary {
  const counts = Object.fromEntries(DUAL_LABELS.map((l) => [l, rs.filter((r) => r.label === l).length])) as Record<DualLabel, number>;
  const reliable = rs.length - counts.unreliable;
  const idx = rs.filter((r) => r.label !== 'unreliable' && r.suppressionIndex !== null).map((r) => r.suppressionIndex!).sort((a, b) => a - b);
  return {
    neurons: rs.length, counts, fractionDual: counts.dual / rs.length, fractionDualOfReliable: reliable ? counts.dual / reliable : null,
    index: idx.length ? { median: median(idx), q25: quantile(idx, 0.25), q75: quantile(idx, 0.75), min: idx[0], max: idx[idx.length - 1] } : null,
  };
}
