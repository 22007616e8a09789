// The per-neuron sheet of `analyze sheet`: MEI, LEI, best Gabor and gradient RF (with its Gaussian fit) in the
// first row beside the MEI's and LEI's activation traces, then the screen's top MAIs and LAIs. Model-space images
// are drawn with a symmetric stretch about 0 by their largest |value| m (pixel = round(255 (0.5 + 0.5 v / m))),
// so every panel decodes back to its .npy within m / 255; the panels and their scales are listed for a sidecar.
import { Svg, THEME, drawAxes, sx, sy, type Axes } from './svg.js';
import { ellipse } from '../analysis/rf-outputs.js';
import type { SheetGabor, SheetPicture, SheetPole, SheetRf } from '../analysis/sheet-inputs.js';

export interface SheetData {
  neuron: number; channels: 1 | 3; height: number; width: number;
  mei: SheetPole; lei: SheetPole;
  gabor?: SheetGabor; rf?: SheetRf;
  mais?: SheetPicture[]; lais?: SheetPicture[];
}

/** One embedded image, in the order of the SVG's <image> elements. */
export interface SheetPanel {
  name: string; file: string;
  /** stretch: pixel = round(255 (0.5 + 0.5 v / scale)); max: pixel = round(255 v / scale); as-stored: the file's
   * pixels; resized: the file shrunk (PIL bilinear) to at most MAX_PICTURE_SIDE pixels on its longer side */
  display: 'stretch' | 'max' | 'as-stored' | 'resized'; scale: number | null;
  /** the trace's polyline (points: one per step) for the pole panels */
  trace?: { points: number; color: string };
}

/** HWC uint8 of a (C, H, W) image stretched symmetrically by its largest |value|; returns the scale. */
export function stretchByMax(v: Float32Array, C: number, H: number, W: number): { data: Uint8Array; scale: number } {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  const s = m > 0 ? m : 1, hw = H * W, out = new Uint8Array(hw * C);
  for (let i = 0; i < hw; i++) for (let c = 0; c < C; c++) out[i * C + c] = Math.round(255 * (0.5 + 0.5 * (v[c * hw + i] / s)));
  return { data: out, scale: s };
}

export function neuronSheet(d: SheetData, title: string): { svg: Svg; panels: SheetPanel[] } {
  const { channels: C, height: H, width: W } = d;
  const cell = 150, gap = 16, top = 64;
  const k = Math.max(d.mais?.length ?? 0, d.lais?.length ?? 0), small = 84;
  const rowsBelow = (d.mais ? 1 : 0) + (d.lais ? 1 : 0);
  const width = Math.max(1060, 130 + k * (small + 8));
  const svg = new Svg(width, top + cell + 44 + rowsBelow * (small + 30) + 10, THEME.bg);
  const panels: SheetPanel[] = [];
  svg.text(width / 2, 26, title, { size: 15, anchor: 'middle', weight: 'bold' });
  const imgH = cell * (H / W);

  const pole = (x: number, p: SheetPole, name: string, color: string) => {
    const s = stretchByMax(p.image, C, H, W);
    svg.image(x, top, cell, imgH, { width: W, height: H, channels: C, data: s.data });
    svg.text(x + cell / 2, top + imgH + 14, `${name} (seed ${Number(p.seed)}): ${p.final.toPrecision(4)}`, { size: 10, anchor: 'middle', color });
    panels.push({ name, file: p.file, display: 'stretch', scale: s.scale, trace: { points: p.trace.length, color } });
  };
  let x = 20;
  pole(x, d.mei, 'MEI', THEME.pos); x += cell + gap;
  pole(x, d.lei, 'LEI', THEME.neg); x += cell + gap;
  if (d.gabor) {
    const s = stretchByMax(d.gabor.image, C, H, W);
    svg.image(x, top, cell, imgH, { width: W, height: H, channels: C, data: s.data });
    svg.text(x + cell / 2, top + imgH + 14, `best Gabor: ${d.gabor.response.toPrecision(4)}`, { size: 10, anchor: 'middle' });
    panels.push({ name: 'best Gabor', file: d.gabor.file, display: 'stretch', scale: s.scale });
    x += cell + gap;
  }
  if (d.rf) {
    let m = 0;
    for (const v of d.rf.map) m = Math.max(m, v);
    const s = m > 0 ? m : 1;
    svg.image(x, top, cell, imgH, { width: W, height: H, channels: 1, data: Uint8Array.from(d.rf.map, (v) => Math.round(255 * Math.max(0, v) / s)) });
    const px = (p: [number, number]): [number, number] => [x + ((p[0] + 0.5) / W) * cell, top + ((p[1] + 0.5) / H) * imgH];
    if (d.rf.fit) for (const kk of [1, 2]) svg.polyline(ellipse(d.rf.fit, kk).map(px), { color: THEME.pos, width: 1.2, dash: kk === 2 ? '3,3' : undefined });
    if (d.rf.readout) { const [rx, ry] = px([d.rf.readout.x, d.rf.readout.y]); svg.circle(rx, ry, 3, THEME.neg); }
    svg.text(x + cell / 2, top + imgH + 14, d.rf.fit ? `RF fit (${d.rf.fit.x0.toFixed(1)}, ${d.rf.fit.y0.toFixed(1)})` : 'gradient RF (no fit)', { size: 10, anchor: 'middle' });
    panels.push({ name: 'gradient RF', file: d.rf.file, display: 'max', scale: s });
    x += cell + gap;
  }
  // activation traces: every step of the chosen MEI's and LEI's runs
  const all = [...d.mei.trace, ...d.lei.trace];
  const lo = Math.min(0, ...all), hi = Math.max(...all, lo + 1e-6);
  const steps = Math.max(d.mei.trace.length, d.lei.trace.length);
  const ax: Axes = { x: x + 50, y: top, w: width - x - 80, h: imgH, xlo: 0, xhi: Math.max(1, steps - 1), ylo: lo, yhi: hi };
  drawAxes(svg, ax, { title: 'activation per step', xlabel: 'step', ylabel: 'activation' });
  if (lo < 0 && hi > 0) svg.line(ax.x, sy(ax, 0), ax.x + ax.w, sy(ax, 0), { color: THEME.grid });
  for (const [p, color] of [[d.mei, THEME.pos], [d.lei, THEME.neg]] as const) {
    svg.polyline(Array.from(p.trace, (v, i) => [sx(ax, i), sy(ax, v)] as [number, number]), { color, width: 2 });
  }

  let y = top + cell + 44;
  for (const [name, pics] of [['MAIs', d.mais], ['LAIs', d.lais]] as const) {
    if (!pics) continue;
    svg.text(110, y + small / 2, name, { size: 12, anchor: 'end' });
    pics.forEach((p, i) => {
      const px = 120 + i * (small + 8);
      svg.image(px, y, small, small * (p.height / p.width), p);
      svg.text(px + small / 2, y + small * (p.height / p.width) + 12, p.response.toPrecision(3), { size: 9, anchor: 'middle', color: THEME.muted });
      panels.push({ name: `${name.slice(0, 3)} ${i}`, file: p.file, display: p.resizedFrom ? 'resized' : 'as-stored', scale: null });
    });
    y += small + 30;
  }
  return { svg, panels };
}
