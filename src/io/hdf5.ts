// HDF5 files, through h5wasm (the HDF5 C library compiled to WebAssembly), behind this one module. Files go in
// and come out as bytes: h5wasm works on files of its own in-memory file system (Emscripten's MEMFS), so we copy
// the caller's bytes in, open that copy, and for writing build a file there and hand its bytes back. Callers keep
// the project's rule that parsers never touch the disk.
// Where h5wasm does not let us keep to bytes alone: it needs the file as a whole in its in-memory file system (a
// second copy of the caller's bytes, or of the file being written, grown in JavaScript memory, while HDF5 itself
// runs in the 32-bit WebAssembly heap), so a file is always read or written whole, never streamed from the disk,
// and files above MAX_H5_BYTES are refused with a message.
// Values are HostArrays (numbers), BigUint64Array-backed u64 arrays (seeds of 2^63 and more) or strings
// (UTF-8, variable length, as h5py writes Python str).
import h5wasm from 'h5wasm';
import { FormatError, InputError } from '../errors.js';
import { numel, type HostArray } from './host-array.js';

/** Files are held whole in memory, twice (see the note at the top); larger ones are refused. */
export const MAX_H5_BYTES = 1.5 * 2 ** 30;

export interface U64Array { dtype: 'u64'; shape: number[]; data: BigUint64Array }
/** A dataset's or attribute's value: numbers (shape [] is a scalar) or strings (string[] when not a scalar). */
export type H5Value = HostArray | U64Array | { dtype: 'str'; shape: number[]; data: string[] };

export type H5Kind = 'group' | 'dataset' | 'missing' | 'other';

export interface H5Reader {
  /** what is at `path` ('/a/b' or 'a/b') */
  kind(path: string): H5Kind;
  /** names of a group's members, sorted as h5py lists them (by name) */
  keys(path: string): string[];
  attrs(path: string): Record<string, H5Value>;
  read(path: string): H5Value;
  /** a dataset's element type ('other' for types read() refuses) and shape, without reading its values */
  info(path: string): { dtype: ReadDType | 'other'; shape: number[] };
  /** the dataset's gzip level, or null when it is not gzip-compressed */
  gzipLevel(path: string): number | null;
  close(): void;
}

export interface H5Writer {
  /** a group (and the groups above it), with attributes */
  group(path: string, attrs?: Record<string, H5Value>): void;
  /** a dataset; `gzip` (1-9) compresses it in one chunk */
  dataset(path: string, value: H5Value, o?: { gzip?: number }): void;
  /** closes the file and returns its bytes */
  finish(): Uint8Array;
  /** drops an unfinished file */
  abort(): void;
}

type Module = Awaited<typeof h5wasm.ready>;
let module: Promise<Module> | null = null;
const ready = (): Promise<Module> => (module ??= h5wasm.ready);
let counter = 0;
const memName = () => `/dualneuron-${process.pid}-${++counter}.h5`;

// the HDF5 signature sits at 0, 512, 1024, 2048, ... (after a user block)
const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
export function isHdf5(bytes: Uint8Array): boolean {
  for (let off = 0; off + 8 <= bytes.length; off = off === 0 ? 512 : off * 2) {
    if (SIGNATURE.every((b, i) => bytes[off + i] === b)) return true;
  }
  return false;
}

const norm = (p: string) => '/' + p.split('/').filter(Boolean).join('/');

// h5wasm dtype strings (numpy-like; 'q' is int64)
const H5WASM_DTYPE: Record<string, string> = { f32: '<f', f64: '<d', i64: '<q', u64: '<Q', i32: '<i', i16: '<h', i8: '<b', u8: '<B', str: 'S' };

interface Meta { type: number; size: number; signed: boolean; littleEndian: boolean; vlen: boolean; shape: number[] | null }

type ReadDType = 'str' | 'f32' | 'f64' | 'i64' | 'u64' | 'i32' | 'i16' | 'i8' | 'u8';

