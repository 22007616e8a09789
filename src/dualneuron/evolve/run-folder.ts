// Reading the output folder of `dualneuron evolve` (layout: OUT/state.json, OUT/n<neuron>/s<seed>/<space>/*.npy;
// see README "Evolution" and docs/EVOLVE.md) for the figures and `evolve summary`. Only generations that
// state.json counts are used: a kill between a thread's files and state.json leaves extra rows, which are ignored.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, InputError } from '../../errors.js';
import { parseNpy } from '../../io/npy.js';
import { readFileBytes } from '../../io/atomic.js';
import { toFloat64, type HostArray } from '../../io/host-array.js';

export interface EvolveStateInfo {
  generationsDone: number;
  /** options.generations: how many the run was asked for (NaN when state.json does not say) */
  generationsAsked: number;
  /** thread keys "<neuron>/<seed>/<space>" state.json lists */
  threads: string[];
}

/** A matrix of float64 values, row-major. */
export interface Matrix { rows: number; cols: number; data: Float64Array }

export interface ThreadFiles {
  neuron: number;
  seed: number;
  space: string;
  dir: string;
  /** (G, pop) told scores, cut to the generations state.json counts */
  scores: Matrix;
  /** (G, pop) noiseless scores when clean_scores.npy exists */
  clean: Matrix | null;
}

/** Reads `file` as .npy; a malformed file gives a FormatError naming it. */
export function readNpyFile(file: string): HostArray {
  const bytes = readFileBytes(file, 'evolve output');
  try {
    return parseNpy(bytes, file);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${file}: not a readable .npy file (${(e as Error).message}); the run that wrote it may have been interrupted: rerun the same \`dualneuron evolve\` command to resume it`);
  }
}

/** The first `rows` rows of a 2-D float .npy (all of them when rows is undefined). */
export function readRows(file: string, rows?: number): Matrix {
  const a = readNpyFile(file);
  if (a.shape.length !== 2 || !['f32', 'f64'].includes(a.dtype)) {
    throw new FormatError(`${file}: expected a 2-D float array (generations x population), got ${a.dtype} [${a.shape.join(', ')}]`);
  }
  const [g, cols] = a.shape as [number, number];
  const want = rows ?? g;
  if (g < want) throw new FormatError(`${file}: holds ${g} generations, state.json counts ${want}; the folder is inconsistent (rerun the same \`dualneuron evolve\` command to resume it)`);
  return { rows: want, cols, data: toFloat64(a).slice(0, want * cols) };
}

export function readEvolveState(out: string): EvolveStateInfo {
  if (!existsSync(out) || !statSync(out).isDirectory()) throw new InputError(`${out} is not a folder; give the --out folder of a \`dualneuron evolve\` run`);
  const path = join(out, 'state.json');
  if (!existsSync(path)) {
    const threads = listNeuronDirs(out).length;
    throw new InputError(threads
      ? `${out} has thread folders but no state.json: the run has not finished its first generation (or state.json was removed); rerun the same \`dualneuron evolve\` command`
      : `${out} is not a \`dualneuron evolve\` output folder (no state.json and no n<neuron>/ folders)`);
  }
  let s: { generationsDone?: unknown; options?: { generations?: unknown }; threads?: unknown };
  try {
    s = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FormatError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const done = s?.generationsDone;
  if (typeof done !== 'number' || !Number.isInteger(done) || done < 0) throw new FormatError(`${path}: generationsDone must be a non-negative integer, got ${JSON.stringify(done)}`);
  const asked = typeof s.options?.generations === 'number' ? s.options.generations : NaN;
  const threads = s.threads && typeof s.threads === 'object' ? Object.keys(s.threads as object) : [];
  return { generationsDone: done, generationsAsked: asked, threads };
}

function listNeuronDirs(out: string): { neuron: number; dir: string }[] {
  return readdirSync(out, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^n\d+$/.test(d.name))
    .map((d) => ({ neuron: Number(d.name.slice(1)), dir: join(out, d.name) }))
    .sort((a, b) => a.neuron - b.neuron);
}

/** The seed folders OUT/n<neuron>/s<seed>, sorted by neuron then seed. */
export function listSeedDirs(out: string): { neuron: number; seed: number; dir: string }[] {
  const res: { neuron: number; seed: number; dir: string }[] = [];
  for (const n of listNeuronDirs(out)) {
    const seeds = readdirSync(n.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && /^s\d+$/.test(d.name))
      .map((d) => ({ neuron: n.neuron, seed: Number(d.name.slice(1)), dir: join(n.dir, d.name) }))
      .sort((a, b) => a.seed - b.seed);
    res.push(...seeds);
  }
  return res;
}

/** The space folders (those holding scores.npy) of a seed folder, in name order. */
/** The space folders of a seed folder that hold scores.npy; only `spaces` when given (a run's own, so that folders
 * left by another run in the same place are not read). */
export function listSpaceDirs(seedDir: string, spaces?: readonly string[]): { space: string; dir: string }[] {
  return readdirSync(seedDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (!spaces || spaces.includes(d.name)) && existsSync(join(seedDir, d.name, 'scores.npy')))
    .map((d) => ({ space: d.name, dir: join(seedDir, d.name) }))
    .sort((a, b) => (a.space < b.space ? -1 : a.space > b.space ? 1 : 0));
}

/** The scores of one thread folder, cut to `generations` rows (all rows when undefined). */
export function readThread(dir: string, generations?: number): { scores: Matrix; clean: Matrix | null } {
  const scores = readRows(join(dir, 'scores.npy'), generations);
  const cleanPath = join(dir, 'clean_scores.npy');
  const clean = existsSync(cleanPath) ? readRows(cleanPath, scores.rows) : null;
  if (clean && clean.cols !== scores.cols) throw new FormatError(`${cleanPath}: ${clean.cols} scores a generation, scores.npy has ${scores.cols}`);
  return { scores, clean };
}

/** Every thread of OUT with its scores (the generations state.json counts). */
export function readThreads(out: string, state: EvolveStateInfo): ThreadFiles[] {
  const res: ThreadFiles[] = [];
  for (const s of listSeedDirs(out)) {
    for (const sp of listSpaceDirs(s.dir)) {
      const t = readThread(sp.dir, state.generationsDone);
      res.push({ neuron: s.neuron, seed: s.seed, space: sp.space, dir: sp.dir, ...t });
    }
  }
  const have = new Set(res.map((t) => `${t.neuron}/${t.seed}/${t.space}`));
  const missing = state.threads.filter((k) => !have.has(k));
  if (missing.length) throw new FormatError(`${out}: state.json lists thread${missing.length > 1 ? 's' : ''} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''} whose folder or scores.npy is missing`);
  return res;
}

/**
 * Per-row statistics over the finite entries of a row (a row with none is an error naming `file`). Non-finite
 * entries are skipped because a generation may hold fewer codes than the population (CholeskyCMAES's generation 0
 * asks only its init code) and its row is then padded with NaN.
 */
export function rowStats(m: Matrix, file: string): { mean: Float64Array; max: Float64Array } {
  const mean = new Float64Array(m.rows), max = new Float64Array(m.rows);
  for (let r = 0; r < m.rows; r++) {
    let s = 0, k = 0, hi = -Infinity;
    for (let c = 0; c < m.cols; c++) {
      const v = m.data[r * m.cols + c];
      if (!Number.isFinite(v)) continue;
      s += v; k++; if (v > hi) hi = v;
    }
    if (k === 0) throw new FormatError(`${file}: generation ${r} holds no finite score`);
    mean[r] = s / k; max[r] = hi;
  }
  return { mean, max };
}
