// Mode conversions that reproduce Pillow 9.x's Image.convert('RGB') and Image.convert('L') exactly:
//  - alpha is dropped, never composited ('RGBA' -> 'RGB' keeps the colour samples as they are);
//  - 'I' (16-bit PNG grey) is clipped to 0..255, not scaled;
//  - 'P' looks colours up in the palette (palette transparency is ignored);
//  - 'L' from colour is ITU-R 601-2 luma in 16-bit fixed point: (19595 R + 38470 G + 7471 B + 0x8000) >> 16.
import { checkImage, type RawImage } from './types.js';

/** PIL's luma of one RGB triple. */
export function lumaPIL(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

const clip8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** PIL `img.convert('RGB')`. Returns `img` itself when it is already RGB. */
export function toRGB(img: RawImage): RawImage {
  checkImage(img);
  const { width, height, mode } = img;
  if (mode === 'RGB') return img;
  const n = width * height;
  const src = img.data;
  const out = new Uint8Array(n * 3);
  switch (mode) {
    case '1':
    case 'L':
      for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = src[i]!;
      break;
    case 'I':
      for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = clip8(src[i]!);
      break;
    case 'LA':
      for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = src[2 * i]!;
      break;
    case 'RGBA':
      for (let i = 0; i < n; i++) {
        out[3 * i] = src[4 * i]!; out[3 * i + 1] = src[4 * i + 1]!; out[3 * i + 2] = src[4 * i + 2]!;
      }
      break;
    case 'P': {
      const pal = img.palette!;
      for (let i = 0; i < n; i++) {
        const k = 3 * src[i]!;
        out[3 * i] = pal[k]!; out[3 * i + 1] = pal[k + 1]!; out[3 * i + 2] = pal[k + 2]!;
      }
      break;
    }
  }
  return { width, height, mode: 'RGB', data: out };
}

/** PIL `img.convert('L')`. Returns `img` itself when it is already L. */
export function toL(img: RawImage): RawImage {
  checkImage(img);
  const { width, height, mode } = img;
  if (mode === 'L') return img;
  const n = width * height;
  const src = img.data;
  const out = new Uint8Array(n);
  switch (mode) {
    case '1':
      out.set(src);
      break;
    case 'I':
      for (let i = 0; i < n; i++) out[i] = clip8(src[i]!);
      break;
    case 'LA':
      for (let i = 0; i < n; i++) out[i] = src[2 * i]!;
      break;
    case 'RGB':
      for (let i = 0; i < n; i++) out[i] = lumaPIL(src[3 * i]!, src[3 * i + 1]!, src[3 * i + 2]!);
      break;
    case 'RGBA':
      for (let i = 0; i < n; i++) out[i] = lumaPIL(src[4 * i]!, src[4 * i + 1]!, src[4 * i + 2]!);
      break;
    case 'P': {
      const pal = img.palette!;
      const lut = new Uint8Array(256);
      for (let k = 0; k < 256; k++) lut[k] = lumaPIL(pal[3 * k]!, pal[3 * k + 1]!, pal[3 * k + 2]!);
      for (let i = 0; i < n; i++) out[i] = lut[src[i]!]!;
      break;
    }
  }
  return { width, height, mode: 'L', data: out };
}
