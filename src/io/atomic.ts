// Small file helpers for the io layer: atomic writes (a reader never sees a half-written file) and reads that
// turn "no such file" into a typed error naming the path.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';

/** Creates `dir` and its parents if they do not exist. */
export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/**
 * Writes `bytes` to `path` atomically: writes `<path>.tmp-<pid>-<rand>` in the same directory, fsyncs it and
 * renames it over `path`. On any error the temporary file is removed and the error rethrown.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const dir = dirname(path);
  const tmp = join(dir, `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try { closeSync(fd); } catch { /* already failing */ }
    }
    try { unlinkSync(tmp); } catch { /* never created or already renamed */ }
    throw err;
  }
  // Make the rename itself durable where the platform allows fsync on a directory.
  try {
    const dfd = openSync(dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* not supported (e.g. Windows): the data itself is already synced */ }
}

/** Reads a whole file; a missing or unreadable file gives an InputError naming `path` and saying why. */
export function readFileBytes(path: string, what = 'file'): Uint8Array {
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${what} not found: ${path}`);
    if (code === 'EISDIR') throw new InputError(`${what} ${path} is a directory, expected a file`);
    if (code === 'EACCES') throw new InputError(`${what} ${path} is not readable (permission denied)`);
    throw new InputError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}
