// The DeePSim fc6 generator (Dosovitskiy & Brox 2016; upstream's upconvGAN('fc6')): a 4096-D code to a 256 x 256
// RGB image. Three Linear layers (defc7, defc6, defc5), a reshape to 256 x 4 x 4, nine transposed convolutions
// (k4 s2 p1 double the size, k3 s1 p1 keep it), LeakyReLU(0.3) after every layer but the last. The network was
// trained in Caffe on mean-subtracted BGR images: its raw output is BGR around 0 in the 0..255 range, and the image
// is that output flipped to RGB, plus the mean [123, 117, 104], clamped to [0, 255] and divided by 255.
//
// Parameter names are the published state dict's (upconvGAN_fc6.pt: 'defc7.weight', ..., 'deconv0.bias'), so the
// weights load without renaming (src/models/weights/deepsim-weights.ts imports them). The widths are a config so
// that tests can run the same architecture small; DEEPSIM_FC6 is the published network (56,097,891 parameters).
import { InputError, ShapeError } from '../errors.js';
import { type Backend, Tensor, keep } from '../tensor/index.js';
import { Linear } from '../nn/layers.js';
import { ConvTranspose2d } from '../nn/conv-transpose.js';
import { Module } from '../nn/module.js';

export interface DeepSimFc6Config {
  /** code length = width of the three Linear layers = 16 x channels[0] */
  codeDim: number;
  /** channels after the reshape, then the output channels of each of the nine transposed convolutions (last: 3) */
  channels: readonly number[];
}

/** The nine transposed convolutions, in order: name and kernel size (4: stride 2 padding 1; 3: stride 1 padding 1). */
export const DEEPSIM_FC6_DECONVS: readonly (readonly [string, 3 | 4])[] = [
  ['deconv5', 4], ['conv5_1', 3], ['deconv4', 4], ['conv4_1', 3], ['deconv3', 4], ['conv3_1', 3],
  ['deconv2', 4], ['deconv1', 4], ['deconv0', 4],
];
export const DEEPSIM_FC6_LINEARS = ['defc7', 'defc6', 'defc5'] as const;

/** The published network (field-anchors.md section 4). */
export const DEEPSIM_FC6: DeepSimFc6Config = { codeDim: 4096, channels: [256, 256, 512, 256, 256, 128, 128, 64, 32, 3] };

/** Caffe's BGR mean, added after the flip to RGB (as upstream adds its RGB_mean). */
export const DEEPSIM_MEAN_RGB = [123, 117, 104] as const;
export const DEEPSIM_NEGATIVE_SLOPE = 0.3;
export const DEEPSIM_IMAGE_SIZE = 256;

/**
 * The published widths divided by `scale` (a power of two, 1 to 128): code and Linear widths 4096/scale, channels
 * 256/scale, 512/scale, ...; the 3 output channels stay. `deepsimFc6Config(32)` is the small network of the tests.
 */
export function deepsimFc6Config(scale = 1): DeepSimFc6Config {
  if (!Number.isInteger(scale) || scale < 1 || scale > 128 || (scale & (scale - 1)) !== 0) {
    throw new InputError(`deepsimFc6Config: scale must be a power of two from 1 to 128 (the widths are divided by it), got ${scale}`);
  }
  const ch = DEEPSIM_FC6.channels;
  return { codeDim: DEEPSIM_FC6.codeDim / scale, channels: ch.map((c, i) => (i === ch.length - 1 ? c : Math.max(1, c / scale))) };
}

/** Checks a config: 10 positive channel counts ending in 3, and a code that reshapes to channels[0] x 4 x 4. */
export function checkDeepsimFc6Config(c: DeepSimFc6Config): void {
  const n = DEEPSIM_FC6_DECONVS.length + 1;
  if (c.channels.length !== n || c.channels.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new InputError(`DeePSim fc6 config: channels must be ${n} positive integers (after the reshape, then each transposed convolution's output), got [${c.channels.join(', ')}]`);
  }
  if (c.channels[n - 1] !== 3) throw new InputError(`DeePSim fc6 config: the last transposed convolution must output 3 channels (BGR), got ${c.channels[n - 1]}`);
  if (c.codeDim !== c.channels[0] * 16) {
    throw new InputError(`DeePSim fc6 config: the code length ${c.codeDim} must equal channels[0] x 4 x 4 = ${c.channels[0] * 16} (defc5's output is reshaped to ${c.channels[0]} x 4 x 4)`);
  }
}

