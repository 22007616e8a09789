// The robustness transforms applied to the image at every synthesis step (upstream synthesis/ops.py):
// reflect padding, jittered crops resampled with roi_align (aligned) and optional oversampling, Gaussian noise,
// and a per-crop L2 norm. Boxes are drawn on the host from each run's own stream, noise on the device from its
// own stream, so a batch of runs transforms each run exactly as it would be transformed alone.
import { Tensor, roiAlign, interpolate, randomRows, l2Scale } from '../../tensor/index.js';
import { HostRng } from '../render/rng.js';
import { STREAM, streamSeed } from './parameterization.js';

export interface TransformOptions {
  nbCrops: number;
  /** crop side as a fraction of the image side, drawn uniformly from [lo, hi] */
  boxSize: [number, number];
  jitterStd: number;
  oversample: number;
  reflectPadFrac: number;
  noise: number;
  /** L2 norm of each crop; null leaves crops as they are */
  targetNorm: number | null;
  /** what targetNorm constrains (default 'l2'); the clean image the engine evaluates is constrained the same way */
  normKind?: NormKind;
}

/**
 * The constraint each image is scaled to: its L2 norm (upstream change_norm), an Lp norm, or its standard deviation
 * (sinzlab mei's ChangeStd: the image times target / (std + 1e-9), the unbiased std over all its values).
 */
export type NormKind = 'l2' | 'std' | { p: number };

/** Per-run host streams for crop boxes. */
export class CropSampler {
  private readonly rngs: HostRng[];
  constructor(runSeeds: readonly bigint[]) { this.rngs = runSeeds.map((s) => new HostRng(streamSeed(s, STREAM.crops))); }

  /** Boxes [run, x1, y1, x2, y2] in padded-image pixels for every crop of every run (run-major). */
  boxes(o: TransformOptions, H: number, W: number): number[][] {
    const pad = Math.floor(o.reflectPadFrac * Math.min(H, W));
    const out: number[][] = [];
    this.rngs.forEach((rng, r) => {
      // the order of draws follows upstream: all cx, then all cy, then all scales
      const cx = Array.from({ length: o.nbCrops }, () => 0.5 + rng.normal() * o.jitterStd);
      const cy = Array.from({ length: o.nbCrops }, () => 0.5 + rng.normal() * o.jitterStd);
      const sc = Array.from({ length: o.nbCrops }, () => rng.uniform() * (o.boxSize[1] - o.boxSize[0]) + o.boxSize[0]);
      const f = Math.fround;
      for (let k = 0; k < o.nbCrops; k++) {
        const bw = sc[k] * W, bh = sc[k] * H;
        const cl = (v: number, hi: number) => f(Math.min(Math.max(v, 0), hi));
        out.push([r, cl(cx[k] * W + pad - 0.5 * bw, W + 2 * pad), cl(cy[k] * H + pad - 0.5 * bh, H + 2 * pad), cl(cx[k] * W + pad + 0.5 * bw, W + 2 * pad), cl(cy[k] * H + pad + 0.5 * bh, H + 2 * pad)]);
      }
    });
    return out;
  }
}

/** images (K, C, S, S) -> crops (K * nbCrops, C, S, S), noised and normalised, differentiable w.r.t. images. */
export function transform(images: Tensor, o: TransformOptions, sampler: CropSampler, noiseSeeds: readonly bigint[], step: number): Tensor {
  const [K, C, H, W] = images.shape;
  const pad = Math.floor(o.reflectPadFrac * Math.min(H, W));
  const padded = pad > 0 ? images.pad([pad, pad, pad, pad], 'reflect') : images;
  const hi = H * Math.max(1, Math.floor(o.oversample));
  let crops = roiAlign(padded, sampler.boxes(o, H, W), [hi, hi], { aligned: true, samplingRatio: -1, spatialScale: 1 });
  if (hi !== H) crops = interpolate(crops, { size: [H, W], mode: 'bicubic', alignCorners: false, antialias: true });
  if (o.noise > 0) {
    const per = o.nbCrops * C * H * W;
    const noise = randomRows('normal', noiseSeeds, [o.nbCrops, C, H, W], { backend: images.backend, std: o.noise, offsetBlocks: BigInt(step) * BigInt(Math.ceil(per / 4)) });
    crops = crops.add(noise.reshape([K * o.nbCrops, C, H, W]));
  }
  if (o.targetNorm !== null) crops = constrainEach(crops, o.targetNorm, o.normKind);
  return crops;
}

/** Each image of x scaled so that its `kind` (default L2 norm) is `target`. */
export function constrainEach(x: Tensor, target: number, kind: NormKind = 'l2'): Tensor {
  if (kind === 'l2') return normalizeEach(x, target);
  if (kind === 'std') {
    const n = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const mean = x.mean([1, 2, 3], true);
    const std = x.sub(mean).square().sum([1, 2, 3], true).div(n - 1).sqrt();
    return x.mul(target).div(std.add(1e-9));
  }
  const norm = x.abs().pow(kind.p).sum([1, 2, 3], true).pow(1 / kind.p).add(1e-8);
  return x.mul(target).div(norm);
}

/** x * target / (||x|| + 1e-8) for each image of the batch (one fused op: 2 kernels forward, 3 backward). */
export function normalizeEach(x: Tensor, target: number): Tensor {
  return l2Scale(x, target, 1e-8);
}

export const noiseSeedsOf = (runSeeds: readonly bigint[]) => runSeeds.map((s) => streamSeed(s, STREAM.noise));
