// Parameterless layers that torchvision models register as modules (so that they appear in named_modules and take
// forward hooks): Dropout, AdaptiveAvgPool2d.
import { type Backend, Tensor, adaptiveAvgPool2d } from '../tensor/index.js';
import { ShapeError } from '../errors.js';
import { Module } from './module.js';

/** nn.Dropout: the identity in eval mode, which is how every model of this package runs it. */
export class Dropout extends Module {
  constructor(readonly p = 0.5, backend?: Backend) { super(backend); }
  forward(x: Tensor): Tensor {
    if (this.training && this.p > 0) throw new ShapeError('Dropout is only implemented for evaluation (call .eval() first)');
    return x;
  }
}

/** nn.AdaptiveAvgPool2d(size) over (B, C, H, W). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly size: number | [number, number], backend?: Backend) { super(backend); }
  forward(x: Tensor): Tensor { return adaptiveAvgPool2d(x, this.size); }
}
