// Builds small ZIP archives by hand (PKWARE APPNOTE 4.3.7, 4.3.12, 4.3.16) for tests that need archives no
// well-behaved tool writes: entries whose declared size lies, hostile PyTorch checkpoints. CRC-32 comes from
// node:zlib's deflate container (gzip trailer), independent of src/io/zip.ts.
import { deflateRawSync, gzipSync } from 'node:zlib';

export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** 0 = stored (default), 8 = deflated. */
  method?: 0 | 8;
  /** The uncompressed size written in the headers (default: the real one). */
  declaredSize?: number;
}

/** CRC-32 of `data`, read from the trailer of a gzip stream (RFC 1952 section 2.3.1). */
export function gzipCrc32(data: Uint8Array): number {
  const gz = gzipSync(data);
  return gz.readUInt32LE(gz.length - 8);
}

/** A ZIP archive holding `members` in order. */
export function zipBytes(members: ZipMember[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const method = m.method ?? 0;
    const body = method === 8 ? deflateRawSync(m.data) : Buffer.from(m.data);
    const size = m.declaredSize ?? m.data.length;
    const crc = gzipCrc32(m.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, eocd]));
}
