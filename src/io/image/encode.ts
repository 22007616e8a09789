// Writing PNG files atomically: the bytes (encode-png.ts) go to `<path>.tmp-<pid>` in the same directory, which is
// then renamed over `path`, so a reader never sees a half-written PNG.
import { writeFileAtomic } from '../atomic.js';
import { InputError } from '../../errors.js';
import { encodePNG, type PngImage } from './encode-png.js';

export { encodePNG, type PngImage } from './encode-png.js';

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
