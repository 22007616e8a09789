// Image sets for `analyze metrics`: a .npy stack or a poles folder, as gray h x w images (float64), and the
// Allen notebook's metrics of each image (masked luminance and contrast, log power spectrum with its axial and
// radial averages, 1- and 2-fold symmetry indices, spectral peak).
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat64 } from '../../io/host-array.js';
import { circularMask } from './masks.js';
import { luminance, maskedContrast } from './image-metrics.js';
import { axialAverage, logPower, powerSpectrum, radialAverage, spectralPeak } from './spectrum.js';
import { symmetryIndex } from './symmetry.js';
import { poleImage, type PolesFolder } from './poles-folder.js';

export interface ImageLabel { index: number; neuron: number | null; seed: number | null; pole: string | null }
export interface ImageSet { h: number; w: number; images: Float64Array[]; labels: ImageLabel[] }

/** Gray from C channels: one channel as is; three by ITU-R 601 luma (upstream estimate_mask's weights). */
function toGray(data: Float64Array, C: number, hw: number, off: number): Float64Array {
  if (C === 1) return data.slice(off, off + hw);
  const g = new Float64Array(hw);
  for (let i = 0; i < hw; i++) g[i] = 0.299 * data[off + i] + 0.587 * data[off + hw + i] + 0.114 * data[off + 2 * hw + i];
  return g;
}

/** (N, H, W), (N, C, H, W) with C 1 or 3, or one (H, W) image. */
export function imagesFromNpy(path: string): ImageSet {
  const a = readNpy(path);
  const s = a.shape;
  let N: number, C: number, h: number, w: number;
  if (s.length === 2) [N, C, h, w] = [1, 1, s[0], s[1]];
  else if (s.length === 3) [N, C, h, w] = [s[0], 1, s[1], s[2]];
  else if (s.length === 4 && (s[1] === 1 || s[1] === 3)) [N, C, h, w] = [s[0], s[1], s[2], s[3]];
  else throw new InputError(`${path}: shape (${s.join(', ')}); expected images (N, H, W), (N, 1 or 3, H, W) or one (H, W)`);
  if (N === 0 || h === 0 || w === 0) throw new InputError(`${path} holds no images (shape (${s.join(', ')}))`);
  const d = toFloat64(a);
  const images = Array.from({ length: N }, (_, n) => toGray(d, C, h * w, n * C * h * w));
  const bad = images.findIndex((im) => !im.every(Number.isFinite));
  if (bad >= 0) throw new InputError(`${path}: image ${bad} holds a non-finite value`);
  return { h, w, images, labels: images.map((_, index) => ({ index, neuron: null, seed: null, pole: null })) };
}

/** Every MEI and LEI of a poles folder (neurons x seeds x [most, least]). */
export function imagesFromPoles(p: PolesFolder, shape: [number, number, number]): ImageSet {
  const [C, h, w] = shape;
  const images: Float64Array[] = [], labels: ImageLabel[] = [];
  for (const n of p.neurons) for (const s of p.seeds) for (const pole of ['most', 'least'] as const) {
    images.push(toGray(Float64Array.from(poleImage(p, n, s, pole, shape)), C, h * w, 0));
    labels.push({ index: labels.length, neuron: n, seed: Number(s), pole });
  }
  return { h, w, images, labels };
}

export interface Metrics {
  luminance: number; contrast: number; sym1: number; sym2: number; peakFrequency: number; peakOrientation: number;
  logPower: Float64Array; axial: Float64Array; radial: Float64Array;
}

export interface MetricOptions {
  /** mask radius, pixels (notebook: 12) */
  radius: number;
  /** mask centre (x, y); default (floor(w / 2), floor(h / 2)) */
  center: [number, number] | null;
  /** value -> a * value + b before the metrics (e.g. model inputs back to [0, 1]) */
  affine: [number, number];
}

export function imageMetrics(raw: Float64Array, h: number, w: number, o: MetricOptions): Metrics {
  const img = raw.map((v) => o.affine[0] * v + o.affine[1]);
  const mask = circularMask(h, w, { radius: o.radius, center: o.center });
  const s = powerSpectrum(img, h, w);
  const axial = axialAverage(s);
  const pk = spectralPeak(s);
  return {
    luminance: luminance(img, h, w, o.radius, o.center).value, contrast: maskedContrast(img, mask),
    sym1: symmetryIndex(axial, 1), sym2: symmetryIndex(axial, 2), peakFrequency: pk.frequency, peakOrientation: pk.orientation,
    logPower: logPower(s), axial, radial: radialAverage(s),
  };
}
