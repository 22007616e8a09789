// What a trained twin is made of, as JSON (twin.json's "architecture"): enough to rebuild the exact module before
// its member weights load. 'stacked2d': the Allen notebook's model (notebookTwin: Stacked2dCore with its pooling,
// SpatialTransformerPyramid2d readout, ELU+1), with any core or readout option overridden; or the same core with a
// FullGaussian2d readout in train mode (readout kind 'gaussian': positions sampled around a learned mean, as the
// DualNeuron twins' readout was trained). 'convnext-finetune' / 'resnet-finetune': a truncated pretrained backbone
// with a new Gaussian readout, as the DualNeuron twins were made (finetune.ts).
import { InputError } from '../../errors.js';
import type { Backend, Tensor } from '../../tensor/index.js';
import { gaussianTwin, notebookTwin, type FiringRateEncoder } from '../../models/encoder.js';
import { Stacked2dCore, notebookStacked2dConfig, type Stacked2dCoreConfig } from '../../models/stacked2d.js';
import type { GaussType } from '../../models/readout.js';
import type { PyramidReadoutOptions } from '../../models/pyramid-readout.js';
import { buildFinetuneModel, finetuneParameters, type FinetuneArchitecture } from './finetune.js';

export const ARCHITECTURES = ['stacked2d', 'convnext-finetune', 'resnet-finetune'] as const;
export type ArchitectureName = typeof ARCHITECTURES[number];

export interface Stacked2dArchitecture {
  arch: 'stacked2d';
  neurons: number;
  /** model-space input (C, H, W) */
  inputShape: [number, number, number];
  core: Stacked2dCoreConfig;
  /** kind 'pyramid' (the notebook's; also when absent) with its options, or 'gaussian' */
  readout: (PyramidReadoutOptions & { kind?: 'pyramid' }) | GaussianReadoutOptions;
  /** rate = elu(readout + eluOffset) + 1 (neuralpredictors' elu_offset; absent: 0) */
  eluOffset?: number;
}

export interface GaussianReadoutOptions { kind: 'gaussian'; gaussType: GaussType; featureRegWeight: number }

export type TwinArchitecture = Stacked2dArchitecture | FinetuneArchitecture;

export function stacked2dArchitecture(neurons: number, size: [number, number], core: Partial<Stacked2dCoreConfig>, readout: PyramidReadoutOptions | GaussianReadoutOptions): Stacked2dArchitecture {
  return {
    arch: 'stacked2d', neurons, inputShape: [1, size[0], size[1]],
    core: { ...notebookStacked2dConfig(1), ...core },
    readout: 'kind' in readout && readout.kind === 'gaussian' ? readout : { kind: 'pyramid', scaleN: 3, type: 'gauss5x5', positive: true, bias: true, ...(readout as PyramidReadoutOptions) },
  };
}

export function buildTwinModel(a: TwinArchitecture, backend?: Backend): FiringRateEncoder {
  if (a.arch === 'convnext-finetune' || a.arch === 'resnet-finetune') return buildFinetuneModel(a, backend);
  if (a.arch !== 'stacked2d') throw new InputError(`architecture '${(a as { arch: string }).arch}' cannot be built by this version of dualneuron (known: ${ARCHITECTURES.join(', ')})`);
  const r = a.readout;
  let model: FiringRateEncoder;
  if (r.kind === 'gaussian') model = gaussianTwin(new Stacked2dCore(a.core, backend), a.neurons, { gaussType: r.gaussType, featureRegWeight: r.featureRegWeight }, a.eluOffset ?? 0);
  else {
    const { kind: _k, ...opts } = r;
    model = notebookTwin({ neurons: a.neurons, inputChannels: a.inputShape[0], height: a.inputShape[1], width: a.inputShape[2], core: a.core, readout: opts, eluOffset: a.eluOffset, backend });
  }
  const [oh, ow] = model.core.outSize(a.inputShape[1], a.inputShape[2]);
  if (oh < 1 || ow < 1) { model.dispose(); throw new InputError(`images of ${a.inputShape[1]}x${a.inputShape[2]} are too small for this core (features ${oh}x${ow})`); }
  return model;
}

/** The parameters training updates, with per-parameter learning-rate factors where a core has its own rate. */
export function trainableParameters(model: FiringRateEncoder, a: TwinArchitecture, lr: number): { params: Tensor[]; lrScale: number[] | undefined } {
  if (a.arch === 'stacked2d') return { params: model.parameters(), lrScale: undefined };
  return finetuneParameters(model, a, lr);
}

/** A Gaussian readout's initial init_mu_range and init_sigma (the trainer's recipe for stacked2d: 0.1 and 0.1). */
export function gaussianInit(a: TwinArchitecture): { initMuRange: number; initSigma: number } {
  return a.arch === 'stacked2d' ? { initMuRange: 0.1, initSigma: 0.1 } : { initMuRange: a.readout.initMuRange, initSigma: a.readout.initSigma };
}
