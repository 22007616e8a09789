// Tar archives (POSIX ustar, GNU and pax), read by offsets: the 512-byte headers are parsed from bytes, member
// data is never read here, only located (offset and size), so listing an archive of any size holds one header at
// a time. Handles: ustar `prefix` + `name`; GNU long names and link names (`././@LongLink`, types 'L' and 'K');
// pax extended headers (type 'x': `path` and `size` of the next member; type 'g': global, ignored); sizes in octal
// or GNU base-256. A header whose checksum is wrong is reported (with the name as its bytes read) and skipped: when
// its size field still parses and the block after its data is a valid header (or the end), the walk continues
// there; otherwise it scans forward block by block to the next valid header.
import { FormatError } from '../errors.js';
import type { ByteSource } from './byte-source.js';

export const TAR_BLOCK = 512;

/** A regular file in the archive: where its data lies. */
export interface TarMember { kind: 'file'; name: string; offset: number; size: number; headerOffset: number }
/** A header that could not be used (bad checksum, data past the end): its name as far as it could be read. */
export interface TarDamaged { kind: 'damaged'; name: string; headerOffset: number; reason: string }
export type TarItem = TarMember | TarDamaged;

/** One 512-byte header block, parsed; `checksumOk` false when the stored checksum does not match. */
export interface TarHeader { name: string; size: number | null; type: string; magic: 'ustar' | 'gnu' | 'v7'; checksumOk: boolean; linkName: string }

const utf8 = new TextDecoder('utf-8');

/** A NUL-terminated string field (UTF-8). */
function field(b: Uint8Array, at: number, len: number): string {
  let end = at;
  while (end < at + len && b[end] !== 0) end++;
  return utf8.decode(b.subarray(at, end));
}

/** A numeric field: octal digits (space/NUL padded), or GNU base-256 (high bit of the first byte set). Null when neither. */
export function tarNumber(b: Uint8Array, at: number, len: number): number | null {
  if (b[at]! & 0x80) {
    if (b[at]! & 0x40) return null; // negative: never a valid size
    let v = b[at]! & 0x3f;
    for (let i = 1; i < len; i++) v = v * 256 + b[at + i]!;
    return Number.isSafeInteger(v) ? v : null;
  }
  const s = field(b, at, len).trim();
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : null;
}

