// Semantic axes in DreamSim space (upstream dream/axis.py: semantic_axis): the unit vector from the centroid of
// one image set's embeddings to another's, axis = (mean E(A) - mean E(B)) / (||.|| + 1e-8); by default A / B are a
// neuron's k most / least activating images from a screening output. Projections of embeddings onto an axis, and
// the Spearman correlation of projections with a neuron's responses (held-out images).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tensor, noGrad, tidy } from '../../tensor/index.js';
import { InputError, ShapeError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import { readImageRef } from '../input/tar-images.js';
import { Progress } from '../../util/progress.js';
import type { DreamSim } from '../../models/dreamsim.js';
import { imageToEmbedInput, type EmbedPipeline } from './preprocess.js';
import { parseImagesTxt } from '../screening/images-list.js';

/**
 * Embeds N images given as a loader of (3, S, S) inputs in [0, 1], in batches; returns float32 (N, dim).
 * Upstream's `embeddings` stopped after 31 batches; this embeds every image.
 */
export async function embedInputs(model: DreamSim, n: number, load: (i: number) => Float32Array, opts: { batch?: number; size?: number; progress?: boolean; onError?: (i: number, e: Error) => void } = {}): Promise<Float32Array> {
  const B = Math.max(1, opts.batch ?? 8), S = opts.size ?? 224, D = model.dim, per = 3 * S * S;
  const out = new Float32Array(n * D);
  const bar = opts.progress ? new Progress({ total: n, unit: 'images', label: 'embed' }) : null;
  for (let s = 0; s < n; s += B) {
    const e = Math.min(n, s + B);
    const x = new Float32Array((e - s) * per);
    const ok: boolean[] = [];
    for (let i = s; i < e; i++) {
      try { x.set(load(i), (i - s) * per); ok.push(true); } catch (err) {
        if (!opts.onError) throw err;
        opts.onError(i, err as Error);
        ok.push(false);
      }
    }
    const t = Tensor.from(x, [e - s, 3, S, S], { backend: model.backend });
    const y = noGrad(() => tidy(() => model.embed(t)));
    const v = await y.dataF32();
    t.dispose(); y.dispose();
    for (let i = s; i < e; i++) out.set(ok[i - s] ? v.subarray((i - s) * D, (i - s + 1) * D) : new Float32Array(D).fill(NaN), i * D);
    bar?.tick(e - s);
  }
  bar?.finish();
  return out;
}

/** Embeds image files with the embedding pipeline. */
export function embedFiles(model: DreamSim, paths: string[], pipe: EmbedPipeline, opts: { batch?: number; progress?: boolean; onError?: (i: number, e: Error) => void } = {}): Promise<Float32Array> {
  return embedInputs(model, paths.length, (i) => imageToEmbedInput(pipe, readImageRef(paths[i])), { ...opts, size: pipe.size });
}

/** Mean of the rows of E (N, D) that are finite. */
function centroid(E: Float32Array, D: number): Float64Array {
  const c = new Float64Array(D);
  let n = 0;
  for (let r = 0; r < E.length / D; r++) {
    const row = E.subarray(r * D, (r + 1) * D);
    if (!row.every(Number.isFinite)) continue;
    for (let j = 0; j < D; j++) c[j] += row[j];
    n++;
  }
  if (!n) throw new InputError('semantic axis: an image set has no embeddings');
  return c.map((v) => v / n);
}

/** (mean E(A) - mean E(B)) / (||.|| + 1e-8), float32 (D). */
export function semanticAxis(EA: Float32Array, EB: Float32Array, D: number): Float32Array {
  if (EA.length % D || EB.length % D) throw new ShapeError(`semantic axis: embeddings are not rows of ${D}`);
  const a = centroid(EA, D), b = centroid(EB, D);
  const d = a.map((v, j) => v - b[j]);
  const n = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
  return Float32Array.from(d, (v) => v / (n + 1e-8));
}

/** Projections of embeddings (N, D) onto an axis (D): N dot products. */
export function project(E: Float32Array, axis: Float32Array): Float64Array {
  const D = axis.length;
  if (E.length % D) throw new ShapeError(`project: embeddings are not rows of ${D} (the axis length)`);
  const out = new Float64Array(E.length / D);
  for (let r = 0; r < out.length; r++) { let s = 0; for (let j = 0; j < D; j++) s += E[r * D + j] * axis[j]; out[r] = s; }
  return out;
}

/** Ranks 1..n with ties given their average rank. */
export function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (scipy.stats.spearmanr without NaN pairs): Pearson correlation of average ranks. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ShapeError(`spearman: ${a.length} vs ${b.length} values`);
  const keep = Array.from({ length: a.length }, (_, i) => i).filter((i) => Number.isFinite(a[i]) && Number.isFinite(b[i]));
  if (keep.length < 2) return NaN;
  const ra = ranks(keep.map((i) => a[i])), rb = ranks(keep.map((i) => b[i]));
  const n = keep.length, ma = ra.reduce((s, v) => s + v, 0) / n, mb = rb.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { const x = ra[i] - ma, y = rb[i] - mb; sab += x * y; saa += x * x; sbb += y * y; }
  return sab / Math.sqrt(saa * sbb);
}

