// SpatialTransformerPyramid2d (neuralpredictors' PointPyramid2d; the Allen notebook's readout): the core's feature
// map is split into a Laplace pyramid (scaleN band-pass levels plus the low-pass rest, built with the gauss5x5
// filter), each neuron samples every level at its learned position grid[n] in [-1, 1] (bilinear grid_sample,
// align_corners=True, zero padding), and takes a weighted sum over the C * (scaleN + 1) values plus a bias.
// Keys as upstream: `grid` (1, N, 1, 2), `features` (1, C * (scaleN + 1), 1, N), `bias` (N) and the pyramid's
// filter buffer `gauss_pyramid.filter` (5, 5).
//
// As upstream, every forward first clamps the grid to [-1, 1] and, with `positive`, sets negative feature weights
// to 0, in place and outside autograd (so gradients flow as if through the identity).
import { ShapeError } from '../errors.js';
import { type Backend, Tensor, Generator, concat, conv2d, convTranspose2d, gridSample, noGrad, rand, tidy } from '../tensor/index.js';
import { Module } from '../nn/module.js';
import { featureL1, type Reduction } from '../nn/regularizers.js';

/** The pyramid's smoothing filters (neuralpredictors' Pyramid._filter_dict). */
export const PYRAMID_FILTERS = {
  gauss5x5: [
    0.003765, 0.015019, 0.023792, 0.015019, 0.003765,
    0.015019, 0.059912, 0.094907, 0.059912, 0.015019,
    0.023792, 0.094907, 0.150342, 0.094907, 0.023792,
    0.015019, 0.059912, 0.094907, 0.059912, 0.015019,
    0.003765, 0.015019, 0.023792, 0.015019, 0.003765,
  ],
  gauss3x3: [1 / 16, 1 / 8, 1 / 16, 1 / 8, 1 / 4, 1 / 8, 1 / 16, 1 / 8, 1 / 16],
  laplace5x5: [1, 4, 6, 4, 1].flatMap((a) => [1, 4, 6, 4, 1].map((b) => (a * b) / 256)),
} as const;
export type PyramidFilter = keyof typeof PYRAMID_FILTERS;

/**
 * A Laplace pyramid: at each of scaleN levels, smooth = depthwise conv with the filter (zero padding k // 2);
 * lo = smooth[::2, ::2]; hi = img - 4 * conv_transpose(lo, filter, stride 2, output padding (h + 1) % 2,
 * (w + 1) % 2); the next level splits lo. Without downsampling lo = smooth and hi = img - smooth.
 * Returns [hi_0, ..., hi_{scaleN-1}, lo_last].
 */
export class LaplacePyramid extends Module {
  readonly k: number;
  constructor(readonly scaleN = 4, readonly type: PyramidFilter = 'gauss5x5', readonly downsample = true, backend?: Backend) {
    super(backend);
    if (!Number.isInteger(scaleN) || scaleN < 0) throw new ShapeError(`LaplacePyramid: scaleN must be an integer >= 0, got ${scaleN}`);
    const f = PYRAMID_FILTERS[type];
    if (!f) throw new ShapeError(`LaplacePyramid: unknown filter '${type}' (gauss5x5, gauss3x3 or laplace5x5)`);
    this.k = Math.round(Math.sqrt(f.length));
    const buf = this.buffer('filter', [this.k, this.k]);
    // float32 values, as upstream's np.float32 buffer (the CPU oracle would otherwise keep the decimal constants)
    noGrad(() => buf.copy_(Tensor.from(f.map(Math.fround), [this.k, this.k], { backend: this.backend })));
  }

  private split(img: Tensor): [Tensor, Tensor] {
    const [, c, h, w] = img.shape;
    const k = this.k, pad = Math.floor(k / 2);
    const filter = this.get('filter').reshape([1, 1, k, k]).expand([c, 1, k, k]);
    const smooth = conv2d(img, filter, null, { padding: pad, groups: c });
    if (!this.downsample) return [smooth, img.sub(smooth)];
    const lo = smooth.slice([null, null, [null, null, 2], [null, null, 2]]);
    const lo2 = convTranspose2d(lo, filter, null, { stride: 2, padding: pad, outputPadding: [(h + 1) % 2, (w + 1) % 2], groups: c }).mul(4);
    return [lo, img.sub(lo2)];
  }

