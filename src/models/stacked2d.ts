// Stacked2dCore (neuralpredictors, Walker et al. 2019; the Allen notebook's Stacked2dCore_pooling): a stack of
// convolution layers, each conv -> [average pooling] -> batch norm -> [bias | scale] -> ELU, whose outputs are
// concatenated along channels for the readout. State-dict keys are neuralpredictors': `features.layer{l}.conv.weight`
// (and `.bias`), `features.layer{l}.norm.{weight,bias,running_mean,running_var,num_batches_tracked}`,
// `features.layer{l}.bias.bias` / `.scale.scale` (Bias2DLayer / Scale2DLayer) and the Laplace regulariser's filter
// `_input_weights_regularizer.laplace.filter`, so a neuralpredictors checkpoint loads without renaming.
//
// Training mode normalises with batch statistics and updates the running statistics with `momentum` (PyTorch's
// rule: running = (1 - momentum) * running + momentum * stat, the variance unbiased), and counts batches in
// num_batches_tracked; eval mode uses the running statistics.
import { ShapeError } from '../errors.js';
import { type Backend, Tensor, Generator, avgPool2d, batchNorm, concat, noGrad, randn, tidy } from '../tensor/index.js';
import { Module, ModuleDict } from '../nn/module.js';
import { Conv2d } from '../nn/layers.js';
import { LaplaceL2, LaplaceL2norm, groupSparsity } from '../nn/regularizers.js';

export interface Stacked2dCoreConfig {
  inputChannels: number;
  hiddenChannels: number;
  inputKern: number;
  /** one size for every hidden layer, or one per hidden layer (layers - 1) */
  hiddenKern: number | readonly number[];
  layers?: number;
  /** weight of the group sparsity of the hidden kernels in regularizer() */
  gammaHidden?: number;
  /** weight of the Laplace penalty of the input kernels in regularizer() */
  gammaInput?: number;
  /** > 1: layer l reads the concatenated outputs of the last min(skip, l) layers */
  skip?: number;
  /** stride of the hidden convolutions */
  stride?: number;
  inputStride?: number;
  /** ELU after the last layer too */
  finalNonlinearity?: boolean;
  /** AdaptiveELU shift: elu(x - xshift) + yshift */
  eluShift?: readonly [number, number];
  /** convolution bias, per layer or for all (the notebook: false) */
  convBias?: boolean | readonly boolean[];
  momentum?: number;
  /** zero-pad the input convolution by inputKern // 2 */
  padInput?: boolean;
  /** padding of the hidden convolutions (default ((k - 1) * dilation + 1) // 2) */
  hiddenPadding?: number | null;
  hiddenDilation?: number;
  batchNorm?: boolean | readonly boolean[];
  /** batch norm with its own weight and bias (PyTorch affine=True), per layer or for all */
  batchNormAffine?: boolean | readonly boolean[];
  /** a separate learned per-channel bias or scale after the norm (neuralpredictors' Bias2DLayer / Scale2DLayer) */
  batchNormExtra?: 'bias' | 'scale' | null | readonly ('bias' | 'scale' | null)[];
  laplacePadding?: number;
  inputRegularizer?: 'LaplaceL2' | 'LaplaceL2norm';
  /** LaplaceL2 averages (true) or sums (false) over kernel values */
  useAvgReg?: boolean;
  /** the notebook's _pooling variant: AvgPool2d(pooling) after the input convolution (1: none) */
  pooling?: number;
  /** AvgPool2d(hiddenPooling) after each hidden convolution (1: none) */
  hiddenPooling?: number;
  /** which layers' outputs the core returns: layers[stack:] for a number, or a list of layer indices */
  stack?: number | readonly number[] | null;
  /** no nonlinearities at all */
  linear?: boolean;
}

/**
 * The notebook's CustomCNN_2_pooling core: 64 channels, input kernel 4 (padded), hidden kernel 3, 3 layers,
 * AvgPool2d(2) after the first convolution, gamma_input = gamma_hidden = 0.1, no convolution bias, batch norm with
 * momentum 0.1 (affine), ELU after every layer, LaplaceL2 with padding 0. (The notebook also passes stride=3,
 * which its Stacked2dCore_pooling swallows in **kwargs: the convolutions have stride 1.)
 */
export function notebookStacked2dConfig(inputChannels = 1): Stacked2dCoreConfig {
  return {
    inputChannels, hiddenChannels: 64, inputKern: 4, hiddenKern: 3, layers: 3, gammaHidden: 0.1, gammaInput: 0.1,
    skip: 1, finalNonlinearity: true, convBias: false, momentum: 0.1, padInput: true, batchNorm: true,
    batchNormAffine: true, laplacePadding: 0, pooling: 2, hiddenPooling: 1,
  };
}

