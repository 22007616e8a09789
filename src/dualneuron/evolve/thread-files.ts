// The per-thread files of an evolution run (the layout of `dualneuron evolve`, README "Evolution"): rows are kept
// in memory and every checkpoint rewrites each file atomically with the rows of the generations done. On resume,
// the files are read back and cut to the generations the checkpoint counts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../errors.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { ensureDir } from '../../io/atomic.js';

export interface ThreadShape {
  /** the widest generation (scores.npy columns); narrower generations are padded with NaN */
  width: number;
  dim: number;
  /** the model input (C, H, W) */
  image: readonly [number, number, number];
  /** clean_scores.npy is written (noise on) */
  noisy: boolean;
}

/** One generation of one thread. */
export interface ThreadRow {
  told: Float64Array;
  clean: Float64Array;
  bestCode: Float64Array;
  bestImage: Float32Array;
}

export class ThreadRecord {
  readonly told: Float32Array[] = [];
  readonly clean: Float32Array[] = [];
  readonly bestCodes: Float32Array[] = [];
  readonly bestImages: Float32Array[] = [];
  readonly meanImages: Float32Array[] = [];
  readonly meanScores: number[] = [];

  constructor(readonly dir: string, readonly shape: ThreadShape) {}

  private padded(v: ArrayLike<number>): Float32Array {
    const row = new Float32Array(this.shape.width).fill(NaN);
    row.set(Float32Array.from(v));
    return row;
  }

  /** the scores, best code and best image of generation `told.length` */
  addGeneration(r: ThreadRow): void {
    if (r.told.length > this.shape.width) throw new FormatError(`a generation asked ${r.told.length} codes; ${this.dir} keeps ${this.shape.width} columns`);
    this.told.push(this.padded(r.told));
    this.clean.push(this.padded(r.clean));
    this.bestCodes.push(Float32Array.from(r.bestCode));
    this.bestImages.push(r.bestImage.slice());
  }

  /** the centre's image and score after generation `meanScores.length`'s tell */
  addMean(image: Float32Array, score: number): void {
    this.meanImages.push(image.slice());
    this.meanScores.push(score);
  }

  /** writes the first `g` generations of every file (each atomically) */
  write(g: number): void {
    if (this.told.length < g || this.meanScores.length < g) throw new FormatError(`${this.dir}: asked to write ${g} generations, ${Math.min(this.told.length, this.meanScores.length)} are complete`);
    ensureDir(this.dir);
    const { width, dim, image } = this.shape;
    const rows = (a: Float32Array[], n: number) => { const out = new Float32Array(g * n); for (let i = 0; i < g; i++) out.set(a[i], i * n); return out; };
    const px = image[0] * image[1] * image[2];
    writeNpy(join(this.dir, 'scores.npy'), { dtype: 'f32', shape: [g, width], data: rows(this.told, width) });
    if (this.shape.noisy) writeNpy(join(this.dir, 'clean_scores.npy'), { dtype: 'f32', shape: [g, width], data: rows(this.clean, width) });
    writeNpy(join(this.dir, 'best_codes.npy'), { dtype: 'f32', shape: [g, dim], data: rows(this.bestCodes, dim) });
    writeNpy(join(this.dir, 'best_image.npy'), { dtype: 'f32', shape: [g, ...image], data: rows(this.bestImages, px) });
    writeNpy(join(this.dir, 'mean_image.npy'), { dtype: 'f32', shape: [g, ...image], data: rows(this.meanImages, px) });
    writeNpy(join(this.dir, 'mean_scores.npy'), { dtype: 'f32', shape: [g], data: Float32Array.from(this.meanScores.slice(0, g)) });
  }

  /** reads the first `g` generations back (a resumed run); a missing or short file is a FormatError naming it */
  static read(dir: string, shape: ThreadShape, g: number): ThreadRecord {
    const rec = new ThreadRecord(dir, shape);
    const px = shape.image[0] * shape.image[1] * shape.image[2];
    const load = (name: string, cols: number): Float32Array[] => {
      const p = join(dir, name);
      if (!existsSync(p)) throw new FormatError(`${p} is missing: the checkpoint (state.json) counts ${g} generations. Rerun with --overwrite to start again.`);
      const a = readNpy(p);
      const n = a.shape.slice(1).reduce((x, y) => x * y, 1);
      if (a.dtype !== 'f32' || a.shape[0] < g || n !== cols) throw new FormatError(`${p}: [${a.shape.join(', ')}] ${a.dtype}, expected at least ${g} rows of ${cols} float32. Rerun with --overwrite to start again.`);
      const d = a.data as Float32Array;
      return Array.from({ length: g }, (_, i) => d.slice(i * cols, (i + 1) * cols));
    };
    rec.told.push(...load('scores.npy', shape.width));
    rec.clean.push(...(shape.noisy ? load('clean_scores.npy', shape.width) : rec.told.map((r) => r.slice())));
    rec.bestCodes.push(...load('best_codes.npy', shape.dim));
    rec.bestImages.push(...load('best_image.npy', px));
    rec.meanImages.push(...load('mean_image.npy', px));
    rec.meanScores.push(...load('mean_scores.npy', 1).map((r) => r[0]));
    return rec;
  }
}