function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < TAR_BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Parse one header block (512 bytes). */
export function parseTarHeader(b: Uint8Array): TarHeader {
  if (b.length < TAR_BLOCK) throw new FormatError(`a tar header is ${TAR_BLOCK} bytes, got ${b.length}`);
  // checksum: the sum of all bytes with the checksum field read as spaces (some writers summed signed bytes)
  let unsigned = 0, signed = 0;
  for (let i = 0; i < TAR_BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 32 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c;
  }
  const stored = tarNumber(b, 148, 8);
  const checksumOk = stored !== null && (stored === unsigned || stored === signed);
  const m = field(b, 257, 6);
  const gnu = b[257] === 0x75 && field(b, 257, 8) === 'ustar  ';
  const magic = gnu ? 'gnu' : m === 'ustar' ? 'ustar' : 'v7';
  let name = field(b, 0, 100);
  // the prefix field exists in POSIX ustar only (GNU keeps access and change times there)
  if (magic === 'ustar') {
    const prefix = field(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const t = b[156] === 0 ? '0' : String.fromCharCode(b[156]!);
  return { name, size: tarNumber(b, 124, 12), type: t, magic, checksumOk, linkName: field(b, 157, 100) };
}

/** Records of a pax extended header: "LEN key=value\n" each, LEN counting the whole record. */
export function parsePax(bytes: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  while (at < bytes.length) {
    let sp = at;
    while (sp < bytes.length && bytes[sp] !== 0x20) sp++;
    const lenText = utf8.decode(bytes.subarray(at, sp));
    if (!/^[0-9]+$/.test(lenText)) {
      if (bytes.subarray(at).every((c) => c === 0)) break; // padding
      throw new FormatError(`pax header: record at byte ${at} does not start with a decimal length`);
    }
    const len = Number(lenText);
    if (len <= sp - at + 1 || at + len > bytes.length) throw new FormatError(`pax header: record at byte ${at} declares length ${len}, beyond the header's ${bytes.length} bytes`);
    const rec = utf8.decode(bytes.subarray(sp + 1, at + len - 1));
    const eq = rec.indexOf('=');
    if (eq < 0) throw new FormatError(`pax header: record at byte ${at} has no '='`);
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    at += len;
  }
  return out;
}

const padded = (n: number) => Math.ceil(n / TAR_BLOCK) * TAR_BLOCK;

/** Longest GNU long name or pax header we read (their data is held in memory). */
const MAX_META_BYTES = 1 << 20;

/**
 * Every regular file of the archive in order, and every damaged header, reading only headers (and the bodies of
 * long-name and pax headers) through `src`. Directories, links and other types are passed over.
 */
export function* walkTar(src: ByteSource, label = 'tar archive'): Generator<TarItem> {
  let at = 0;
  let longName: string | null = null;
  let pax: Map<string, string> | null = null;
  const valid = (off: number): boolean => {
    // exactly the end of the file is a place to stop; past it (a size field spoilt into a larger number) is not
    if (off + TAR_BLOCK > src.size) return off === src.size;
    const b = src.read(off, TAR_BLOCK);
    return isZeroBlock(b) || parseTarHeader(b).checksumOk;
  };
  while (at + TAR_BLOCK <= src.size) {
    const block = src.read(at, TAR_BLOCK);
    if (isZeroBlock(block)) break; // end of archive (two zero blocks; one is enough to stop)
    const h = parseTarHeader(block);
    if (!h.checksumOk) {
      const name = longName ?? pax?.get('path') ?? h.name;
      longName = null; pax = null;
      yield { kind: 'damaged', name, headerOffset: at, reason: `bad tar header checksum at byte ${at}` };
      // resynchronise: trust the size only if a valid header follows its data, else scan block by block
      const next = h.size !== null ? at + TAR_BLOCK + padded(h.size) : -1;
      if (next > at && valid(next)) { at = next; continue; }
      let scan = at + TAR_BLOCK;
      while (scan + TAR_BLOCK <= src.size) {
        const b = src.read(scan, TAR_BLOCK);
        if (!isZeroBlock(b) && parseTarHeader(b).checksumOk) break;
        scan += TAR_BLOCK;
      }
      at = scan;
      continue;
    }
    const size = pax?.has('size') ? Number(pax.get('size')) : h.size;
    if (size === null || !Number.isSafeInteger(size) || size < 0) throw new FormatError(`${label}: the header at byte ${at} (${h.name}) has an unreadable size field`);
    const dataAt = at + TAR_BLOCK;
    const next = dataAt + padded(size);
    if (h.type === 'L' || h.type === 'K' || h.type === 'x' || h.type === 'g') {
      if (size > MAX_META_BYTES) throw new FormatError(`${label}: a ${h.type === 'x' || h.type === 'g' ? 'pax' : 'GNU long-name'} header of ${size} bytes at byte ${at}; at most ${MAX_META_BYTES} are read`);
      if (dataAt + size > src.size) throw new FormatError(`${label}: the file ends inside the header data at byte ${at} (truncated archive?)`);
      const body = src.read(dataAt, size);
      if (h.type === 'L') longName = field(body, 0, body.length);
      else if (h.type === 'x') pax = parsePax(body);
      // 'K' (long link name) and 'g' (global pax) do not change which files there are or where
      at = next;
      continue;
    }
    const name = pax?.get('path') ?? longName ?? h.name;
    longName = null; pax = null;
    // a name ending in '/' is a directory however typed (old V7 archives have no directory type)
    if ((h.type === '0' || h.type === '7') && !name.endsWith('/')) {
      if (dataAt + size > src.size) {
        yield { kind: 'damaged', name, headerOffset: at, reason: `the archive ends inside this member (${size} bytes declared at byte ${dataAt}, the file has ${src.size})` };
        break;
      }
      yield { kind: 'file', name, offset: dataAt, size, headerOffset: at };
    }
    at = next;
  }
}
