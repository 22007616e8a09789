// Image decoding from bytes (no file system; browsers use it as it is): the format is sniffed from the magic
// bytes (never the extension); PNG and JPEG are read into the modes PIL (Pillow 9.x) would give (see types.ts).
// Any failure is an InputError naming the source.
import { InputError } from '../../errors.js';
import { decodeJPEG, isJpeg } from './jpeg.js';
import { decodePNG, isPng } from './png.js';
import type { RawImage } from './types.js';

function startsWith(bytes: Uint8Array, ascii: string, at = 0): boolean {
  if (bytes.length < at + ascii.length) return false;
  for (let i = 0; i < ascii.length; i++) if (bytes[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/** Names formats we recognise but do not read, for a helpful error. */
function otherFormat(b: Uint8Array): string | null {
  if (startsWith(b, 'GIF87a') || startsWith(b, 'GIF89a')) return 'GIF';
  if (startsWith(b, 'BM')) return 'BMP';
  if (startsWith(b, 'RIFF') && startsWith(b, 'WEBP', 8)) return 'WebP';
  if (startsWith(b, 'II*\0') || startsWith(b, 'MM\0*')) return 'TIFF';
  if (startsWith(b, 'ftyp', 4)) return 'HEIF/AVIF';
  if (startsWith(b, '\x93NUMPY')) return 'NumPy .npy';
  return null;
}

function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 512);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) return false;
  }
  return true;
}

/** Decodes PNG or JPEG bytes; `source` (usually the path) names the file in errors. */
export function decodeImage(bytes: Uint8Array, source: string): RawImage {
  if (isPng(bytes)) return decodePNG(bytes, source);
  if (isJpeg(bytes)) return decodeJPEG(bytes, source);
  if (bytes.length === 0) throw new InputError(`image ${source} is empty (0 bytes)`);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    // SOI without the marker that must follow it (isJpeg needs both)
    const why = bytes.length === 2 ? 'it ends right after its start-of-image (SOI) marker' : 'no marker follows its start-of-image (SOI) marker';
    throw new InputError(`JPEG ${source} is truncated or corrupt: ${why}`);
  }
  const other = otherFormat(bytes);
  if (other) throw new InputError(`image ${source} is ${other}; only PNG and JPEG are supported`);
  const what = looksLikeText(bytes) ? 'a text file' : 'not a PNG or JPEG file';
  throw new InputError(`image ${source} is ${what} (no PNG or JPEG signature in its first bytes)`);
}
