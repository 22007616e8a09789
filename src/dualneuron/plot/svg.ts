// A small SVG builder for figures people can open anywhere (browsers, Inkscape, Illustrator). Images are
// embedded as PNG data URIs. Coordinates are pixels, origin top-left.
import { encodePNG } from '../../io/image/index.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));

export interface TextOptions { size?: number; color?: string; anchor?: 'start' | 'middle' | 'end'; weight?: 'normal' | 'bold'; rotate?: number }
export interface StrokeOptions { color?: string; width?: number; dash?: string; opacity?: number }

export class Svg {
  private readonly parts: string[] = [];
  constructor(readonly width: number, readonly height: number, readonly background = '#000000') {}

  rect(x: number, y: number, w: number, h: number, fill: string, stroke?: StrokeOptions): this {
    this.parts.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" fill="${fill}"${stroke ? ` stroke="${stroke.color ?? '#fff'}" stroke-width="${stroke.width ?? 1}"` : ''}/>`);
    return this;
  }

  polyline(points: [number, number][], s: StrokeOptions = {}): this {
    if (points.length === 0) return this;
    this.parts.push(`<polyline fill="none" stroke="${s.color ?? '#fff'}" stroke-width="${s.width ?? 1}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''} points="${points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}"/>`);
    return this;
  }

  line(x1: number, y1: number, x2: number, y2: number, s: StrokeOptions = {}): this { return this.polyline([[x1, y1], [x2, y2]], s); }

  circle(x: number, y: number, r: number, fill: string): this {
    this.parts.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${n(r)}" fill="${fill}"/>`);
    return this;
  }

  text(x: number, y: number, s: string, o: TextOptions = {}): this {
    const rot = o.rotate ? ` transform="rotate(${o.rotate} ${n(x)} ${n(y)})"` : '';
    this.parts.push(`<text x="${n(x)}" y="${n(y)}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${o.size ?? 12}" fill="${o.color ?? '#ffffff'}" text-anchor="${o.anchor ?? 'start'}"${o.weight === 'bold' ? ' font-weight="bold"' : ''}${rot}>${esc(s)}</text>`);
    return this;
  }

  /** An 8-bit image (HWC, 1 or 3 channels) scaled into the box without smoothing. */
  image(x: number, y: number, w: number, h: number, img: { width: number; height: number; channels: 1 | 3 | 4; data: Uint8Array }): this {
    const png = Buffer.from(encodePNG(img)).toString('base64');
    this.parts.push(`<image x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${png}"/>`);
    return this;
  }

  toString(): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${this.width}" height="${this.height}" viewBox="0 0 ${this.width} ${this.height}">\n<rect width="100%" height="100%" fill="${this.background}"/>\n${this.parts.join('\n')}\n</svg>\n`;
  }
}

export const THEME = { bg: '#000000', fg: '#ffffff', grid: '#333333', pos: '#00d4ff', neg: '#ff0080', muted: '#888888' };

/** Round axis ticks covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export interface Axes { x: number; y: number; w: number; h: number; xlo: number; xhi: number; ylo: number; yhi: number }

export const sx = (a: Axes, v: number) => a.x + ((v - a.xlo) / (a.xhi - a.xlo || 1)) * a.w;
export const sy = (a: Axes, v: number) => a.y + a.h - ((v - a.ylo) / (a.yhi - a.ylo || 1)) * a.h;

/** Frame, ticks and labels of a plot area. */
export function drawAxes(svg: Svg, a: Axes, o: { title?: string; xlabel?: string; ylabel?: string } = {}): void {
  svg.rect(a.x, a.y, a.w, a.h, 'none', { color: THEME.muted, width: 1 });
  const fmt = (v: number) => (Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4))));
  for (const t of ticks(a.xlo, a.xhi)) {
    const x = sx(a, t);
    svg.line(x, a.y + a.h, x, a.y + a.h + 4, { color: THEME.muted }).text(x, a.y + a.h + 16, fmt(t), { size: 10, anchor: 'middle', color: THEME.muted });
  }
  for (const t of ticks(a.ylo, a.yhi)) {
    const y = sy(a, t);
    svg.line(a.x - 4, y, a.x, y, { color: THEME.muted }).text(a.x - 6, y + 3, fmt(t), { size: 10, anchor: 'end', color: THEME.muted });
  }
  if (o.title) svg.text(a.x + a.w / 2, a.y - 10, o.title, { size: 13, anchor: 'middle', weight: 'bold' });
  if (o.xlabel) svg.text(a.x + a.w / 2, a.y + a.h + 32, o.xlabel, { size: 11, anchor: 'middle', color: THEME.muted });
  if (o.ylabel) svg.text(a.x - 40, a.y + a.h / 2, o.ylabel, { size: 11, anchor: 'middle', color: THEME.muted, rotate: -90 });
}
