// MEI-derived masks as upstream defines them (enigma-brain/dualneuron synthesis/visualize.py):
// estimate_mask(mei, zscore_thresh=0.5): the image made gray (0.299 R + 0.587 G + 0.114 B), z-scored (population
// std + 1e-8), pixels with |z| above the threshold, closed (2 dilations then 2 erosions by the cross), the largest
// 8-connected object, its convex hull, blurred by a Gaussian of sigma 1 (scipy, mode 'reflect');
// get_mean_mask(poles, zthreshold=1.0): each image's mask scaled to [0, 1], their mean, every value above 0.1 set
// to 1, then OpenCV's 5 x 5, sigma 1 Gaussian blur of the uint8 image (x 255, truncated), / 255.
// Upstream computes the masks in float32 (gaussian_filter of a float32 hull); the arithmetic after it is rounded
// to float32 here at the same steps, so the thresholds and the uint8 truncation fall as upstream's.
import { InputError } from '../../errors.js';
import { gaussianFilter } from '../synthesis/allen-ops.js';
import { binaryClosing, convexHullImage, largestComponent } from './morphology.js';
import { gaussianBlurU8 } from './cv-blur.js';

const f32 = Math.fround;

/** An image (C, H, W) with C = 1 or 3, channels first as our .npy files. */
export interface PlaneImage { data: ArrayLike<number>; channels: number; height: number; width: number }

function grayOf(im: PlaneImage): Float64Array {
  const { channels: C, height: H, width: W, data } = im;
  if (C !== 1 && C !== 3) throw new InputError(`estimate_mask takes gray or RGB images, got ${C} channels`);
  if (data.length !== C * H * W) throw new InputError(`estimate_mask: ${data.length} values for a ${C}x${H}x${W} image`);
  const hw = H * W, g = new Float64Array(hw);
  // upstream repeats a gray channel three times before weighting: the same sum, in the same order
  for (let i = 0; i < hw; i++) {
    const r = data[i], gr = data[(C === 3 ? 1 : 0) * hw + i], b = data[(C === 3 ? 2 : 0) * hw + i];
    g[i] = 0.299 * r + 0.587 * gr + 0.114 * b;
  }
  return g;
}

/** The object estimate_mask keeps before blurring: the convex hull (0/1) of the largest thresholded object. */
export function maskHull(im: PlaneImage, zThreshold = 0.5): Uint8Array {
  const H = im.height, W = im.width;
  const g = grayOf(im);
  let mean = 0;
  for (const v of g) mean += v;
  mean /= g.length;
  let ss = 0;
  for (const v of g) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / g.length) + 1e-8;
  const above = Uint8Array.from(g, (v) => (Math.abs((v - mean) / sd) > zThreshold ? 1 : 0));
  const closed = binaryClosing(above, H, W, 2);
  const object = largestComponent(closed, H, W);
  if (!object) throw new InputError(`estimate_mask: no pixel of the ${H}x${W} image lies more than ${zThreshold} standard deviations from its mean (a flat image?); lower the z threshold or check the image`);
  return convexHullImage(object, H, W);
}

/** upstream estimate_mask: the blurred hull, H x W values in [0, 1] (float32 values, as upstream returns). */
export function estimateMask(im: PlaneImage, zThreshold = 0.5): Float32Array {
  return Float32Array.from(gaussianFilter(maskHull(im, zThreshold), im.height, im.width, 1));
}

/**
 * upstream get_mean_mask: the mean of the images' masks (each scaled to [0, 1]) with values above 0.1 set to 1,
 * blurred as an 8-bit image; values are multiples of 1/255. A mask without contrast (the hull fills the image)
 * scales to all ones, where upstream would divide 0 by 0.
 */
export function meanMask(images: PlaneImage[], zThreshold = 1.0): { mask: Float64Array; masks: Float32Array[] } {
  if (!images.length) throw new InputError('get_mean_mask needs at least one image');
  const H = images[0].height, W = images[0].width;
  for (const im of images) if (im.height !== H || im.width !== W) throw new InputError(`get_mean_mask: images of different sizes (${H}x${W} and ${im.height}x${im.width})`);
  const masks = images.map((im) => estimateMask(im, zThreshold));
  const acc = new Float32Array(H * W);
  for (const m of masks) {
    let lo = Infinity, hi = -Infinity;
    for (const v of m) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const range = f32(hi - lo);
    for (let i = 0; i < m.length; i++) acc[i] = f32(acc[i] + (range > 0 ? f32(f32(m[i] - lo) / range) : 1));
  }
  const cut = f32(0.1), n = images.length;
  const u8 = new Uint8Array(H * W);
  for (let i = 0; i < acc.length; i++) {
    const v = f32(acc[i] / n);
    u8[i] = v > cut ? 255 : Math.trunc(f32(v * 255));
  }
  const blurred = gaussianBlurU8(u8, H, W, 5, 1);
  return { mask: Float64Array.from(blurred, (v) => v / 255), masks };
}
