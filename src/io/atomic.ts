// Small file helpers for the io layer: atomic writes (a reader never sees a half-written file), reads that
// turn "no such file" into a typed error naming the path, and plain messages for the OS conditions people hit
// when writing (no space left, read-only file system, a file where a folder should be).
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';

/** Temporary names of writeFileAtomic/AtomicWriter: `<name>.tmp-<pid>-<hex>` (matched by TEMP_NAME). */
export const tempNameFor = (path: string) => join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
export const TEMP_NAME = /\.tmp-(\d+)-[0-9a-f]+$/;

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a path component is a file, not a folder',
};

/**
 * The InputError a failed write of `path` stands for, when it is an OS condition the user can act on (no space,
 * read-only file system, permissions, a file in the way); any other error is returned unchanged. `bytes` is
 * how much was being written, named in the no-space message.
 */
export function writeError(err: unknown, path: string, bytes?: number): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC') {
    return new InputError(`no space left on the device writing ${path}${bytes !== undefined ? ` (${formatBytes(bytes)} being written)` : ''}; free some space or choose another --out`);
  }
  if (code && REASONS[code]) return new InputError(`cannot write to ${path}: ${REASONS[code]}`);
  return err;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} bytes` : n < 1 << 20 ? `${n} bytes, ${(n / 1024).toFixed(1)} KiB` : `${n} bytes, ${(n / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Creates `dir` and its parents if they do not exist. A file in the way and OS conditions give an InputError
 * naming the path. (Node's recursive mkdir reports EROFS as ENOENT, so a failure is retried one level at a
 * time to find the real cause.)
 */
export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw writeError(dirFailure(resolve(dir), err), dir);
  }
}

function dirFailure(dir: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    for (let p = dir; ; p = dirname(p)) {
      try {
        if (!statSync(p).isDirectory()) return new InputError(`${p} is a file; a folder is needed there`);
      } catch { /* missing: look further up */ }
      if (dirname(p) === p) break;
    }
    return err;
  }
  if (code !== 'ENOENT') return err;
  // the first missing ancestor, created alone, fails with the true reason
  const chain: string[] = [];
  for (let p = dir; dirname(p) !== p; p = dirname(p)) chain.unshift(p);
  for (const p of chain) {
    try { mkdirSync(p); } catch (e) {
      const c = (e as NodeJS.ErrnoException).code;
      if (c === 'EEXIST') continue;
      return c === 'ENOENT' ? err : e;
    }
  }
  return err;
}

/**
 * Writes `bytes` to `path` atomically: writes `<path>.tmp-<pid>-<rand>` in the same directory, fsyncs it and
 * renames it over `path`. On any error the temporary file is removed and the error rethrown (OS conditions as
 * an InputError naming `path`, see writeError).
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const w = new AtomicWriter(path, data.length);
  try {
    w.write(data);
  } catch (err) {
    w.abort();
    throw err;
  }
  w.commit();
}

/**
 * A file written in pieces (streamed) under its temporary name and renamed over `path` by commit(); abort()
 * removes the temporary file. Errors are translated as in writeFileAtomic.
 */
export class AtomicWriter {
  readonly tmp: string;
  private fd: number | null = null;
  private written = 0;

  /** `expectedBytes` (if known) is named in a no-space message. */
  constructor(readonly path: string, private readonly expectedBytes?: number) {
    this.tmp = tempNameFor(path);
    try {
      this.fd = openSync(this.tmp, 'wx', 0o644);
    } catch (err) {
      throw writeError(err, path, expectedBytes);
    }
  }

  write(data: Uint8Array): void {
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd!, data, off, data.length - off);
      this.written += data.length;
    } catch (err) {
      throw writeError(err, this.path, this.expectedBytes ?? this.written + data.length);
    }
  }

  commit(): void {
    try {
      fsyncSync(this.fd!);
      closeSync(this.fd!);
      this.fd = null;
      renameSync(this.tmp, this.path);
    } catch (err) {
      this.abort();
      throw writeError(err, this.path, this.expectedBytes ?? this.written);
    }
    // Make the rename itself durable where the platform allows fsync on a directory.
    try {
      const dfd = openSync(dirname(this.path), 'r');
      try { fsyncSync(dfd); } finally { closeSync(dfd); }
    } catch { /* not supported (e.g. Windows): the data itself is already synced */ }
  }

  abort(): void {
    if (this.fd !== null) {
      try { closeSync(this.fd); } catch { /* already failing */ }
      this.fd = null;
    }
    try { unlinkSync(this.tmp); } catch { /* never created or already renamed */ }
  }
}

/** writeSync of all of `data` at `position`, with OS conditions translated as in writeError (`path` names the file). */
export function writeAt(fd: number, data: Uint8Array, position: number, path: string): void {
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off, position + off);
  } catch (err) {
    throw writeError(err, path, data.length);
  }
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
