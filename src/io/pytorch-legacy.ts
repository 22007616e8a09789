// The legacy (pre-1.6, or `_use_new_zipfile_serialization=False`) torch.save format, read by re-packing it into
// the zip layout that readTorchCheckpoint (src/io/pytorch.ts) reads, so both formats share one unpickler, one
// tensor rebuild and one set of checks. Published files in this format include pytorch_pretrained_biggan's
// pytorch_model.bin.
//
// A legacy file is a sequence of pickles followed by raw storages:
//   pickle 1  the magic number 0x1950a86a20f9469cfc6c
//   pickle 2  the protocol version 1001
//   pickle 3  sys_info: {protocol_version, little_endian, type_sizes}
//   pickle 4  the object; tensors refer to storages by persistent ids
//             ('storage', StorageType, key, location, numel, view_metadata)
//   pickle 5  the storage keys, in the order their data follows
//   then per key: numel as int64 little-endian, numel x element size bytes (in sys_info's byte order)
// Pickle 4 becomes archive/data.pkl unchanged (the zip reader reads the same persistent ids, ignoring the sixth
// element, so storage views of very old files, view_metadata != None, are refused here), each storage becomes
// archive/data/<key>, and sys_info's byte order becomes archive/byteorder.
// The older tar format (torch < 0.4's `tarfile` checkpoints) is not read.
import { FormatError } from '../errors.js';
import { readFileBytes } from './atomic.js';
import { PickleGlobal, pickleRepr, unpickle } from './pickle.js';
import { type TorchReadOptions, readTorchCheckpoint } from './pytorch.js';
import type { HostArray } from './host-array.js';
import { crc32 } from './zip.js';

const MAGIC = 0x1950a86a20f9469cfc6cn;

const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  FloatStorage: 4, HalfStorage: 2, BFloat16Storage: 2, DoubleStorage: 8, LongStorage: 8,
  IntStorage: 4, ShortStorage: 2, CharStorage: 1, ByteStorage: 1, BoolStorage: 1,
};

/** Bytes of each opcode's argument that follow it (fixed), or how to find its end. */
type Arg = number | 'line' | 'line2' | ['len', 1 | 4 | 8] | ['long', 1 | 4];
const OPCODE_ARGS: Readonly<Record<number, Arg>> = {
  0x80: 1, 0x95: 8, 0x4a: 4, 0x4b: 1, 0x4d: 2, 0x8a: ['long', 1], 0x8b: ['long', 4], 0x49: 'line', 0x4c: 'line', 0x47: 8, 0x46: 'line',
  0x58: ['len', 4], 0x8c: ['len', 1], 0x8d: ['len', 8], 0x56: 'line', 0x54: ['len', 4], 0x55: ['len', 1], 0x53: 'line',
  0x42: ['len', 4], 0x43: ['len', 1], 0x8e: ['len', 8], 0x96: ['len', 8], 0x70: 'line', 0x71: 1, 0x72: 4, 0x67: 'line', 0x68: 1, 0x6a: 4,
  0x63: 'line2', 0x69: 'line2', 0x50: 'line', 0x82: 1, 0x83: 2, 0x84: 4,
};
/** Opcodes without an argument (every other known opcode). */
const NO_ARG = new Set([0x2e, 0x28, 0x30, 0x31, 0x32, 0x4e, 0x88, 0x89, 0x29, 0x74, 0x85, 0x86, 0x87, 0x5d, 0x6c, 0x61, 0x65, 0x7d, 0x64, 0x73, 0x75,
  0x8f, 0x90, 0x91, 0x94, 0x93, 0x52, 0x81, 0x92, 0x6f, 0x62, 0x51, 0x97, 0x98]);

