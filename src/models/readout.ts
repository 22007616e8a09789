// FullGaussian2d readout of neuralpredictors. Each neuron reads the core's feature map at one position (bilinear
// grid_sample with align_corners=True and zero padding) and takes a weighted sum over channels plus bias.
// Eval mode (what the DualNeuron twins use): the position is the learned mean mu (clamped to [-1, 1]); sigma is
// unused. Train mode (neuralpredictors' sample_grid): mu is first clamped to [-1, 1] in place, then each image of
// the batch (batchSample, default) or the whole batch draws positions clamp(mu + sigma * z, -1, 1) with
// z ~ N(0, 1) from the readout's seeded generator (or a given `noise`), so gradients reach mu and sigma.
// Parameter names and shapes as the checkpoints: _mu (1,N,1,2), sigma (1,N,1,1) isotropic / (1,N,1,2)
// uncorrelated / (1,N,2,2) full (positions mu + sigma @ z), _features (1,C,1,N), bias (N).
import { ShapeError } from '../errors.js';
import { type Backend, Tensor, Generator, gridSample, noGrad, rand, randn, tidy } from '../tensor/index.js';
import { Module } from '../nn/module.js';
import { featureL1, type Reduction } from '../nn/regularizers.js';

export type GaussType = 'isotropic' | 'uncorrelated' | 'full';

export interface FullGaussian2dOptions {
  /** the shape of sigma (default isotropic, as the DualNeuron checkpoints) */
  gaussType?: GaussType;
  /** train mode: one position per image (true, default) or one for the whole batch */
  batchSample?: boolean;
  /** weight of featureL1 in regularizer() (neuralpredictors' feature_reg_weight, default 1) */
  featureRegWeight?: number;
  /** the generator of the position noise in train mode (default: seed 0) */
  generator?: Generator;
}

const SIGMA_SHAPE: Record<GaussType, (n: number) => number[]> = {
  isotropic: (n) => [1, n, 1, 1], uncorrelated: (n) => [1, n, 1, 2], full: (n) => [1, n, 2, 2],
};

export class FullGaussian2d extends Module {
  /** read every neuron at the centre of the feature map (upstream's centered=True: mu = 0) */
  centered = false;
  /** sample positions: null follows the mode (train samples, eval reads mu), true/false overrides it */
  sample: boolean | null = null;
  readonly gaussType: GaussType;
  readonly batchSample: boolean;
  featureRegWeight: number;
  generator: Generator;

  constructor(readonly channels: number, readonly neurons: number, backend?: Backend, opts: FullGaussian2dOptions = {}) {
    super(backend);
    this.gaussType = opts.gaussType ?? 'isotropic';
    if (!SIGMA_SHAPE[this.gaussType]) throw new ShapeError(`FullGaussian2d: gaussType must be isotropic, uncorrelated or full, got '${this.gaussType}'`);
    this.batchSample = opts.batchSample ?? true;
    this.featureRegWeight = opts.featureRegWeight ?? 1;
    this.generator = opts.generator ?? new Generator(0n);
    this.param('_mu', [1, neurons, 1, 2]);
    this.param('sigma', SIGMA_SHAPE[this.gaussType](neurons));
    this.param('_features', [1, channels, 1, neurons]);
    this.param('bias', [neurons]);
  }

