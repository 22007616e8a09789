// Images to DreamSim inputs as upstream's `dream/sim.py: embeddings` prepares them (screening/sets.py datasets with
// use_normalize=False): [imagenet preset: EnsureRGB, Resize(256)] -> CenterCrop(236) -> Resize((224, 224)) (PIL
// bilinear) -> [Grayscale] -> ToTensor -> MaskTransform (the area's aperture resized to 224 with cv2.INTER_LINEAR,
// min-max scaled, x * m + bg * (1 - m)) -> NormTransform (L2 norm of the whole tensor to 80) -> clamp to [0, 1];
// a gray image (or a one-channel file without the imagenet preset's EnsureRGB) is repeated to 3 channels last, after
// the norm, as __getitem__ does. Float64 on the host; checked against the upstream transforms with PIL, torchvision
// and OpenCV (tools/golden/embed_preprocess.py).
import type { RawImage } from '../../io/image/index.js';
import { preprocessToUint8 } from '../../io/image/index.js';
import { toFloat64, type HostArray } from '../../io/host-array.js';
import { InputError } from '../../errors.js';
import type { Preset } from '../input/pipeline.js';

export interface EmbedPipeline {
  preset: Preset;
  crop: number | null;
  size: number;
  gray: boolean;
  /** scaled aperture (size * size) in [0, 1], or null for no mask */
  mask: Float64Array | null;
  bgValue: number;
  /** L2 norm of each image, or null to keep it */
  norm: number | null;
}

/**
 * cv2.resize(src, (ow, oh), interpolation=INTER_LINEAR) for a float64 array: half-pixel centres, float32 weights,
 * source indices clamped at the borders (OpenCV's resizeGeneric for linear interpolation).
 */
export function resizeLinearCv2(src: Float64Array, h: number, w: number, oh: number, ow: number): Float64Array {
  const taps = (n: number, on: number) => {
    const scale = n / on;
    const idx = new Int32Array(on), a = new Float64Array(on);
    for (let d = 0; d < on; d++) {
      let f = Math.fround((d + 0.5) * scale - 0.5);
      let s = Math.floor(f);
      f = Math.fround(f - s);
      if (s < 0) { f = 0; s = 0; }
      if (s >= n - 1) { f = 0; s = n - 1; }
      idx[d] = s; a[d] = f;
    }
    return { idx, a };
  };
  const X = taps(w, ow), Y = taps(h, oh);
  const tmp = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      const s = X.idx[x], f = X.a[x];
      tmp[y * ow + x] = src[y * w + s] * Math.fround(1 - f) + (f ? src[y * w + s + 1] * f : 0);
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    const s = Y.idx[y], f = Y.a[y];
    for (let x = 0; x < ow; x++) out[y * ow + x] = tmp[s * ow + x] * Math.fround(1 - f) + (f ? tmp[(s + 1) * ow + x] * f : 0);
  }
  return out;
}

/** MaskTransform's mask: resized (cv2 linear) when its shape differs, as float32, then (m - min) / (max - min + 1e-8). */
export function embedMask(mask: HostArray, size: number): Float64Array {
  if (mask.shape.length !== 2) throw new InputError(`aperture mask must be 2-D, got shape [${mask.shape.join(', ')}]`);
  const [h, w] = mask.shape;
  let m = toFloat64(mask);
  if (h !== size || w !== size) m = resizeLinearCv2(m, h, w, size, size);
  const f = Float64Array.from(m, (v) => Math.fround(v));
  let lo = Infinity, hi = -Infinity;
  for (const v of f) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return f.map((v) => Math.fround((v - lo) / (hi - lo + 1e-8)));
}

export function makeEmbedPipeline(opts: { mask?: HostArray | null; preset?: Preset; crop?: number | null; size?: number; gray?: boolean; norm?: number | null; bgValue?: number } = {}): EmbedPipeline {
  const size = opts.size ?? 224;
  return {
    preset: opts.preset ?? 'rendered', crop: opts.crop === undefined ? 236 : opts.crop, size, gray: opts.gray ?? false,
    mask: opts.mask ? embedMask(opts.mask, size) : null, bgValue: opts.bgValue ?? 0, norm: opts.norm === undefined ? 80 : opts.norm,
  };
}

/** One image -> (3, size, size) float32 in [0, 1]. */
export function imageToEmbedInput(p: EmbedPipeline, img: RawImage): Float32Array {
  const u8 = preprocessToUint8(img, { shortSide: p.preset === 'imagenet' ? 256 : null, crop: p.crop, size: p.size, gray: p.gray });
  // a one-channel file (PIL 'L' or '1') keeps one channel through ToTensor without EnsureRGB (the rendered preset):
  // upstream masks and normalises that channel and repeats it to RGB only at the end
  const oneChannel = p.gray || (p.preset === 'rendered' && (img.mode === 'L' || img.mode === '1'));
  const C = oneChannel ? 1 : 3, hw = p.size * p.size, stride = p.gray ? 1 : 3;
  if (u8.length !== stride * hw) throw new InputError(`embedding preprocessing produced ${u8.length} samples, expected ${stride}x${p.size}x${p.size}`);
  const x = new Float64Array(C * hw);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < hw; i++) {
      let v = u8[i * stride + c] / 255;
      if (p.mask) v = v * p.mask[i] + p.bgValue * (1 - p.mask[i]);
      x[c * hw + i] = v;
    }
  }
  let k = 1;
  if (p.norm !== null) {
    let ss = 0;
    for (const v of x) ss += v * v;
    k = p.norm / (Math.sqrt(ss) + 1e-8);
  }
  const out = new Float32Array(3 * hw);
  for (let c = 0; c < 3; c++) {
    const src = C === 1 ? 0 : c;
    for (let i = 0; i < hw; i++) out[c * hw + i] = Math.min(1, Math.max(0, x[src * hw + i] * k));
  }
  return out;
}
