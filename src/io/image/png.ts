// PNG decoding (fast-png does the chunk parsing, inflate and unfiltering) mapped onto the modes Pillow 9.x gives
// after Image.open, sample for sample:
//   grey 1-bit -> '1' (0/255); grey 2/4-bit -> 'L' scaled by 85/17; grey 8 -> 'L'; grey 16 -> 'I' (full value);
//   RGB 8 -> 'RGB'; RGB 16 -> 'RGB' with the high byte of each sample;
//   palette 1/2/4/8 -> 'P' (indices; undefined palette entries keep PIL's grey ramp);
//   grey+alpha 8 -> 'LA'; grey+alpha 16 -> 'RGBA' (high bytes, grey replicated), as PIL does;
//   RGBA 8 -> 'RGBA'; RGBA 16 -> 'RGBA' with high bytes.
// tRNS on grey/RGB images is ignored (PIL keeps it only as metadata, which convert('RGB'/'L') and resize ignore).
import { decode as decodePng } from 'fast-png';
import { InputError } from '../../errors.js';
import { checkPixelCount, defaultPalette, type RawImage } from './types.js';

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

/** Reads the IHDR fields straight from the bytes (fast-png does not report the colour type or interlace). */
function readIhdr(bytes: Uint8Array, source: string): { colorType: number; depth: number; interlace: number } {
  // signature(8) length(4) 'IHDR'(4) width(4) height(4) depth(1) colorType(1) compression(1) filter(1) interlace(1)
  if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new InputError(`PNG ${source} is truncated or corrupt: no IHDR chunk at the start`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkPixelCount(view.getUint32(16), view.getUint32(20), source);
  return { depth: bytes[24]!, colorType: bytes[25]!, interlace: bytes[28]! };
}

/** Unpacks 1/2/4-bit samples (rows padded to whole bytes, most significant bits first) to one byte each. */
function unpackBits(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x++) {
      const byte = packed[row + Math.floor(x / perByte)]!;
      const shift = 8 - depth * ((x % perByte) + 1);
      out[y * width + x] = (byte >> shift) & mask;
    }
  }
  return out;
}

export function decodePNG(bytes: Uint8Array, source: string): RawImage {
  const { colorType, depth, interlace } = readIhdr(bytes, source);
  if (interlace === 1 && depth < 8) {
    // fast-png 8 de-interlaces sub-byte samples as if they were whole bytes; refuse rather than return garbage.
    throw new InputError(`PNG ${source}: interlaced (Adam7) PNGs with ${depth}-bit samples are not supported; ` +
      're-save it without interlacing or with 8-bit samples');
  }
  let png;
  try {
    png = decodePng(bytes, { checkCrc: true });
  } catch (err) {
    throw new InputError(`PNG ${source} is truncated or corrupt: ${(err as Error).message}`);
  }
  const { width, height } = png;
  const n = width * height;
  const src = png.data;
  const expected = depth < 8 ? Math.ceil((width * depth * png.channels) / 8) * height : n * png.channels;
  if (width < 1 || height < 1 || src.length !== expected) {
    throw new InputError(`PNG ${source} is truncated or corrupt: expected ${expected} samples for ${width}x${height}, ` +
      `decoded ${src.length}`);
  }
  const hi = (v: number) => (depth === 16 ? v >> 8 : v);
  switch (colorType) {
    case 0: { // greyscale
      if (depth === 16) {
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = src[i]!;
        return { width, height, mode: 'I', data };
      }
      if (depth === 8) return { width, height, mode: 'L', data: new Uint8Array(src as Uint8Array) };
      const data = unpackBits(src as Uint8Array, width, height, depth);
      const scale = depth === 1 ? 255 : depth === 2 ? 85 : 17;
      for (let i = 0; i < n; i++) data[i] = data[i]! * scale;
      return { width, height, mode: depth === 1 ? '1' : 'L', data };
    }
    case 2: { // truecolour
      const data = new Uint8Array(n * 3);
      for (let i = 0; i < n * 3; i++) data[i] = hi(src[i]!);
      return { width, height, mode: 'RGB', data };
    }
    case 3: { // indexed
      if (!png.palette) throw new InputError(`PNG ${source} is corrupt: palette image without a PLTE chunk`);
      const data = depth === 8 ? new Uint8Array(src as Uint8Array) : unpackBits(src as Uint8Array, width, height, depth);
      const palette = defaultPalette();
      const entries = png.palette.slice(0, 256);
      entries.forEach((c, i) => { palette[3 * i] = c[0]!; palette[3 * i + 1] = c[1]!; palette[3 * i + 2] = c[2]!; });
      const img: RawImage = { width, height, mode: 'P', data, palette };
      if (entries.length > 0 && entries[0]!.length === 4) {
        const alpha = new Uint8Array(256).fill(255);
        entries.forEach((c, i) => { alpha[i] = c[3]!; });
        img.paletteAlpha = alpha;
      }
      return img;
    }
    case 4: { // greyscale + alpha
      if (depth === 8) return { width, height, mode: 'LA', data: new Uint8Array(src as Uint8Array) };
      const data = new Uint8Array(n * 4);
      for (let i = 0; i < n; i++) {
        const l = src[2 * i]! >> 8;
        data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = l;
        data[4 * i + 3] = src[2 * i + 1]! >> 8;
      }
      return { width, height, mode: 'RGBA', data };
    }
    case 6: { // truecolour + alpha
      const data = new Uint8Array(n * 4);
      for (let i = 0; i < n * 4; i++) data[i] = hi(src[i]!);
      return { width, height, mode: 'RGBA', data };
    }
    default:
      throw new InputError(`PNG ${source} is corrupt: unknown colour type ${colorType}`);
  }
}
