// .npy files on disk (Node only). The format itself (parse/encode from bytes) is in npy-format.ts, which also
// runs in browsers; this module re-exports it so Node code has one import for both.
import { readFileBytes, writeFileAtomic } from './atomic.js';
import type { HostArray } from './host-array.js';
import { encodeNpy, parseNpy } from './npy-format.js';

export * from './npy-format.js';

/** Reads a .npy file (errors name `path`). */
export function readNpy(path: string): HostArray {
  return parseNpy(readFileBytes(path, '.npy file'), path);
}

/** Writes a .npy file atomically (temp file in the same directory, then rename). */
export function writeNpy(path: string, a: HostArray): void {
  writeFileAtomic(path, encodeNpy(a));
}
