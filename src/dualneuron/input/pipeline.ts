// From an image file to the twins' model space, as upstream's screening preprocessing (screening/sets.py,
// run.py) with each twin's own aperture: [short side -> 256 (imagenet preset)] -> centre crop -> resize to the
// model size (PIL bilinear, antialiased) -> [grayscale, PIL 'L'] -> /255 -> ImageNet normalisation (one channel:
// mean 0.449, std 0.226) -> aperture mask (min-max scaled, background 0) -> L2 norm of the whole image set to
// the twin's screening norm (12 V1, 40 V4). Computed on the host in float64, returned as float32 CHW.
import type { RawImage } from '../../io/image/types.js';
import { preprocessToUint8 } from '../../io/image/preprocess.js';
import type { TwinSpec } from '../../models/twins/registry.js';
import type { HostArray } from '../../io/host-array.js';
import { toFloat64 } from '../../io/host-array.js';
import { ShapeError } from '../../errors.js';

export type Preset = 'imagenet' | 'rendered';
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

export interface InputPipeline {
  spec: TwinSpec;
  preset: Preset;
  /** scaled aperture (H*W), in [0, 1] */
  aperture: Float64Array;
  /** L2 norm of each preprocessed image */
  norm: number;
}

/** Upstream MaskTransform's scaling: (m - min) / (max - min + 1e-8). */
export function scaleMask(mask: HostArray, size: number): Float64Array {
  if (mask.shape.length !== 2 || mask.shape[0] !== size || mask.shape[1] !== size) {
    throw new ShapeError(`aperture mask has shape [${mask.shape.join(', ')}], expected [${size}, ${size}]`);
  }
  const m = toFloat64(mask);
  let lo = Infinity, hi = -Infinity;
  for (const v of m) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return m.map((v) => (v - lo) / (hi - lo + 1e-8));
}

export function makePipeline(spec: TwinSpec, mask: HostArray, preset: Preset = 'imagenet', norm = spec.screening.norm): InputPipeline {
  return { spec, preset, aperture: scaleMask(mask, spec.screening.size), norm };
}

/** The uint8 image after resizing/cropping/grayscale (HWC), before normalisation. */
export function toUint8(p: InputPipeline, img: RawImage): Uint8Array {
  const s = p.spec.screening;
  return preprocessToUint8(img, { shortSide: p.preset === 'imagenet' ? 256 : null, crop: s.crop, size: s.size, gray: s.gray });
}

/** Model-space input (C*H*W float32) from preprocessed uint8 pixels (HWC). */
export function normalizeUint8(p: InputPipeline, u8: Uint8Array): Float32Array {
  const [C, H, W] = p.spec.inputShape;
  const hw = H * W;
  const x = new Float64Array(C * hw);
  for (let c = 0; c < C; c++) {
    const mean = C === 1 ? 0.449 : IMAGENET_MEAN[c], std = C === 1 ? 0.226 : IMAGENET_STD[c];
    for (let i = 0; i < hw; i++) x[c * hw + i] = ((u8[i * C + c] / 255 - mean) / std) * p.aperture[i];
  }
  let ss = 0;
  for (const v of x) ss += v * v;
  const k = p.norm / (Math.sqrt(ss) + 1e-8);
  return Float32Array.from(x, (v) => v * k);
}

export function imageToInput(p: InputPipeline, img: RawImage): Float32Array {
  return normalizeUint8(p, toUint8(p, img));
}
