// BigGAN-deep (Brock, Donahue & Simonyan 2019) as `pytorch_pretrained_biggan` defines it (the generator converted
// from the TF Hub modules), the object-like space of Wang & Ponce: a class vector (B, 1000) goes through the shared
// embedding (Linear 1000 -> 128, no bias) and is concatenated AFTER the truncated noise: cond = [noise | embedding]
// (B, 256). The generator maps cond through a spectrally normalised Linear to 16ch x 4 x 4 (laid out as TF's
// NHWC, then permuted), the deep residual blocks (GenBlock), one self-attention layer, a final batch norm, ReLU,
// a 3x3 convolution to ch channels of which the first 3 are kept, and tanh: (B, 3, 256, 256) in [-1, 1].
//
// Batch norms use stored statistics, not batch statistics: n_stats (51) rows of running means and variances,
// one per truncation value k / (n_stats - 1); the truncation picks row i = trunc(t / step) and, when t is not on
// the grid, mixes rows i and i + 1 as upstream does: mean[i] * frac + mean[i + 1] * (1 - frac) (the weights are
// the other way round from a linear interpolation; reproduced as published). Conditional batch norms scale by
// 1 + scale(cond) and shift by offset(cond), both spectrally normalised Linear layers without bias.
//
// Parameter names are the published state dict's (`embeddings.weight`, `generator.gen_z.weight_orig`,
// `generator.layers.3.bn_1.scale.weight_u`, ...): torch's spectral_norm stores weight_orig, weight_u and weight_v,
// and in eval mode uses weight_orig / (u . W v) (src/nn/spectral-norm.ts). The widths are a config so that tests
// run the same architecture small; BIGGAN_DEEP_256 is the published network.
import { InputError, ShapeError } from '../errors.js';
import { type Backend, Tensor, concat, interpolate, maxPool2d } from '../tensor/index.js';
import { Linear } from '../nn/layers.js';
import { Module } from '../nn/module.js';
import { SNConv2d, SNLinear } from '../nn/spectral-norm.js';

/** One GenBlock: [up-sample?, input channels / channel width, output channels / channel width]. */
export type BigGanLayer = readonly [boolean, number, number];

/** The fields of pytorch_pretrained_biggan's BigGANConfig (config.json), in our spelling. */
export interface BigGanConfig {
  outputDim: number;
  /** noise length; the class embedding has the same length, so the condition vector is 2 zDim */
  zDim: number;
  channelWidth: number;
  numClasses: number;
  layers: readonly BigGanLayer[];
  /** the self-attention layer sits before the GenBlock with this index */
  attentionLayerPosition: number;
  eps: number;
  nStats: number;
}

const L = (up: boolean, i: number, o: number): BigGanLayer => [up, i, o];

/** biggan-deep-256-config.json (reconstructed: upstream's BigGAN256 conversion config, which it writes as config.json). */
export const BIGGAN_DEEP_256: BigGanConfig = {
  outputDim: 256, zDim: 128, channelWidth: 128, numClasses: 1000,
  layers: [L(false, 16, 16), L(true, 16, 16), L(false, 16, 16), L(true, 16, 8), L(false, 8, 8), L(true, 8, 8),
    L(false, 8, 8), L(true, 8, 4), L(false, 4, 4), L(true, 4, 2), L(false, 2, 2), L(true, 2, 1)],
  attentionLayerPosition: 8, eps: 1e-4, nStats: 51,
};

/** biggan-deep-128 (BigGANConfig's defaults): two blocks fewer, 128 x 128 images. */
export const BIGGAN_DEEP_128: BigGanConfig = {
  ...BIGGAN_DEEP_256, outputDim: 128,
  layers: [L(false, 16, 16), L(true, 16, 16), L(false, 16, 16), L(true, 16, 8), L(false, 8, 8), L(true, 8, 4),
    L(false, 4, 4), L(true, 4, 2), L(false, 2, 2), L(true, 2, 1)],
};

export const BIGGAN_DEFAULT_TRUNCATION = 0.7;

/**
 * A published config with its channel width divided by `scale` (a power of two from 1 to 32; width 128 / scale),
 * and optionally other zDim, numClasses and nStats (tests shrink them to keep fixtures small).
 */
