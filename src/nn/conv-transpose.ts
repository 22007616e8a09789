// nn.ConvTranspose2d with PyTorch's parameter names and layout: weight (in_channels, out_channels / groups, kH, kW),
// bias (out_channels). A layer of its own file so that models adding it leave src/nn/layers.ts as it is.
import { type Backend, Tensor, convTranspose2d, type ConvTranspose2dOptions } from '../tensor/index.js';
import { Module } from './module.js';

type Pair = number | [number, number];

export interface ConvTranspose2dLayerOptions { stride?: Pair; padding?: Pair; outputPadding?: Pair; dilation?: Pair; groups?: number; bias?: boolean }

export class ConvTranspose2d extends Module {
  private readonly hasBias: boolean;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Pair, readonly opts: ConvTranspose2dLayerOptions = {}, backend?: Backend) {
    super(backend);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const groups = opts.groups ?? 1;
    this.param('weight', [inChannels, outChannels / groups, kh, kw]);
    this.hasBias = opts.bias ?? true;
    if (this.hasBias) this.param('bias', [outChannels]);
  }
  get weight(): Tensor { return this.get('weight'); }
  get bias(): Tensor | null { return this.hasBias ? this.get('bias') : null; }
  forward(x: Tensor): Tensor {
    const { stride, padding, outputPadding, dilation, groups } = this.opts;
    const o: ConvTranspose2dOptions = { stride, padding, outputPadding, dilation, groups };
    return convTranspose2d(x, this.weight, this.bias, o);
  }
}
