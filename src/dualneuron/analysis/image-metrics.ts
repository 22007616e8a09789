// The Allen notebook's masked luminance and contrast (seeds/003 `luminance`, `masked_contrast`) of one
// h x w gray image (row-major).
import { circularMask, type CircleSpec } from './masks.js';

/**
 * `luminance(img, radius, center)`: the sum of the pixels inside the circular mask divided by pi r^2 (the
 * circle's area, not the pixel count, as the notebook), and the image with the outside set to 0.
 */
export function luminance(img: ArrayLike<number>, h: number, w: number, radius: number, center: CircleSpec['center'] = null): { masked: Float64Array; value: number } {
  const m = circularMask(h, w, { radius, center });
  const masked = new Float64Array(h * w);
  let s = 0;
  for (let k = 0; k < h * w; k++) if (m[k]) { masked[k] = img[k]; s += img[k]; }
  return { masked, value: s / (Math.PI * radius * radius) };
}

/** `masked_contrast(image, mask)`: the population standard deviation (ddof 0) of the pixels inside the mask. */
export function maskedContrast(img: ArrayLike<number>, mask: ArrayLike<number>): number {
  let n = 0, s = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) { n++; s += img[k]; }
  if (n === 0) return NaN;
  const mean = s / n;
  let v = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k]) v += (img[k] - mean) ** 2;
  return Math.sqrt(v / n);
}