export function bigganConfig(scale = 1, over: Partial<Pick<BigGanConfig, 'zDim' | 'numClasses' | 'nStats'>> & { base?: BigGanConfig } = {}): BigGanConfig {
  if (!Number.isInteger(scale) || scale < 1 || scale > 32 || (scale & (scale - 1)) !== 0) {
    throw new InputError(`bigganConfig: scale must be a power of two from 1 to 32 (the channel width 128 is divided by it), got ${scale}`);
  }
  const base = over.base ?? BIGGAN_DEEP_256;
  const c: BigGanConfig = {
    ...base, channelWidth: base.channelWidth / scale,
    zDim: over.zDim ?? base.zDim, numClasses: over.numClasses ?? base.numClasses, nStats: over.nStats ?? base.nStats,
  };
  checkBigganConfig(c);
  return c;
}

/** The config as pytorch_pretrained_biggan's config.json spells it. */
export function bigganConfigJson(c: BigGanConfig): Record<string, unknown> {
  return {
    output_dim: c.outputDim, z_dim: c.zDim, class_embed_dim: c.zDim, channel_width: c.channelWidth, num_classes: c.numClasses,
    layers: c.layers.map((l) => [...l]), attention_layer_position: c.attentionLayerPosition, eps: c.eps, n_stats: c.nStats,
  };
}