export interface ScreenOutput {
  dir: string;
  /** image paths by global index */
  images: Map<number, string>;
  /** responses (N, units), row r is image index start + r */
  responses: Float32Array;
  units: number;
  start: number;
  /** run.json's model, when recorded */
  model: string | null;
}

export function readScreen(dir: string): ScreenOutput {
  const d = resolve(dir);
  for (const f of ['images.txt', 'responses.npy']) if (!existsSync(join(d, f))) throw new InputError(`${dir} is not a screening output: no ${f} (run dualneuron screen first)`);
  const images = parseImagesTxt(readFileSync(join(d, 'images.txt'), 'utf8'));
  const r = readNpy(join(d, 'responses.npy'));
  if (r.shape.length !== 2) throw new InputError(`${dir}/responses.npy has shape [${r.shape}], expected (images, units)`);
  let model: string | null = null;
  if (existsSync(join(d, 'run.json'))) { try { model = (JSON.parse(readFileSync(join(d, 'run.json'), 'utf8')) as { model?: string }).model ?? null; } catch { /* no model */ } }
  return { dir: d, images, responses: toFloat32(r), units: r.shape[1], start: Math.min(...images.keys()), model };
}

/** A unit's images in ascending order of response (upstream's ordered indices), without unreadable (NaN) ones. */
export function orderedImages(s: ScreenOutput, unit: number): number[] {
  if (!Number.isInteger(unit) || unit < 0 || unit >= s.units) throw new InputError(`--neuron ${unit} is out of range: the screen has units 0..${s.units - 1}`);
  const folder = readdirSync(s.dir).find((f) => f.endsWith('_ordered_indices'));
  let order: number[];
  if (folder && existsSync(join(s.dir, folder, `${unit}.npy`))) order = Array.from(readNpy(join(s.dir, folder, `${unit}.npy`)).data as BigInt64Array, Number);
  else order = [...s.images.keys()].sort((a, b) => response(s, a, unit) - response(s, b, unit) || a - b);
  return order.filter((i) => Number.isFinite(response(s, i, unit)) && s.images.has(i));
}

export const response = (s: ScreenOutput, index: number, unit: number) => s.responses[(index - s.start) * s.units + unit];

/** The k most (MAIs, highest first) and k least (LAIs, lowest first) activating images of a unit. */
export function poleImages(s: ScreenOutput, unit: number, k: number): { mais: number[]; lais: number[]; rest: number[] } {
  const o = orderedImages(s, unit);
  if (o.length < 2 * k) throw new InputError(`the screen has ${o.length} readable images; --k ${k} needs at least ${2 * k}`);
  return { mais: o.slice(o.length - k).reverse(), lais: o.slice(0, k), rest: o.slice(k, o.length - k) };
}
