// `dualneuron analyze mask`: MEI-derived masks (upstream estimate_mask / get_mean_mask, analysis/mei-mask.ts) of
// the neurons of a poles folder: per neuron one mask per result (seed and pole) and their mean mask.
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { toFloat32 } from '../../io/host-array.js';
import { formatCsv } from '../../io/csv.js';
import { Progress } from '../../util/progress.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { saveFigure } from '../plot/save.js';
import { imageRowsFigure, type LabelledImage } from '../plot/charts.js';
import { toDisplay } from '../synthesis/outputs.js';
import { jobDir, type Pole } from '../synthesis/poles.js';
import { readPolesFolder } from '../analysis/poles-folder.js';
import { meanMask, type PlaneImage } from '../analysis/mei-mask.js';
import { parseFloatStrict } from './parse.js';
import { parseNeurons } from './synthesize.js';

// neuron numbers are checked against the poles folder (readPolesFolder), not against a twin
const ANY_NEURON = 2 ** 31;

interface MaskOpts { poles: string; neurons?: string; pole: 'most' | 'least' | 'both'; source: 'image' | 'alpha'; z: string; figureNeurons: string; out: string }

/** The (C, H, W) array of one result's file, checked against the shape of the first. */
function readPlane(path: string, shape: number[] | null): PlaneImage & { shape: number[] } {
  if (!existsSync(path)) throw new InputError(`${path} is missing: ${path.endsWith('alpha.npy') ? 'this poles folder has no alpha maps (use --source image)' : 'an unfinished result'}`);
  const a = readNpy(path);
  if (a.shape.length !== 3 || (a.shape[0] !== 1 && a.shape[0] !== 3)) throw new InputError(`${path}: shape (${a.shape.join(', ')}), expected (C, H, W) with C = 1 or 3`);
  if (shape && a.shape.join() !== shape.join()) throw new InputError(`${path}: shape (${a.shape.join(', ')}) differs from the folder's first result (${shape.join(', ')})`);
  return { data: toFloat32(a), channels: a.shape[0], height: a.shape[1], width: a.shape[2], shape: a.shape };
}

/** Mask statistics: area (sum), pixels above 0.5, mask-weighted centroid (x = column, y = row). */
function maskStats(m: ArrayLike<number>, H: number, W: number) {
  let area = 0, half = 0, cx = 0, cy = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const v = m[y * W + x];
    area += v; if (v > 0.5) half++;
    cx += v * x; cy += v * y;
  }
  return { area, half, cx: area > 0 ? cx / area : NaN, cy: area > 0 ? cy / area : NaN };
}

