// Image file decoding: reads the file and decodes its bytes (decode-bytes.ts). Any failure is an InputError
// naming the file.
import { readFileSync } from 'node:fs';
import { InputError } from '../../errors.js';
import { decodeImage } from './decode-bytes.js';
import type { RawImage } from './types.js';

export { decodeImage } from './decode-bytes.js';
export type { ImageMode, RawImage } from './types.js';
export { toL, toRGB } from './convert.js';

/** Reads and decodes an image file (PNG or JPEG, by content). */
export function readImage(path: string): RawImage {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`image not found: ${path}`);
    if (code === 'EISDIR') throw new InputError(`image ${path} is a directory, expected a PNG or JPEG file`);
    throw new InputError(`cannot read image ${path}: ${(err as Error).message}`);
  }
  return decodeImage(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}
