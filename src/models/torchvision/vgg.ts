// torchvision's VGG (Simonyan & Zisserman 2015) with its state-dict keys and module names: `features` (a Sequential
// numbered as torchvision's make_layers numbers it: conv, [bn], relu per entry, maxpool per 'M'), `avgpool`
// (AdaptiveAvgPool2d 7x7), `classifier` (0 Linear, 1 ReLU, 2 Dropout, 3 Linear, 4 ReLU, 5 Dropout, 6 Linear).
// `scaledVgg` makes the small test variants (narrower convolutions and classifier).
import { type Backend, Tensor } from '../../tensor/index.js';
import { Module, Sequential } from '../../nn/module.js';
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, ReLU } from '../../nn/layers.js';
import { AdaptiveAvgPool2d, Dropout } from '../../nn/shape-layers.js';
import { FoldedSequential } from '../../nn/folded-sequential.js';
import { ShapeError } from '../../errors.js';

/** configuration 'D' of the paper (16 weight layers); 'M' is a 2x2 max pool */
export const VGG16_LAYERS: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

export interface VggConfig {
  layers: (number | 'M')[];
  batchNorm: boolean;
  /** hidden width of the classifier (4096) */
  hidden: number;
  numClasses: number;
  /** side of the adaptive average pool (7) */
  pool: number;
}

export const VGG16: VggConfig = { layers: VGG16_LAYERS, batchNorm: false, hidden: 4096, numClasses: 1000, pool: 7 };
export const VGG16_BN: VggConfig = { ...VGG16, batchNorm: true };

/** A config with every convolution width divided by `k` (tests: small models with torchvision's structure). */
export function scaledVgg(base: VggConfig, k: number, o: { hidden: number; numClasses: number }): VggConfig {
  const div = (n: number) => {
    if (n % k !== 0) throw new ShapeError(`VGG: width ${n} is not divisible by ${k}`);
    return n / k;
  };
  return { ...base, layers: base.layers.map((v) => (v === 'M' ? v : div(v))), ...o };
}

export class VGG extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  constructor(readonly config: VggConfig, backend?: Backend) {
    super(backend);
    const mods: Module[] = [];
    let c = 3;
    for (const v of config.layers) {
      if (v === 'M') { mods.push(new MaxPool2d(2, 2, 0, backend)); continue; }
      mods.push(new Conv2d(c, v, 3, { padding: 1 }, backend));
      if (config.batchNorm) mods.push(new BatchNorm2d(v, 1e-5, 0.1, backend));
      mods.push(new ReLU(backend));
      c = v;
    }
    const { hidden, numClasses, pool } = config;
    this.features = this.module('features', new FoldedSequential(mods, backend));
    this.avgpool = this.module('avgpool', new AdaptiveAvgPool2d(pool, backend));
    this.classifier = this.module('classifier', new Sequential([
      new Linear(c * pool * pool, hidden, true, backend), new ReLU(backend), new Dropout(0.5, backend),
      new Linear(hidden, hidden, true, backend), new ReLU(backend), new Dropout(0.5, backend),
      new Linear(hidden, numClasses, true, backend),
    ], backend));
    this.eval();
  }

  /** x (B, 3, H, W), ImageNet-normalised -> logits (B, numClasses) */
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}
