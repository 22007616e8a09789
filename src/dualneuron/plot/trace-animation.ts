// Frames of the trajectory animation with its activation trace beside it (upstream sequence_animation): left the
// image at step t, right the whole trace dimmed with the part up to t drawn over it (cyan where the segment starts
// at an activation >= 0, magenta below, as upstream) and a white marker at step t; "step t" and the value above.
// Drawn straight into RGB rasters (no SVG rasteriser needed) for an animated PNG. The image is stretched by one
// scale m for all frames (pixel = round(255 (0.5 + 0.5 v / m)), m the largest |value| over the frames drawn) and
// magnified by an integer zoom without smoothing, so each frame decodes back to its step's image.
import { InputError } from '../../errors.js';
import { drawText, GLYPH_H } from './pixel-text.js';

export const COLORS = { bg: [0, 0, 0], frame: [110, 110, 110], dim: [60, 60, 60], pos: [0, 212, 255], neg: [255, 0, 128], marker: [255, 255, 255], text: [255, 255, 255] } as const;

export interface AnimationLayout {
  width: number; height: number;
  /** the image's top-left corner and zoom; its pixel (r, c) covers rows y + zoom r .. and columns x + zoom c .. */
  image: { x: number; y: number; zoom: number; scale: number };
  /** step i, activation v -> column x0 + round(i (w - 1) / (steps - 1)), row y0 + round((yhi - v) / (yhi - ylo) (h - 1)) */
  plot: { x0: number; y0: number; w: number; h: number; ylo: number; yhi: number; steps: number };
  /** marker: a (2 r + 1)-pixel square centred on the step's point */
  markerRadius: number;
}

export const plotX = (l: AnimationLayout, i: number) => l.plot.x0 + Math.round((i * (l.plot.w - 1)) / Math.max(1, l.plot.steps - 1));
export const plotY = (l: AnimationLayout, v: number) => l.plot.y0 + Math.round(((l.plot.yhi - v) / (l.plot.yhi - l.plot.ylo)) * (l.plot.h - 1));

function put(img: Uint8Array, W: number, H: number, x: number, y: number, c: readonly number[]): void {
  if (x < 0 || y < 0 || x >= W || y >= H) return;
  const o = (y * W + x) * 3;
  img[o] = c[0]; img[o + 1] = c[1]; img[o + 2] = c[2];
}

function segment(img: Uint8Array, W: number, H: number, a: [number, number], b: [number, number], c: readonly number[]): void {
  const n = Math.max(Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1]), 1);
  for (let k = 0; k <= n; k++) put(img, W, H, Math.round(a[0] + ((b[0] - a[0]) * k) / n), Math.round(a[1] + ((b[1] - a[1]) * k) / n), c);
}

/**
 * One RGB frame per entry of `show` (step numbers): `images[t]` is step t's (C, H, W) image, `trace[t]` its
 * activation (trace.length = images.length = steps + 1).
 */
