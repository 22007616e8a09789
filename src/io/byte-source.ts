// Random access to a file's bytes by offset, for readers (like src/io/zip.ts) that need only some of a file: the
// bytes already in memory, or a file on disk read through a descriptor (a file may be larger than one Node buffer
// can hold, 2 GiB, so it cannot always be read whole).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { FormatError } from '../errors.js';

/** `size` bytes, readable at any offset. Callers keep `offset + length <= size`. */
export interface ByteSource {
  readonly size: number;
  /** `length` bytes at `offset`. */
  read(offset: number, length: number): Uint8Array;
  /** Releases what the source holds open (nothing for memory). */
  close(): void;
}

/** Bytes in memory; every read is a zero-copy view of `bytes`. */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: (offset, length) => bytes.subarray(offset, offset + length),
    close: () => {},
  };
}

/**
 * A file on disk, read with positioned reads on an open descriptor; call close() when done. Every read returns a
 * fresh buffer of its own (byte offset 0), so typed views of what it returns are aligned.
 */
export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return {
    size,
    read(offset, length) {
      const out = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
      let got = 0;
      while (got < length) {
        const k = readSync(fd, out, got, Math.min(length - got, 1 << 30), offset + got);
        if (k <= 0) throw new FormatError(`${path}: short read at offset ${offset + got} (the file shrank while it was read?); read it again`);
        got += k;
      }
      return out;
    },
    close: () => closeSync(fd),
  };
}
