// Minimal ZIP reader (PKWARE APPNOTE): end of central directory (with zip64 records), central directory,
// local headers; stored (method 0, what torch.save writes) and deflated (method 8) entries. The archive is read
// by offsets through a ByteSource (src/io/byte-source.ts): only the central directory and the entries asked for
// are read, so an archive on disk larger than one Node buffer (2 GiB) opens too. In memory, stored entries are
// zero-copy views of the archive bytes. CRC-32 is checked on every read.
//
// Sizes are bounded before anything is allocated: a declared entry size above `maxEntryBytes` (or above what its
// compressed bytes could inflate to) is refused, and inflation stops at the declared size, so a small hostile
// archive (a "zip bomb") cannot make us inflate gigabytes before noticing.
import * as zlib from 'node:zlib';
import { FormatError } from '../errors.js';
import { fileSource, memorySource, type ByteSource } from './byte-source.js';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  /** Offset of the entry's local file header in the archive. */
  localHeaderOffset: number;
  flags: number;
}

// ---- CRC-32 (IEEE 802.3, as used by zip) -------------------------------------------------------------------

let CRC_TABLE: Uint32Array | null = null;
function crcTable(): Uint32Array {
  if (CRC_TABLE) return CRC_TABLE;
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return (CRC_TABLE = t);
}

/** CRC-32 of `bytes` (uses node:zlib's when available, else a table-driven one). */
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (typeof native === 'function') return native(bytes) >>> 0;
  const t = crcTable();
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function decodeName(raw: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8').decode(raw);
  // CP437 in theory; every name torch and most tools write is ASCII, so decode bytes as latin-1.
  let s = '';
  for (const b of raw) s += String.fromCharCode(b);
  return s;
}

/** Default for `maxEntryBytes`: the largest entry read into memory (2 GiB). */
export const DEFAULT_MAX_ZIP_ENTRY_BYTES = 2 ** 31;

/**
 * Deflate's densest code spends at least 2 bits per 258-byte match (about 1032:1); a deflated entry declaring more
 * than this many bytes per compressed byte (plus slack for tiny entries) cannot be genuine.
 */
const MAX_DEFLATE_RATIO = 1032;
const DEFLATE_SLACK = 1024;

