// In-memory images in the same modes PIL (Pillow 9.x) uses after Image.open, so every later step (conversion,
// resize, crop) can reproduce PIL's arithmetic exactly.
//
// Modes and their storage (always row-major, channels interleaved, no row padding):
//   '1'    bilevel (PNG 1-bit grey); Uint8Array of 0 or 255, as PIL stores it. Resized with NEAREST like PIL.
//   'L'    8-bit grey (PNG 2/4-bit grey is scaled to 8 bits by replicating bits, as PIL does).
//   'LA'   grey + alpha, 8-bit.
//   'RGB'  8-bit colour (16-bit PNG colour keeps the high byte of each sample, as PIL does).
//   'RGBA' colour + alpha (also 16-bit grey+alpha PNG, which PIL opens as RGBA).
//   'I'    32-bit signed integers (PIL opens 16-bit grey PNGs as 'I'); data is an Int32Array.
//   'P'    8-bit palette indices plus a 256-entry RGB palette (entries the file does not define are PIL's
//          default grey ramp i,i,i). Resized with NEAREST like PIL.
import { InputError } from '../../errors.js';

export type ImageMode = '1' | 'L' | 'LA' | 'RGB' | 'RGBA' | 'I' | 'P';

export interface RawImage {
  width: number;
  height: number;
  mode: ImageMode;
  /** Interleaved samples, `height * width * channelsOf(mode)` long; Int32Array for mode 'I', Uint8Array otherwise. */
  data: Uint8Array | Int32Array;
  /** Mode 'P' only: 768 bytes, RGB for each of the 256 indices. */
  palette?: Uint8Array;
  /** Palette transparency (PNG tRNS for 'P'), kept for information; PIL's convert('RGB') and convert('L') ignore it. */
  paletteAlpha?: Uint8Array;
}

const CHANNELS: Readonly<Record<ImageMode, number>> = { '1': 1, L: 1, LA: 2, RGB: 3, RGBA: 4, I: 1, P: 1 };

export function channelsOf(mode: ImageMode): number {
  return CHANNELS[mode];
}

/** Checks that an image's buffer matches its declared size and mode; throws InputError otherwise. */
export function checkImage(img: RawImage, what = 'image'): void {
  const { width, height, mode, data } = img;
  if (!(mode in CHANNELS)) throw new InputError(`${what}: unknown image mode '${String(mode)}'`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputError(`${what}: image size must be positive integers, got ${width}x${height}`);
  }
  const want = width * height * CHANNELS[mode];
  if (data.length !== want) {
    throw new InputError(`${what}: mode ${mode} ${width}x${height} needs ${want} samples, got ${data.length}`);
  }
  if (mode === 'I' ? !(data instanceof Int32Array) : !(data instanceof Uint8Array)) {
    throw new InputError(`${what}: mode ${mode} needs ${mode === 'I' ? 'an Int32Array' : 'a Uint8Array'}`);
  }
  if (mode === 'P' && (!img.palette || img.palette.length !== 768)) {
    throw new InputError(`${what}: mode P needs a 768-byte palette`);
  }
}

/** PIL refuses images above twice Image.MAX_IMAGE_PIXELS (a "decompression bomb"); so do we, before allocating. */
export const MAX_PIXELS = 2 * 89478485;

export function checkPixelCount(width: number, height: number, source: string): void {
  if (width * height > MAX_PIXELS) {
    throw new InputError(`image ${source} is ${width}x${height} = ${width * height} pixels, more than the ${MAX_PIXELS} ` +
      'PIL accepts (decompression-bomb limit)');
  }
}

/** PIL's default palette: the grey ramp (i, i, i); a file's palette overwrites the first entries. */
export function defaultPalette(): Uint8Array {
  const p = new Uint8Array(768);
  for (let i = 0; i < 256; i++) p[3 * i] = p[3 * i + 1] = p[3 * i + 2] = i;
  return p;
}
