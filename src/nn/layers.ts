// The layers the models need, with PyTorch's parameter names and shapes.
import { type Backend, Tensor, linear, linearFrozen, keep, noGrad, conv2d, layerNorm, layerNorm2d, batchNorm, maxPool2d } from '../tensor/index.js';
import { Module } from './module.js';

type Pair = number | [number, number];

export class Linear extends Module {
  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true, backend?: Backend) {
    super(backend);
    this.param('weight', [outFeatures, inFeatures]);
    if (bias) this.param('bias', [outFeatures]);
    this.hasBias = bias;
  }
  private readonly hasBias: boolean;
  /** the contiguous transpose of a frozen weight, rebuilt when the weight tensor or its data changes */
  private wT: { from: Tensor; version: number; t: Tensor } | null = null;
  forward(x: Tensor): Tensor {
    const w = this.get('weight'), b = this.hasBias ? this.get('bias') : null;
    if (w.requiresGrad) return linear(x, w, b);
    if (!this.wT || this.wT.from !== w || this.wT.version !== w.version || this.wT.t.isDisposed) {
      this.wT?.t.dispose();
      this.wT = { from: w, version: w.version, t: keep(noGrad(() => w.mT.contiguousCopy())) };
    }
    return linearFrozen(x, w, this.wT.t, b);
  }
  override dispose(): void { this.wT?.t.dispose(); this.wT = null; super.dispose(); }
}

export interface Conv2dOptions { stride?: Pair; padding?: Pair | 'same' | 'valid'; dilation?: Pair; groups?: number; bias?: boolean }

export class Conv2d extends Module {
  private readonly hasBias: boolean;
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: Pair, readonly opts: Conv2dOptions = {}, backend?: Backend) {
    super(backend);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const groups = opts.groups ?? 1;
    this.param('weight', [outChannels, inChannels / groups, kh, kw]);
    this.hasBias = opts.bias ?? true;
    if (this.hasBias) this.param('bias', [outChannels]);
  }
  get weight(): Tensor { return this.get('weight'); }
  get bias(): Tensor | null { return this.hasBias ? this.get('bias') : null; }
  forward(x: Tensor): Tensor { return this.forwardWith(x, this.weight, this.bias); }
  /** this convolution's geometry with other weights (BatchNorm2d.after folds itself into them) */
  forwardWith(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
    const { stride, padding, dilation, groups } = this.opts;
    return conv2d(x, weight, bias, { stride, padding, dilation, groups });
  }
}

/** LayerNorm over the last dim (nn.LayerNorm(dim)). */
export class LayerNorm extends Module {
  constructor(readonly dim: number, readonly eps = 1e-5, backend?: Backend) {
    super(backend);
    this.param('weight', [dim]);
    this.param('bias', [dim]);
  }
  forward(x: Tensor): Tensor { return layerNorm(x, [this.dim], this.get('weight'), this.get('bias'), this.eps); }
}

/** Channels-first LayerNorm over C of (N, C, H, W) (ConvNeXt's data_format='channels_first'). */
export class LayerNorm2d extends Module {
  constructor(readonly channels: number, readonly eps = 1e-6, backend?: Backend) {
    super(backend);
    this.param('weight', [channels]);
    this.param('bias', [channels]);
  }
  forward(x: Tensor): Tensor { return layerNorm2d(x, this.get('weight'), this.get('bias'), this.eps); }
}

export class BatchNorm2d extends Module {
  constructor(readonly channels: number, readonly eps = 1e-5, readonly momentum = 0.1, backend?: Backend) {
    super(backend);
    this.param('weight', [channels]);
    this.param('bias', [channels]);
    this.buffer('running_mean', [channels]);
    this.buffer('running_var', [channels], 'f32', 1);
    this.buffer('num_batches_tracked', [], 'i32');
  }
  forward(x: Tensor): Tensor {
    return batchNorm(x, this.get('running_mean'), this.get('running_var'), this.get('weight'), this.get('bias'),
      { training: this.training, momentum: this.momentum, eps: this.eps });
  }

  /** conv, then this normalisation: the folded weights, rebuilt when any source tensor or its data changes */
  private folded: { key: string; weight: Tensor; bias: Tensor } | null = null;
  /**
   * bn(conv(x)). In eval mode with frozen weights the normalisation is folded into the convolution, as inference
   * engines do: w' = w * g / sqrt(v + eps) per output channel, b' = (b - m) * g / sqrt(v + eps) + beta. One
   * kernel instead of two, and the same values up to float rounding. Otherwise the two layers run as written.
   */
  after(conv: Conv2d, x: Tensor): Tensor {
    const w = conv.weight, cb = conv.bias;
    const g = this.get('weight'), beta = this.get('bias'), m = this.get('running_mean'), v = this.get('running_var');
    const sources = [w, cb, g, beta, m, v];
    // a forward hook on either module (a replaced `forward`, nn/hooks.ts) needs both to run as written
    const hooked = this.forward !== Object.getPrototypeOf(this).forward || conv.forward !== Object.getPrototypeOf(conv).forward;
    if (this.training || hooked || sources.some((t) => t?.requiresGrad)) return this.forward(conv.forward(x));
    const key = sources.map((t) => (t ? `${t.id}.${t.version}` : '-')).join('|');
    if (!this.folded || this.folded.key !== key || this.folded.weight.isDisposed) {
      this.dropFolded();
      const f = noGrad(() => {
        const scale = g.div(v.add(this.eps).sqrt());
        const shift = (cb ? cb.sub(m) : m.neg()).mul(scale).add(beta);
        return { weight: keep(w.mul(scale.reshape([-1, 1, 1, 1]))), bias: keep(shift) };
      });
      this.folded = { key, ...f };
    }
    return conv.forwardWith(x, this.folded.weight, this.folded.bias);
  }
  private dropFolded(): void { this.folded?.weight.dispose(); this.folded?.bias.dispose(); this.folded = null; }
  override dispose(): void { this.dropFolded(); super.dispose(); }
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number, readonly stride = kernelSize, readonly padding = 0, backend?: Backend) { super(backend); }
  forward(x: Tensor): Tensor { return maxPool2d(x, { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding }); }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor { return x.relu(); }
}

export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none', backend?: Backend) { super(backend); }
  forward(x: Tensor): Tensor { return x.gelu(this.approximate); }
}
