// Weight regularisers of the Stacked2d twins (neuralpredictors' regularizers.py and Stacked2dCore, as the Allen
// notebook uses them): the Laplace smoothness penalty on the input kernels, group sparsity on the hidden kernels
// and the L1 penalty on readout feature weights. Each returns a scalar tensor that is differentiable to the weights.
// The Laplace filter is a buffer ('filter', as upstream), so the regulariser's key appears in state dicts exactly
// where a neuralpredictors checkpoint has it (`core._input_weights_regularizer.laplace.filter`).
import { ShapeError } from '../errors.js';
import { type Backend, Tensor, conv2d, noGrad } from '../tensor/index.js';
import { Module } from './module.js';

/** The 3x3 Laplace filter [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]. */
export const LAPLACE_3X3: readonly number[] = [0, -1, 0, -1, 4, -1, 0, -1, 0];

export type Reduction = 'mean' | 'sum';

const reduce = (t: Tensor, how: Reduction): Tensor => (how === 'mean' ? t.mean() : t.sum());

/** The Laplace filter applied to every 2-D slice of a (M, 1, kH, kW) stack (buffer `filter`, (1, 1, 3, 3)). */
export class Laplace extends Module {
  constructor(readonly padding = 0, backend?: Backend) {
    super(backend);
    if (!Number.isInteger(padding) || padding < 0) throw new ShapeError(`Laplace: padding must be an integer >= 0, got ${padding}`);
    const f = this.buffer('filter', [1, 1, 3, 3]);
    noGrad(() => f.copy_(Tensor.from(LAPLACE_3X3, [1, 1, 3, 3], { backend: this.backend })));
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.get('filter'), null, { padding: this.padding });
  }
}

function kernelStack(op: string, w: Tensor): Tensor {
  if (w.rank !== 4) throw new ShapeError(`${op}: expected convolution weights (out, in, kH, kW), got shape [${w.shape.join(', ')}]`);
  const [o, i, kh, kw] = w.shape;
  return w.reshape([o * i, 1, kh, kw]);
}

/** A penalty on convolution kernels built on the 3x3 Laplace filter (the module key `laplace`, as neuralpredictors). */
abstract class LaplacePenalty extends Module {
  readonly laplace: Laplace;
  constructor(padding = 0, backend?: Backend) {
    super(backend);
    this.laplace = this.module('laplace', new Laplace(padding, this.backend));
  }
  forward(w: Tensor): Tensor { return this.penalty(w); }
  abstract penalty(w: Tensor, opts?: { reduction?: Reduction }): Tensor;
}

/**
 * neuralpredictors' LaplaceL2 (the Allen notebook's input regulariser): agg(laplace(w)^2 [* weights]) / 2 over every
 * 2-D kernel slice of w, agg the mean (default, `avg=True` upstream) or the sum. With padding 0 (the notebook's
 * `laplace_padding=0`) a 4x4 kernel gives 2x2 filtered values per slice.
 */
export class LaplaceL2 extends LaplacePenalty {
  penalty(w: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
    return reduce(this.laplace.forward(kernelStack('LaplaceL2', w)).square(), opts.reduction ?? 'mean').mul(0.5);
  }
}

/** neuralpredictors' LaplaceL2norm: agg(laplace(w)^2) / agg(w^2), agg the sum (default) or the mean. */
export class LaplaceL2norm extends LaplacePenalty {
  penalty(w: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
    const how = opts.reduction ?? 'sum';
    const k = kernelStack('LaplaceL2norm', w);
    return reduce(this.laplace.forward(k).square(), how).div(reduce(k.square(), how));
  }
}

/**
 * Group sparsity of hidden convolution kernels (Stacked2dCore.group_sparsity): for each layer the mean over
 * (out, in) of the L2 norm of the 2-D kernel, averaged over the layers. An empty list gives 0.
 */
export function groupSparsity(kernels: readonly Tensor[], backend?: Backend): Tensor {
  if (kernels.length === 0) return Tensor.from([0], [], { backend });
  let total: Tensor | null = null;
  for (const w of kernels) {
    if (w.rank !== 4) throw new ShapeError(`groupSparsity: expected convolution weights (out, in, kH, kW), got shape [${w.shape.join(', ')}]`);
    const term = w.square().sum([2, 3]).sqrt().mean();
    total = total ? total.add(term) : term;
  }
  return total!.div(kernels.length);
}

/** L1 norm of readout feature weights: sum (neuralpredictors' default) or mean (the notebook's average=True) of |w|. */
export function featureL1(features: Tensor, reduction: Reduction = 'sum'): Tensor {
  return reduce(features.abs(), reduction);
}