type Resolved = Required<Omit<Stacked2dCoreConfig, 'hiddenKern' | 'convBias' | 'batchNorm' | 'batchNormAffine' | 'batchNormExtra' | 'stack' | 'hiddenPadding'>> & {
  hiddenKern: number[]; convBias: boolean[]; batchNorm: boolean[]; batchNormAffine: boolean[];
  batchNormExtra: ('bias' | 'scale' | null)[]; stack: number[]; hiddenPadding: number | null;
};

function perLayer<T>(what: string, v: T | readonly T[], n: number): T[] {
  if (Array.isArray(v)) {
    if (v.length !== n) throw new ShapeError(`Stacked2dCore: ${what} has ${v.length} entries, expected one per layer (${n})`);
    return [...v];
  }
  return new Array<T>(n).fill(v as T);
}

function positiveInt(what: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new ShapeError(`Stacked2dCore: ${what} must be an integer >= ${min}, got ${v}`);
  return v;
}

function resolve(c: Stacked2dCoreConfig): Resolved {
  const layers = positiveInt('layers', c.layers ?? 3);
  const hk = c.hiddenKern;
  const hiddenKern = typeof hk === 'number' ? new Array<number>(layers - 1).fill(hk) : [...hk];
  if (hiddenKern.length !== layers - 1) throw new ShapeError(`Stacked2dCore: hiddenKern has ${hiddenKern.length} sizes, expected ${layers - 1} (layers - 1)`);
  hiddenKern.forEach((k) => positiveInt('hiddenKern', k));
  let stack: number[];
  if (c.stack === undefined || c.stack === null) stack = [...Array(layers).keys()];
  else if (typeof c.stack === 'number') stack = [...Array(layers).keys()].slice(c.stack);
  else stack = [...c.stack];
  if (stack.length === 0 || stack.some((i) => !Number.isInteger(i) || i < 0 || i >= layers)) throw new ShapeError(`Stacked2dCore: stack selects layers [${stack.join(', ')}], which must be non-empty indices in 0..${layers - 1}`);
  const momentum = c.momentum ?? 0.1;
  if (!(momentum >= 0 && momentum <= 1)) throw new ShapeError(`Stacked2dCore: momentum must be in [0, 1], got ${momentum}`);
  return {
    inputChannels: positiveInt('inputChannels', c.inputChannels), hiddenChannels: positiveInt('hiddenChannels', c.hiddenChannels),
    inputKern: positiveInt('inputKern', c.inputKern), hiddenKern, layers,
    gammaHidden: c.gammaHidden ?? 0, gammaInput: c.gammaInput ?? 0, skip: c.skip ?? 0,
    stride: positiveInt('stride', c.stride ?? 1), inputStride: positiveInt('inputStride', c.inputStride ?? 1),
    finalNonlinearity: c.finalNonlinearity ?? true, eluShift: c.eluShift ?? [0, 0],
    convBias: perLayer('convBias', c.convBias ?? false, layers), momentum, padInput: c.padInput ?? true,
    hiddenPadding: c.hiddenPadding ?? null, hiddenDilation: positiveInt('hiddenDilation', c.hiddenDilation ?? 1),
    batchNorm: perLayer('batchNorm', c.batchNorm ?? true, layers), batchNormAffine: perLayer('batchNormAffine', c.batchNormAffine ?? true, layers),
    batchNormExtra: perLayer('batchNormExtra', c.batchNormExtra ?? null, layers),
    laplacePadding: positiveInt('laplacePadding', c.laplacePadding ?? 0, 0), inputRegularizer: c.inputRegularizer ?? 'LaplaceL2',
    useAvgReg: c.useAvgReg ?? true, pooling: positiveInt('pooling', c.pooling ?? 1), hiddenPooling: positiveInt('hiddenPooling', c.hiddenPooling ?? 1),
    stack, linear: c.linear ?? false,
  };
}