/** The end (exclusive) of the pickle starting at `start`: the byte after its STOP opcode. */
function pickleEnd(bytes: Uint8Array, start: number, source: string, what: string): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => { throw new FormatError(`${source}: corrupt legacy torch checkpoint: ${what}: ${why}`); };
  const need = (p: number, n: number) => { if (p + n > bytes.length) fail(`truncated (needs ${n} bytes at byte ${p}, the file has ${bytes.length})`); };
  const lineEnd = (p: number) => {
    const e = bytes.indexOf(0x0a, p);
    if (e < 0) fail(`a text argument at byte ${p} has no end of line`);
    return e + 1;
  };
  let p = start;
  for (;;) {
    need(p, 1);
    const op = bytes[p++]!;
    if (op === 0x2e) return p;
    if (NO_ARG.has(op)) continue;
    const a = OPCODE_ARGS[op];
    if (a === undefined) fail(`unknown pickle opcode 0x${op.toString(16)} at byte ${p - 1}`);
    if (typeof a === 'number') { need(p, a); p += a; }
    else if (a === 'line') p = lineEnd(p);
    else if (a === 'line2') p = lineEnd(lineEnd(p));
    else {
      const w = a[1];
      need(p, w);
      const n = w === 1 ? dv.getUint8(p) : w === 4 ? (a[0] === 'long' ? dv.getInt32(p, true) : dv.getUint32(p, true)) : Number(dv.getBigUint64(p, true));
      if (n < 0 || !Number.isSafeInteger(n)) fail(`bad length ${n} at byte ${p}`);
      p += w;
      need(p, n);
      p += n;
    }
  }
}

/** True when `bytes` start like a legacy torch.save stream (a protocol-2+ pickle of the magic number). */
export function isLegacyTorchCheckpoint(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x80 && bytes[1]! >= 2;
}

interface Entry { name: string; data: Uint8Array }

/** A zip archive of stored (uncompressed) entries; offsets and sizes must fit in 32 bits. */
function storedZip(entries: Entry[], source: string): Uint8Array {
  const enc = new TextEncoder();
  const names = entries.map((e) => enc.encode(e.name));
  let size = 22;
  entries.forEach((e, i) => { size += 30 + names[i]!.length + e.data.length + 46 + names[i]!.length; });
  if (size > 0xffffffff) throw new FormatError(`${source}: legacy torch checkpoint of ${size} bytes is too large to read (4 GiB at most)`);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const crcs = entries.map((e) => crc32(e.data));
  const offsets: number[] = [];
  let p = 0;
  entries.forEach((e, i) => {
    offsets.push(p);
    dv.setUint32(p, 0x04034b50, true); dv.setUint16(p + 4, 20, true); dv.setUint16(p + 6, 0, true); dv.setUint16(p + 8, 0, true);
    dv.setUint32(p + 14, crcs[i]!, true); dv.setUint32(p + 18, e.data.length, true); dv.setUint32(p + 22, e.data.length, true);
    dv.setUint16(p + 26, names[i]!.length, true); dv.setUint16(p + 28, 0, true);
    out.set(names[i]!, p + 30);
    out.set(e.data, p + 30 + names[i]!.length);
    p += 30 + names[i]!.length + e.data.length;
  });
  const cd = p;
  entries.forEach((e, i) => {
    dv.setUint32(p, 0x02014b50, true); dv.setUint16(p + 4, 20, true); dv.setUint16(p + 6, 20, true);
    dv.setUint32(p + 16, crcs[i]!, true); dv.setUint32(p + 20, e.data.length, true); dv.setUint32(p + 24, e.data.length, true);
    dv.setUint16(p + 28, names[i]!.length, true); dv.setUint32(p + 42, offsets[i]!, true);
    out.set(names[i]!, p + 46);
    p += 46 + names[i]!.length;
  });
  dv.setUint32(p, 0x06054b50, true); dv.setUint16(p + 8, entries.length, true); dv.setUint16(p + 10, entries.length, true);
  dv.setUint32(p + 12, p - cd, true); dv.setUint32(p + 16, cd, true);
  return out;
}