export interface ZipOptions {
  /** Check CRC-32 of every entry read (default true). */
  checkCrc?: boolean;
  /** Refuse entries that declare more bytes than this (default DEFAULT_MAX_ZIP_ENTRY_BYTES, 2 GiB). */
  maxEntryBytes?: number;
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 3 : 0)} MiB`;

/** Where the end-of-central-directory record may start: its 22 bytes, a comment of up to 0xffff bytes after it. */
const EOCD_SEARCH = 22 + 0xffff;

/** A parsed ZIP archive; entry data are read (and CRC-checked) on demand. */
export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly cache = new Map<string, Uint8Array>();

  /**
   * `source` (usually the path) is named in every error. `keepEntries` keeps each entry once read, so a second read
   * costs nothing (right in memory; an archive on disk may hold entries of GBs, which it should not keep).
   */
  readonly checkCrc: boolean;
  readonly maxEntryBytes: number;

  constructor(private readonly file: ByteSource, readonly source = '<zip bytes>', opts: ZipOptions = {}, readonly keepEntries = true) {
    this.checkCrc = opts.checkCrc ?? true;
    this.maxEntryBytes = opts.maxEntryBytes ?? DEFAULT_MAX_ZIP_ENTRY_BYTES;
    this.readCentralDirectory();
  }

  private fail(why: string): never {
    throw new FormatError(`${this.source}: corrupt or truncated zip archive: ${why}; download or copy the file again`);
  }

  /** `length` bytes at `offset`, as a DataView and bytes; a range outside the file is an error naming `what`. */
  private at(offset: number, length: number, what: string): { dv: DataView; bytes: Uint8Array } {
    if (offset < 0 || offset + length > this.file.size) {
      this.fail(`${what} [${offset}, ${offset + length}) lies outside the file (${this.file.size} bytes)`);
    }
    const bytes = this.file.read(offset, length);
    return { dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes };
  }

  private u64(dv: DataView, o: number): number {
    if (o + 8 > dv.byteLength) this.fail(`a 64-bit field runs past the end of its record`);
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`a 64-bit size or offset is too large (${v})`);
    return Number(v);
  }

  /** Offset of the end-of-central-directory record in the file. */
  private findEocd(): number {
    const size = this.file.size;
    const tailStart = Math.max(0, size - EOCD_SEARCH);
    const { dv, bytes: b } = this.at(tailStart, size - tailStart, 'end of the file');
    for (let o = b.length - 22; o >= 0; o--) {
      if (dv.getUint32(o, true) === SIG_EOCD) {
        // The comment length must reach exactly to the end of the file (guards against the signature in data).
        if (o + 22 + dv.getUint16(o + 20, true) === b.length) return tailStart + o;
      }
    }
    if (size >= 4 && this.at(0, 4, 'first bytes').dv.getUint32(0, true) === SIG_LOCAL) {
      this.fail('no end-of-central-directory record (the file is truncated)');
    }
    return this.fail('no end-of-central-directory record (not a zip archive)');
  }

  private readCentralDirectory(): void {
    const eocd = this.findEocd();
    const end = this.at(eocd, 22, 'end-of-central-directory record').dv;
    let count = end.getUint16(10, true);
    let cdSize = end.getUint32(12, true);
    let cdOffset = end.getUint32(16, true);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0) this.fail('zip64 fields present but no zip64 end-of-central-directory locator');
      const locator = this.at(loc, 20, 'zip64 end-of-central-directory locator').dv;
      if (locator.getUint32(0, true) !== SIG_ZIP64_LOCATOR) this.fail('zip64 fields present but no zip64 end-of-central-directory locator');
      const z64 = this.u64(locator, 8);
      const rec = this.at(z64, 56, 'zip64 end-of-central-directory record').dv;
      if (rec.getUint32(0, true) !== SIG_ZIP64_EOCD) this.fail(`no zip64 end-of-central-directory record at offset ${z64}`);
      count = this.u64(rec, 32);
      cdSize = this.u64(rec, 40);
      cdOffset = this.u64(rec, 48);
    }
    const { dv: cd, bytes } = this.at(cdOffset, cdSize, 'central directory');
    const u16 = (o: number) => (o + 2 <= cdSize ? cd.getUint16(o, true) : this.fail(`central directory ends inside a record at offset ${cdOffset + o}`));
    const u32 = (o: number) => (o + 4 <= cdSize ? cd.getUint32(o, true) : this.fail(`central directory ends inside a record at offset ${cdOffset + o}`));
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (u32(p) !== SIG_CENTRAL) this.fail(`bad central directory entry ${i} at offset ${cdOffset + p}`);
      const flags = u16(p + 8);
      const method = u16(p + 10);
      const crc = u32(p + 16);
      let csize = u32(p + 20);
      let usize = u32(p + 24);
      const nameLen = u16(p + 28);
      const extraLen = u16(p + 30);
      const commentLen = u16(p + 32);
      let local = u32(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > cdSize) this.fail(`central directory entry ${i} is truncated`);
      const name = decodeName(bytes.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
      // zip64 extended information: the 8-byte values present are exactly those whose 32-bit field is 0xffffffff.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = u16(e), len = u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (usize === 0xffffffff) { usize = this.u64(cd, q); q += 8; }
          if (csize === 0xffffffff) { csize = this.u64(cd, q); q += 8; }
          if (local === 0xffffffff) { local = this.u64(cd, q); q += 8; }
        }
        e += 4 + len;
      }
      if (this.entries.has(name)) this.fail(`duplicate entry name '${name}'`);
      this.entries.set(name, { name, method, compressedSize: csize, size: usize, crc32: crc, localHeaderOffset: local, flags });
      p += 46 + nameLen + extraLen + commentLen;
    }
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The (decompressed) bytes of entry `name`; in memory, stored entries are views of the archive bytes. */
  read(name: string): Uint8Array {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const ent = this.entries.get(name);
    if (!ent) throw new FormatError(`${this.source}: zip archive has no entry '${name}' (it has ${this.entries.size} entries)`);
    const bad = (why: string): never => {
      throw new FormatError(`${this.source}: corrupt or truncated zip entry '${name}': ${why}; download or copy the file again`);
    };
    const lh = ent.localHeaderOffset;
    if (lh + 30 > this.file.size) bad(`no local file header at offset ${lh}`);
    const header = this.at(lh, 30, 'local file header').dv;
    if (header.getUint32(0, true) !== SIG_LOCAL) bad(`no local file header at offset ${lh}`);
    if (ent.flags & 0x1) bad('entry is encrypted');
    const start = lh + 30 + header.getUint16(26, true) + header.getUint16(28, true);
    const end = start + ent.compressedSize;
    if (end > this.file.size) bad(`data [${start}, ${end}) runs past the end of the file (${this.file.size} bytes)`);
    if (ent.size > this.maxEntryBytes) {
      throw new FormatError(
        `${this.source}: zip entry '${name}' declares ${ent.size} bytes (${mib(ent.size)}), more than the limit of ` +
          `${this.maxEntryBytes} bytes (${mib(this.maxEntryBytes)}); if the archive is trusted, read it with a larger ` +
          'maxEntryBytes option (openZip / openZipFile)',
      );
    }
    if (ent.method === 8 && ent.size > ent.compressedSize * MAX_DEFLATE_RATIO + DEFLATE_SLACK) {
      bad(`declares ${ent.size} bytes from ${ent.compressedSize} compressed bytes, more than deflate can encode`);
    }
    const raw = this.file.read(start, ent.compressedSize);
    let data: Uint8Array;
    if (ent.method === 0) {
      if (ent.compressedSize !== ent.size) bad(`stored entry has compressed size ${ent.compressedSize} != size ${ent.size}`);
      data = raw;
    } else if (ent.method === 8) {
      try {
        // Stop at the declared size (+1 byte, so that a stream inflating to more is told apart from one that fits).
        const out = zlib.inflateRawSync(raw, { maxOutputLength: ent.size + 1 });
        data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
          return bad(`inflates to more than its declared ${ent.size} bytes (stopped there)`);
        }
        return bad(`deflate stream is corrupt (${(err as Error).message})`);
      }
      if (data.length !== ent.size) bad(`inflated to ${data.length} bytes, expected ${ent.size}`);
      // 8-byte aligned, so typed views of tensor data in the entry work.
      if (data.byteOffset % 8 !== 0) data = data.slice();
    } else {
      return bad(`unsupported compression method ${ent.method} (only stored and deflate are supported)`);
    }
    if (this.checkCrc) {
      const c = crc32(data);
      if (c !== ent.crc32) bad(`CRC-32 mismatch (stored ${ent.crc32.toString(16)}, computed ${c.toString(16)})`);
    }
    if (this.keepEntries) this.cache.set(name, data);
    return data;
  }

  /** Releases the source (closes the file of openZipFile; nothing to do in memory). */
  close(): void {
    this.file.close();
  }
}

/** Opens a ZIP archive held in memory; entries are read lazily with `archive.read(name)`. */
export function openZip(bytes: Uint8Array, source?: string, opts: ZipOptions = {}): ZipArchive {
  return new ZipArchive(memorySource(bytes), source, opts);
}

/**
 * Opens a ZIP archive on disk without reading it whole: only its central directory, then each entry asked for
 * (not kept once returned). Call `close()` when done.
 */
export function openZipFile(path: string, opts: ZipOptions = {}): ZipArchive {
  const src = fileSource(path);
  try {
    return new ZipArchive(src, path, opts, false);
  } catch (e) {
    src.close();
    throw e;
  }
}

/** Reads every entry of a ZIP archive (directories included, as empty arrays). */
export function readZip(bytes: Uint8Array, source?: string): Map<string, Uint8Array> {
  const z = openZip(bytes, source);
  const out = new Map<string, Uint8Array>();
  for (const name of z.names()) out.set(name, z.read(name));
  return out;
}
