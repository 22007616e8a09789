// Losses of twin training, as neuralpredictors defines them (measures/modules.py), on tensors:
//   - PoissonLoss: output - target * log(output + eps), summed (standard_trainer's avg_loss=False, the default here)
//     or averaged over every element (PoissonLoss(avg=True)); eps 1e-8 as upstream's `bias`. The target-only terms
//     of the Poisson log likelihood are left out, as upstream does without full_loss.
//   - MSE: (output - target)^2, summed or averaged.
// The output must be a positive rate (the encoder's ELU+1), so log(output + eps) is finite.
import { ShapeError } from '../../errors.js';
import type { Tensor } from '../../tensor/index.js';

export type LossKind = 'poisson' | 'mse';
export type LossReduction = 'sum' | 'mean';

export interface LossOptions { reduction?: LossReduction; eps?: number }

function sameShape(op: string, output: Tensor, target: Tensor): void {
  if (output.rank !== target.rank || output.shape.some((d, k) => d !== target.shape[k])) {
    throw new ShapeError(`${op}: output [${output.shape.join(', ')}] and target [${target.shape.join(', ')}] must have one shape (batch, neurons)`);
  }
}

export function poissonLoss(output: Tensor, target: Tensor, o: LossOptions = {}): Tensor {
  sameShape('poissonLoss', output, target);
  const l = output.sub(target.detach().mul(output.add(o.eps ?? 1e-8).log()));
  return (o.reduction ?? 'sum') === 'sum' ? l.sum() : l.mean();
}

export function mseLoss(output: Tensor, target: Tensor, o: LossOptions = {}): Tensor {
  sameShape('mseLoss', output, target);
  const l = output.sub(target.detach()).square();
  return (o.reduction ?? 'sum') === 'sum' ? l.sum() : l.mean();
}

export function lossFunction(kind: LossKind): (output: Tensor, target: Tensor, o?: LossOptions) => Tensor {
  return kind === 'poisson' ? poissonLoss : mseLoss;
}