/** Re-packs a legacy torch.save stream into the >= 1.6 zip layout (stored entries). */
export function legacyTorchToZip(bytes: Uint8Array, source = '<legacy checkpoint bytes>'): Uint8Array {
  const fail = (why: string): never => { throw new FormatError(`${source}: corrupt legacy torch checkpoint: ${why}`); };
  const header: unknown[] = [];
  let p = 0;
  for (const what of ['magic number', 'protocol version', 'sys_info']) {
    const e = pickleEnd(bytes, p, source, what);
    header.push(unpickle(bytes.subarray(p, e), { source: `${source} (${what})` }));
    p = e;
  }
  const [magic, protocol, sysInfo] = header;
  if (magic !== MAGIC) fail(`magic number ${pickleRepr(magic)}, expected ${MAGIC} (not a torch.save file)`);
  if (protocol !== 1001) fail(`protocol version ${pickleRepr(protocol)}, expected 1001`);
  const littleEndian = sysInfo instanceof Map ? sysInfo.get('little_endian') !== false : true;
  const mainStart = p;
  const mainEnd = pickleEnd(bytes, p, source, 'the pickled object');
  // a first pass over the object collects each storage's type and size (needed to walk the raw data after it)
  const storages = new Map<string, { type: string; numel: number }>();
  unpickle(bytes.subarray(mainStart, mainEnd), {
    source: `${source} (object)`,
    allowUnknownGlobals: true,
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) fail(`unsupported persistent id ${pickleRepr(pid)}; only tensor storages are supported`);
      const [, type, key, , numel, view] = pid as unknown[];
      const name = type instanceof PickleGlobal ? type.qualifiedName.replace(/^torch\./, '') : '';
      if (!(name in ELEMENT_BYTES)) fail(`unsupported storage type ${type instanceof PickleGlobal ? type.qualifiedName : pickleRepr(type)}`);
      if (typeof key !== 'string' || !Number.isSafeInteger(numel)) fail(`corrupt storage record ${pickleRepr(pid)}`);
      if (view !== undefined && view !== null) fail(`storage '${key}' is a view of another storage (a very old torch.save); load and re-save it with a recent PyTorch`);
      storages.set(key as string, { type: name, numel: numel as number });
      return null;
    },
  });
  const keysEnd = pickleEnd(bytes, mainEnd, source, 'the storage key list');
  const keys = unpickle(bytes.subarray(mainEnd, keysEnd), { source: `${source} (storage keys)` });
  if (!Array.isArray(keys) || Object.isFrozen(keys) || !keys.every((k) => typeof k === 'string')) fail(`the storage key list is ${pickleRepr(keys)}, expected a list of strings`);
  const entries: Entry[] = [{ name: 'archive/data.pkl', data: bytes.subarray(mainStart, mainEnd) }];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  p = keysEnd;
  for (const key of keys as string[]) {
    const s = storages.get(key);
    if (!s) fail(`storage '${key}' is listed but no tensor uses it`);
    if (p + 8 > bytes.length) fail(`truncated: storage '${key}' should start at byte ${p}, the file has ${bytes.length} bytes`);
    const numel = Number(dv.getBigInt64(p, true));
    if (numel !== s!.numel) fail(`storage '${key}' declares ${numel} elements, its tensors ${s!.numel}`);
    const n = numel * ELEMENT_BYTES[s!.type]!;
    p += 8;
    if (p + n > bytes.length) fail(`truncated: storage '${key}' (${s!.type}, ${numel} elements) needs ${n} bytes at byte ${p}, the file has ${bytes.length - p}`);
    entries.push({ name: `archive/data/${key}`, data: bytes.subarray(p, p + n) });
    p += n;
  }
  const missing = [...storages.keys()].filter((k) => !(keys as string[]).includes(k));
  if (missing.length) fail(`storages ${missing.slice(0, 5).join(', ')} are used but have no data`);
  entries.push({ name: 'archive/byteorder', data: new TextEncoder().encode(littleEndian ? 'little' : 'big') });
  entries.push({ name: 'archive/version', data: new TextEncoder().encode('3\n') });
  return storedZip(entries, source);
}

/**
 * readTorchCheckpoint for both torch.save formats: zip (>= 1.6) as it is, legacy streams re-packed first. Errors
 * are FormatErrors naming the file.
 */
export function readAnyTorchCheckpoint(input: Uint8Array | string, source?: string, opts: TorchReadOptions = {}): Map<string, HostArray> {
  const name = source ?? (typeof input === 'string' ? input : '<checkpoint bytes>');
  const bytes = typeof input === 'string' ? readFileBytes(input, 'checkpoint') : input;
  return readTorchCheckpoint(isLegacyTorchCheckpoint(bytes) ? legacyTorchToZip(bytes, name) : bytes, name, opts);
}
