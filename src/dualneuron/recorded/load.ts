// One entry point for recorded data: a DATA folder (dataset.json), a trial table (.csv, or a structured .npy),
// or a bare responses matrix (.npy), with images from the folder itself or `--images` (folder or images.npy).
import { existsSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { readFileBytes } from '../../io/atomic.js';
import { parseNpy, parseNpyHeader } from '../../io/npy.js';
import { isDataFolder, readDataFolder } from './folder.js';
import { imagesFor } from './images.js';
import { matrixToRecorded } from './matrix.js';
import { tableToRecorded, trialColumnsFromCsv, type MissingRows } from './trial-table.js';
import { trialColumnsFromNpy } from './table-npy.js';
import type { RecordedData } from './types.js';

export interface LoadOptions {
  /** images for a table or matrix: a folder of image files or an images.npy stack */
  images?: string;
  /** keep the images in memory (a command that does not need them passes false; they are still checked) */
  loadImages?: boolean;
  /** trial tables: a (trial, neuron) pair without a row is 'nan' (not recorded; default) or 'zero' */
  missingRows?: MissingRows;
  /** bare matrices: what the values are (default spike_count) */
  responseUnit?: 'spike_count' | 'rate';
}

export function loadRecorded(path: string, o: LoadOptions = {}): RecordedData {
  if (!existsSync(path)) throw new InputError(`data ${path} does not exist; give a DATA folder, a trial table (.csv/.npy) or a responses matrix (.npy)`);
  const keep = o.loadImages ?? true;
  if (statSync(path).isDirectory()) {
    if (!isDataFolder(path)) {
      throw new InputError(`${path} is a folder without ${join(path, 'dataset.json')}; a DATA folder holds dataset.json, responses.npy and images.npy ` +
        '(README "Recorded data and oracle reliability")');
    }
    if (o.images) throw new InputError(`--images: ${path} is a DATA folder, which has its own images.npy; drop --images`);
    return readDataFolder(path, { images: keep });
  }
  const ext = extname(path).toLowerCase();
  let data: RecordedData;
  if (ext === '.csv') {
    data = tableToRecorded(trialColumnsFromCsv(readFileBytes(path, 'trial table'), path), path, o.missingRows ?? 'nan');
  } else if (ext === '.npy') {
    const bytes = readFileBytes(path, 'data file');
    const h = parseNpyHeader(bytes, path, { structured: true });
    data = h.fields ? tableToRecorded(trialColumnsFromNpy(bytes, path), path, o.missingRows ?? 'nan') : matrixToRecorded(parseNpy(bytes, path), path, o.responseUnit ?? 'spike_count');
  } else {
    throw new InputError(`data ${path}: unknown kind of file (${ext || 'no extension'}); give a DATA folder, a trial table (.csv or structured .npy) or a responses matrix (.npy)`);
  }
  if (o.images) {
    const images = imagesFor(o.images, data.imageIds, path);
    if (data.layout === 'matrix' && statSync(o.images).isFile() && (readNpyCount(o.images) !== data.responses.images)) {
      throw new InputError(`--images ${o.images} holds ${readNpyCount(o.images)} images but ${path} has ${data.responses.images} images; a matrix's images are matched by position`);
    }
    if (keep) data.images = images;
  }
  return data;
}

function readNpyCount(file: string): number {
  return parseNpyHeader(readFileBytes(file, 'images file'), file).shape[0] ?? 0;
}
