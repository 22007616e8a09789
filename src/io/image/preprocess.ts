// The upstream screening preprocessing (DN `screening/sets.py`) up to the uint8 image, with PIL's exact arithmetic,
// then ToTensor's scaling. Normalisation, the aperture mask and the L2 norm are applied later, on tensors.
//
// Order (spec §2.1): [if shortSide: EnsureRGB, Resize(shortSide)] -> CenterCrop(crop) -> Resize((size, size))
// bilinear -> Grayscale (PIL 'L') if gray.
// Without shortSide (rendered PNGs) the image keeps its own mode through crop and resize, as upstream does: an RGBA
// image is resized premultiplied, a palette image with NEAREST, a 16-bit grey image in 32-bit integers. The last step
// is PIL convert('L') when gray, else convert('RGB'). Upstream itself fails for non-RGB images with a 3-channel
// model (4 channels or palette indices reach Normalize); converting to RGB at the end is our choice for those.
import { InputError } from '../../errors.js';
import { toL, toRGB } from './convert.js';
import { centerCropPIL, resizeBilinearPIL, resizeShortSide } from './resize.js';
import { checkImage, type RawImage } from './types.js';

export interface PreprocessOptions {
  /** torchvision Resize(shortSide) after EnsureRGB (the `imagenet` dataset: 256); null or absent: skip both. */
  shortSide?: number | null;
  /** CenterCrop size; null skips the crop. */
  crop: number | null;
  /** Final square size (bilinear Resize((size, size))); null skips it. */
  size: number | null;
  /** Grayscale (PIL 'L', one channel) instead of RGB (three channels). */
  gray: boolean;
}

/** Per-model presets (crop, size, gray). */
export const MODEL_PRESETS = {
  v1: { crop: 167, size: 93, gray: true },
  v4: { crop: 236, size: 100, gray: false },
} as const satisfies Record<string, Omit<PreprocessOptions, 'shortSide'>>;

/** Per-dataset presets: ImageNet images get EnsureRGB + Resize(256); rendered PNGs get neither. */
export const DATASET_PRESETS = {
  imagenet: { shortSide: 256 },
  rendered: { shortSide: null },
} as const satisfies Record<string, Pick<PreprocessOptions, 'shortSide'>>;

/** Runs the preprocessing and returns the image as a RawImage ('L' or 'RGB'). */
export function preprocessImage(img: RawImage, opts: PreprocessOptions): RawImage {
  checkImage(img);
  const { shortSide = null, crop, size, gray } = opts;
  let out = img;
  if (shortSide !== null) {
    if (!Number.isInteger(shortSide) || shortSide < 1) throw new InputError(`preprocess: shortSide must be a positive integer, got ${shortSide}`);
    out = resizeShortSide(toRGB(out), shortSide);
  }
  if (crop !== null) out = centerCropPIL(out, crop);
  if (size !== null) {
    if (!Number.isInteger(size) || size < 1) throw new InputError(`preprocess: size must be a positive integer, got ${size}`);
    if (out.width !== size || out.height !== size) out = resizeBilinearPIL(out, size, size);
  }
  return gray ? toL(out) : toRGB(out);
}

/** The preprocessed image as HWC uint8 (C = 1 if gray, else 3), `size x size` when size is given. */
export function preprocessToUint8(img: RawImage, opts: PreprocessOptions): Uint8Array {
  return preprocessImage(img, opts).data as Uint8Array;
}

/** torchvision ToTensor: HWC uint8 -> CHW float32 in [0, 1] (value / 255). */
export function toFloatCHW(u8: Uint8Array, channels: number): Float32Array {
  if (!Number.isInteger(channels) || channels < 1 || u8.length % channels !== 0) {
    throw new InputError(`toFloatCHW: ${u8.length} samples do not split into ${channels} channels`);
  }
  const n = u8.length / channels;
  const out = new Float32Array(u8.length);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) out[c * n + i] = u8[i * channels + c]! / 255;
  }
  return out;
}
