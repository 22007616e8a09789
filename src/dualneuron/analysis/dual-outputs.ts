// What `analyze dual` writes: dual.csv (one row per neuron) and the population figure (responses relative to
// the baseline, neurons sorted by suppression index, and the distribution of the index by label).
import { formatCsv } from '../../io/csv.js';
import { Svg, THEME, drawAxes, sx, sy, type Axes } from '../plot/svg.js';
import type { DualResult, DualSummary } from './dual-labels.js';

export interface DualRow {
  inSample: DualResult;
  /** labels against the screened set's mean response (with --screen) */
  screen?: { result: DualResult; mai: number; lai: number; images: number };
  /** labels on the held-out members (poles made on the others) */
  heldOut?: DualResult;
  mei: number[];
  lei: number[];
}

const TESTS = ['p_mei', 'q_mei', 'p_lei', 'q_lei', 'label', 'suppression_index'] as const;
const testCells = (r: DualResult | undefined) => (r ? [r.pMei, r.qMei, r.pLei, r.qLei, r.label, r.suppressionIndex] : TESTS.map(() => null));

export function dualCsv(rows: DualRow[], seeds: string[], o: { screen: boolean; heldOut: boolean }): string {
  const header: string[] = ['neuron', 'baseline_gray', 'mei_mean', 'lei_mean', ...seeds.map((s) => `mei_seed_${s}`), ...seeds.map((s) => `lei_seed_${s}`), ...TESTS];
  if (o.screen) header.push('baseline_screen', 'mai', 'lai', 'screened_images', ...TESTS.map((t) => `${t}_screen`));
  if (o.heldOut) header.push('baseline_gray_heldout', 'mei_mean_heldout', 'lei_mean_heldout', ...TESTS.map((t) => `${t}_heldout`));
  return formatCsv(header, rows.map((r) => {
    const a = r.inSample;
    const row: (string | number | boolean | null)[] = [a.neuron, a.baseline, a.meiMean, a.leiMean, ...r.mei, ...r.lei, ...testCells(a)];
    if (o.screen) row.push(r.screen?.result.baseline ?? null, r.screen?.mai ?? null, r.screen?.lai ?? null, r.screen?.images ?? null, ...testCells(r.screen?.result));
    if (o.heldOut) row.push(r.heldOut?.baseline ?? null, r.heldOut?.meiMean ?? null, r.heldOut?.leiMean ?? null, ...testCells(r.heldOut));
    return row;
  }));
}

const COLOR: Record<DualResult['label'], string> = { dual: THEME.neg, 'excitatory only': THEME.pos, unreliable: THEME.muted };

/**
 * Left: per neuron (sorted by suppression index) the MEI and LEI responses of every seed and their means,
 * relative to the baseline and in units of (mean MEI - baseline): baseline at 0, mean MEI at 1, the LEI mean at
 * minus the suppression index. Right: histogram of the index over reliable neurons, dual and excitatory only stacked.
 */
export function dualFigure(title: string, rows: DualRow[], s: DualSummary): Svg {
  const svg = new Svg(1100, 520, THEME.bg);
  svg.text(550, 24, title, { size: 15, anchor: 'middle', weight: 'bold' });
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  svg.text(550, 44, `${s.neurons} neurons: ${s.counts.dual} dual (${pct(s.fractionDual)}), ${s.counts['excitatory only']} excitatory only, ${s.counts.unreliable} unreliable` +
    (s.index ? `; median suppression index ${s.index.median.toFixed(3)}` : ''), { size: 12, anchor: 'middle', color: THEME.muted });
  const usable = rows.filter((r) => r.inSample.meiMean > r.inSample.baseline).sort((a, b) => a.inSample.suppressionIndex! - b.inSample.suppressionIndex!);
  const rel = (r: DualRow, v: number) => (v - r.inSample.baseline) / (r.inSample.meiMean - r.inSample.baseline);
  const all = usable.flatMap((r) => [...r.mei, ...r.lei].map((v) => rel(r, v)));
  const lo = Math.min(-0.2, ...all), hi = Math.max(1.2, ...all);
  const ax: Axes = { x: 80, y: 80, w: 560, h: 370, xlo: -0.5, xhi: Math.max(usable.length - 0.5, 0.5), ylo: lo, yhi: hi };
  drawAxes(svg, ax, { title: 'responses relative to baseline', xlabel: 'neuron (sorted by suppression index)', ylabel: '(response - baseline) / (mean MEI - baseline)' });
  svg.line(ax.x, sy(ax, 0), ax.x + ax.w, sy(ax, 0), { color: THEME.fg, dash: '4,3' }).text(ax.x + ax.w - 4, sy(ax, 0) - 4, 'baseline (gray)', { size: 10, anchor: 'end', color: THEME.muted });
  usable.forEach((r, i) => {
    const x = sx(ax, i), c = COLOR[r.inSample.label];
    for (const v of r.mei) svg.circle(x, sy(ax, rel(r, v)), 1.8, THEME.muted);
    for (const v of r.lei) svg.circle(x, sy(ax, rel(r, v)), 1.8, c);
    svg.line(x, sy(ax, 0), x, sy(ax, rel(r, r.inSample.leiMean)), { color: c, width: 2 });
  });
  const legend: [string, string][] = [['dual', COLOR.dual], ['excitatory only', COLOR['excitatory only']], ['unreliable', COLOR.unreliable]];
  legend.forEach(([t, c], i) => { svg.rect(ax.x + 8, ax.y + 8 + i * 16, 10, 10, c); svg.text(ax.x + 22, ax.y + 17 + i * 16, `LEI: ${t}`, { size: 10 }); });

  const idx = rows.filter((r) => r.inSample.label !== 'unreliable' && r.inSample.suppressionIndex !== null);
  const vals = idx.map((r) => r.inSample.suppressionIndex!);
  const hx: Axes = { x: 740, y: 80, w: 320, h: 370, xlo: Math.min(-0.1, ...vals), xhi: Math.max(0.5, ...vals), ylo: 0, yhi: 1 };
  const bins = 20, bw = (hx.xhi - hx.xlo) / bins;
  const count = (label: DualResult['label']) => {
    const c = new Array<number>(bins).fill(0);
    for (const r of idx) if (r.inSample.label === label) c[Math.min(bins - 1, Math.floor((r.inSample.suppressionIndex! - hx.xlo) / bw))]++;
    return c;
  };
  const dual = count('dual'), exc = count('excitatory only');
  hx.yhi = Math.max(1, ...dual.map((v, i) => v + exc[i]));
  drawAxes(svg, hx, { title: 'suppression index', xlabel: '(baseline - LEI) / (MEI - baseline)', ylabel: 'neurons' });
  for (let i = 0; i < bins; i++) {
    const x0 = sx(hx, hx.xlo + i * bw), w = Math.max(sx(hx, hx.xlo + (i + 1) * bw) - x0 - 1, 0.5);
    if (exc[i]) svg.rect(x0, sy(hx, exc[i]), w, sy(hx, 0) - sy(hx, exc[i]), COLOR['excitatory only']);
    if (dual[i]) svg.rect(x0, sy(hx, exc[i] + dual[i]), w, sy(hx, exc[i]) - sy(hx, exc[i] + dual[i]), COLOR.dual);
  }
  if (s.index) svg.line(sx(hx, s.index.median), hx.y, sx(hx, s.index.median), hx.y + hx.h, { color: THEME.fg, dash: '5,4' });
  return svg;
}