/** Every parameter's name and shape for a config, as in the published state dict. */
export function deepsimFc6Shapes(c: DeepSimFc6Config = DEEPSIM_FC6): Map<string, number[]> {
  checkDeepsimFc6Config(c);
  const s = new Map<string, number[]>();
  for (const name of DEEPSIM_FC6_LINEARS) {
    s.set(`${name}.weight`, [c.codeDim, c.codeDim]);
    s.set(`${name}.bias`, [c.codeDim]);
  }
  DEEPSIM_FC6_DECONVS.forEach(([name, k], i) => {
    s.set(`${name}.weight`, [c.channels[i], c.channels[i + 1], k, k]);
    s.set(`${name}.bias`, [c.channels[i + 1]]);
  });
  return s;
}

/**
 * LeakyReLU for slopes in [0, 1] as max(x, slope * x): two kernels, the same float32 values as torch's
 * x > 0 ? x : x * slope, and the same gradient except at x == 0 exactly (maximum splits a tie: (1 + slope) / 2
 * where torch takes slope), which float pre-activations do not hit in practice.
 */
export function leakyRelu(x: Tensor, slope = DEEPSIM_NEGATIVE_SLOPE): Tensor {
  return x.maximum(x.mul(slope));
}

export class DeepSimFc6 extends Module {
  readonly config: DeepSimFc6Config;
  private readonly linears: Linear[];
  private readonly deconvs: ConvTranspose2d[];
  private meanRgb: Tensor | null = null;

  constructor(config: DeepSimFc6Config = DEEPSIM_FC6, opts: { backend?: Backend } = {}) {
    super(opts.backend);
    checkDeepsimFc6Config(config);
    this.config = { codeDim: config.codeDim, channels: [...config.channels] };
    const d = config.codeDim;
    this.linears = DEEPSIM_FC6_LINEARS.map((name) => this.module(name, new Linear(d, d, true, this.backend)));
    this.deconvs = DEEPSIM_FC6_DECONVS.map(([name, k], i) =>
      this.module(name, new ConvTranspose2d(config.channels[i], config.channels[i + 1], k, { stride: k === 4 ? 2 : 1, padding: 1 }, this.backend)));
    this.eval();
  }

  get codeDim(): number { return this.config.codeDim; }

  /** The Caffe network: codes (B, D) to its raw output (B, 3, 256, 256), BGR, mean-subtracted, roughly 0..255 wide. */
  network(codes: Tensor): Tensor {
    const d = this.config.codeDim;
    if (codes.rank !== 2 || codes.shape[1] !== d) {
      throw new ShapeError(`DeePSim fc6: codes must be (batch, ${d}), got [${codes.shape.join(', ')}]`);
    }
    let h = codes;
    for (const l of this.linears) h = leakyRelu(l.forward(h));
    h = h.reshape([codes.shape[0], this.config.channels[0], 4, 4]);
    this.deconvs.forEach((m, i) => {
      h = m.forward(h);
      if (i < this.deconvs.length - 1) h = leakyRelu(h);
    });
    return h;
  }

  /** upstream's upconvGAN.forward: the raw output flipped to RGB (no mean, no clamp). */
  rawRgb(codes: Tensor): Tensor {
    return this.network(codes).flip([1]);
  }

  /** The image, as upstream's visualize: (B, 3, 256, 256) RGB in [0, 1]. Differentiable to the codes. */
  forward(codes: Tensor): Tensor {
    return this.rawRgb(codes).add(this.mean()).clamp(0, 255).div(255);
  }

  private mean(): Tensor {
    if (!this.meanRgb || this.meanRgb.isDisposed) {
      this.meanRgb = keep(Tensor.from(DEEPSIM_MEAN_RGB, [1, 3, 1, 1], { backend: this.backend })); // owned, outside tidy scopes
      this.meanRgb.name = 'deepsim mean';
    }
    return this.meanRgb;
  }

  override dispose(): void {
    this.meanRgb?.dispose();
    this.meanRgb = null;
    super.dispose();
  }
}
