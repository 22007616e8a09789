// Image parameterisations for synthesis: how a batch of optimised parameters becomes a batch of model-space
// images. Pixel: sigmoid of the parameters scaled to a value range (upstream pixel_ascending). Fourier: a fixed
// natural magnitude spectrum with a learned phase (fourier.ts).
import { Tensor, randomRows, gaussianBlur2d, type Backend } from '../../tensor/index.js';
import { deriveSeed } from '../../tensor/random.js';
import { InputError } from '../../errors.js';

export type RangeFn = 'linear' | 'sigmoid' | 'tanh';

export interface Parameterization {
  readonly kind: 'pixel' | 'fourier';
  /** image shape (C, S, S) */
  readonly shape: [number, number, number];
  /** the initial parameters of each run, (K, ...) */
  init(seeds: readonly bigint[], backend: Backend): Tensor;
  /** differentiable map from parameters (K, ...) to images (K, C, S, S) */
  image(param: Tensor): Tensor;
  /** transform the parameters' gradient before the optimiser step (pixel: Gaussian blur); may return it */
  gradient(g: Tensor): Tensor;
  dispose(): void;
}

/** Streams of one run: its initial parameters, its crop boxes (host) and its noise (device). */
export const STREAM = { init: 0, crops: 1, noise: 2 } as const;
export const streamSeed = (runSeed: bigint, stream: number) => deriveSeed(runSeed, stream);

export function applyRange(x: Tensor, fn: RangeFn, [lo, hi]: [number, number]): Tensor {
  if (fn === 'linear') return x.clamp(lo, hi);
  if (fn === 'sigmoid') return x.sigmoid().mul(hi - lo).add(lo);
  return x.tanh().mul((hi - lo) / 2).add((hi + lo) / 2);
}

export interface PixelOptions {
  channels: number; size: number; initStd: number; valuesRange: [number, number]; blurGradient: boolean;
  /** explicit initial parameters (C*S*S, one for every run) instead of random ones */
  initParams?: Float32Array;
}

/** img = sigmoid(p) * (hi - lo) + lo, p ~ N(0, initStd^2); gradients blurred by a 5-tap Gaussian (sigma 1.5). */
export class PixelParameterization implements Parameterization {
  readonly kind = 'pixel' as const;
  readonly shape: [number, number, number];
  constructor(readonly opts: PixelOptions) { this.shape = [opts.channels, opts.size, opts.size]; }
  init(seeds: readonly bigint[], backend: Backend): Tensor {
    if (this.opts.initParams) return repeatRows(this.opts.initParams, seeds.length, this.shape, backend);
    return randomRows('normal', seeds.map((s) => streamSeed(s, STREAM.init)), this.shape, { backend, std: this.opts.initStd });
  }
  image(p: Tensor): Tensor { return applyRange(p, 'sigmoid', this.opts.valuesRange); }
  gradient(g: Tensor): Tensor { return this.opts.blurGradient ? gaussianBlur2d(g, { kernelSize: 5, sigma: 1.5 }) : g; }
  dispose(): void {}
}

/** K copies of one (C, S, S) parameter array as a (K, C, S, S) tensor. */
export function repeatRows(p: Float32Array, K: number, shape: readonly number[], backend: Backend): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (p.length !== n) throw new InputError(`initial parameters have ${p.length} values, expected ${shape.join('x')}`);
  const all = new Float32Array(K * n);
  for (let k = 0; k < K; k++) all.set(p, k * n);
  return Tensor.from(all, [K, ...shape], { backend });
}
