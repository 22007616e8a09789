// Outputs of `analyze rf`: the per-neuron CSV (fit, fit quality, readout position, distance) and the overlay figure
// (each neuron's gradient map with the fitted 1- and 2-sigma ellipses, the fit's centre and the readout position).
import { formatCsv } from '../../io/csv.js';
import { Svg, THEME } from '../plot/svg.js';
import type { GaussFit } from './gauss-fit.js';
import type { ReadoutPosition } from './readout-position.js';

export interface NeuronRf { neuron: number; images: number; meanResponse: number; fit: GaussFit | null; error?: string; readout: ReadoutPosition }

export const distance = (r: NeuronRf): number => (r.fit ? Math.hypot(r.fit.x0 - r.readout.x, r.fit.y0 - r.readout.y) : NaN);

export function rfCsv(rs: NeuronRf[]): string {
  const header = ['neuron', 'images', 'mean_response', 'rf_x', 'rf_y', 'sigma_major', 'sigma_minor', 'angle_deg', 'amplitude', 'offset', 'r2', 'rmse', 'fit_iterations', 'fit_converged',
    'readout_x', 'readout_y', 'readout_member_spread', 'distance', 'fit_error'];
  return formatCsv(header, rs.map((r) => {
    const f = r.fit;
    return [r.neuron, r.images, r.meanResponse, f?.x0 ?? null, f?.y0 ?? null, f?.sigmaMajor ?? null, f?.sigmaMinor ?? null, f?.angle ?? null, f?.amplitude ?? null, f?.offset ?? null,
      f?.r2 ?? null, f?.rmse ?? null, f?.iterations ?? null, f?.converged ?? null, r.readout.x, r.readout.y, r.readout.spread, f ? distance(r) : null, r.error ?? null];
  }));
}

/** Points of the ellipse k sigma around the fit, in pixel coordinates (column, row). */
export function ellipse(f: Pick<GaussFit, 'x0' | 'y0' | 'sigmaMajor' | 'sigmaMinor' | 'angle'>, k: number): [number, number][] {
  const t = (f.angle * Math.PI) / 180, c = Math.cos(t), s = Math.sin(t);
  return Array.from({ length: 49 }, (_, i) => {
    const a = (2 * Math.PI * i) / 48, u = k * f.sigmaMajor * Math.cos(a), v = k * f.sigmaMinor * Math.sin(a);
    // u along (cos t, -sin t), v along (sin t, cos t) in (column, row): the inverse of the fit's rotation
    return [f.x0 + u * c + v * s, f.y0 - u * s + v * c];
  });
}

export function rfFigure(title: string, rs: NeuronRf[], maps: Float64Array[], H: number, W: number, cell = 150): Svg {
  const cols = Math.min(6, Math.max(1, rs.length)), rows = Math.ceil(rs.length / cols);
  const gap = 12, top = 62, labelH = 30, left = 10;
  const svg = new Svg(Math.max(left * 2 + cols * (cell + gap), 560), top + rows * (cell + labelH + gap) + 10, THEME.bg);
  svg.text(svg.width / 2, 24, title, { size: 15, anchor: 'middle', weight: 'bold' });
  svg.text(svg.width / 2, 44, 'gray: mean |d response / d pixel|; cyan: Gaussian fit (1 and 2 sigma, + centre); magenta: readout position', { size: 10, anchor: 'middle', color: THEME.muted });
  rs.forEach((r, i) => {
    const x0 = left + (i % cols) * (cell + gap), y0 = top + Math.floor(i / cols) * (cell + labelH + gap);
    const m = maps[i];
    let mx = 0;
    for (const v of m) mx = Math.max(mx, v);
    const data = Uint8Array.from(m, (v) => Math.round(255 * (mx > 0 ? v / mx : 0)));
    svg.image(x0, y0, cell, cell * (H / W), { width: W, height: H, channels: 1, data });
    const px = (p: [number, number]): [number, number] => [x0 + ((p[0] + 0.5) / W) * cell, y0 + ((p[1] + 0.5) / H) * cell * (H / W)];
    if (r.fit) {
      for (const k of [1, 2]) svg.polyline(ellipse(r.fit, k).map(px), { color: THEME.pos, width: 1.2, dash: k === 2 ? '3,3' : undefined });
      const [cx, cy] = px([r.fit.x0, r.fit.y0]);
      svg.line(cx - 5, cy, cx + 5, cy, { color: THEME.pos, width: 1.5 }).line(cx, cy - 5, cx, cy + 5, { color: THEME.pos, width: 1.5 });
    }
    const [rx, ry] = px([r.readout.x, r.readout.y]);
    svg.circle(rx, ry, 3, THEME.neg);
    svg.text(x0 + cell / 2, y0 + cell * (H / W) + 13, `neuron ${r.neuron}${r.fit ? `: distance ${distance(r).toFixed(1)} px` : ': no fit'}`, { size: 10, anchor: 'middle' });
    if (r.fit) svg.text(x0 + cell / 2, y0 + cell * (H / W) + 25, `sigma ${r.fit.sigmaMajor.toFixed(1)} x ${r.fit.sigmaMinor.toFixed(1)}, ${r.fit.angle.toFixed(0)}°, R² ${r.fit.r2.toFixed(2)}`, { size: 9, anchor: 'middle', color: THEME.muted });
  });
  return svg;
}
