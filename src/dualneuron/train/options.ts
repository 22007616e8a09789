// The training options (neuralpredictors' standard_trainer defaults where it has them) and their record form.
import type { LossKind, LossReduction } from './loss.js';

export interface TrainOptions {
  /** most epochs (standard_trainer's max_iter) */
  maxEpochs: number;
  batch: number;
  /** initial learning rate of Adam (lr_init) */
  lr: number;
  seed: bigint;
  loss: LossKind;
  /** 'sum' (avg_loss=False) or 'mean' */
  lossReduction: LossReduction;
  /** multiply the loss by sqrt(training images / batch size) (scale_loss) */
  scaleLoss: boolean;
  /** clip gradients to this global L2 norm; 0: no clipping */
  clip: number;
  /** early stopping and plateau patience in epochs */
  patience: number;
  /** decay steps of early stopping (lr_decay_steps) */
  decaySteps: number;
  /** ReduceLROnPlateau factor (lr_decay_factor) */
  decayFactor: number;
  minLr: number;
  /** early stopping tolerance and plateau threshold (absolute) */
  tolerance: number;
}

export const DEFAULT_TRAIN: Omit<TrainOptions, 'seed'> = {
  maxEpochs: 200, batch: 32, lr: 0.005, loss: 'poisson', lossReduction: 'sum', scaleLoss: true, clip: 0,
  patience: 5, decaySteps: 3, decayFactor: 0.3, minLr: 0.0001, tolerance: 1e-6,
};

export function trainOptionsRecord(o: TrainOptions): Record<string, string | number | boolean> {
  return { ...o, seed: o.seed.toString() };
}
