// Minimal ZIP reader (PKWARE APPNOTE): end of central directory (with zip64 records), central directory,
// local headers; stored (method 0, what torch.save writes) and deflated (method 8) entries. Entries are read
// lazily; stored entries are zero-copy views of the archive bytes. CRC-32 is checked on first read.
import * as zlib from 'node:zlib';
import { FormatError } from '../errors.js';

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

/** A parsed ZIP archive; entry data are read (and CRC-checked) on demand. */
export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();
  private readonly cache = new Map<string, Uint8Array>();
  private readonly dv: DataView;

  /** `source` (usually the path) is named in every error. */
  constructor(readonly bytes: Uint8Array, readonly source = '<zip bytes>', readonly checkCrc = true) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readCentralDirectory();
  }

  private fail(why: string): never {
    throw new FormatError(`${this.source}: corrupt or truncated zip archive: ${why}`);
  }

  private u16(o: number): number {
    if (o + 2 > this.bytes.length) this.fail(`read past the end of the file at offset ${o}`);
    return this.dv.getUint16(o, true);
  }

  private u32(o: number): number {
    if (o + 4 > this.bytes.length) this.fail(`read past the end of the file at offset ${o}`);
    return this.dv.getUint32(o, true);
  }

  private u64(o: number): number {
    if (o + 8 > this.bytes.length) this.fail(`read past the end of the file at offset ${o}`);
    const v = this.dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`64-bit field at offset ${o} is too large (${v})`);
    return Number(v);
  }

  private findEocd(): number {
    const b = this.bytes;
    const min = Math.max(0, b.length - 22 - 0xffff);
    for (let o = b.length - 22; o >= min; o--) {
      if (b[o] === 0x50 && b[o + 1] === 0x4b && b[o + 2] === 0x05 && b[o + 3] === 0x06) {
        // The comment length must reach exactly to the end of the file (guards against the signature in data).
        if (o + 22 + this.dv.getUint16(o + 20, true) === b.length) return o;
      }
    }
    if (b.length >= 4 && this.dv.getUint32(0, true) === SIG_LOCAL) {
      this.fail('no end-of-central-directory record (the file is truncated)');
    }
    return this.fail('no end-of-central-directory record (not a zip archive)');
  }

  private readCentralDirectory(): void {
    const eocd = this.findEocd();
    let count = this.u16(eocd + 10);
    let cdSize = this.u32(eocd + 12);
    let cdOffset = this.u32(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || this.u32(loc) !== SIG_ZIP64_LOCATOR) this.fail('zip64 fields present but no zip64 end-of-central-directory locator');
      const z64 = this.u64(loc + 8);
      if (this.u32(z64) !== SIG_ZIP64_EOCD) this.fail(`no zip64 end-of-central-directory record at offset ${z64}`);
      count = this.u64(z64 + 32);
      cdSize = this.u64(z64 + 40);
      cdOffset = this.u64(z64 + 48);
    }
    if (cdOffset + cdSize > this.bytes.length) {
      this.fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) lies outside the file (${this.bytes.length} bytes)`);
    }
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (this.u32(p) !== SIG_CENTRAL) this.fail(`bad central directory entry ${i} at offset ${p}`);
      const flags = this.u16(p + 8);
      const method = this.u16(p + 10);
      const crc = this.u32(p + 16);
      let csize = this.u32(p + 20);
      let usize = this.u32(p + 24);
      const nameLen = this.u16(p + 28);
      const extraLen = this.u16(p + 30);
      const commentLen = this.u16(p + 32);
      let local = this.u32(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > this.bytes.length) this.fail(`central directory entry ${i} is truncated`);
      const name = decodeName(this.bytes.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
      // zip64 extended information: the 8-byte values present are exactly those whose 32-bit field is 0xffffffff.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      while (e + 4 <= eEnd) {
        const id = this.u16(e), len = this.u16(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          if (usize === 0xffffffff) { usize = this.u64(q); q += 8; }
          if (csize === 0xffffffff) { csize = this.u64(q); q += 8; }
          if (local === 0xffffffff) { local = this.u64(q); q += 8; }
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

  /** The (decompressed) bytes of entry `name`; stored entries are views of the archive bytes. */
  read(name: string): Uint8Array {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const ent = this.entries.get(name);
    if (!ent) throw new FormatError(`${this.source}: zip archive has no entry '${name}'`);
    const bad = (why: string): never => {
      throw new FormatError(`${this.source}: corrupt or truncated zip entry '${name}': ${why}`);
    };
    const lh = ent.localHeaderOffset;
    if (lh + 30 > this.bytes.length || this.dv.getUint32(lh, true) !== SIG_LOCAL) bad(`no local file header at offset ${lh}`);
    if (ent.flags & 0x1) bad('entry is encrypted');
    const start = lh + 30 + this.dv.getUint16(lh + 26, true) + this.dv.getUint16(lh + 28, true);
    const end = start + ent.compressedSize;
    if (end > this.bytes.length) bad(`data [${start}, ${end}) runs past the end of the file (${this.bytes.length} bytes)`);
    const raw = this.bytes.subarray(start, end);
    let data: Uint8Array;
    if (ent.method === 0) {
      if (ent.compressedSize !== ent.size) bad(`stored entry has compressed size ${ent.compressedSize} != size ${ent.size}`);
      data = raw;
    } else if (ent.method === 8) {
      try {
        const out = zlib.inflateRawSync(raw);
        data = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (err) {
        return bad(`deflate stream is corrupt (${(err as Error).message})`);
      }
      if (data.length !== ent.size) bad(`inflated to ${data.length} bytes, expected ${ent.size}`);
    } else {
      return bad(`unsupported compression method ${ent.method} (only stored and deflate are supported)`);
    }
    if (this.checkCrc) {
      const c = crc32(data);
      if (c !== ent.crc32) bad(`CRC-32 mismatch (stored ${ent.crc32.toString(16)}, computed ${c.toString(16)})`);
    }
    this.cache.set(name, data);
    return data;
  }
}

/** Opens a ZIP archive held in memory; entries are read lazily with `archive.read(name)`. */
export function openZip(bytes: Uint8Array, source?: string, opts: { checkCrc?: boolean } = {}): ZipArchive {
  return new ZipArchive(bytes, source, opts.checkCrc ?? true);
}

/** Reads every entry of a ZIP archive (directories included, as empty arrays). */
export function readZip(bytes: Uint8Array, source?: string): Map<string, Uint8Array> {
  const z = openZip(bytes, source);
  const out = new Map<string, Uint8Array>();
  for (const name of z.names()) out.set(name, z.read(name));
  return out;
}
