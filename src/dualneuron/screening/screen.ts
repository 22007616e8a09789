// Screening: the responses of every unit to every image of a (possibly huge) list, with bounded memory,
// checkpoints to resume an interrupted run, deterministic shards that merge into exactly what one run gives,
// and the upstream outputs (per-unit ascending responses and indices, statistics).
//
// Batches are aligned to global image indices (batch b = images [bB, bB+B)), and a shard is a contiguous run of
// whole batches, so each image is always computed in the same batch composition: outputs are byte-identical
// whether a list is screened at once, resumed after a kill, or split into shards and merged.
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Tensor, noGrad, tidy, type Backend } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { AtomicWriter, writeAt, writeFileAtomic, ensureDir, tempNameFor, writeError } from '../../io/atomic.js';
import { encodeNpy, npyHeader, parseNpyHeader } from '../../io/npy.js';
import { Progress } from '../../util/progress.js';
import type { DecodePool } from '../input/decode-pool.js';
import type { Screenable } from './extract.js';
import { stableArgsort, statsCsv, unitStats, type UnitStats } from './stats.js';
import { formatRows } from './images-list.js';
import { fileSource } from '../../io/byte-source.js';
import { configDiff, configHash, mismatchError, type ResultConfig } from '../result-config.js';
import { yieldToSignals } from '../output-folder.js';

export interface ShardSpec { k: number; n: number }

export interface ScreenOptions {
  out: string;
  images: string[];
  screen: Screenable;
  /** model-space inputs of image files, in request order (a DecodePool, or a trained twin's own decoder) */
  decoder: Pick<DecodePool, 'decode'>;
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
  /**
   * every option that affects the outputs (model, members, layer, location, preset, batch, weights...); a
   * checkpoint or finished output made with others is refused (see checkScreenOutput) unless `overwrite`
   */
  config: ResultConfig;
  overwrite?: boolean;
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

/**
 * screen.json: what a (shard) output folder covers, for merging. `configKey` is configHash(config); `identity`
 * adds the image list and the shard (see runIdentity).
 */
export interface ScreenMeta { range: [number, number]; total: number; units: number; prefix: string; configKey: string; config?: ResultConfig; identity?: ResultConfig; listHash: string; batch: number; shard: ShardSpec | null }

interface State { configKey: string; identity?: ResultConfig; listHash: string; range: [number, number]; units: number; done: number; skipped: ScreenResult['skipped'] }

/** What must match for a checkpoint to be resumed, or a finished output to be counted as the same run: the options, the image list and the shard. */
export function runIdentity(config: ResultConfig, images: string[] | { files: number; sha256: string }, shard: ShardSpec | undefined | null): ResultConfig {
  const list = Array.isArray(images) ? { files: images.length, sha256: listHash(images) } : images;
  return { ...config, '--images': list, '--shard': shard ? `${shard.k}/${shard.n}` : 'none' };
}

/**
 * Before any GPU work: a checkpoint (.partial) or finished output (screen.json) in `out` made with other
 * options, another image list or another shard is refused with the differences named; with `overwrite` it is
 * removed, with the outputs screen.json names, so the run starts clean.
 */
export function checkScreenOutput(out: string, config: ResultConfig, images: string[], shard: ShardSpec | undefined, overwrite = false, log: (s: string) => void = (s) => console.error(s)): void {
  const asked = runIdentity(config, images, shard);
  const found = [[join(out, '.partial', 'state.json'), 'The interrupted screening run', 'was'], [join(out, 'screen.json'), 'The screening outputs', 'were']] as const;
  for (const [path, what, verb] of found) {
    if (!existsSync(path)) continue;
    const prev = JSON.parse(readFileSync(path, 'utf8')) as State | ScreenMeta;
    const diffs = prev.identity ? configDiff(prev.identity, asked) : [];
    if (prev.identity && !diffs.length) continue;
    if (!overwrite) throw mismatchError(out, what, diffs, verb);
    log(`--overwrite: removing ${what.toLowerCase()} in ${out} (made with other options)`);
    removeScreenOutputs(out, 'prefix' in prev ? checkPrefix(prev.prefix, path) : null);
  }
}

/**
 * A per-unit folder prefix read back from a screen.json: the CLI only writes names of letters, digits, '.', '_'
 * and '-' (never '.' or '..' alone), so anything else (a path separator) means an edited or foreign file, refused
 * before it becomes part of a path.
 */
function checkPrefix(prefix: unknown, file: string): string {
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._-]{1,600}$/.test(prefix) || prefix === '.' || prefix === '..') {
    throw new InputError(`${file}: its folder prefix ${JSON.stringify(prefix)} is not a plain name (letters, digits, '.', '_', '-'); the file was edited or is not a dualneuron screening output`);
  }
  return prefix;
}

