// A zip archive read from disk by offsets (the DreamSim release zips can exceed what one read can return:
// Node reads at most 2 GiB into one buffer). Same format rules as src/io/zip.ts (EOCD, zip64, stored and deflate
// entries, CRC-32 checked on every read), but only the central directory and the entries asked for are read.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { FormatError } from '../../errors.js';
import { crc32 } from '../../io/zip.js';

interface Entry { name: string; method: number; csize: number; size: number; crc: number; local: number; flags: number }

export class ZipFile {
  readonly entries = new Map<string, Entry>();
  private readonly fd: number;
  private readonly size: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
      this.readDirectory();
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private fail(why: string): never { throw new FormatError(`${this.path}: corrupt or truncated zip archive: ${why}`); }

  private bytes(pos: number, n: number): Buffer {
    if (pos < 0 || pos + n > this.size) this.fail(`read of ${n} bytes at ${pos} is outside the file (${this.size} bytes)`);
    const b = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const k = readSync(this.fd, b, got, Math.min(n - got, 1 << 30), pos + got);
      if (k <= 0) this.fail(`short read at ${pos + got}`);
      got += k;
    }
    return b;
  }

  private readDirectory(): void {
    const tailLen = Math.min(this.size, 22 + 0xffff + 20);
    const tailPos = this.size - tailLen;
    const tail = this.bytes(tailPos, tailLen);
    let eocd = -1;
    for (let o = tailLen - 22; o >= 0; o--) {
      if (tail.readUInt32LE(o) === 0x06054b50 && o + 22 + tail.readUInt16LE(o + 20) === tailLen) { eocd = o; break; }
    }
    if (eocd < 0) this.fail('no end-of-central-directory record');
    let count = tail.readUInt16LE(eocd + 10), cdSize = tail.readUInt32LE(eocd + 12), cdOff = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOff === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) this.fail('zip64 fields but no zip64 locator');
      const z64 = Number(tail.readBigUInt64LE(loc + 8));
      const rec = this.bytes(z64, 56);
      if (rec.readUInt32LE(0) !== 0x06064b50) this.fail('bad zip64 end-of-central-directory record');
      count = Number(rec.readBigUInt64LE(32)); cdSize = Number(rec.readBigUInt64LE(40)); cdOff = Number(rec.readBigUInt64LE(48));
    }
    const cd = this.bytes(cdOff, cdSize);
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) this.fail(`bad central directory entry ${i}`);
      const flags = cd.readUInt16LE(p + 8), method = cd.readUInt16LE(p + 10), crc = cd.readUInt32LE(p + 16);
      let csize = cd.readUInt32LE(p + 20), size = cd.readUInt32LE(p + 24);
      const nl = cd.readUInt16LE(p + 28), xl = cd.readUInt16LE(p + 30), cl = cd.readUInt16LE(p + 32);
      let local = cd.readUInt32LE(p + 42);
      const name = cd.subarray(p + 46, p + 46 + nl).toString((flags & 0x800) ? 'utf8' : 'latin1');
      let e = p + 46 + nl;
      const end = e + xl;
      while (e + 4 <= end) {
        const id = cd.readUInt16LE(e), len = cd.readUInt16LE(e + 2);
        if (id === 1) {
          let q = e + 4;
          if (size === 0xffffffff) { size = Number(cd.readBigUInt64LE(q)); q += 8; }
          if (csize === 0xffffffff) { csize = Number(cd.readBigUInt64LE(q)); q += 8; }
          if (local === 0xffffffff) { local = Number(cd.readBigUInt64LE(q)); q += 8; }
        }
        e += 4 + len;
      }
      this.entries.set(name, { name, method, csize, size, crc, local, flags });
      p += 46 + nl + xl + cl;
    }
  }

  names(): string[] { return [...this.entries.keys()]; }

  /** An entry's bytes (inflated, CRC-checked). */
  read(name: string): Uint8Array {
    const e = this.entries.get(name);
    if (!e) throw new FormatError(`${this.path}: no entry '${name}'`);
    if (e.flags & 1) this.fail(`entry '${name}' is encrypted`);
    const lh = this.bytes(e.local, 30);
    if (lh.readUInt32LE(0) !== 0x04034b50) this.fail(`no local header for '${name}'`);
    const raw = this.bytes(e.local + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28), e.csize);
    let data: Uint8Array;
    if (e.method === 0) data = raw;
    else if (e.method === 8) {
      try { data = zlib.inflateRawSync(raw); } catch (err) { return this.fail(`entry '${name}': bad deflate stream (${(err as Error).message})`); }
    } else return this.fail(`entry '${name}': compression method ${e.method} is not supported (stored and deflate are)`);
    if (data.length !== e.size) this.fail(`entry '${name}' has ${data.length} bytes, the directory says ${e.size}`);
    if (crc32(data) !== e.crc) this.fail(`entry '${name}': CRC-32 mismatch`);
    // 8-byte aligned copy so typed views of tensor data work
    if (data.byteOffset % 8 !== 0) data = new Uint8Array(data);
    return data;
  }

  close(): void { closeSync(this.fd); }
}