function dtypeOf(meta: Meta): ReadDType | 'other' {
  if (meta.type === 3) return 'str';
  if (meta.size > 1 && !meta.littleEndian) return 'other';
  if (meta.type === 1) return meta.size === 4 ? 'f32' : meta.size === 8 ? 'f64' : 'other';
  if (meta.type !== 0) return 'other';
  const k = `${meta.signed ? 'i' : 'u'}${meta.size * 8}`;
  return (['i64', 'u64', 'i32', 'i16', 'i8', 'u8'] as const).find((x) => x === k) ?? 'other';
}

function toValue(raw: unknown, meta: Meta, where: string): H5Value {
  const shape = (meta.shape ?? []).map(Number);
  // h5wasm's H5T classes: 0 integer, 1 float, 3 string
  if (meta.type === 3) {
    const data = (Array.isArray(raw) ? raw : [raw]).map(String);
    return { dtype: 'str', shape, data };
  }
  const key = dtypeOf(meta);
  // h5wasm hands a scalar back as a plain number or bigint, anything else as a typed array
  const arr = ArrayBuffer.isView(raw) ? (raw as unknown as ArrayLike<number | bigint>) : typeof raw === 'number' || typeof raw === 'bigint' ? [raw] : null;
  if (key === 'other' || key === 'str' || !arr) throw new FormatError(`${where}: ${meta.type === 0 ? 'integer' : meta.type === 1 ? 'float' : `HDF5 class ${meta.type}`} values of ${meta.size} bytes${meta.littleEndian ? '' : ' (big-endian)'} are not read here`);
  const ctor = { f32: Float32Array, f64: Float64Array, i64: BigInt64Array, u64: BigUint64Array, i32: Int32Array, i16: Int16Array, i8: Int8Array, u8: Uint8Array }[key];
  return { dtype: key, shape, data: (ctor as unknown as { from(a: ArrayLike<number | bigint>): never }).from(arr) } as H5Value;
}

/** Opens an HDF5 file given as bytes (`source` names it in messages). Close the reader when done. */
export async function openH5(bytes: Uint8Array, source: string): Promise<H5Reader> {
  if (!isHdf5(bytes)) throw new FormatError(`${source} is not an HDF5 file (no HDF5 signature)`);
  if (bytes.length > MAX_H5_BYTES) throw new InputError(`${source} is ${(bytes.length / 2 ** 30).toFixed(2)} GiB; HDF5 files are read whole in WebAssembly memory, at most ${(MAX_H5_BYTES / 2 ** 30).toFixed(1)} GiB (split the file with h5py, e.g. by neuron)`);
  const M = await ready();
  const name = memName();
  M.FS.writeFile(name, bytes);
  let file: InstanceType<typeof h5wasm.File>;
  try {
    file = new h5wasm.File(name, 'r');
  } catch (e) {
    M.FS.unlink(name);
    throw new FormatError(`${source}: HDF5 could not open it (${(e as Error).message})`);
  }
  const kind = (path: string): H5Kind => {
    const p = norm(path);
    if (p === '/') return 'group';
    const parent = p.slice(0, p.lastIndexOf('/')) || '/';
    if (kind(parent) !== 'group') return 'missing';
    const g = file.get(parent) as InstanceType<typeof h5wasm.Group>;
    if (!g.keys().includes(p.slice(p.lastIndexOf('/') + 1))) return 'missing';
    const e = file.get(p);
    return e instanceof h5wasm.Group ? 'group' : e instanceof h5wasm.Dataset ? 'dataset' : 'other';
  };
  const where = (p: string) => `${source}:${norm(p)}`;
  return {
    kind,
    keys(path) {
      if (kind(path) !== 'group') throw new FormatError(`${where(path)} is not a group`);
      return [...(file.get(norm(path)) as InstanceType<typeof h5wasm.Group>).keys()].sort();
    },
    attrs(path) {
      const k = kind(path);
      if (k !== 'group' && k !== 'dataset') throw new FormatError(`${where(path)} does not exist`);
      const e = file.get(norm(path)) as InstanceType<typeof h5wasm.Group>;
      const out: Record<string, H5Value> = {};
      for (const [n, a] of Object.entries(e.attrs)) out[n] = toValue(a.value, a.metadata as unknown as Meta, `${where(path)} attribute ${n}`);
      return out;
    },
    read(path) {
      if (kind(path) !== 'dataset') throw new FormatError(`${where(path)} is not a dataset`);
      const d = file.get(norm(path)) as InstanceType<typeof h5wasm.Dataset>;
      return toValue(d.value, d.metadata as unknown as Meta, where(path));
    },
    info(path) {
      if (kind(path) !== 'dataset') throw new FormatError(`${where(path)} is not a dataset`);
      const meta = (file.get(norm(path)) as InstanceType<typeof h5wasm.Dataset>).metadata as unknown as Meta;
      return { dtype: dtypeOf(meta), shape: (meta.shape ?? []).map(Number) };
    },
    gzipLevel(path) {
      const d = file.get(norm(path)) as InstanceType<typeof h5wasm.Dataset>;
      const f = d.filters.find((x) => x.id === 1); // H5Z_FILTER_DEFLATE
      return f ? Number(f.cd_values[0] ?? 0) : null;
    },
    close() {
      file.close();
      M.FS.unlink(name);
    },
  };
}

