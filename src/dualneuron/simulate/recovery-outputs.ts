// The files of a recovery (recover.ts, and the demo on the embedded twin): mei.npy, lei.npy (the twin's, contrast
// units), recovery.csv (per neuron), summary.json and recovery.svg (true and recovered MEIs/LEIs side by side).
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { formatCsv } from '../../io/csv.js';
import { writeNpy } from '../../io/npy.js';
import { imageRowsFigure } from '../plot/charts.js';
import { saveFigure } from '../plot/save.js';
import { toDisplay } from '../synthesis/outputs.js';
import type { RecoveryResult, RecoverySummary } from './recovery.js';
import type { SimulationTruth } from './truth.js';

export const RECOVERY_COLUMNS = ['neuron', 'id', 'dual', 'true_lei_below_baseline', 'mei_cosine', 'lei_cosine', 'mei_drive_ratio', 'lei_drive_ratio',
  'twin_baseline', 'twin_mei_rate', 'twin_lei_rate', 'twin_lei_below_baseline'] as const;

/** neurons drawn in the figure */
const FIGURE_NEURONS = 12;

/** Writes the files into `out`; returns their paths. `info` goes into summary.json before the numbers. */
export function writeRecovery(out: string, truth: SimulationTruth, r: RecoveryResult, s: RecoverySummary, title: string, info: Record<string, unknown>): string[] {
  const N = r.neurons.length, S = truth.size, P = S * S;
  writeNpy(join(out, 'mei.npy'), { dtype: 'f32', shape: [N, S, S], data: r.mei });
  writeNpy(join(out, 'lei.npy'), { dtype: 'f32', shape: [N, S, S], data: r.lei });
  writeFileAtomic(join(out, 'recovery.csv'), formatCsv(RECOVERY_COLUMNS, r.neurons.map((q) => [
    q.neuron, q.id, q.dual ? 1 : 0, q.trueBelowBaseline ? 1 : 0, q.meiCosine, q.leiCosine, q.meiDriveRatio, q.leiDriveRatio,
    q.twinBaseline, q.twinMeiRate, q.twinLeiRate, q.twinBelowBaseline ? 1 : 0])));
  writeFileAtomic(join(out, 'summary.json'), JSON.stringify({
    ...info, images: 'mei.npy / lei.npy: the twin\'s, in contrast units x = pixel / 255 - 0.5, (neurons in recovery.csv order, S, S)', ...s,
  }, null, 1) + '\n');
  const shown = r.neurons.slice(0, FIGURE_NEURONS).map((q, k) => ({ ...q, k }));
  const cell = (img: Float32Array, n: number, label: string) => ({ image: { width: S, height: S, channels: 1 as const, data: toDisplay(img.slice(n * P, (n + 1) * P), 1, S) }, label });
  const figs = saveFigure(imageRowsFigure(title, [
    { name: 'true MEI', images: shown.map((q) => cell(truth.mei, q.neuron, `neuron ${q.id}`)) },
    { name: 'twin MEI', images: shown.map((q) => cell(r.mei, q.k, `cos ${q.meiCosine.toFixed(2)}`)) },
    { name: 'true LEI', images: shown.map((q) => cell(truth.lei, q.neuron, q.trueBelowBaseline ? 'below baseline' : 'flat')) },
    { name: 'twin LEI', images: shown.map((q) => cell(r.lei, q.k, `cos ${q.leiCosine.toFixed(2)}`)) },
  ], 64), join(out, 'recovery'));
  return [join(out, 'recovery.csv'), join(out, 'summary.json'), join(out, 'mei.npy'), join(out, 'lei.npy'), ...figs];
}

/** The summary in three lines, for the terminal. */
export function recoveryLines(s: RecoverySummary): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  return [
    `MEI: median cosine ${s.mei.medianCosine.toFixed(3)}, ${pct(s.mei.fractionAtLeast)} of ${s.neurons} neurons >= ${s.threshold}`,
    s.leiBelowBaselineNeurons.count === 0
      ? `LEI: none of these neurons has a true LEI below baseline (their LEIs are nearly flat); median cosine ${s.lei.medianCosine.toFixed(3)}`
      : `LEI (the ${s.leiBelowBaselineNeurons.count} neurons whose true LEI is below baseline): median cosine ${s.leiBelowBaselineNeurons.medianCosine.toFixed(3)}, ` +
        `${pct(s.leiBelowBaselineNeurons.fractionAtLeast)} >= ${s.threshold}; all neurons: median ${s.lei.medianCosine.toFixed(3)}`,
    `"LEI below baseline": ${pct(s.labels.truthFraction)} in the truth, ${pct(s.labels.twinFraction)} on the twin; the labels agree for ${pct(s.labels.agreement)}`,
  ];
}