async function runMask(o: MaskOpts): Promise<void> {
  const z = parseFloatStrict('--z', o.z);
  if (!(z >= 0)) throw new InputError(`--z must be >= 0 (a z-score threshold), got ${o.z}`);
  const figN = parseFloatStrict('--figure-neurons', o.figureNeurons);
  if (!(Number.isInteger(figN) && figN >= 0)) throw new InputError(`--figure-neurons must be a whole number >= 0, got ${o.figureNeurons}`);
  const p = readPolesFolder(o.poles, { neurons: o.neurons ? parseNeurons(o.neurons, ANY_NEURON) : undefined });
  const poles: Pole[] = o.pole === 'both' ? ['most', 'least'] : [o.pole];
  const file = o.source === 'alpha' ? 'alpha.npy' : 'image.npy';
  const items = p.seeds.flatMap((s) => poles.map((pole) => ({ s, pole })));
  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze mask');
  try {
    const rec = startRecord('analyze mask', { ...o }, 'host (float64)');
    let shape: number[] | null = null;
    const K = items.length, N = p.neurons.length;
    const bar = new Progress({ total: N, unit: 'neurons', label: 'masks' });
    let H = 0, W = 0, means: Float32Array | null = null, each: Float32Array | null = null;
    const rows: (string | number)[][] = [], fig: { name: string; images: LabelledImage[] }[] = [];
    for (let k = 0; k < N; k++) {
      const n = p.neurons[k];
      const planes = items.map(({ s, pole }) => {
        const pl = readPlane(join(jobDir(p.dir, { neuron: n, seed: BigInt(s), pole }), file), shape);
        shape ??= pl.shape;
        return pl;
      });
      if (!means) { H = shape![1]; W = shape![2]; means = new Float32Array(N * H * W); each = new Float32Array(N * K * H * W); }
      let r;
      try { r = meanMask(planes, z); } catch (e) {
        if (e instanceof InputError) throw new InputError(`neuron ${n}: ${e.message}`);
        throw e;
      }
      means.set(r.mask, k * H * W);
      r.masks.forEach((m, j) => each!.set(m, (k * K + j) * H * W));
      const st = maskStats(r.mask, H, W);
      rows.push([n, K, st.area, st.half, st.cx, st.cy]);
      if (k < figN) {
        const C = shape![0];
        // masks drawn from dark gray (0) to white (1), so the mask's frame shows on the black figure
        const gray = (m: ArrayLike<number>) => ({ width: W, height: H, channels: 1 as const, data: Uint8Array.from(m, (v) => Math.round(40 + 215 * Math.min(1, Math.max(0, v)))) });
        fig.push({ name: `neuron ${n}`, images: [
          ...planes.map((pl, j) => ({ image: { width: W, height: H, channels: C as 1 | 3, data: toDisplay(pl.data as Float32Array, C, [H, W]) }, label: `${items[j].pole === 'most' ? 'MEI' : 'LEI'} seed ${Number(items[j].s)}` })),
          ...r.masks.map((m, j) => ({ image: gray(m), label: `mask ${Number(items[j].s)}${poles.length > 1 ? ` ${items[j].pole}` : ''}` })),
          { image: gray(r.mask), label: `mean (${st.half} px > 0.5)` },
        ] });
      }
      bar.tick();
    }
    bar.finish();
    writeNpy(join(out, 'masks.npy'), { dtype: 'f32', shape: [N, H, W], data: means! });
    writeNpy(join(out, 'seed_masks.npy'), { dtype: 'f32', shape: [N, K, H, W], data: each! });
    writeNpy(join(out, 'neurons.npy'), { dtype: 'i64', shape: [N], data: BigInt64Array.from(p.neurons, (n) => BigInt(n)) });
    writeFileAtomic(join(out, 'masks.csv'), formatCsv(['neuron', 'images', 'area', 'pixels_above_half', 'centroid_x', 'centroid_y'], rows));
    const written = fig.length ? saveFigure(imageRowsFigure(`MEI masks (${o.source === 'alpha' ? 'alpha maps' : 'images'}, z > ${z})`, fig, 90), join(out, 'masks')) : [];
    finishRecord(rec, join(out, 'run.json'), {
      poles: p.dir, neurons: p.neurons, seeds: p.seeds, pole: poles, source: file, z, size: [H, W],
      items: items.map(({ s, pole }) => ({ seed: s, pole })),
      files: { 'masks.npy': '(neurons, H, W) get_mean_mask per neuron', 'seed_masks.npy': '(neurons, items, H, W) estimate_mask per seed and pole, in the order of items', 'neurons.npy': 'neuron numbers' },
      figure: written,
    });
    console.error(`masks of ${N} neurons (${K} results each, ${file}, z > ${z}) written to ${out}/masks.npy`);
  } finally {
    lock.release();
  }
}

export function registerAnalyzeMask(analyze: Command): void {
  analyze.command('mask')
    .description('MEI-derived masks (upstream estimate_mask / get_mean_mask): per result the convex hull of the largest object of pixels whose gray value lies more than --z standard deviations from the mean (after a closing), blurred (sigma 1); per neuron the mean of those masks scaled to [0, 1], values above 0.1 set to 1, blurred as an 8-bit image (5 x 5, sigma 1). Writes masks.npy, seed_masks.npy, neurons.npy, masks.csv, masks.svg (+ .png), run.json')
    .requiredOption('--poles <dir>', 'a poles folder (dualneuron poles / synthesize): neuron_NNNN/seed_SSSS/{most,least}/image.npy, alpha.npy')
    .option('--neurons <list>', 'neurons, e.g. 0-49 or 3,7,10-19 (default: all of the folder)')
    .addOption(new Option('--pole <which>', 'the results each neuron\'s mask is made from: its MEIs (most), LEIs (least) or both').choices(['most', 'least', 'both']).default('most'))
    .addOption(new Option('--source <what>', 'mask the images (upstream passes the poles) or the alpha maps (where the gradient was strong)').choices(['image', 'alpha']).default('image'))
    .option('--z <x>', 'z-score threshold (get_mean_mask\'s zthreshold; estimate_mask alone defaults to 0.5)', '1.0')
    .option('--figure-neurons <n>', 'neurons drawn in masks.svg (the first n; 0: no figure)', '12')
    .requiredOption('--out <dir>', 'output folder')
    .action(runMask);
}
