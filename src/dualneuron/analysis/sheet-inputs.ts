// What a per-neuron sheet shows, read from the outputs of other commands: the best MEI and lowest LEI of a poles
// folder (by the final activation done.json records) with their activation traces, the top MAIs and LAIs of a
// screen (the image files as stored, with their responses), the best Gabor of `analyze gabor`, the gradient RF
// map and Gaussian fit of `analyze rf`. Each reader refuses a folder that does not hold the neuron.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import { parseCsv, csvColumn } from '../../io/csv.js';
import { readImage, resizeBilinearPIL, toL, toRGB } from '../../io/image/index.js';
import { jobDir, type Done, type Pole } from '../synthesis/poles.js';
import { parseImagesTxt } from '../screening/images-list.js';
import { unitFile } from '../cli/screen.js';
import type { PolesFolder } from './poles-folder.js';
import type { GaussFit } from './gauss-fit.js';

export interface SheetPole { seed: string; image: Float32Array; final: number; trace: Float32Array; file: string }
export interface SheetPicture { width: number; height: number; channels: 1 | 3; data: Uint8Array; response: number; file: string; /** the file's size when it was shrunk to fit */ resizedFrom?: [number, number] }

/** Screen images larger than this on their longer side are shrunk (PIL bilinear) so sheets stay small. */
export const MAX_PICTURE_SIDE = 192;
export interface SheetGabor { image: Float32Array; response: number; file: string }
export interface SheetRf { map: Float32Array; fit: Pick<GaussFit, 'x0' | 'y0' | 'sigmaMajor' | 'sigmaMinor' | 'angle'> | null; readout: { x: number; y: number } | null; file: string }

const need = (path: string, what: string) => { if (!existsSync(path)) throw new InputError(`${path} is missing: ${what}`); return path; };

/** The MEI with the highest and the LEI with the lowest final activation over the folder's seeds. */
export function sheetPole(p: PolesFolder, neuron: number, pole: Pole, shape: readonly number[]): SheetPole {
  let best: SheetPole | null = null;
  for (const seed of p.seeds) {
    const d = jobDir(p.dir, { neuron, seed: BigInt(seed), pole });
    const done = JSON.parse(readFileSync(join(d, 'done.json'), 'utf8')) as Done;
    if (best && (pole === 'most' ? done.final <= best.final : done.final >= best.final)) continue;
    const file = join(d, 'image.npy');
    const a = readNpy(file);
    if (a.shape.join() !== shape.join()) throw new InputError(`${file}: shape (${a.shape.join(', ')}) differs from (${shape.join(', ')}) of the folder's other results`);
    const trace = toFloat32(readNpy(need(join(d, 'activations.npy'), 'the activation trace of this result (dualneuron poles writes activations.npy)')));
    best = { seed, image: toFloat32(a), final: done.final, trace, file };
  }
  return best!;
}

/** The k highest (MAIs, highest first) and k lowest (LAIs, lowest first) images of a screen for one neuron. */
export function sheetScreen(dir: string, neuron: number, k: number): { mais: SheetPicture[]; lais: SheetPicture[] } {
  const resp = toFloat32(readNpy(unitFile(dir, 'responses', neuron)));
  const idx = readNpy(unitFile(dir, 'indices', neuron)).data as BigInt64Array;
  const m = resp.length;
  if (m === 0) throw new InputError(`--screen ${dir}: neuron ${neuron} has no screened images`);
  const paths = parseImagesTxt(readFileSync(need(join(dir, 'images.txt'), 'not a screening output (dualneuron screen writes images.txt)'), 'utf8'));
  const pic = (r: number): SheetPicture => {
    const file = paths.get(Number(idx[r]));
    if (file === undefined) throw new InputError(`${dir}/images.txt has no image ${idx[r]}: the screen's files do not belong together`);
    const raw = readImage(file);
    const gray = raw.mode === 'L' || raw.mode === '1' || raw.mode === 'I' || raw.mode === 'LA';
    let img = gray ? toL(raw) : toRGB(raw);
    const side = Math.max(img.width, img.height);
    const resizedFrom: [number, number] | undefined = side > MAX_PICTURE_SIDE ? [img.width, img.height] : undefined;
    if (resizedFrom) img = resizeBilinearPIL(img, Math.max(1, Math.round((img.width * MAX_PICTURE_SIDE) / side)), Math.max(1, Math.round((img.height * MAX_PICTURE_SIDE) / side)));
    return { width: img.width, height: img.height, channels: gray ? 1 : 3, data: img.data as Uint8Array, response: resp[r], file, resizedFrom };
  };
  const n = Math.min(k, m);
  return { mais: Array.from({ length: n }, (_, i) => pic(m - 1 - i)), lais: Array.from({ length: n }, (_, i) => pic(i)) };
}

