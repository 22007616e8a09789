// The Allen notebook's trial table (its `oracle_df.csv`): one row per (trial, neuron) with trial_id, neuron_id,
// image_id and spike_count, in any column order; read from CSV (or a structured .npy, table-npy.ts) and turned
// into a response cube (R, I, N):
//   - images and neurons are ordered by id (numerically when every id is an integer, else as text);
//   - each image's trials are ordered by trial_id, the k-th becomes repeat k; R is the most trials of any image;
//   - a (trial, neuron) pair without a row is NaN ("not recorded"), or 0 with missingRows 'zero'. The notebook's
//     table was built by counting spike rows, so a trial in which a neuron did not fire has no row there; its own
//     oracle simply used the rows present, which is what 'nan' reproduces.
import { InputError } from '../../errors.js';
import { csvColumn, parseCsv } from '../../io/csv.js';
import type { RecordedData } from './types.js';

export const TABLE_COLUMNS = ['trial_id', 'neuron_id', 'image_id', 'spike_count'] as const;
export type MissingRows = 'nan' | 'zero';

/** A table column by column: ids as text, spike counts as numbers, and the line/row each value came from. */
export interface TrialColumns {
  trial: string[];
  neuron: string[];
  image: string[];
  count: number[];
  /** 'line 12' (CSV) or 'row 11' (npy) of each record, for messages */
  at: (k: number) => string;
}

const INTEGER = /^-?[0-9]+$/;
const INTEGER_FLOAT = /^-?[0-9]+\.0*$/;        // pandas writes integer ids that went through float as '13.0'
const NUMBER = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** An id from a table cell: integers (also '13.0') in canonical form, other text as it is; empty is an error. */
function idOf(raw: string, column: string, file: string, at: string): string {
  const s = raw.trim();
  if (s === '') throw new InputError(`${file}: ${at}: ${column} is empty; every row needs a ${column}`);
  if (INTEGER.test(s) || INTEGER_FLOAT.test(s)) return BigInt(s.replace(/\.0*$/, '')).toString();
  return s;
}

/** Reads the CSV table into columns, checking every cell. */
export function trialColumnsFromCsv(bytes: Uint8Array, file: string): TrialColumns {
  const t = parseCsv(bytes, file);
  const [ct, cn, ci, cs] = TABLE_COLUMNS.map((c) => csvColumn(t, c, file)) as [number, number, number, number];
  const at = (k: number) => `line ${t.lines[k]}`;
  const cols: TrialColumns = { trial: [], neuron: [], image: [], count: [], at };
  t.rows.forEach((row, k) => {
    cols.trial.push(idOf(row[ct]!, 'trial_id', file, at(k)));
    cols.neuron.push(idOf(row[cn]!, 'neuron_id', file, at(k)));
    cols.image.push(idOf(row[ci]!, 'image_id', file, at(k)));
    const s = row[cs]!.trim();
    if (s === '' || /^[-+]?nan$/i.test(s)) throw new InputError(`${file}: ${at(k)}: spike_count is ${s === '' ? 'empty' : s}; every row needs a spike count (drop rows that were not recorded)`);
    if (!NUMBER.test(s)) throw new InputError(`${file}: ${at(k)}: spike_count '${s}' is not a number; the column must hold numbers only`);
    cols.count.push(Number(s));
  });
  return cols;
}

/** Numeric order when every id is an integer, text order otherwise. */
function sortIds(ids: Iterable<string>): string[] {
  const a = [...ids];
  if (a.every((s) => INTEGER.test(s))) return a.sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : BigInt(x) > BigInt(y) ? 1 : 0));
  return a.sort();
}

