// Lines of a text file read in fixed-size chunks, so a list of a million paths is never one string (nor one
// buffer): only the current chunk and the unfinished line at its end are held. Lines are split on '\n' in the
// bytes (a '\r' before it is dropped) and each line is decoded as UTF-8 on its own, so a multi-byte character
// split across two chunks decodes whole.
import { closeSync, openSync, readSync } from 'node:fs';
import { FormatError } from '../errors.js';

export interface LineReadStats {
  /** bytes read in all */
  bytes: number;
  /** the most bytes held at once (the chunk plus the carried-over part of a line) */
  maxBuffered: number;
}

/** Longest line accepted: a path list's line is a path, never megabytes. */
const MAX_LINE_BYTES = 1 << 20;

/** Calls `onLine(text, lineNumber)` (1-based) for every line of `path`, in order. */
export function forEachLine(path: string, onLine: (line: string, lineNo: number) => void, opts: { chunkBytes?: number } = {}): LineReadStats {
  const chunk = new Uint8Array(opts.chunkBytes ?? 1 << 16);
  const utf8 = new TextDecoder('utf-8');
  const stats: LineReadStats = { bytes: 0, maxBuffered: 0 };
  let carry = new Uint8Array(0);
  let lineNo = 0;
  const emit = (b: Uint8Array) => {
    const end = b.length > 0 && b[b.length - 1] === 0x0d ? b.length - 1 : b.length;
    onLine(utf8.decode(b.subarray(0, end)), ++lineNo);
  };
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n <= 0) break;
      stats.bytes += n;
      const buf = carry.length ? concat(carry, chunk.subarray(0, n)) : chunk.subarray(0, n);
      stats.maxBuffered = Math.max(stats.maxBuffered, buf.length);
      let start = 0;
      for (let i = 0; i < buf.length; i++) if (buf[i] === 0x0a) { emit(buf.subarray(start, i)); start = i + 1; }
      if (buf.length - start > MAX_LINE_BYTES) throw new FormatError(`${path}: line ${lineNo + 1} is longer than ${MAX_LINE_BYTES} bytes; is this a text list of paths?`);
      carry = buf.slice(start); // a copy: `chunk` is reused by the next read
    }
    if (carry.length) emit(carry);
  } finally {
    closeSync(fd);
  }
  return stats;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
