// The figure of `dualneuron oracle`: left, a histogram of the selection oracle with its percentile threshold;
// right, the notebook's scatter of variance (log scale) against that oracle with both thresholds, selected neurons
// in cyan, the rest in gray. Skipped neurons are counted in the title, not drawn.
import { Svg, THEME, drawAxes, sx, sy, type Axes } from './svg.js';
import type { ReliabilityResult } from '../reliability/table.js';

export function oracleFigure(r: ReliabilityResult, title: string): Svg {
  const svg = new Svg(1000, 470, THEME.bg);
  const by = r.options.selectBy;
  const scored = r.neurons.filter((n) => n.skip === null);
  const value = (n: (typeof scored)[number]) => (by === 'oracle' ? n.oracle! : n.averageSuperOracle!);
  const skipped = r.neurons.length - scored.length;
  const nSel = scored.filter((n) => n.selected).length;
  svg.text(500, 24, `${title}: ${nSel} of ${r.neurons.length} neurons selected${skipped ? ` (${skipped} skipped)` : ''}`, { size: 15, anchor: 'middle', weight: 'bold' });
  if (scored.length === 0) {
    svg.text(500, 240, 'no neuron could be scored (see the skip column of oracle.csv)', { size: 13, anchor: 'middle', color: THEME.muted });
    return svg;
  }
  const vals = scored.map(value);
  let lo = Math.min(...vals, 0), hi = Math.max(...vals);
  if (!(hi > lo)) hi = lo + 1;
  // histogram
  const bins = Math.max(5, Math.min(40, Math.ceil(Math.sqrt(vals.length) * 2)));
  const counts = new Array<number>(bins).fill(0);
  for (const v of vals) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]!++;
  const ha: Axes = { x: 70, y: 70, w: 380, h: 320, xlo: lo, xhi: hi, ylo: 0, yhi: Math.max(1, ...counts) * 1.05 };
  drawAxes(svg, ha, { title: `${by} (${scored.length} neurons)`, xlabel: by, ylabel: 'neurons' });
  const bw = ha.w / bins;
  counts.forEach((c, i) => { if (c) svg.rect(ha.x + i * bw, sy(ha, c), Math.max(bw - 1, 0.5), ha.y + ha.h - sy(ha, c), THEME.pos); });
  const tO = r.oracleThreshold, tV = r.varianceThreshold;
  if (tO !== null) {
    svg.line(sx(ha, tO), ha.y, sx(ha, tO), ha.y + ha.h, { color: THEME.neg, dash: '5,4', width: 1.5 });
    svg.text(sx(ha, tO) + 4, ha.y + 14, `p${r.options.oraclePercentile} = ${tO.toPrecision(3)}`, { size: 10, color: THEME.neg });
  }
  // scatter: log10 variance vs oracle
  const lv = (v: number) => Math.log10(Math.max(v, 1e-12));
  const vs = scored.map((n) => lv(n.variance!));
  let vlo = Math.min(...vs), vhi = Math.max(...vs);
  if (!(vhi > vlo)) { vlo -= 0.5; vhi += 0.5; }
  const sa: Axes = { x: 560, y: 70, w: 380, h: 320, xlo: vlo, xhi: vhi, ylo: lo, yhi: hi };
  drawAxes(svg, sa, { title: 'variance of mean responses vs oracle', xlabel: 'log10 variance (over images of the mean response)', ylabel: by });
  scored.forEach((n, k) => svg.circle(sx(sa, vs[k]!), sy(sa, value(n)), 3, n.selected ? THEME.pos : THEME.muted));
  if (tO !== null) svg.line(sa.x, sy(sa, tO), sa.x + sa.w, sy(sa, tO), { color: THEME.neg, dash: '5,4' });
  if (tV !== null && tV > 0) {
    svg.line(sx(sa, lv(tV)), sa.y, sx(sa, lv(tV)), sa.y + sa.h, { color: THEME.neg, dash: '5,4' });
    svg.text(sx(sa, lv(tV)) + 4, sa.y + sa.h - 6, `p${r.options.variancePercentile} = ${tV.toPrecision(3)}`, { size: 10, color: THEME.neg });
  }
  svg.text(500, 455, 'selected: above both dashed thresholds (strictly), as the Allen notebook selects', { size: 11, anchor: 'middle', color: THEME.muted });
  return svg;
}
