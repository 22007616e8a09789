// Outputs of `analyze axis`: the projections CSV and the figure (held-out images: projection on the axis vs the
// neuron's response, with Spearman's rho; the two sets' projections as ticks along the bottom).
import { formatCsv } from '../../io/csv.js';
import { Svg, THEME, drawAxes, sx, sy, type Axes } from '../plot/svg.js';

export interface Projected { set: 'a' | 'b' | 'held_out'; label: string; projection: number; response: number | null }

export function projectionsCsv(rows: Projected[]): string {
  return formatCsv(['set', 'label', 'projection', 'response'], rows.map((r) => [r.set, r.label, r.projection, r.response]));
}

export function axisFigure(title: string, rows: Projected[], rho: number | null, names: { a: string; b: string }): Svg {
  const svg = new Svg(620, 470, THEME.bg);
  const held = rows.filter((r) => r.set === 'held_out' && r.response !== null && Number.isFinite(r.projection));
  const ps = rows.map((r) => r.projection).filter(Number.isFinite);
  const rs = held.map((r) => r.response!);
  const pad = (lo: number, hi: number) => { const d = (hi - lo) * 0.05 || 1; return [lo - d, hi + d]; };
  const [xlo, xhi] = pad(Math.min(...ps), Math.max(...ps));
  const [ylo, yhi] = rs.length ? pad(Math.min(...rs), Math.max(...rs)) : [0, 1];
  const a: Axes = { x: 80, y: 60, w: 500, h: 320, xlo, xhi, ylo, yhi };
  drawAxes(svg, a, { title, xlabel: `projection on the axis (${names.b} -> ${names.a})`, ylabel: rs.length ? 'response (held-out images)' : '' });
  for (const r of held) svg.circle(sx(a, r.projection), sy(a, r.response!), 2.5, THEME.fg);
  for (const r of rows) {
    if (r.set === 'held_out' || !Number.isFinite(r.projection)) continue;
    const x = sx(a, r.projection), c = r.set === 'a' ? THEME.pos : THEME.neg;
    svg.line(x, a.y + a.h - 12, x, a.y + a.h, { color: c, width: 2 });
  }
  svg.text(a.x, 440, `ticks: ${names.a} (cyan), ${names.b} (magenta)${rho !== null ? `; held-out images: ${held.length}, Spearman rho = ${rho.toFixed(3)}` : '; no held-out images (--screen with --evaluate)'}`, { size: 11, color: THEME.muted });
  return svg;
}
