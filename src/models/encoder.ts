// A core and a readout as one firing-rate model (neuralpredictors' FiringRateEncoder; the Allen notebook's
// CustomCNN_2_pooling with its ELU+1 output): rate = elu(readout(core(x)) + eluOffset) + 1 > 0, so a Poisson
// loss applies. Keys `core.*` and `readout.*`, as a neuralpredictors Encoder's state dict.
import { type Backend, Tensor, Generator } from '../tensor/index.js';
import { Module } from '../nn/module.js';
import type { Reduction } from '../nn/regularizers.js';
import { Stacked2dCore, notebookStacked2dConfig, type Stacked2dCoreConfig } from './stacked2d.js';
import { SpatialTransformerPyramid2d, type PyramidReadoutOptions } from './pyramid-readout.js';
import { FullGaussian2d, type FullGaussian2dOptions } from './readout.js';
import type { PretrainedCore } from './pretrained-core.js';

export type EncoderReadout = SpatialTransformerPyramid2d | FullGaussian2d;
/** a trained-from-scratch Stacked2dCore or a truncated pretrained backbone (pretrained-core.ts) */
export type EncoderCore = Stacked2dCore | PretrainedCore;

export class FiringRateEncoder<C extends EncoderCore = EncoderCore> extends Module {
  readonly core: C;
  readonly readout: EncoderReadout;
  constructor(core: C, readout: EncoderReadout, readonly eluOffset = 0, backend?: Backend) {
    super(backend ?? core.backend);
    this.core = this.module('core', core);
    this.readout = this.module('readout', readout);
  }

  /** x (B, C, H, W) -> rates (B, N); `noise` goes to a FullGaussian2d readout in train mode (see there) */
  forward(x: Tensor, noise?: Tensor): Tensor { return this.forwardParts(x, noise).rate; }

  /** the core's features, the readout's linear output and the rates of one forward pass */
  forwardParts(x: Tensor, noise?: Tensor): { features: Tensor; readout: Tensor; rate: Tensor } {
    const features = this.core.forward(x);
    const y = this.readout instanceof FullGaussian2d ? this.readout.forward(features, noise) : this.readout.forward(features);
    return { features, readout: y, rate: (this.eluOffset ? y.add(this.eluOffset) : y).elu().add(1) };
  }

  /** the core's regulariser plus the readout's (neuralpredictors' Encoder.regularizer) */
  regularizer(reduction: Reduction = 'sum'): Tensor {
    return this.core.regularizer().add(this.readout.regularizer(reduction));
  }
}

export interface NotebookTwinOptions {
  neurons?: number;
  inputChannels?: number;
  /** image size (the notebook: 60 x 96) */
  height?: number;
  width?: number;
  core?: Partial<Stacked2dCoreConfig>;
  readout?: PyramidReadoutOptions;
  /** rate = elu(readout + eluOffset) + 1 (neuralpredictors' elu_offset; default 0) */
  eluOffset?: number;
  backend?: Backend;
}

/**
 * The Allen notebook's model (CustomCNN_2_pooling): its Stacked2dCore_pooling, a SpatialTransformerPyramid2d with
 * gauss5x5, scaleN 3, positive feature weights and a bias, and the ELU+1 output. Weights are uninitialised until
 * initialize() or a state dict.
 */
export function notebookTwin(opts: NotebookTwinOptions = {}): FiringRateEncoder<Stacked2dCore> {
  const core = new Stacked2dCore({ ...notebookStacked2dConfig(opts.inputChannels ?? 1), ...opts.core }, opts.backend);
  const readout = new SpatialTransformerPyramid2d(core.outChannels, opts.neurons ?? 1, { scaleN: 3, type: 'gauss5x5', positive: true, bias: true, ...opts.readout }, opts.backend);
  return new FiringRateEncoder(core, readout, opts.eluOffset ?? 0, opts.backend);
}

/** A core with a FullGaussian2d readout (the DualNeuron twins' readout, here trainable). */
export function gaussianTwin<C extends EncoderCore>(core: C, neurons: number, opts: FullGaussian2dOptions = {}, eluOffset = 0): FiringRateEncoder<C> {
  return new FiringRateEncoder(core, new FullGaussian2d(core.outChannels, neurons, core.backend, opts), eluOffset);
}

/** Initialise the core and readout of an encoder from one seed (independent streams for the two). */
export function initializeEncoder(model: FiringRateEncoder, seed: bigint): void {
  model.core.initialize(new Generator(seed));
  model.readout.initialize(new Generator(seed ^ 0x9e3779b97f4a7c15n));
}
