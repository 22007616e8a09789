// Screening: the responses of every unit to every image of a (possibly huge) list, with bounded memory,
// checkpoints to resume an interrupted run, deterministic shards that merge into exactly what one run gives,
// and the upstream outputs (per-unit ascending responses and indices, statistics).
//
// Batches are aligned to global image indices (batch b = images [bB, bB+B)), and a shard is a contiguous run of
// whole batches, so each image is always computed in the same batch composition: outputs are byte-identical
// whether a list is screened at once, resumed after a kill, or split into shards and merged.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Tensor, noGrad, tidy, type Backend } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { writeFileAtomic, ensureDir } from '../../io/atomic.js';
import { encodeNpy, npyHeader, parseNpyHeader } from '../../io/npy.js';
import { Progress } from '../../util/progress.js';
import type { DecodePool } from '../input/decode-pool.js';
import type { Screenable } from './extract.js';
import { stableArgsort, statsCsv, unitStats, type UnitStats } from './stats.js';

export interface ShardSpec { k: number; n: number }

export interface ScreenOptions {
  out: string;
  images: string[];
  screen: Screenable;
  decoder: DecodePool;
  backend: Backend;
  /** model-space input shape (C, H, W) */
  inputShape: [number, number, number];
  batch: number;
  shard?: ShardSpec;
  /** fail on the first unreadable image instead of skipping it */
  strict?: boolean;
  /** prefix of the per-unit folders: <model>_<layer>_<dataset> */
  prefix: string;
  progress?: boolean;
  /** identifies the configuration; a checkpoint made with another is not resumed */
  configKey: string;
  /** stop after this many batches (tests of resumption); the run can be resumed later */
  stopAfterBatches?: number;
  log?: (s: string) => void;
}

export interface ScreenResult { images: number; units: number; skipped: { index: number; path: string; reason: string }[]; complete: boolean; range: [number, number] }

/** Global image range [start, end) of shard k of n, in whole batches. */
export function shardRange(total: number, batch: number, shard?: ShardSpec): [number, number] {
  if (!shard) return [0, total];
  const nb = Math.ceil(total / batch);
  const b0 = Math.floor((shard.k * nb) / shard.n), b1 = Math.floor(((shard.k + 1) * nb) / shard.n);
  return [Math.min(total, b0 * batch), Math.min(total, b1 * batch)];
}

export function listHash(images: string[]): string {
  return createHash('sha256').update(images.join('\n')).digest('hex');
}

/** screen.json: what a (shard) output folder covers, for merging. */
export interface ScreenMeta { range: [number, number]; total: number; units: number; prefix: string; configKey: string; listHash: string; batch: number; shard: ShardSpec | null }

interface State { configKey: string; listHash: string; range: [number, number]; units: number; done: number; skipped: ScreenResult['skipped'] }

