// PNG encoding (fast-png) of 8-bit images, from and to bytes (no file system; browsers use it as it is).
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