function checkValue(v: H5Value, where: string): void {
  if (v.data.length !== (v.shape.length ? numel(v.shape) : 1)) throw new FormatError(`${where}: ${v.data.length} values for shape [${v.shape.join(', ')}]`);
  if (!(v.dtype in H5WASM_DTYPE)) throw new FormatError(`${where}: ${v.dtype} values are not written here`);
}

/**
 * A new HDF5 file in memory. Files open in HDF5 1.10 (h5py on Debian 12) and later: object headers use the
 * oldest format that holds them (libver earliest..v110).
 */
export async function createH5(): Promise<H5Writer> {
  const M = await ready();
  const name = memName();
  const file = new h5wasm.File(name, 'w', { libver: ['earliest', 'v110'] });
  let open = true;
  const ensureGroup = (path: string): InstanceType<typeof h5wasm.Group> => {
    let g: InstanceType<typeof h5wasm.Group> = file;
    for (const part of norm(path).split('/').filter(Boolean)) {
      g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as InstanceType<typeof h5wasm.Group>;
      if (!(g instanceof h5wasm.Group)) throw new FormatError(`HDF5 writer: ${path} runs through a dataset`);
    }
    return g;
  };
  const setAttrs = (target: InstanceType<typeof h5wasm.Group> | InstanceType<typeof h5wasm.Dataset>, attrs: Record<string, H5Value>, where: string) => {
    for (const [n, v] of Object.entries(attrs)) {
      checkValue(v, `${where} attribute ${n}`);
      target.create_attribute(n, v.data as never, v.shape, H5WASM_DTYPE[v.dtype]);
    }
  };
  return {
    group(path, attrs = {}) {
      setAttrs(ensureGroup(path), attrs, path);
    },
    dataset(path, v, o = {}) {
      checkValue(v, path);
      const p = norm(path);
      const parent = ensureGroup(p.slice(0, p.lastIndexOf('/')) || '/');
      const gz = o.gzip !== undefined && v.dtype !== 'str' && v.shape.length > 0 && v.data.length > 0;
      parent.create_dataset({
        name: p.slice(p.lastIndexOf('/') + 1), data: v.data as never, shape: v.shape, dtype: H5WASM_DTYPE[v.dtype],
        ...(gz ? { chunks: v.shape, compression: 'gzip' as const, compression_opts: o.gzip } : {}),
      });
    },
    finish() {
      if (!open) throw new Error('HDF5 writer: finish() after finish() or abort()');
      open = false;
      file.close();
      const bytes = M.FS.readFile(name) as Uint8Array;
      M.FS.unlink(name);
      return new Uint8Array(bytes);
    },
    abort() {
      if (!open) return;
      open = false;
      try { file.close(); } finally { M.FS.unlink(name); }
    },
  };
}
