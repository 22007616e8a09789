// PNG encoding (fast-png) of 8-bit images, and an atomic file write: the bytes go to `<path>.tmp-<pid>` in the
// same directory, which is then renamed over `path`, so a reader never sees a half-written PNG.
import { writeFileAtomic } from '../atomic.js';
import { encode as encodePng } from 'fast-png';
import { InputError } from '../../errors.js';

export interface PngImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** HWC uint8 samples. */
  data: Uint8Array;
}

export function encodePNG(img: PngImage): Uint8Array {
  const { width, height, channels, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputError(`encodePNG: size must be positive integers, got ${width}x${height}`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new InputError(`encodePNG: channels must be 1, 2, 3 or 4, got ${channels}`);
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new InputError(`encodePNG: expected ${width * height * channels} uint8 samples for ${width}x${height}x${channels}, ` +
      `got ${data.length}`);
  }
  return encodePng({ width, height, channels, depth: 8, data });
}

/** Encodes and writes a PNG atomically (temporary file in the same directory, then rename). */
export function writePNG(path: string, img: PngImage): void {
  const bytes = encodePNG(img);
  try {
    writeFileAtomic(path, bytes);
  } catch (err) {
    if (err instanceof InputError) throw err; // already says what and where (no space, read-only...)
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`cannot write PNG ${path}: ${code ? `${code}: ` : ''}${(err as Error).message}`);
  }
}
