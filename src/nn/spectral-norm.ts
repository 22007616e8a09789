// Spectrally normalised Linear and Conv2d as torch.nn.utils.spectral_norm leaves them in eval mode: the state dict
// holds `weight_orig` (the raw weight), the power-iteration vectors `weight_u` (out) and `weight_v` (in x kh x kw)
// and the bias; the layer uses weight = weight_orig / sigma with sigma = u . (W v), W = weight_orig reshaped to
// (out, -1). In eval mode PyTorch runs no power iteration, so u and v are used as stored (BigGAN's converted
// checkpoints store them after one iteration from TF's u0). With frozen weights the normalised weight is computed
// once and cached (rebuilt when any of the three tensors or its data changes); with trainable ones it is part of
// the graph, so gradients reach weight_orig through sigma as in PyTorch.
import { type Backend, Tensor, conv2d, keep, linear, noGrad } from '../tensor/index.js';
import type { Conv2dOptions } from '../tensor/ops/conv.js';
import { Module } from './module.js';

abstract class SpectralNormed extends Module {
  private cache: { sources: Tensor[]; versions: number[]; w: Tensor } | null = null;

  protected constructor(readonly weightShape: readonly number[], hasBias: boolean, backend?: Backend) {
    super(backend);
    this.param('weight_orig', weightShape);
    if (hasBias) this.param('bias', [weightShape[0]]);
    this.buffer('weight_u', [weightShape[0]]);
    this.buffer('weight_v', [weightShape.slice(1).reduce((a, b) => a * b, 1)]);
    this.hasBias = hasBias;
  }
  protected readonly hasBias: boolean;

  get bias(): Tensor | null { return this.hasBias ? this.get('bias') : null; }

  /** sigma = u . (W v) as a scalar tensor (shape []). */
  sigma(): Tensor {
    const w = this.get('weight_orig'), u = this.get('weight_u'), v = this.get('weight_v');
    const wv = w.reshape([w.shape[0], v.shape[0]]).matmul(v.reshape([v.shape[0], 1])).reshape([w.shape[0]]);
    return wv.mul(u).sum();
  }

  /** weight_orig / sigma: the weight the layer applies. */
  weight(): Tensor {
    const sources = [this.get('weight_orig'), this.get('weight_u'), this.get('weight_v')];
    if (sources.some((t) => t.requiresGrad)) return sources[0].div(this.sigma());
    const c = this.cache;
    if (c && !c.w.isDisposed && c.sources.every((t, i) => t === sources[i] && t.version === c.versions[i])) return c.w;
    c?.w.dispose();
    const w = keep(noGrad(() => sources[0].div(this.sigma())));
    w.name = 'spectral-normalised weight';
    this.cache = { sources, versions: sources.map((t) => t.version), w };
    return w;
  }

  override dispose(): void {
    this.cache?.w.dispose();
    this.cache = null;
    super.dispose();
  }
}

/** nn.utils.spectral_norm(nn.Linear(in, out, bias)) in eval mode. */
export class SNLinear extends SpectralNormed {
  constructor(readonly inFeatures: number, readonly outFeatures: number, bias = true, backend?: Backend) {
    super([outFeatures, inFeatures], bias, backend);
  }
  forward(x: Tensor): Tensor { return linear(x, this.weight(), this.bias); }
}

/** nn.utils.spectral_norm(nn.Conv2d(in, out, k, padding, bias)) in eval mode (square kernels, stride 1). */
export class SNConv2d extends SpectralNormed {
  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernelSize: number, readonly opts: { padding?: number; bias?: boolean } = {}, backend?: Backend) {
    super([outChannels, inChannels, kernelSize, kernelSize], opts.bias ?? true, backend);
  }
  forward(x: Tensor): Tensor {
    const o: Conv2dOptions = { padding: this.opts.padding ?? 0 };
    return conv2d(x, this.weight(), this.bias, o);
  }
}