export function traceAnimation(images: Float32Array[], trace: ArrayLike<number>, C: number, H: number, W: number, show: number[], o: { zoom?: number; plotWidth?: number } = {}): { frames: Uint8Array[]; layout: AnimationLayout } {
  if (images.length !== trace.length) throw new InputError(`trace animation: ${images.length} images but ${trace.length} activations (both should be steps + 1)`);
  if (!show.length) throw new InputError('trace animation: no steps to show');
  for (const t of show) if (!(Number.isInteger(t) && t >= 0 && t < images.length)) throw new InputError(`trace animation: step ${t} is outside 0..${images.length - 1}`);
  const zoom = o.zoom ?? Math.max(1, Math.round(240 / Math.max(H, W)));
  const pad = 12, textH = GLYPH_H * 2 + 10;
  let m = 0;
  for (const t of show) for (const v of images[t]) m = Math.max(m, Math.abs(v));
  const scale = m > 0 ? m : 1;
  let lo = Math.min(0, ...Array.from(trace)), hi = Math.max(...Array.from(trace));
  if (!(hi > lo)) hi = lo + 1;
  const span = hi - lo;
  lo -= 0.05 * span; hi += 0.05 * span;
  const imgW = W * zoom, imgH = H * zoom, plotW = o.plotWidth ?? Math.max(200, imgW), plotH = imgH;
  const layout: AnimationLayout = {
    width: pad + imgW + 2 * pad + plotW + pad, height: pad + textH + imgH + pad,
    image: { x: pad, y: pad + textH, zoom, scale },
    plot: { x0: pad + imgW + 2 * pad, y0: pad + textH, w: plotW, h: plotH, ylo: lo, yhi: hi, steps: trace.length },
    markerRadius: 2,
  };
  const { width: FW, height: FH } = layout;
  const pts = Array.from(trace, (v, i) => [plotX(layout, i), plotY(layout, v)] as [number, number]);
  // the parts every frame shares: background, the plot's frame, the dimmed whole trace
  const base = new Uint8Array(FW * FH * 3);
  const { x0, y0 } = layout.plot;
  segment(base, FW, FH, [x0 - 1, y0 - 1], [x0 + plotW, y0 - 1], COLORS.frame);
  segment(base, FW, FH, [x0 - 1, y0 + plotH], [x0 + plotW, y0 + plotH], COLORS.frame);
  segment(base, FW, FH, [x0 - 1, y0 - 1], [x0 - 1, y0 + plotH], COLORS.frame);
  segment(base, FW, FH, [x0 + plotW, y0 - 1], [x0 + plotW, y0 + plotH], COLORS.frame);
  if (lo < 0 && hi > 0) for (let x = x0; x < x0 + plotW; x += 4) put(base, FW, FH, x, plotY(layout, 0), COLORS.frame);
  for (let i = 1; i < pts.length; i++) segment(base, FW, FH, pts[i - 1], pts[i], COLORS.dim);
  if (pts.length === 1) put(base, FW, FH, pts[0][0], pts[0][1], COLORS.dim);
  drawText({ width: FW, height: FH, channels: 3, data: base }, x0, pad, `${(+hi.toPrecision(3))}`, 1, [...COLORS.frame]);
  const frames = show.map((t) => {
    const f = base.slice();
    const hw = H * W;
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
      const px = [0, 1, 2].map((k) => Math.round(255 * (0.5 + 0.5 * (images[t][(C === 3 ? k : 0) * hw + r * W + c] / scale))));
      for (let dy = 0; dy < zoom; dy++) for (let dx = 0; dx < zoom; dx++) put(f, FW, FH, layout.image.x + c * zoom + dx, layout.image.y + r * zoom + dy, px);
    }
    for (let i = 1; i <= t; i++) segment(f, FW, FH, pts[i - 1], pts[i], trace[i - 1] >= 0 ? COLORS.pos : COLORS.neg);
    if (t === 0) put(f, FW, FH, pts[0][0], pts[0][1], trace[0] >= 0 ? COLORS.pos : COLORS.neg);
    const r = layout.markerRadius;
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) put(f, FW, FH, pts[t][0] + dx, pts[t][1] + dy, COLORS.marker);
    const img = { width: FW, height: FH, channels: 3, data: f };
    drawText(img, pad, pad, `step ${t}`, 2, [...COLORS.text]);
    drawText(img, pad + imgW - 4 * 2 * 9, pad, `${Number(trace[t]).toFixed(3)}`, 2, [...(trace[t] >= 0 ? COLORS.pos : COLORS.neg)]);
    return f;
  });
  return { frames, layout };
}

/** `count` steps evenly over 0..last (always both ends), without repeats. */
export function evenSteps(last: number, count: number): number[] {
  if (count >= last + 1) return Array.from({ length: last + 1 }, (_, i) => i);
  if (count <= 1) return [last];
  return [...new Set(Array.from({ length: count }, (_, i) => Math.round((i * last) / (count - 1))))];
}