  /**
   * feat (B, C, H, W) -> (B, N). In train mode (or with `sample` true) `noise` (B, N, 1, 2), or (1, N, 1, 2) without
   * batchSample, replaces the generator's draw (tests pass the same noise to both implementations).
   */
  forward(feat: Tensor, noise?: Tensor): Tensor {
    const sampling = this.sample ?? this.training;
    if (sampling && !this.centered) return this.forwardSampled(feat, noise);
    const [B, C, H, W] = feat.shape;
    const F = this.get('_features').reshape([C, this.neurons]);
    let v: Tensor; // (B, C, N) or (B, C)
    if (this.centered && H % 2 === 1 && W % 2 === 1) {
      // grid (0, 0) with align_corners=True lands exactly on pixel ((H-1)/2, (W-1)/2): no interpolation
      v = feat.select(3, (W - 1) / 2).select(2, (H - 1) / 2); // (B, C)
      return v.matmul(F).add(this.get('bias'));
    }
    const mu = this.centered ? this.get('_mu').zerosLike() : this.get('_mu').clamp(-1, 1);
    const grid = mu.expand([B, this.neurons, 1, 2]);
    v = gridSample(feat, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: true }).reshape([B, C, this.neurons]);
    return v.mul(F).sum(1).add(this.get('bias'));
  }

  /** The positions of a sampled forward: clamp(mu + sigma z, -1, 1), (B or 1, N, 1, 2). */
  sampleGrid(batch: number, noise?: Tensor): Tensor {
    const mu = this.get('_mu'), sigma = this.get('sigma'), N = this.neurons;
    noGrad(() => tidy(() => { mu.copy_(mu.clamp(-1, 1)); }));
    const rows = this.batchSample ? batch : 1;
    if (noise && (noise.rank !== 4 || noise.shape[0] !== rows || noise.shape[1] !== N || noise.shape[2] !== 1 || noise.shape[3] !== 2)) {
      throw new ShapeError(`FullGaussian2d: noise must have shape [${rows}, ${N}, 1, 2], got [${noise.shape.join(', ')}]`);
    }
    const z = noise ?? randn([rows, N, 1, 2], { generator: this.generator, backend: this.backend });
    // full: grid[b, n, 0, c] = sum_d sigma[0, n, c, d] z[b, n, 0, d] (upstream's einsum 'ancd,bnid->bnic')
    const spread = this.gaussType === 'full' ? z.reshape([rows, N, 1, 1, 2]).mul(sigma.reshape([1, N, 1, 2, 2])).sum(4) : z.mul(sigma);
    return spread.add(mu).clamp(-1, 1);
  }

  private forwardSampled(feat: Tensor, noise?: Tensor): Tensor {
    const [B, C] = feat.shape;
    if (feat.rank !== 4 || C !== this.channels) throw new ShapeError(`FullGaussian2d: expected features (B, ${this.channels}, H, W), got shape [${feat.shape.join(', ')}]`);
    let grid = this.sampleGrid(B, noise);
    if (!this.batchSample) grid = grid.expand([B, this.neurons, 1, 2]);
    const v = gridSample(feat, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: true }).reshape([B, C, this.neurons]);
    return v.mul(this.get('_features').reshape([1, C, this.neurons])).sum(1).add(this.get('bias'));
  }

  /** sum (neuralpredictors' default) or mean of |features| */
  featureL1(reduction: Reduction = 'sum'): Tensor { return featureL1(this.get('_features'), reduction); }

  regularizer(reduction: Reduction = 'sum'): Tensor { return this.featureL1(reduction).mul(this.featureRegWeight); }

  /**
   * neuralpredictors' initialisation: mu uniform in [-initMuRange, initMuRange], sigma initSigma (isotropic and
   * uncorrelated) or uniform in [-initSigma, initSigma] (full), features 1 / C, bias `bias` (e.g. the mean
   * responses; default 0).
   */
  initialize(generator: Generator, opts: { initMuRange?: number; initSigma?: number; bias?: Tensor } = {}): void {
    const r = opts.initMuRange ?? 0.1, s = opts.initSigma ?? 1;
    if (!(r > 0 && r <= 1) || !(s > 0)) throw new ShapeError(`FullGaussian2d.initialize: initMuRange must be in (0, 1] and initSigma > 0, got ${r} and ${s}`);
    noGrad(() => tidy(() => {
      const mu = this.get('_mu'), sigma = this.get('sigma'), f = this.get('_features'), b = this.get('bias');
      mu.copy_(rand(mu.shape, { generator, low: -r, high: r, backend: this.backend }));
      sigma.copy_(this.gaussType === 'full' ? rand(sigma.shape, { generator, low: -s, high: s, backend: this.backend }) : sigma.fullLike(s));
      f.copy_(f.fullLike(1 / this.channels));
      b.copy_(opts.bias ? opts.bias.reshape(b.shape) : b.zerosLike());
    }));
  }
}