/** Reads a config.json of pytorch_pretrained_biggan (missing fields take BigGANConfig's defaults, as upstream). */
export function bigganConfigFromJson(j: unknown, where: string): BigGanConfig {
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new InputError(`${where}: a BigGAN config.json must be a JSON object`);
  const o = j as Record<string, unknown>;
  const num = (k: string, dflt: number): number => {
    const v = o[k] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${where}: '${k}' must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const layersRaw = o.layers ?? BIGGAN_DEEP_128.layers;
  if (!Array.isArray(layersRaw) || !layersRaw.every((l) => Array.isArray(l) && l.length === 3 && typeof l[0] === 'boolean' && Number.isInteger(l[1]) && Number.isInteger(l[2]))) {
    throw new InputError(`${where}: 'layers' must be a list of [up_sample (bool), in (int), out (int)], got ${JSON.stringify(layersRaw).slice(0, 120)}`);
  }
  const c: BigGanConfig = {
    outputDim: num('output_dim', 128), zDim: num('z_dim', 128), channelWidth: num('channel_width', 128), numClasses: num('num_classes', 1000),
    layers: (layersRaw as [boolean, number, number][]).map((l) => L(l[0], l[1], l[2])),
    attentionLayerPosition: num('attention_layer_position', 8), eps: num('eps', 1e-4), nStats: num('n_stats', 51),
  };
  const ced = o.class_embed_dim;
  if (ced !== undefined && ced !== c.zDim) throw new InputError(`${where}: class_embed_dim ${JSON.stringify(ced)} differs from z_dim ${c.zDim}; the model embeds classes to z_dim (as upstream), so they must agree`);
  checkBigganConfig(c, where);
  return c;
}

/** Checks that a config builds: positive widths, halving or equal blocks, attention and output size consistent. */
export function checkBigganConfig(c: BigGanConfig, where = 'BigGAN config'): void {
  const bad = (why: string): never => { throw new InputError(`${where}: ${why}`); };
  for (const k of ['zDim', 'channelWidth', 'numClasses', 'outputDim'] as const) if (!Number.isInteger(c[k]) || c[k] < 1) bad(`${k} must be a positive integer, got ${c[k]}`);
  if (!Number.isInteger(c.nStats) || c.nStats < 2) bad(`nStats must be an integer >= 2, got ${c.nStats}`);
  if (!(c.eps > 0)) bad(`eps must be positive, got ${c.eps}`);
  if (c.channelWidth < 3) bad(`channelWidth ${c.channelWidth} < 3: conv_to_rgb must output at least 3 channels`);
  if (c.layers.length === 0) bad('layers is empty');
  let size = 4;
  c.layers.forEach(([up, i, o], k) => {
    if (!Number.isInteger(i) || !Number.isInteger(o) || i < 1 || o < 1) bad(`layer ${k}: channel multipliers must be positive integers, got [${up}, ${i}, ${o}]`);
    if (k > 0 && c.layers[k - 1][2] !== i) bad(`layer ${k} takes ${i} x width channels but layer ${k - 1} gives ${c.layers[k - 1][2]}`);
    const cin = i * c.channelWidth, cout = o * c.channelWidth;
    if (cin !== cout && cout * 2 !== cin) bad(`layer ${k}: ${cin} -> ${cout} channels; a GenBlock keeps its channels or halves them (its skip drops the second half)`);
    if (cin % 4 !== 0) bad(`layer ${k}: ${cin} input channels are not divisible by 4 (the bottleneck is a quarter)`);
    if (up) size *= 2;
  });
  if (c.layers[0][1] !== 16) bad(`layer 0 must take 16 x width channels (gen_z's output is 16 ch x 4 x 4), got ${c.layers[0][1]}`);
  if (c.layers[c.layers.length - 1][2] !== 1) bad(`the last layer must output 1 x width channels (the final batch norm has width channels), got ${c.layers[c.layers.length - 1][2]}`);
  if (size !== c.outputDim) bad(`the layers up-sample 4 x 4 to ${size} x ${size}, but outputDim is ${c.outputDim}`);
  const a = c.attentionLayerPosition;
  if (!Number.isInteger(a) || a < 0 || a >= c.layers.length) bad(`attentionLayerPosition ${a} is not a layer index (0 to ${c.layers.length - 1})`);
  const ach = c.layers[a][1] * c.channelWidth;
  if (ach % 8 !== 0) bad(`the self-attention layer's ${ach} channels are not divisible by 8`);
  const asize = 4 * 2 ** c.layers.slice(0, a).filter((l) => l[0]).length;
  if (asize % 2 !== 0) bad(`the self-attention layer runs at ${asize} x ${asize}, which its 2 x 2 max pooling cannot halve`);
}

/** Every parameter and buffer's name and shape for a config, as in the published state dict. */
export function bigganShapes(c: BigGanConfig = BIGGAN_DEEP_256): Map<string, number[]> {
  checkBigganConfig(c);
  const s = new Map<string, number[]>();
  const cond = 2 * c.zDim, ch = c.channelWidth;
  const sn = (p: string, out: number, inner: number[], bias: boolean) => {
    s.set(`${p}.weight_orig`, [out, ...inner]);
    if (bias) s.set(`${p}.bias`, [out]);
    s.set(`${p}.weight_u`, [out]);
    s.set(`${p}.weight_v`, [inner.reduce((a, b) => a * b, 1)]);
  };
  const bn = (p: string, n: number) => {
    s.set(`${p}.running_means`, [c.nStats, n]);
    s.set(`${p}.running_vars`, [c.nStats, n]);
  };
  s.set('embeddings.weight', [c.zDim, c.numClasses]);
  sn('generator.gen_z', 4 * 4 * 16 * ch, [cond], true);
  let idx = 0;
  c.layers.forEach(([, i, o], k) => {
    if (k === c.attentionLayerPosition) {
      const a = i * ch, p = `generator.layers.${idx++}`;
      s.set(`${p}.gamma`, [1]);
      sn(`${p}.snconv1x1_theta`, a / 8, [a, 1, 1], false);
      sn(`${p}.snconv1x1_phi`, a / 8, [a, 1, 1], false);
      sn(`${p}.snconv1x1_g`, a / 2, [a, 1, 1], false);
      sn(`${p}.snconv1x1_o_conv`, a, [a / 2, 1, 1], false);
    }
    const p = `generator.layers.${idx++}`, cin = i * ch, mid = cin / 4, cout = o * ch;
    const chans = [cin, mid, mid, mid];
    const convs: [number, number, number][] = [[cin, mid, 1], [mid, mid, 3], [mid, mid, 3], [mid, cout, 1]];
    for (let j = 0; j < 4; j++) {
      bn(`${p}.bn_${j}`, chans[j]);
      sn(`${p}.bn_${j}.scale`, chans[j], [cond], false);
      sn(`${p}.bn_${j}.offset`, chans[j], [cond], false);
      const [ci, co, k2] = convs[j];
      sn(`${p}.conv_${j}`, co, [ci, k2, k2], true);
    }
  });
  bn('generator.bn', ch);
  s.set('generator.bn.weight', [ch]);
  s.set('generator.bn.bias', [ch]);
  sn('generator.conv_to_rgb', ch, [ch, 3, 3], true);
  return s;
}

/** Parameter count (trainable tensors: weight_orig, biases, gamma, embeddings, final bn weight and bias). */
export function bigganParameterCount(c: BigGanConfig = BIGGAN_DEEP_256): number {
  let n = 0;
  for (const [k, s] of bigganShapes(c)) if (!/(weight_u|weight_v|running_means|running_vars)$/.test(k)) n += s.reduce((a, b) => a * b, 1);
  return n;
}

/** The truncation's statistics row and mixing weight, exactly as upstream: modf(t / (1 / (n_stats - 1))). */
export function truncationIndex(truncation: number, nStats: number): { start: number; coef: number } {
  if (!(truncation > 0 && truncation <= 1)) throw new InputError(`BigGAN: truncation must be in (0, 1] (it selects stored batch-norm statistics), got ${truncation}`);
  const q = truncation / (1.0 / (nStats - 1));
  const start = Math.trunc(q);
  return { start, coef: q - start };
}

/** BigGANBatchNorm: stored statistics selected by the truncation; conditional (scale/offset from cond) or affine. */
export class BigGanBatchNorm extends Module {
  private readonly scale: SNLinear | null;
  private readonly offset: SNLinear | null;

  constructor(readonly numFeatures: number, readonly condDim: number | null, readonly nStats: number, readonly eps: number, backend?: Backend) {
    super(backend);
    this.buffer('running_means', [nStats, numFeatures]);
    this.buffer('running_vars', [nStats, numFeatures], 'f32', 1);
    if (condDim !== null) {
      this.scale = this.module('scale', new SNLinear(condDim, numFeatures, false, this.backend));
      this.offset = this.module('offset', new SNLinear(condDim, numFeatures, false, this.backend));
    } else {
      this.scale = this.offset = null;
      this.param('weight', [numFeatures]);
      this.param('bias', [numFeatures]);
    }
  }

  /** (mean, var) rows for a truncation, each (C). */
  statistics(truncation: number): { mean: Tensor; variance: Tensor } {
    const { start, coef } = truncationIndex(truncation, this.nStats);
    const m = this.get('running_means'), v = this.get('running_vars');
    if (coef === 0) return { mean: m.select(0, start).reshape([this.numFeatures]), variance: v.select(0, start).reshape([this.numFeatures]) };
    const mix = (t: Tensor) => t.select(0, start).reshape([this.numFeatures]).mul(coef).add(t.select(0, start + 1).reshape([this.numFeatures]).mul(1 - coef));
    return { mean: mix(m), variance: mix(v) };
  }

  forward(x: Tensor, truncation?: Tensor | number, cond?: Tensor): Tensor {
    const t = typeof truncation === 'number' ? truncation : BIGGAN_DEFAULT_TRUNCATION;
    const { mean, variance } = this.statistics(t);
    const c = this.numFeatures;
    const inv = variance.add(this.eps).rsqrt().reshape([1, c, 1, 1]);
    const xhat = x.sub(mean.reshape([1, c, 1, 1])).mul(inv);
    if (this.scale && this.offset) {
      if (!cond) throw new ShapeError('BigGanBatchNorm: a conditional batch norm needs the condition vector');
      const b = cond.shape[0];
      const w = this.scale.forward(cond).add(1).reshape([b, c, 1, 1]);
      return xhat.mul(w).add(this.offset.forward(cond).reshape([b, c, 1, 1]));
    }
    return xhat.mul(this.get('weight').reshape([1, c, 1, 1])).add(this.get('bias').reshape([1, c, 1, 1]));
  }
}

const up2 = (x: Tensor) => interpolate(x, { scaleFactor: 2, mode: 'nearest' });

/** The deep residual block: BN-ReLU-1x1 down to a quarter, [up], BN-ReLU-3x3 twice, BN-ReLU-1x1 out; skip: [drop half] [up]. */
export class GenBlock extends Module {
  private readonly bns: BigGanBatchNorm[] = [];
  private readonly convs: SNConv2d[] = [];

  constructor(readonly inSize: number, readonly outSize: number, condDim: number, readonly upSample: boolean, nStats: number, eps: number, backend?: Backend) {
    super(backend);
    const mid = inSize / 4;
    const spec: [number, number, number][] = [[inSize, mid, 1], [mid, mid, 3], [mid, mid, 3], [mid, outSize, 1]];
    spec.forEach(([ci, co, k], j) => {
      this.bns.push(this.module(`bn_${j}`, new BigGanBatchNorm(ci, condDim, nStats, eps, this.backend)));
      this.convs.push(this.module(`conv_${j}`, new SNConv2d(ci, co, k, { padding: k === 3 ? 1 : 0 }, this.backend)));
    });
  }

  forward(x: Tensor, cond?: Tensor, truncation?: Tensor | number): Tensor {
    let h = x;
    for (let j = 0; j < 4; j++) {
      h = this.bns[j].forward(h, truncation, cond).relu();
      if (j === 1 && this.upSample) h = up2(h);
      h = this.convs[j].forward(h);
    }
    let skip = x;
    if (this.inSize !== this.outSize) skip = skip.slice([null, [0, this.inSize / 2]]);
    if (this.upSample) skip = up2(skip);
    return h.add(skip);
  }
}

/** SAGAN self-attention with 2 x 2 max pooling of the keys (phi) and values (g), scaled by the learnt gamma. */
export class SelfAttn extends Module {
  private readonly theta: SNConv2d;
  private readonly phi: SNConv2d;
  private readonly g: SNConv2d;
  private readonly o: SNConv2d;

  constructor(readonly channels: number, backend?: Backend) {
    super(backend);
    const c = channels;
    this.theta = this.module('snconv1x1_theta', new SNConv2d(c, c / 8, 1, { bias: false }, this.backend));
    this.phi = this.module('snconv1x1_phi', new SNConv2d(c, c / 8, 1, { bias: false }, this.backend));
    this.g = this.module('snconv1x1_g', new SNConv2d(c, c / 2, 1, { bias: false }, this.backend));
    this.o = this.module('snconv1x1_o_conv', new SNConv2d(c / 2, c, 1, { bias: false }, this.backend));
    this.param('gamma', [1]);
  }

  forward(x: Tensor): Tensor {
    const [b, c, h, w] = x.shape;
    const n = h * w;
    const pool = (t: Tensor) => maxPool2d(t, { kernelSize: 2, stride: 2 });
    const theta = this.theta.forward(x).reshape([b, c / 8, n]);
    const phi = pool(this.phi.forward(x)).reshape([b, c / 8, n / 4]);
    const attn = theta.matmul(phi, { transA: true }).softmax(-1); // (b, n, n/4)
    const g = pool(this.g.forward(x)).reshape([b, c / 2, n / 4]);
    const attnG = g.matmul(attn, { transB: true }).reshape([b, c / 2, h, w]); // (b, c/2, n)
    return x.add(this.o.forward(attnG).mul(this.get('gamma')));
  }
}

export class BigGanGenerator extends Module {
  private readonly genZ: SNLinear;
  private readonly blocks: (GenBlock | SelfAttn)[] = [];
  private readonly bn: BigGanBatchNorm;
  private readonly toRgb: SNConv2d;

  constructor(readonly config: BigGanConfig, backend?: Backend) {
    super(backend);
    const c = config, ch = c.channelWidth, cond = 2 * c.zDim;
    this.genZ = this.module('gen_z', new SNLinear(cond, 4 * 4 * 16 * ch, true, this.backend));
    const layers = new LayerList(this.backend);
    this.module('layers', layers);
    c.layers.forEach(([up, i, o], k) => {
      if (k === c.attentionLayerPosition) this.blocks.push(layers.add(new SelfAttn(i * ch, this.backend)));
      this.blocks.push(layers.add(new GenBlock(i * ch, o * ch, cond, up, c.nStats, c.eps, this.backend)));
    });
    this.bn = this.module('bn', new BigGanBatchNorm(ch, null, c.nStats, c.eps, this.backend));
    this.toRgb = this.module('conv_to_rgb', new SNConv2d(ch, ch, 3, { padding: 1 }, this.backend));
  }

  /** cond (B, 2 zDim) to (B, 3, S, S) in [-1, 1]. */
  forward(cond: Tensor, truncation?: Tensor | number): Tensor {
    const t = typeof truncation === 'number' ? truncation : BIGGAN_DEFAULT_TRUNCATION;
    truncationIndex(t, this.config.nStats);
    const ch = this.config.channelWidth, b = cond.shape[0];
    // gen_z's output is laid out as TF's (B, 4, 4, 16ch): permute to NCHW
    let h = this.genZ.forward(cond).reshape([b, 4, 4, 16 * ch]).permute([0, 3, 1, 2]);
    for (const m of this.blocks) h = m instanceof GenBlock ? m.forward(h, cond, t) : m.forward(h);
    h = this.bn.forward(h, t).relu();
    return this.toRgb.forward(h).slice([null, [0, 3]]).tanh();
  }
}

/** nn.ModuleList: children named 0, 1, ... */
class LayerList extends Module {
  private n = 0;
  add<M extends Module>(m: M): M { return this.module(String(this.n++), m); }
  forward(): Tensor { throw new InputError('LayerList has no forward(); its members are called in order'); }
}

/**
 * BigGAN-deep: `forward(noise, classVector, truncation)` as upstream's BigGAN.forward, (B, 3, S, S) in [-1, 1];
 * `image(...)` and `imageFromCode(code)` as Wang & Ponce's wrapper: (x + 1) / 2 clamped to [0, 1].
 */
export class BigGanDeep extends Module {
  readonly config: BigGanConfig;
  private readonly embeddings: Linear;
  readonly generator: BigGanGenerator;

  constructor(config: BigGanConfig = BIGGAN_DEEP_256, opts: { backend?: Backend } = {}) {
    super(opts.backend);
    checkBigganConfig(config);
    this.config = { ...config, layers: config.layers.map((l) => L(l[0], l[1], l[2])) };
    this.embeddings = this.module('embeddings', new Linear(config.numClasses, config.zDim, false, this.backend));
    this.generator = this.module('generator', new BigGanGenerator(this.config, this.backend));
    this.eval();
  }

  /** Length of the generator's input code: [noise (zDim) | class embedding (zDim)]. */
  get codeDim(): number { return 2 * this.config.zDim; }

  /** The class embedding of class vectors (B, numClasses), one-hot or soft: (B, zDim). */
  embed(classVector: Tensor): Tensor {
    const k = this.config.numClasses;
    if (classVector.rank !== 2 || classVector.shape[1] !== k) throw new ShapeError(`BigGAN: class vectors must be (batch, ${k}), got [${classVector.shape.join(', ')}]`);
    return this.embeddings.forward(classVector);
  }

  /** The code [noise | embed(classVector)] (B, 2 zDim), as upstream's BigGAN.forward builds it. */
  code(noise: Tensor, classVector: Tensor): Tensor {
    const z = this.config.zDim;
    if (noise.rank !== 2 || noise.shape[1] !== z) throw new ShapeError(`BigGAN: noise must be (batch, ${z}), got [${noise.shape.join(', ')}]`);
    if (classVector.shape[0] !== noise.shape[0]) throw new ShapeError(`BigGAN: ${noise.shape[0]} noise vectors but ${classVector.shape[0]} class vectors`);
    return concat([noise, this.embed(classVector)], 1);
  }

  /** upstream's BigGAN.forward: (B, 3, S, S) in [-1, 1]. */
  forward(noise: Tensor, classVector?: Tensor, truncation: Tensor | number = BIGGAN_DEFAULT_TRUNCATION): Tensor {
    if (!classVector) throw new ShapeError('BigGAN: forward(noise, classVector, truncation) needs the class vectors');
    return this.generator.forward(this.code(noise, classVector), truncation);
  }

  /** The generator on codes (B, 2 zDim) directly (upstream's BigGAN_wrapper), (B, 3, S, S) in [-1, 1]. */
  fromCode(code: Tensor, truncation = BIGGAN_DEFAULT_TRUNCATION): Tensor {
    if (code.rank !== 2 || code.shape[1] !== this.codeDim) throw new ShapeError(`BigGAN: codes must be (batch, ${this.codeDim}) = [noise | class embedding], got [${code.shape.join(', ')}]`);
    return this.generator.forward(code, truncation);
  }

  /** Wang & Ponce's visualize: clamp((G(code) + 1) / 2, 0, 1), (B, 3, S, S). Differentiable to the code. */
  imageFromCode(code: Tensor, truncation = BIGGAN_DEFAULT_TRUNCATION): Tensor {
    return toUnit(this.fromCode(code, truncation));
  }

  /** The [0, 1] image of noise and class vectors. Differentiable to both. */
  image(noise: Tensor, classVector: Tensor, truncation = BIGGAN_DEFAULT_TRUNCATION): Tensor {
    return toUnit(this.forward(noise, classVector, truncation));
  }

  /** Columns of the embedding matrix for class indices (B, zDim): upstream's sample_vector takes these. */
  classEmbedding(classes: readonly number[]): Tensor {
    const k = this.config.numClasses;
    for (const c of classes) if (!Number.isInteger(c) || c < 0 || c >= k) throw new InputError(`BigGAN: class index ${c} is not in 0..${k - 1}`);
    const onehot = new Float32Array(classes.length * k);
    classes.forEach((c, i) => { onehot[i * k + c] = 1; });
    const x = Tensor.from(onehot, [classes.length, k], { backend: this.backend });
    const e = this.embed(x);
    x.dispose();
    return e;
  }
}

function toUnit(x: Tensor): Tensor {
  return x.add(1).div(2).clamp(0, 1);
}