export async function runScreen(o: ScreenOptions): Promise<ScreenResult> {
  const log = o.log ?? ((s: string) => console.error(s));
  const [start, end] = shardRange(o.images.length, o.batch, o.shard);
  const units = o.screen.units;
  const [C, H, W] = o.inputShape;
  const per = C * H * W;
  ensureDir(o.out);
  const partDir = join(o.out, '.partial');
  mkdirSync(partDir, { recursive: true });
  const statePath = join(partDir, 'state.json'), rawPath = join(partDir, 'responses.f32');
  const lh = listHash(o.images);
  let state: State = { configKey: o.configKey, listHash: lh, range: [start, end], units, done: start, skipped: [] };
  if (existsSync(statePath)) {
    const prev = JSON.parse(readFileSync(statePath, 'utf8')) as State;
    if (prev.configKey === o.configKey && prev.listHash === lh && prev.range[0] === start && prev.range[1] === end && prev.units === units) {
      state = prev;
      log(`resuming: ${state.done - start} of ${end - start} images already screened`);
    } else {
      log('a checkpoint from a different configuration is in the output folder; starting over');
      rmSync(rawPath, { force: true });
    }
  }
  // the raw file holds exactly the rows of the images done so far (a kill may have left a partial row batch)
  const fd = openSync(rawPath, existsSync(rawPath) ? 'r+' : 'w+');
  const rowBytes = units * 4;
  ftruncateSync(fd, (state.done - start) * rowBytes);
  const progress = o.progress ? new Progress({ total: end - start, unit: 'img', label: 'screen' }) : null;
  progress?.set(state.done - start);
  let batches = 0;
  try {
    // prefetch: decode batch b+1 while the GPU runs batch b
    const decodeBatch = (s: number) => Promise.all(o.images.slice(s, Math.min(end, s + o.batch)).map((p) => o.decoder.decode(p)));
    let next = state.done < end ? decodeBatch(state.done) : null;
    for (let s = state.done; s < end; s += o.batch) {
      const decoded = await next!;
      const e = Math.min(end, s + o.batch);
      next = e < end ? decodeBatch(e) : null;
      const n = e - s;
      const x = new Float32Array(n * per);
      const bad: number[] = [];
      decoded.forEach((d, i) => {
        if ('error' in d) {
          if (o.strict) throw new InputError(`${o.images[s + i]}: ${d.error} (--strict)`);
          log(`skipping ${o.images[s + i]}: ${d.error}`);
          state.skipped.push({ index: s + i, path: o.images[s + i], reason: d.error });
          bad.push(i);
        } else x.set(d.data, i * per);
      });
      // unreadable images keep their slot (zeros in, NaN out) so batch shapes, and thus results, never change
      const y = noGrad(() => tidy(() => {
        const xt = Tensor.from(x, [n, C, H, W], { backend: o.backend });
        return o.screen.run(xt).contiguous();
      }));
      const vals = await y.dataF32();
      y.dispose();
      for (const i of bad) vals.fill(NaN, i * units, (i + 1) * units);
      writeSync(fd, new Uint8Array(vals.buffer), 0, vals.byteLength, (s - start) * rowBytes);
      state.done = e;
      writeFileAtomic(statePath, JSON.stringify(state));
      progress?.set(state.done - start);
      batches++;
      if (o.stopAfterBatches !== undefined && batches >= o.stopAfterBatches && state.done < end) {
        progress?.finish('(stopped)');
        return { images: state.done - start, units, skipped: state.skipped, complete: false, range: [start, end] };
      }
    }
  } finally {
    closeSync(fd);
  }
  progress?.finish();
  finishOutputs(o.out, rawPath, units, [start, end], o.images, state.skipped, o.prefix);
  const meta: ScreenMeta = { range: [start, end], total: o.images.length, units, prefix: o.prefix, configKey: o.configKey, listHash: lh, batch: o.batch, shard: o.shard ?? null };
  writeFileAtomic(join(o.out, 'screen.json'), JSON.stringify(meta, null, 1) + '\n');
  rmSync(partDir, { recursive: true, force: true });
  return { images: end - start, units, skipped: state.skipped, complete: true, range: [start, end] };
}

/** Read rows [r0, r1) of a raw float32 file of `units` columns. */
function readRows(fd: number, units: number, r0: number, r1: number): Float32Array {
  const out = new Float32Array((r1 - r0) * units);
  readSync(fd, new Uint8Array(out.buffer), 0, out.byteLength, r0 * units * 4);
  return out;
}

/**
 * From the raw response rows: responses.npy, images.txt, skipped.txt, the per-unit ascending responses and
 * indices (upstream layout), stats.csv. Units are processed in groups so memory stays bounded.
 */
