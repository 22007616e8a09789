// The figure of `dualneuron evaluate`: per neuron, the twin's test correlation against the neuron's jackknife
// oracle, with the identity line (fraction of oracle 1) and the 0.8 line; the median fraction in the title.
import { Svg, THEME, drawAxes, sx, sy, type Axes } from './svg.js';
import type { Evaluation } from '../train/evaluate.js';

export function evaluateFigure(e: Evaluation, title: string): Svg {
  const svg = new Svg(560, 520, THEME.bg);
  const scored = e.neurons.filter((n) => n.correlation !== null && n.oracle !== null);
  const med = e.medianFraction === null ? 'n/a' : e.medianFraction.toFixed(3);
  svg.text(280, 24, `${title}: median fraction of oracle ${med} (${scored.length} of ${e.neurons.length} neurons)`, { size: 13, anchor: 'middle', weight: 'bold' });
  const vals = scored.flatMap((n) => [n.correlation!, n.oracle!]);
  const lo = Math.min(0, ...vals), hi = Math.max(1, ...vals);
  const a: Axes = { x: 70, y: 60, w: 420, h: 400, xlo: lo, xhi: hi, ylo: lo, yhi: hi };
  drawAxes(svg, a, { title: `${e.split} images (${e.images.length})`, xlabel: 'oracle correlation (jackknife)', ylabel: 'twin correlation with the mean response' });
  svg.line(sx(a, lo), sy(a, lo), sx(a, hi), sy(a, hi), { color: THEME.muted, dash: '5,4' });
  svg.line(sx(a, lo), sy(a, 0.8 * lo), sx(a, hi), sy(a, 0.8 * hi), { color: THEME.neg, dash: '2,4' });
  for (const n of scored) svg.circle(sx(a, n.oracle!), sy(a, n.correlation!), 3, THEME.pos);
  svg.text(280, 505, 'dashed gray: correlation = oracle; dotted: 0.8 x oracle', { size: 11, anchor: 'middle', color: THEME.muted });
  return svg;
}