function removeScreenOutputs(out: string, prefix: string | null): void {
  rmSync(join(out, '.partial'), { recursive: true, force: true });
  for (const f of ['screen.json', 'responses.npy', 'images.txt', 'skipped.txt', 'stats.csv']) rmSync(join(out, f), { force: true });
  if (prefix) for (const k of ['responses', 'indices']) rmSync(join(out, `${prefix}_ordered_${k}`), { recursive: true, force: true });
}

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
  const configKey = configHash(o.config), identity = runIdentity(o.config, o.images, o.shard);
  checkScreenOutput(o.out, o.config, o.images, o.shard, o.overwrite, log);
  let state: State = { configKey, identity, listHash: lh, range: [start, end], units, done: start, skipped: [] };
  if (existsSync(statePath)) {
    const prev = JSON.parse(readFileSync(statePath, 'utf8')) as State;
    if (prev.units !== units) throw new InputError(`${statePath}: the interrupted run screened ${prev.units} units, this one has ${units}; rerun with --overwrite or choose a new --out`);
    state = prev;
    log(`resuming: ${state.done - start} of ${end - start} images already screened`);
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
      writeAt(fd, new Uint8Array(vals.buffer), (s - start) * rowBytes, rawPath);
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
  await finishOutputs(o.out, rawPath, units, [start, end], () => {
    writeFileAtomic(join(o.out, 'images.txt'), formatRows(o.images.slice(start, end).map((p, i) => [start + i, p])));
    writeFileAtomic(join(o.out, 'skipped.txt'), formatRows(state.skipped.map((s) => [s.index, s.path, s.reason.replace(/\s+/g, ' ')])));
  }, o.prefix);
  const meta: ScreenMeta = { range: [start, end], total: o.images.length, units, prefix: o.prefix, configKey, config: o.config, identity, listHash: lh, batch: o.batch, shard: o.shard ?? null };
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
 * From the raw response rows: responses.npy, the per-unit ascending responses and indices (upstream layout),
 * stats.csv; `writeLists` writes images.txt and skipped.txt. Units are processed in groups so memory stays bounded.
 */
export async function finishOutputs(out: string, rawPath: string, units: number, range: [number, number], writeLists: () => void, prefix: string): Promise<void> {
  const [start, end] = range;
  const N = end - start;
  const fd = openSync(rawPath, 'r');
  try {
    if (fstatSync(fd).size !== N * units * 4) throw new InputError(`${rawPath}: size ${fstatSync(fd).size} does not hold ${N} x ${units} float32 responses`);
    // responses.npy: the npy header, then the raw rows streamed in blocks
    const header = npyHeader('f32', [N, units]);
    const w = new AtomicWriter(join(out, 'responses.npy'), header.length + N * units * 4);
    const blockRows = Math.max(1, Math.floor((8 << 20) / (units * 4)));
    try {
      w.write(header);
      for (let r = 0; r < N; r += blockRows) w.write(new Uint8Array(readRows(fd, units, r, Math.min(N, r + blockRows)).buffer));
    } catch (err) {
      w.abort();
      throw err;
    }
    w.commit();
    writeLists();
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
      await yieldToSignals();
    }
    writeFileAtomic(join(out, 'stats.csv'), statsCsv(stats));
  } finally {
    closeSync(fd);
  }
}

/**
 * Merge shard output folders into `out`: the same files a single run over the whole list writes (run.json
 * aside). The shards must come from one configuration and together cover the list exactly. Everything streams:
 * the response rows are appended shard by shard to a temporary file in blocks, images.txt and skipped.txt are
 * the shards' files concatenated (they are already in index order and formatted as one run formats them), and
 * the per-unit orders and statistics come from finishOutputs' bounded groups of units, so no shard's responses,
 * let alone all of them, are held in memory at once.
 */