  forward(img: Tensor): Tensor { return concat(this.levels(img), 1); }

  levels(img: Tensor): Tensor[] {
    if (img.rank !== 4) throw new ShapeError(`LaplacePyramid: expected (B, C, H, W), got shape [${img.shape.join(', ')}]`);
    const out: Tensor[] = [];
    let x = img;
    for (let i = 0; i < this.scaleN; i++) {
      const [lo, hi] = this.split(x);
      out.push(hi);
      x = lo;
    }
    out.push(x);
    return out;
  }
}

export interface PyramidReadoutOptions {
  scaleN?: number;
  type?: PyramidFilter;
  downsample?: boolean;
  positive?: boolean;
  bias?: boolean;
  alignCorners?: boolean;
  /** weight of featureL1 in regularizer() (neuralpredictors' feature_reg_weight) */
  featureRegWeight?: number;
}

export class SpatialTransformerPyramid2d extends Module {
  readonly pyramid: LaplacePyramid;
  readonly positive: boolean;
  readonly hasBias: boolean;
  readonly alignCorners: boolean;
  featureRegWeight: number;

  /** channels: C of the core's output; neurons: N */
  constructor(readonly channels: number, readonly neurons: number, opts: PyramidReadoutOptions = {}, backend?: Backend) {
    super(backend);
    const scaleN = opts.scaleN ?? 4;
    this.positive = opts.positive ?? false;
    this.hasBias = opts.bias ?? true;
    this.alignCorners = opts.alignCorners ?? true;
    this.featureRegWeight = opts.featureRegWeight ?? 1;
    this.pyramid = this.module('gauss_pyramid', new LaplacePyramid(scaleN, opts.type ?? 'gauss5x5', opts.downsample ?? true, this.backend));
    this.param('grid', [1, neurons, 1, 2]);
    this.param('features', [1, channels * (scaleN + 1), 1, neurons]);
    if (this.hasBias) this.param('bias', [neurons]);
  }

  get grid(): Tensor { return this.get('grid'); }
  get features(): Tensor { return this.get('features'); }
  get bias(): Tensor | null { return this.hasBias ? this.get('bias') : null; }

  /** upstream's in-place constraints: grid in [-1, 1], features >= 0 when positive */
  private constrain(): void {
    noGrad(() => tidy(() => {
      this.grid.copy_(this.grid.clamp(-1, 1));
      if (this.positive) this.features.copy_(this.features.clamp(0, null));
    }));
  }

  /** x (B, C, H, W) -> (B, N); `shift` (B, 2) moves every neuron's position (eye movements) */
  forward(x: Tensor, shift?: Tensor): Tensor {
    const [B, C] = x.shape;
    if (x.rank !== 4 || C !== this.channels) throw new ShapeError(`SpatialTransformerPyramid2d: expected features (B, ${this.channels}, H, W), got shape [${x.shape.join(', ')}]`);
    this.constrain();
    const N = this.neurons, m = this.pyramid.scaleN + 1;
    let grid = this.grid.expand([B, N, 1, 2]);
    if (shift) grid = grid.add(shift.reshape([B, 1, 1, 2]));
    const pools = this.pyramid.levels(x).map((lv) => gridSample(lv, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: this.alignCorners }));
    const y = concat(pools, 1).reshape([B, m * C, N]); // (B, m*C, N, 1) -> (B, m*C, N)
    const out = y.mul(this.features.reshape([1, m * C, N])).sum(1);
    return this.hasBias ? out.add(this.bias!) : out;
  }

  /** sum (neuralpredictors' default) or mean (the notebook's average=True) of |features| */
  featureL1(reduction: Reduction = 'sum'): Tensor { return featureL1(this.features, reduction); }

  regularizer(reduction: Reduction = 'sum'): Tensor { return this.featureL1(reduction).mul(this.featureRegWeight); }

  /** upstream's initialisation: grid uniform in [-initRange, initRange], features 1 / C, bias 0 */
  initialize(generator: Generator, initRange = 0.1): void {
    noGrad(() => tidy(() => {
      this.grid.copy_(rand(this.grid.shape, { generator, low: -initRange, high: initRange, backend: this.backend }));
      this.features.copy_(this.features.fullLike(1 / this.channels));
      this.bias?.copy_(this.bias.zerosLike());
    }));
  }
}
