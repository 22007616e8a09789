// The figures of one neuron and seed of an evolution run (OUT/n<neuron>/s<seed>/, README "Evolution"), made from
// the thread files alone: trajectory.svg (best and mean score per generation, one line pair per space, the
// noiseless pair dotted when the run had recording noise) and montage.png (per space a row of the best image of
// generations 0, b, 2b, ... and the last, each min-max scaled for display, labelled with generation and score).
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FormatError, InputError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writePNG } from '../../io/image/index.js';
import { toFloat64 } from '../../io/host-array.js';
import { Svg, THEME, drawAxes, sx, sy, type Axes } from '../plot/svg.js';
import { drawText, textWidth, GLYPH_H } from '../plot/pixel-text.js';
import { listSpaceDirs, readNpyFile, readThread, rowStats } from './run-folder.js';
import { spaceColor } from './summary.js';

export interface SpaceTrajectory {
  space: string;
  best: Float64Array;
  mean: Float64Array;
  /** noiseless best and mean (clean_scores.npy), when the run had noise */
  cleanBest: Float64Array | null;
  cleanMean: Float64Array | null;
}

/** Best and mean score per generation of every space of a seed folder (the first `generations` rows). */
export function readTrajectories(seedDir: string, generations?: number, only?: readonly string[]): SpaceTrajectory[] {
  const spaces = listSpaceDirs(seedDir, only);
  if (spaces.length === 0) throw new InputError(`${seedDir} holds no space folder with scores.npy; give a n<neuron>/s<seed> folder of a \`dualneuron evolve\` run`);
  return spaces.map(({ space, dir }) => {
    const { scores, clean } = readThread(dir, generations);
    const s = rowStats(scores, join(dir, 'scores.npy'));
    const c = clean ? rowStats(clean, join(dir, 'clean_scores.npy')) : null;
    return { space, best: s.max, mean: s.mean, cleanBest: c?.max ?? null, cleanMean: c?.mean ?? null };
  });
}

const seedTitle = (seedDir: string) => `neuron ${basename(dirname(seedDir)).replace(/^n/, '')}, seed ${basename(seedDir).replace(/^s/, '')}`;

/** The trajectory figure: x generation, y score; per space best (solid) and mean (dashed), noiseless dotted. */
export function trajectoryFigure(title: string, trajs: SpaceTrajectory[]): Svg {
  const svg = new Svg(900, 480, THEME.bg);
  svg.text(450, 26, title, { size: 15, anchor: 'middle', weight: 'bold' });
  const all = trajs.flatMap((t) => [...t.best, ...t.mean, ...(t.cleanBest ?? []), ...(t.cleanMean ?? [])]).filter(Number.isFinite);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const pad = 0.04 * (hi - lo);
  const G = Math.max(...trajs.map((t) => t.best.length));
  const ax: Axes = { x: 80, y: 60, w: 600, h: 350, xlo: 0, xhi: Math.max(1, G - 1), ylo: lo - pad, yhi: hi + pad };
  drawAxes(svg, ax, { xlabel: 'generation', ylabel: 'score' });
  const line = (v: Float64Array | null, color: string, dash: string | undefined, width: number, opacity?: number) => {
    if (v) svg.polyline(Array.from(v, (y, g) => [sx(ax, g), sy(ax, y)] as [number, number]), { color, dash, width, opacity });
  };
  let ly = 70;
  const legend = (label: string, color: string, dash: string | undefined, width: number, opacity?: number) => {
    svg.line(700, ly - 4, 730, ly - 4, { color, dash, width, opacity }).text(736, ly, label, { size: 11 });
    ly += 18;
  };
  trajs.forEach((t, i) => {
    const color = spaceColor(i);
    line(t.cleanBest, color, '1,3', 2, 0.8);
    line(t.cleanMean, color, '1,3', 1.2, 0.6);
    line(t.mean, color, '6,4', 1.5);
    line(t.best, color, undefined, 2);
    legend(`${t.space} best`, color, undefined, 2);
    legend(`${t.space} mean`, color, '6,4', 1.5);
    if (t.cleanBest) { legend(`${t.space} best, noiseless`, color, '1,3', 2, 0.8); legend(`${t.space} mean, noiseless`, color, '1,3', 1.2, 0.6); }
    ly += 6;
  });
  return svg;
}

/** generations 0, b, 2b, ... below G with b = ceil(G / columns), and the last generation */
export function montageGenerations(G: number, columns = 10): number[] {
  const b = Math.max(1, Math.ceil(G / columns));
  const gens: number[] = [];
  for (let g = 0; g < G; g += b) gens.push(g);
  if (gens[gens.length - 1] !== G - 1) gens.push(G - 1);
  return gens;
}