function neuronRow(neurons: number[], neuron: number, dir: string, flag: string): number {
  const k = neurons.indexOf(neuron);
  if (k < 0) throw new InputError(`${flag} ${dir} has no results for neuron ${neuron} (it holds ${neurons.slice(0, 10).join(', ')}${neurons.length > 10 ? ', ...' : ''})`);
  return k;
}

/** The best Gabor of `analyze gabor` (best_gabors.npy, its grid.json's neurons, gabors.csv's best_response). */
export function sheetGabor(dir: string, neuron: number, shape: readonly number[]): SheetGabor {
  const grid = JSON.parse(readFileSync(need(join(dir, 'grid.json'), 'not an analyze gabor output'), 'utf8')) as { neurons: number[] };
  const k = neuronRow(grid.neurons, neuron, dir, '--gabor');
  const file = need(join(dir, 'best_gabors.npy'), 'not an analyze gabor output');
  const a = readNpy(file);
  const per = shape.reduce((x, y) => x * y, 1);
  if (a.shape.slice(1).join() !== shape.join()) throw new InputError(`${file}: Gabors of shape (${a.shape.slice(1).join(', ')}), but the poles are (${shape.join(', ')}): another twin`);
  const csvPath = join(dir, 'gabors.csv');
  const t = parseCsv(readFileSync(need(csvPath, 'not an analyze gabor output')), csvPath);
  const nc = csvColumn(t, 'neuron', csvPath), rc = csvColumn(t, 'best_response', csvPath);
  const row = t.rows.find((r) => Number(r[nc]) === neuron);
  if (!row) throw new InputError(`${csvPath} has no row for neuron ${neuron}`);
  return { image: toFloat32(a).slice(k * per, (k + 1) * per), response: Number(row[rc]), file };
}

/** The gradient RF map and Gaussian fit of `analyze rf` (rf_maps.npy, neurons.npy, rf.csv). */
export function sheetRf(dir: string, neuron: number, H: number, W: number): SheetRf {
  const neurons = Array.from(readNpy(need(join(dir, 'neurons.npy'), 'not an analyze rf output')).data as BigInt64Array, Number);
  const k = neuronRow(neurons, neuron, dir, '--rf');
  const file = need(join(dir, 'rf_maps.npy'), 'not an analyze rf output');
  const a = readNpy(file);
  if (a.shape[1] !== H || a.shape[2] !== W) throw new InputError(`${file}: maps of ${a.shape[1]}x${a.shape[2]}, but the poles are ${H}x${W}: another twin`);
  const csvPath = join(dir, 'rf.csv');
  const t = parseCsv(readFileSync(need(csvPath, 'not an analyze rf output')), csvPath);
  const col = (name: string) => csvColumn(t, name, csvPath);
  const row = t.rows.find((r) => Number(r[col('neuron')]) === neuron);
  if (!row) throw new InputError(`${csvPath} has no row for neuron ${neuron}`);
  const num = (name: string) => (row[col(name)] === '' ? NaN : Number(row[col(name)]));
  const fit = Number.isFinite(num('rf_x')) ? { x0: num('rf_x'), y0: num('rf_y'), sigmaMajor: num('sigma_major'), sigmaMinor: num('sigma_minor'), angle: num('angle_deg') } : null;
  const readout = Number.isFinite(num('readout_x')) ? { x: num('readout_x'), y: num('readout_y') } : null;
  return { map: toFloat32(a).slice(k * H * W, (k + 1) * H * W), fit, readout, file };
}