export async function mergeShards(dirs: string[], out: string): Promise<ScreenMeta> {
  const metas = dirs.map((d) => {
    const p = join(d, 'screen.json');
    if (!existsSync(p)) throw new InputError(`${d} is not a finished screening output (no screen.json); finish or resume that shard first`);
    const meta = JSON.parse(readFileSync(p, 'utf8')) as ScreenMeta;
    checkPrefix(meta.prefix, p);
    return { dir: d, meta };
  }).sort((a, b) => a.meta.range[0] - b.meta.range[0]);
  const first = metas[0].meta;
  let at = 0;
  for (const { dir, meta } of metas) {
    if (meta.configKey !== first.configKey || meta.listHash !== first.listHash || meta.units !== first.units) {
      const diffs = meta.config && first.config ? configDiff(first.config, meta.config).map((d) => d.replace('done with', `${metas[0].dir} has`).replace(', asked', `, ${dir} has`)) : [];
      if (meta.listHash !== first.listHash) diffs.push('--images: the image lists differ');
      throw new InputError(`${dir} was screened with a different configuration or image list than ${metas[0].dir}${diffs.length ? `:\n  ${diffs.join('\n  ')}` : ''}`);
    }
    if (meta.range[0] !== at) throw new InputError(`shards do not cover the list contiguously: expected one starting at image ${at}, found ${dir} starting at ${meta.range[0]}`);
    at = meta.range[1];
  }
  if (at !== first.total) throw new InputError(`shards cover images 0..${at - 1} of ${first.total}; a shard is missing`);
  ensureDir(out);
  // the rows of all shards, concatenated (a temporary name, so an interrupted merge's leftover is cleaned up)
  const raw = tempNameFor(join(out, 'merge.f32'));
  try {
    let wfd: number;
    try { wfd = openSync(raw, 'wx'); } catch (err) { throw writeError(err, raw); }
    try {
      let pos = 0;
      for (const { dir, meta } of metas) pos = appendShardRows(join(dir, 'responses.npy'), meta, wfd, raw, pos);
    } finally {
      closeSync(wfd);
    }
    await finishOutputs(out, raw, first.units, [0, first.total], () => {
      for (const f of ['images.txt', 'skipped.txt']) concatFiles(metas.map(({ dir }) => join(dir, f)), join(out, f));
    }, first.prefix);
  } finally {
    rmSync(raw, { force: true });
  }
  // the list hash every shard recorded is the whole list's (runScreen hashes all of --images)
  const identity = first.config ? runIdentity(first.config, { files: first.total, sha256: first.listHash }, null) : undefined;
  const meta: ScreenMeta = { ...first, identity, range: [0, first.total], shard: null };
  writeFileAtomic(join(out, 'screen.json'), JSON.stringify(meta, null, 1) + '\n');
  return meta;
}

/** Block size of the streaming copies of a merge. */
const COPY_BLOCK = 8 << 20;

/** Append the data rows of a shard's responses.npy (checked against its screen.json) to `wfd` at `pos`; the new end. */
function appendShardRows(path: string, meta: ScreenMeta, wfd: number, rawPath: string, pos: number): number {
  const src = fileSource(path);
  try {
    // the header alone: magic and version (6 + 2 bytes), then its length (2 bytes in version 1, else 4)
    const lead = src.read(0, Math.min(src.size, 12));
    const dv = new DataView(lead.buffer, lead.byteOffset, lead.byteLength);
    const end = lead.length < 12 ? lead.length : lead[6] === 1 ? 10 + dv.getUint16(8, true) : 12 + dv.getUint32(8, true);
    const hdr = parseNpyHeader(src.read(0, Math.min(src.size, end)), path);
    const rows = meta.range[1] - meta.range[0];
    if (hdr.descr !== '<f4' || hdr.shape.length !== 2 || hdr.shape[0] !== rows || hdr.shape[1] !== meta.units || src.size - hdr.dataOffset !== rows * meta.units * 4) {
      throw new InputError(`${path}: expected ${rows} x ${meta.units} float32 responses (as its screen.json says), found '${hdr.descr}' of shape (${hdr.shape.join(', ')}) in ${src.size} bytes; screen that shard again`);
    }
    for (let o = hdr.dataOffset; o < src.size; o += COPY_BLOCK) {
      const block = src.read(o, Math.min(COPY_BLOCK, src.size - o));
      writeAt(wfd, block, pos, rawPath);
      pos += block.length;
    }
    return pos;
  } finally {
    src.close();
  }
}

/** `dest` (atomically) = the files `parts`, one after the other, copied in blocks. */
function concatFiles(parts: string[], dest: string): void {
  const w = new AtomicWriter(dest);
  try {
    for (const p of parts) {
      const src = fileSource(p);
      try {
        for (let o = 0; o < src.size; o += COPY_BLOCK) w.write(src.read(o, Math.min(COPY_BLOCK, src.size - o)));
      } finally {
        src.close();
      }
    }
  } catch (err) {
    w.abort();
    throw err;
  }
  w.commit();
}
