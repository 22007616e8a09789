// .safetensors files on disk (Node only). The format itself (parse/encode from bytes) is in
// safetensors-format.ts, which also runs in browsers; this module re-exports it so Node code has one import for both.
import { readFileBytes, writeFileAtomic } from './atomic.js';
import type { HostArray } from './host-array.js';
import { encodeSafetensors, parseSafetensors, type Safetensors } from './safetensors-format.js';

export * from './safetensors-format.js';

/** Reads a .safetensors file (errors name `path`). */
export function readSafetensors(path: string): Safetensors {
  return parseSafetensors(readFileBytes(path, 'safetensors file'), path);
}

/** Writes a .safetensors file atomically (temp file in the same directory, then rename). */
export function writeSafetensors(
  path: string,
  tensors: Record<string, HostArray> | Map<string, HostArray>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