/** nn.BatchNorm2d with or without its affine weight and bias (neuralpredictors uses both), counting batches. */
export class StackedBatchNorm2d extends Module {
  constructor(readonly channels: number, readonly affine: boolean, readonly momentum: number, readonly eps = 1e-5, backend?: Backend) {
    super(backend);
    if (affine) { this.param('weight', [channels]); this.param('bias', [channels]); }
    this.buffer('running_mean', [channels]);
    this.buffer('running_var', [channels], 'f32', 1);
    this.buffer('num_batches_tracked', [], 'i32');
  }
  forward(x: Tensor): Tensor {
    const w = this.affine ? this.get('weight') : null, b = this.affine ? this.get('bias') : null;
    const y = batchNorm(x, this.get('running_mean'), this.get('running_var'), w, b, { training: this.training, momentum: this.momentum, eps: this.eps });
    if (this.training) {
      const n = this.get('num_batches_tracked');
      noGrad(() => tidy(() => { n.copy_(n.add(1)); }));
    }
    return y;
  }
  /** weight 1, bias 0, running mean 0, running variance 1, no batches */
  reset(): void {
    noGrad(() => tidy(() => {
      if (this.affine) { this.get('weight').copy_(this.get('weight').fullLike(1)); this.get('bias').copy_(this.get('bias').zerosLike()); }
      this.get('running_mean').copy_(this.get('running_mean').zerosLike());
      this.get('running_var').copy_(this.get('running_var').fullLike(1));
      this.get('num_batches_tracked').copy_(this.get('num_batches_tracked').zerosLike());
    }));
  }
}

/** neuralpredictors' Bias2DLayer ('bias', (1, C, 1, 1)) or Scale2DLayer ('scale', (1, C, 1, 1)). */
export class ChannelAffine2d extends Module {
  constructor(readonly kind: 'bias' | 'scale', readonly channels: number, backend?: Backend) {
    super(backend);
    this.param(kind, [1, channels, 1, 1]);
    this.reset();
  }
  get value(): Tensor { return this.get(this.kind); }
  forward(x: Tensor): Tensor { return this.kind === 'bias' ? x.add(this.value) : x.mul(this.value); }
  reset(): void { noGrad(() => tidy(() => { this.value.copy_(this.value.fullLike(this.kind === 'bias' ? 0 : 1)); })); }
}

/** One layer of the stack: conv, optional average pooling, batch norm, bias/scale, nonlinearity. */
export class Stacked2dLayer extends Module {
  readonly conv: Conv2d;
  readonly norm: StackedBatchNorm2d | null;
  readonly extra: ChannelAffine2d | null;
  constructor(conv: Conv2d, readonly pool: number, norm: StackedBatchNorm2d | null, extra: ChannelAffine2d | null,
    readonly nonlin: readonly [number, number] | null, backend?: Backend) {
    super(backend);
    this.conv = this.module('conv', conv);
    this.norm = norm ? this.module('norm', norm) : null;
    this.extra = extra ? this.module(extra.kind, extra) : null;
  }
  forward(x: Tensor): Tensor {
    let y = this.conv.forward(x);
    if (this.pool > 1) y = avgPool2d(y, { kernelSize: this.pool });
    if (this.norm) y = this.norm.forward(y);
    if (this.extra) y = this.extra.forward(y);
    if (this.nonlin) {
      const [xs, ys] = this.nonlin;
      y = (xs ? y.sub(xs) : y).elu();
      if (ys) y = y.add(ys);
    }
    return y;
  }
}

export class Stacked2dCore extends Module {
  readonly config: Resolved;
  readonly layers: Stacked2dLayer[] = [];
  readonly inputRegularizer: LaplaceL2 | LaplaceL2norm;

  constructor(config: Stacked2dCoreConfig, backend?: Backend) {
    super(backend);
    const c = this.config = resolve(config);
    this.inputRegularizer = this.module('_input_weights_regularizer', c.inputRegularizer === 'LaplaceL2'
      ? new LaplaceL2(c.laplacePadding, this.backend) : new LaplaceL2norm(c.laplacePadding, this.backend));
    const H = c.hiddenChannels;
    const layers: Record<string, Module> = {};
    for (let l = 0; l < c.layers; l++) {
      const conv = l === 0
        ? new Conv2d(c.inputChannels, H, c.inputKern, { stride: c.inputStride, padding: c.padInput ? Math.floor(c.inputKern / 2) : 0, bias: c.convBias[0] }, this.backend)
        : new Conv2d(c.skip > 1 ? Math.min(c.skip, l) * H : H, H, c.hiddenKern[l - 1], {
          stride: c.stride, dilation: c.hiddenDilation, bias: c.convBias[l],
          padding: c.hiddenPadding ?? Math.floor(((c.hiddenKern[l - 1] - 1) * c.hiddenDilation + 1) / 2),
        }, this.backend);
      const norm = c.batchNorm[l] ? new StackedBatchNorm2d(H, c.batchNormAffine[l], c.momentum, 1e-5, this.backend) : null;
      const extra = c.batchNorm[l] && c.batchNormExtra[l] ? new ChannelAffine2d(c.batchNormExtra[l]!, H, this.backend) : null;
      const nonlin = !c.linear && (l < c.layers - 1 || c.finalNonlinearity) ? c.eluShift : null;
      const layer = new Stacked2dLayer(conv, l === 0 ? c.pooling : c.hiddenPooling, norm, extra, nonlin, this.backend);
      this.layers.push(layer);
      layers[`layer${l}`] = layer;
    }
    this.module('features', new ModuleDict(layers, this.backend));
  }