/** An image (C, H, W) of float values min-max scaled to 0..255 (a constant image is mid grey). */
export function displayScale(v: Float64Array | Float32Array, offset: number, n: number): Uint8Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) { const x = v[offset + i]; if (x < lo) lo = x; if (x > hi) hi = x; }
  const out = new Uint8Array(n);
  if (!(hi > lo)) return out.fill(128);
  const k = 255 / (hi - lo);
  for (let i = 0; i < n; i++) out[i] = Math.round((v[offset + i] - lo) * k);
  return out;
}

export interface MontageRow { space: string; images: Float64Array; shape: [number, number, number, number]; bestScores: Float64Array }

/**
 * The montage as an 8-bit HWC image: per row the space's name on the left, then its best images at `gens`, each
 * scaled up by an integer factor to about 96 pixels (nearest neighbour), with "g<generation> <score>" below.
 */
export function montageImage(rows: MontageRow[], gens: number[]): { width: number; height: number; channels: 1 | 3; data: Uint8Array } {
  const channels: 1 | 3 = rows.some((r) => r.shape[1] === 3) ? 3 : 1;
  const maxH = Math.max(...rows.map((r) => r.shape[2])), maxW = Math.max(...rows.map((r) => r.shape[3]));
  const up = Math.max(1, Math.round(96 / Math.max(maxH, maxW)));
  const ts = 2, gap = 6, labelH = GLYPH_H * ts + 6;
  const labels = rows.map((r) => gens.map((g) => `g${g} ${Number(r.bestScores[g].toPrecision(3))}`));
  const colW = Math.max(maxW * up, ...labels.flat().map((l) => textWidth(l, ts)));
  const left = Math.max(...rows.map((r) => textWidth(r.space, ts))) + 2 * gap;
  const width = left + gens.length * (colW + gap), rowH = maxH * up + labelH + gap, height = gap + rows.length * rowH;
  const img = { width, height, channels, data: new Uint8Array(width * height * channels) };
  const white = [255, 255, 255], grey = [190, 190, 190];
  rows.forEach((r, ri) => {
    const [, C, H, W] = r.shape, y0 = gap + ri * rowH;
    drawText(img, gap, y0 + Math.floor((H * up - GLYPH_H * ts) / 2), r.space, ts, white);
    gens.forEach((g, ci) => {
      const x0 = left + ci * (colW + gap);
      const px = displayScale(r.images, g * C * H * W, C * H * W);
      for (let y = 0; y < H * up; y++) {
        for (let x = 0; x < W * up; x++) {
          const sIdx = Math.floor(y / up) * W + Math.floor(x / up), o = ((y0 + y) * width + x0 + x) * channels;
          for (let k = 0; k < channels; k++) img.data[o + k] = px[(C === 1 ? 0 : k) * H * W + sIdx];
        }
      }
      drawText(img, x0, y0 + H * up + 4, labels[ri][ci], ts, grey);
    });
  });
  return img;
}

function readBestImages(dir: string, G: number): { images: Float64Array; shape: [number, number, number, number] } {
  const file = join(dir, 'best_image.npy');
  if (!existsSync(file)) throw new FormatError(`${file} is missing: every thread folder of \`dualneuron evolve\` holds best_image.npy`);
  const a = readNpyFile(file);
  if (a.shape.length !== 4 || ![1, 3].includes(a.shape[1]) || !['f32', 'f64'].includes(a.dtype)) {
    throw new FormatError(`${file}: expected float (generations, 1 or 3, H, W), got ${a.dtype} [${a.shape.join(', ')}]`);
  }
  if (a.shape[0] < G) throw new FormatError(`${file}: holds ${a.shape[0]} generations, scores.npy ${G}`);
  const [, C, H, W] = a.shape as [number, number, number, number];
  return { images: toFloat64(a).subarray(0, G * C * H * W), shape: [G, C, H, W] };
}

/**
 * Writes trajectory.svg and montage.png in `seedDir` (OUT/n<neuron>/s<seed>) from its space folders, using the
 * first `generations` rows (default: all rows of scores.npy; the runner passes state.json's generationsDone) of the
 * `spaces` given (default: every space folder there; the runner passes its own).
 * Both writes are atomic. Returns the paths written.
 */
export function writeThreadFigures(seedDir: string, o: { generations?: number; columns?: number; spaces?: readonly string[] } = {}): { trajectory: string; montage: string } {
  const trajs = readTrajectories(seedDir, o.generations, o.spaces);
  const trajectory = join(seedDir, 'trajectory.svg'), montage = join(seedDir, 'montage.png');
  writeFileAtomic(trajectory, trajectoryFigure(`Evolution, ${seedTitle(seedDir)}`, trajs).toString());
  const G = Math.min(...trajs.map((t) => t.best.length));
  const gens = montageGenerations(G, o.columns);
  const rows = listSpaceDirs(seedDir, o.spaces).map(({ space, dir }, i): MontageRow => ({ space, ...readBestImages(dir, G), bestScores: trajs[i].best }));
  writePNG(montage, montageImage(rows, gens));
  return { trajectory, montage };
}