export function finishOutputs(out: string, rawPath: string, units: number, range: [number, number], images: string[], skipped: ScreenResult['skipped'], prefix: string): void {
  const [start, end] = range;
  const N = end - start;
  const fd = openSync(rawPath, 'r');
  try {
    if (fstatSync(fd).size !== N * units * 4) throw new InputError(`${rawPath}: size ${fstatSync(fd).size} does not hold ${N} x ${units} float32 responses`);
    // responses.npy: the npy header, then the raw rows streamed in blocks
    const tmp = join(out, `responses.npy.tmp-${process.pid}`);
    const wfd = openSync(tmp, 'w');
    writeSync(wfd, npyHeader('f32', [N, units]));
    const blockRows = Math.max(1, Math.floor((8 << 20) / (units * 4)));
    for (let r = 0; r < N; r += blockRows) {
      const rows = readRows(fd, units, r, Math.min(N, r + blockRows));
      writeSync(wfd, new Uint8Array(rows.buffer));
    }
    closeSync(wfd);
    renameSync(tmp, join(out, 'responses.npy'));
    writeFileAtomic(join(out, 'images.txt'), images.slice(start, end).map((p, i) => `${start + i}\t${p}`).join('\n') + '\n');
    writeFileAtomic(join(out, 'skipped.txt'), skipped.map((s) => `${s.index}\t${s.path}\t${s.reason.replace(/\s+/g, ' ')}`).join('\n') + (skipped.length ? '\n' : ''));
    const respDir = join(out, `${prefix}_ordered_responses`), idxDir = join(out, `${prefix}_ordered_indices`);
    ensureDir(respDir); ensureDir(idxDir);
    const stats: UnitStats[] = [];
    const group = Math.max(1, Math.min(units, Math.floor((64 << 20) / Math.max(1, N * 4))));
    for (let u0 = 0; u0 < units; u0 += group) {
      const u1 = Math.min(units, u0 + group);
      const cols = Array.from({ length: u1 - u0 }, () => new Float32Array(N));
      for (let r = 0; r < N; r += blockRows) {
        const r1 = Math.min(N, r + blockRows);
        const rows = readRows(fd, units, r, r1);
        for (let i = r; i < r1; i++) for (let u = u0; u < u1; u++) cols[u - u0][i] = rows[(i - r) * units + u];
      }
      cols.forEach((col, j) => {
        const u = u0 + j;
        const order = stableArgsort(col);
        const sorted = Float32Array.from(order, (i) => col[i]);
        writeFileAtomic(join(respDir, `${u}.npy`), encodeNpy({ dtype: 'f32', shape: [sorted.length], data: sorted }));
        writeFileAtomic(join(idxDir, `${u}.npy`), encodeNpy({ dtype: 'i64', shape: [order.length], data: BigInt64Array.from(order, (i) => BigInt(start + i)) }));
        stats.push(unitStats(u, sorted));
      });
    }
    writeFileAtomic(join(out, 'stats.csv'), statsCsv(stats));
  } finally {
    closeSync(fd);
  }
}

/**
 * Merge shard output folders into `out`: the same files a single run over the whole list writes (run.json
 * aside). The shards must come from one configuration and together cover the list exactly.
 */
export function mergeShards(dirs: string[], out: string): ScreenMeta {
  const metas = dirs.map((d) => {
    const p = join(d, 'screen.json');
    if (!existsSync(p)) throw new InputError(`${d} is not a finished screening output (no screen.json); finish or resume that shard first`);
    return { dir: d, meta: JSON.parse(readFileSync(p, 'utf8')) as ScreenMeta };
  }).sort((a, b) => a.meta.range[0] - b.meta.range[0]);
  const first = metas[0].meta;
  let at = 0;
  for (const { dir, meta } of metas) {
    if (meta.configKey !== first.configKey || meta.listHash !== first.listHash || meta.units !== first.units) {
      throw new InputError(`${dir} was screened with a different configuration or image list than ${metas[0].dir}`);
    }
    if (meta.range[0] !== at) throw new InputError(`shards do not cover the list contiguously: expected one starting at image ${at}, found ${dir} starting at ${meta.range[0]}`);
    at = meta.range[1];
  }
  if (at !== first.total) throw new InputError(`shards cover images 0..${at - 1} of ${first.total}; a shard is missing`);
  ensureDir(out);
  const raw = join(out, `.merge-${process.pid}.f32`);
  const wfd = openSync(raw, 'w');
  const images: string[] = new Array(first.total);
  const skipped: ScreenResult['skipped'] = [];
  try {
    for (const { dir, meta } of metas) {
      const bytes = readFileSync(join(dir, 'responses.npy'));
      const hdr = parseNpyHeader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), join(dir, 'responses.npy'));
      writeSync(wfd, bytes.subarray(hdr.dataOffset));
      for (const line of readFileSync(join(dir, 'images.txt'), 'utf8').split('\n')) {
        if (!line) continue;
        const tab = line.indexOf('\t');
        images[Number(line.slice(0, tab))] = line.slice(tab + 1);
      }
      for (const line of readFileSync(join(dir, 'skipped.txt'), 'utf8').split('\n')) {
        if (!line) continue;
        const [i, p, ...r] = line.split('\t');
        skipped.push({ index: Number(i), path: p, reason: r.join('\t') });
      }
      void meta;
    }
  } finally {
    closeSync(wfd);
  }
  finishOutputs(out, raw, first.units, [0, first.total], images, skipped, first.prefix);
  rmSync(raw, { force: true });
  const meta: ScreenMeta = { ...first, range: [0, first.total], shard: null };
  writeFileAtomic(join(out, 'screen.json'), JSON.stringify(meta, null, 1) + '\n');
  return meta;
}