  /** channels of the output: hiddenChannels per stacked layer */
  get outChannels(): number { return this.config.stack.length * this.config.hiddenChannels; }

  /** x (B, inputChannels, H, W) -> (B, outChannels, H', W') */
  forward(x: Tensor): Tensor {
    const c = this.config;
    if (x.rank !== 4 || x.shape[1] !== c.inputChannels) throw new ShapeError(`Stacked2dCore: expected input (B, ${c.inputChannels}, H, W), got shape [${x.shape.join(', ')}]`);
    const ret: Tensor[] = [];
    let h = x;
    this.layers.forEach((layer, l) => {
      const skip = l >= 1 && c.skip > 1;
      h = layer.forward(skip ? concat(ret.slice(-Math.min(c.skip, l)), 1) : h);
      ret.push(h);
    });
    return c.stack.length === 1 ? ret[c.stack[0]] : concat(c.stack.map((i) => ret[i]), 1);
  }

  /** the output's spatial size for an input of h x w */
  outSize(h: number, w: number): [number, number] {
    const c = this.config;
    const conv = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
    const pool = (n: number, k: number) => Math.floor((n - k) / k) + 1;
    const p0 = c.padInput ? Math.floor(c.inputKern / 2) : 0;
    h = pool(conv(h, c.inputKern, c.inputStride, p0, 1), c.pooling);
    w = pool(conv(w, c.inputKern, c.inputStride, p0, 1), c.pooling);
    const sizes: [number, number][] = [[h, w]];
    for (let l = 1; l < c.layers; l++) {
      const k = c.hiddenKern[l - 1], p = c.hiddenPadding ?? Math.floor(((k - 1) * c.hiddenDilation + 1) / 2);
      h = pool(conv(h, k, c.stride, p, c.hiddenDilation), c.hiddenPooling);
      w = pool(conv(w, k, c.stride, p, c.hiddenDilation), c.hiddenPooling);
      sizes.push([h, w]);
    }
    const stacked = c.stack.map((i) => sizes[i]);
    if (stacked.some(([a, b]) => a !== stacked[0][0] || b !== stacked[0][1])) throw new ShapeError(`Stacked2dCore: stacked layers have different sizes (${stacked.map(([a, b]) => `${a}x${b}`).join(', ')}); with stride or pooling in hidden layers stack only the last`);
    return stacked[0];
  }

  /** LaplaceL2 (or LaplaceL2norm) of the input kernels */
  laplace(): Tensor {
    const w = this.layers[0].conv.weight;
    return this.inputRegularizer.penalty(w, { reduction: this.config.useAvgReg ? 'mean' : 'sum' });
  }

  /** group sparsity of the hidden kernels (0 with one layer) */
  groupSparsity(): Tensor { return groupSparsity(this.layers.slice(1).map((l) => l.conv.weight), this.backend); }

  /** gammaHidden * groupSparsity + gammaInput * laplace, as neuralpredictors */
  regularizer(): Tensor {
    return this.groupSparsity().mul(this.config.gammaHidden).add(this.laplace().mul(this.config.gammaInput));
  }

  /**
   * Fresh weights as neuralpredictors initialises them: convolution weights Xavier-normal
   * (std sqrt(2 / (fan_in + fan_out))), convolution biases 0, batch norms reset, bias/scale layers 0/1.
   */
  initialize(generator: Generator): void {
    noGrad(() => tidy(() => {
      for (const layer of this.layers) {
        const w = layer.conv.weight, [o, i, kh, kw] = w.shape;
        const std = Math.sqrt(2 / ((i + o) * kh * kw));
        w.copy_(randn(w.shape, { generator, std, backend: this.backend }));
        const b = layer.conv.bias;
        if (b) b.copy_(b.zerosLike());
        layer.norm?.reset();
        layer.extra?.reset();
      }
    }));
  }
}

