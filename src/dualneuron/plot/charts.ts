// The figures of screening and synthesis (black theme as upstream; cyan for positive, magenta for negative or
// marked): population statistics histograms, a neuron's sorted response curve, its poles grid, adaptive
// sampling along the curve, and the MEI/LEI poles figure with activation traces.
import { Svg, THEME, drawAxes, sx, sy, type Axes } from './svg.js';
import type { UnitStats } from '../screening/stats.js';
import { median } from '../../util/median.js';

export interface GrayOrRgb { width: number; height: number; channels: 1 | 3; data: Uint8Array }


function histogram(svg: Svg, a: Omit<Axes, 'xlo' | 'xhi' | 'ylo' | 'yhi'>, values: number[], bins: number, title: string): void {
  const v = values.filter(Number.isFinite);
  let lo = Math.min(...v), hi = Math.max(...v);
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) counts[Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins))]++;
  const ax: Axes = { ...a, xlo: lo, xhi: hi, ylo: 0, yhi: Math.max(1, ...counts) * 1.05 };
  drawAxes(svg, ax, { title, ylabel: 'neurons' });
  const bw = ax.w / bins;
  counts.forEach((c, i) => { if (c) svg.rect(ax.x + i * bw, sy(ax, c), Math.max(bw - 1, 0.5), ax.y + ax.h - sy(ax, c), THEME.pos); });
  const m = median(v);
  svg.line(sx(ax, m), ax.y, sx(ax, m), ax.y + ax.h, { color: THEME.neg, dash: '5,4', width: 1.5 });
  svg.text(ax.x + ax.w - 4, ax.y + 14, `median ${m.toPrecision(3)}`, { size: 10, anchor: 'end', color: THEME.neg });
}

/** 2 x 3 histograms (50 bins) of gini, max, mean, cv, skewness and q95 with dashed median lines. */
export function populationFigure(stats: UnitStats[], title = 'Population statistics'): Svg {
  const svg = new Svg(1050, 640, THEME.bg);
  svg.text(525, 24, `${title} (${stats.length} units, ${stats.filter((s) => s.active).length} active)`, { size: 15, anchor: 'middle', weight: 'bold' });
  const keys: (keyof UnitStats)[] = ['gini', 'max', 'mean', 'cv', 'skewness', 'q95'];
  keys.forEach((k, i) => {
    const col = i % 3, row = Math.floor(i / 3);
    histogram(svg, { x: 70 + col * 330, y: 70 + row * 290, w: 260, h: 200 }, stats.map((s) => s[k] as number), 50, k);
  });
  return svg;
}

/** The sorted response curve of one neuron with its mean (upstream plot_neuron_activation). */
export function neuronCurveFigure(unit: number, sorted: ArrayLike<number>, s: UnitStats | null, samples: number[] = []): Svg {
  const svg = new Svg(760, 460, THEME.bg);
  const v = Array.from(sorted);
  const lo = Math.min(...v, 0), hi = Math.max(...v);
  const ax: Axes = { x: 80, y: 60, w: 640, h: 330, xlo: 0, xhi: Math.max(1, v.length - 1), ylo: lo, yhi: hi === lo ? lo + 1 : hi };
  drawAxes(svg, ax, { title: `Neuron ${unit} - Responses${s ? `   Gini ${s.gini.toFixed(3)} | Max ${s.max.toFixed(3)}` : ''}`, xlabel: 'image rank (ascending)', ylabel: 'response' });
  const step = Math.max(1, Math.floor(v.length / 2000));
  const pts: [number, number][] = [];
  for (let i = 0; i < v.length; i += step) pts.push([sx(ax, i), sy(ax, v[i])]);
  pts.push([sx(ax, v.length - 1), sy(ax, v[v.length - 1])]);
  svg.polyline(pts, { color: THEME.pos, width: 2 });
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  svg.line(ax.x, sy(ax, mean), ax.x + ax.w, sy(ax, mean), { color: THEME.neg, dash: '6,4' }).text(ax.x + ax.w - 4, sy(ax, mean) - 6, `mean ${mean.toFixed(3)}`, { size: 10, anchor: 'end', color: THEME.neg });
  if (lo < 0 && hi > 0) svg.line(ax.x, sy(ax, 0), ax.x + ax.w, sy(ax, 0), { color: THEME.grid });
  for (const p of samples) svg.circle(sx(ax, p), sy(ax, v[p]), 3, THEME.neg);
  return svg;
}

export interface LabelledImage { image: GrayOrRgb; label: string }

/** Rows of images with labels (upstream plot_neuron_poles: Lowest, First positive, Highest). */
export function imageRowsFigure(title: string, rows: { name: string; images: LabelledImage[] }[], cell = 96): Svg {
  const cols = Math.max(1, ...rows.map((r) => r.images.length));
  const left = 120, top = 50, gap = 8, labelH = 18;
  const svg = new Svg(Math.max(left + cols * (cell + gap) + 10, title.length * 9 + 40), top + rows.length * (cell + labelH + gap) + 10, THEME.bg);
  svg.text(svg.width / 2, 26, title, { size: 15, anchor: 'middle', weight: 'bold' });
  rows.forEach((r, ri) => {
    const y = top + ri * (cell + labelH + gap);
    svg.text(left - 10, y + cell / 2, r.name, { size: 12, anchor: 'end' });
    r.images.forEach((im, ci) => {
      const x = left + ci * (cell + gap);
      svg.image(x, y, cell, cell, im.image);
      svg.text(x + cell / 2, y + cell + 13, im.label, { size: 9, anchor: 'middle', color: THEME.muted });
    });
  });
  return svg;
}

/**
 * MEI/LEI poles (upstream plot_poles, 2 x 2): the activation traces above (least, most), the images below.
 * Traces are the signed activations per step.
 */
export function polesFigure(title: string, least: { image: GrayOrRgb; trace: number[] } | null, most: { image: GrayOrRgb; trace: number[] } | null): Svg {
  const svg = new Svg(760, 640, THEME.bg);
  svg.text(380, 26, title, { size: 15, anchor: 'middle', weight: 'bold' });
  const all = [...(least?.trace ?? []), ...(most?.trace ?? [])];
  const ylo = Math.min(0, ...all), yhi = Math.max(...all, ylo + 1e-6);
  ([['LEI (least)', least, THEME.neg], ['MEI (most)', most, THEME.pos]] as const).forEach(([name, p, color], i) => {
    const x0 = 70 + i * 360;
    if (!p) return;
    const ax: Axes = { x: x0, y: 60, w: 280, h: 200, xlo: 0, xhi: Math.max(1, p.trace.length - 1), ylo, yhi };
    drawAxes(svg, ax, { title: `${name}: ${p.trace[p.trace.length - 1]?.toFixed(3)}`, xlabel: 'step', ylabel: i === 0 ? 'activation' : undefined });
    svg.polyline(p.trace.map((v, k) => [sx(ax, k), sy(ax, v)] as [number, number]), { color, width: 2 });
    svg.image(x0, 310, 280, 280, p.image);
  });
  return svg;
}