/** One column's ids must be all integers or all text: a mix is usually a broken export. */
function checkOneKind(ids: string[], column: string, file: string, at: (k: number) => string): void {
  const firstNum = ids.findIndex((s) => INTEGER.test(s)), firstText = ids.findIndex((s) => !INTEGER.test(s));
  if (firstNum >= 0 && firstText >= 0) {
    throw new InputError(`${file}: column ${column} mixes numbers (${at(firstNum)}: ${ids[firstNum]}) and text (${at(firstText)}: '${ids[firstText]}'); ` +
      'use one type for every id');
  }
}

/** Builds the response cube from table columns (see the header). */
export function tableToRecorded(c: TrialColumns, file: string, missingRows: MissingRows): RecordedData {
  const rows = c.trial.length;
  if (rows === 0) throw new InputError(`${file}: the table has no rows`);
  checkOneKind(c.trial, 'trial_id', file, c.at);
  checkOneKind(c.neuron, 'neuron_id', file, c.at);
  checkOneKind(c.image, 'image_id', file, c.at);
  for (let k = 0; k < rows; k++) {
    const v = c.count[k]!;
    if (!Number.isFinite(v)) throw new InputError(`${file}: ${c.at(k)}: spike_count is ${v}; counts must be finite numbers`);
    if (v < 0) throw new InputError(`${file}: ${c.at(k)}: spike_count is negative (${v}); spike counts are >= 0`);
  }
  // each trial shows one image
  const imageOfTrial = new Map<string, { image: string; k: number }>();
  for (let k = 0; k < rows; k++) {
    const prev = imageOfTrial.get(c.trial[k]!);
    if (!prev) imageOfTrial.set(c.trial[k]!, { image: c.image[k]!, k });
    else if (prev.image !== c.image[k]) {
      throw new InputError(`${file}: trial ${c.trial[k]} has image_id ${prev.image} (${c.at(prev.k)}) and ${c.image[k]} (${c.at(k)}); ` +
        'a trial shows one image: fix the table or give the two presentations different trial_ids');
    }
  }
  const neuronIds = sortIds(new Set(c.neuron));
  const imageIds = sortIds(new Set(c.image));
  const nIndex = new Map(neuronIds.map((id, n) => [id, n]));
  const iIndex = new Map(imageIds.map((id, i) => [id, i]));
  // trials of each image in trial_id order -> repeat index
  const trialsOfImage = imageIds.map(() => [] as string[]);
  for (const [trial, { image }] of imageOfTrial) trialsOfImage[iIndex.get(image)!]!.push(trial);
  const repeatOf = new Map<string, number>();
  let R = 0;
  for (const trials of trialsOfImage) {
    sortIds(trials).forEach((t, r) => repeatOf.set(t, r));
    R = Math.max(R, trials.length);
  }
  const I = imageIds.length, N = neuronIds.length;
  const data = new Float64Array(R * I * N).fill(NaN);
  if (missingRows === 'zero') {
    // only trials that exist get zeros; repeats an image never had stay NaN
    trialsOfImage.forEach((trials, i) => trials.forEach((_, r) => data.fill(0, (r * I + i) * N, (r * I + i + 1) * N)));
  }
  const seenAt = new Map<number, number>();
  for (let k = 0; k < rows; k++) {
    const i = iIndex.get(c.image[k]!)!, n = nIndex.get(c.neuron[k]!)!, r = repeatOf.get(c.trial[k]!)!;
    const idx = (r * I + i) * N + n;
    const prev = seenAt.get(idx);
    if (prev !== undefined) {
      throw new InputError(`${file}: trial ${c.trial[k]} and neuron ${c.neuron[k]} appear twice (${c.at(prev)} and ${c.at(k)}); ` +
        'a table has one row per trial and neuron: sum or drop the duplicate');
    }
    seenAt.set(idx, k);
    data[idx] = c.count[k]!;
  }
  return {
    source: file, layout: 'trial-table', neuronIds, imageIds, responses: { repeats: R, images: I, neurons: N, data },
    images: null, responseUnit: 'spike_count', windowS: null, origin: `trial table ${file}`,
  };
}