/** neuralpredictors' Stacked2dCore constructor arguments (its names), as saved with a model's configuration. */
export interface NeuralpredictorsStacked2dArgs {
  input_channels: number; hidden_channels: number | number[]; input_kern: number; hidden_kern: number | number[];
  layers?: number; gamma_hidden?: number; gamma_input?: number; skip?: number; stride?: number; input_stride?: number;
  final_nonlinearity?: boolean; elu_shift?: [number, number]; bias?: boolean | boolean[]; momentum?: number;
  pad_input?: boolean; hidden_padding?: number | null; batch_norm?: boolean | boolean[];
  batch_norm_scale?: boolean | boolean[]; final_batchnorm_scale?: boolean; hidden_dilation?: number;
  laplace_padding?: number | null; input_regularizer?: string; stack?: number | number[] | null; use_avg_reg?: boolean;
  depth_separable?: boolean; attention_conv?: boolean; linear?: boolean; nonlinearity_type?: string;
  nonlinearity_config?: Record<string, unknown> | null;
}

/**
 * Our configuration of the core neuralpredictors builds from these arguments, quirks included: the input
 * convolution never has a bias and the hidden ones always do (it passes its list of per-layer bias flags, which is
 * truthy, as the `bias` argument of nn.Conv2d); a norm is affine where bias and scale are both on, else followed by a
 * Bias2DLayer (bias only) or Scale2DLayer (scale only); `batch_norm_scale` as a bool applies to all layers but the
 * last, which takes `final_batchnorm_scale`; laplace_padding defaults to 0 and null means 1 (half the 3x3 filter).
 */
export function neuralpredictorsStacked2dConfig(a: NeuralpredictorsStacked2dArgs): Stacked2dCoreConfig {
  const unsupported = (what: string): never => { throw new ShapeError(`Stacked2dCore from neuralpredictors: ${what} is not supported (only convolution layers with AdaptiveELU/ELU nonlinearities and LaplaceL2/LaplaceL2norm)`); };
  if (a.depth_separable) unsupported('depth_separable=True');
  if (a.attention_conv) unsupported('attention_conv=True');
  const nl = a.nonlinearity_type ?? 'AdaptiveELU';
  if (nl !== 'AdaptiveELU' && nl !== 'elu' && nl !== 'ELU') unsupported(`nonlinearity_type '${nl}'`);
  if (nl !== 'AdaptiveELU' && a.nonlinearity_config && Object.keys(a.nonlinearity_config).length) unsupported(`nonlinearity_config ${JSON.stringify(a.nonlinearity_config)}`);
  const reg = a.input_regularizer ?? 'LaplaceL2';
  if (reg !== 'LaplaceL2' && reg !== 'LaplaceL2norm') return unsupported(`input_regularizer '${reg}'`);
  const layers = a.layers ?? 3;
  const hc = a.hidden_channels;
  if (Array.isArray(hc) && hc.some((c) => c !== hc[0])) unsupported(`hidden_channels of different sizes [${hc.join(', ')}]`);
  const list = <T>(what: string, v: T | T[] | undefined, dflt: T): T[] => perLayer(what, v ?? dflt, layers);
  const bias = list('bias', a.bias, true), bn = list('batch_norm', a.batch_norm, true);
  const bns = a.batch_norm_scale ?? true;
  const scale = Array.isArray(bns) ? perLayer('batch_norm_scale', bns, layers) : [...new Array<boolean>(layers - 1).fill(bns), a.final_batchnorm_scale ?? true];
  return {
    inputChannels: a.input_channels, hiddenChannels: Array.isArray(hc) ? hc[0] : hc, inputKern: a.input_kern,
    hiddenKern: a.hidden_kern, layers, gammaHidden: a.gamma_hidden ?? 0, gammaInput: a.gamma_input ?? 0, skip: a.skip ?? 0,
    stride: a.stride ?? 1, inputStride: a.input_stride ?? 1, finalNonlinearity: a.final_nonlinearity ?? true,
    eluShift: nl === 'AdaptiveELU' ? (a.elu_shift ?? [0, 0]) : [0, 0],
    convBias: [false, ...new Array<boolean>(layers - 1).fill(true)], momentum: a.momentum ?? 0.1, padInput: a.pad_input ?? true,
    hiddenPadding: a.hidden_padding || null, hiddenDilation: a.hidden_dilation ?? 1, batchNorm: bn,
    batchNormAffine: bias.map((b, l) => b && scale[l]),
    batchNormExtra: bias.map((b, l) => (b && !scale[l] ? 'bias' : !b && scale[l] ? 'scale' : null)),
    laplacePadding: a.laplace_padding === undefined ? 0 : a.laplace_padding ?? 1, inputRegularizer: reg, useAvgReg: a.use_avg_reg ?? true,
    stack: a.stack ?? null, linear: a.linear ?? false,
  };
}
