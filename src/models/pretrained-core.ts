// A truncated pretrained backbone as the core of a trainable twin, as the DualNeuron twins were made (nnvision's
// ConvNextCore / TaskDrivenCore3): a ConvNeXtV2 (HF ConvNextV2Model, cut at a named module) or a torchvision
// ResNet-50 (cut after a named module), then OutBatchNorm and GELU (ConvNeXt) or ReLU (ResNet). A 1-channel input is
// repeated to the 3 channels the backbone takes. Keys as the twins' cores (features.backbone.model.<HF keys> or
// features.TaskDriven.<torchvision keys>, features.OutBatchNorm.*), so a twin's core loads without renaming.
// The backbone's weights come from a pretrained state dict (loadBackbone); initialize() only resets OutBatchNorm.
import { type Backend, Tensor, Generator, noGrad, tidy, zeros } from '../tensor/index.js';
import { Module, ModuleDict, type StateDict } from '../nn/module.js';
import { BatchNorm2d } from '../nn/layers.js';
import { InputError, ShapeError, WeightsError } from '../errors.js';
import { ConvNextV2, type ConvNextV2Config } from './convnextv2.js';
import { ResNet, RESNET_LAYERS } from './resnet.js';

export type PretrainedBackbone =
  | { kind: 'convnextv2'; config: ConvNextV2Config; /** HF module name the model is cut at (that module and all after it go) */ truncateAt: string }
  | { kind: 'resnet50'; /** torchvision module name the model is cut after */ truncateAfter: string };

export interface PretrainedCoreConfig {
  backbone: PretrainedBackbone;
  /** channels of the model-space input: 1 (gray, repeated to 3) or 3 */
  inputChannels: number;
  /** nonlinearity after OutBatchNorm (the V1 twin: gelu; the V4 twins: relu) */
  nonlinearity: 'gelu' | 'relu';
  /** OutBatchNorm momentum */
  momentum: number;
}

/** The prefix of the backbone's keys inside the core's state dict. */
export function backbonePrefix(b: PretrainedBackbone): string {
  return b.kind === 'convnextv2' ? 'features.backbone.model.' : 'features.TaskDriven.';
}

export class PretrainedCore extends Module {
  readonly backbone: ConvNextV2 | ResNet;
  readonly outBn: BatchNorm2d;
  /** channels of the backbone output, known after probe() */
  private probed: { input: string; shape: [number, number, number] } | null = null;

  constructor(readonly config: PretrainedCoreConfig, backend?: Backend) {
    super(backend);
    const b = config.backbone;
    if (config.inputChannels !== 1 && config.inputChannels !== 3) throw new ShapeError(`PretrainedCore: inputChannels must be 1 (gray) or 3 (RGB), got ${config.inputChannels}`);
    const C = b.kind === 'convnextv2' ? convnextOutChannels(b.config, b.truncateAt) : resnetOutChannels(b.truncateAfter);
    this.outBn = new BatchNorm2d(C, 1e-5, config.momentum, backend);
    if (b.kind === 'convnextv2') {
      this.backbone = new ConvNextV2(b.config, { truncateAt: b.truncateAt, backend });
      this.module('features', new ModuleDict({ backbone: new ModuleDict({ model: this.backbone }, backend), OutBatchNorm: this.outBn }, backend));
    } else {
      this.backbone = new ResNet(RESNET_LAYERS.resnet50!, { truncateAfter: b.truncateAfter, backend });
      this.module('features', new ModuleDict({ TaskDriven: this.backbone, OutBatchNorm: this.outBn }, backend));
    }
  }

  get outChannels(): number { return this.outBn.channels; }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.config.inputChannels) throw new ShapeError(`PretrainedCore: expected input (B, ${this.config.inputChannels}, H, W), got [${x.shape.join(', ')}]`);
    // upstream repeats a gray input to the backbone's 3 channels inside the core
    const rgb = x.shape[1] === 1 ? x.expand([x.shape[0], 3, x.shape[2], x.shape[3]]) : x;
    const h = this.outBn.forward(this.backbone.forward(rgb));
    return this.config.nonlinearity === 'gelu' ? h.gelu() : h.relu();
  }

  /**
   * The core's output (C, h, w) for an input of H x W, from one forward pass of a blank image in eval mode; an input
   * the truncated backbone cannot take (a kernel larger than its feature map) is an InputError saying so.
   */
  probe(H: number, W: number): [number, number, number] {
    const key = `${H}x${W}`;
    if (this.probed?.input === key) return this.probed.shape;
    const was = this.training;
    this.eval();
    let shape: number[];
    try {
      shape = noGrad(() => tidy(() => [...this.forward(zeros([1, this.config.inputChannels, H, W], { backend: this.backend })).shape]));
    } catch (e) {
      if (e instanceof ShapeError) throw new InputError(`images of ${H}x${W} are too small for the truncated ${describeBackbone(this.config.backbone)} (${e.message}); use a larger --image-size`);
      throw e;
    } finally {
      this.train(was);
    }
    if (shape[2]! < 1 || shape[3]! < 1) throw new InputError(`images of ${H}x${W} give an empty feature map (${shape.slice(1).join('x')}) in the truncated ${describeBackbone(this.config.backbone)}; use a larger --image-size`);
    this.probed = { input: key, shape: [shape[1]!, shape[2]!, shape[3]!] };
    return this.probed.shape;
  }

  outSize(h: number, w: number): [number, number] { const [, oh, ow] = this.probe(h, w); return [oh, ow]; }

  /** no regulariser on a pretrained core (nnvision's cores return 0) */
  regularizer(): Tensor { return zeros([], { backend: this.backend }); }

  /** OutBatchNorm as PyTorch creates it (weight 1, bias 0, running mean 0, variance 1); the backbone is kept. */
  initialize(_generator?: Generator): void {
    noGrad(() => tidy(() => {
      for (const [k, t] of this.outBn.stateDict()) t.copy_(k === 'weight' || k === 'running_var' ? t.fullLike(1) : t.zerosLike());
    }));
  }

  /**
   * Loads the backbone from a state dict in the backbone's own key names (HF ConvNextV2Model / torchvision ResNet);
   * keys of modules beyond the cut are ignored. A missing key is a WeightsError listing some of each side.
   */
  loadBackbone(sd: StateDict, source: string): void {
    const own = [...this.backbone.stateDict().keys()];
    const missing = own.filter((k) => !sd.has(k));
    if (missing.length) {
      const have = [...sd.keys()];
      throw new WeightsError(`${source} does not hold the weights of the truncated ${describeBackbone(this.config.backbone)}: ${missing.length} of its ${own.length} keys are missing ` +
        `(e.g. ${missing.slice(0, 4).join(', ')}); the file has ${have.length} keys (e.g. ${have.slice(0, 4).join(', ') || 'none'}). ` +
        `Give a ${this.config.backbone.kind === 'convnextv2' ? 'Hugging Face ConvNextV2 (ConvNextV2Model or ConvNextV2ForImageClassification)' : 'torchvision ResNet-50'} state dict`);
    }
    this.backbone.loadStateDict(new Map(own.map((k) => [k, sd.get(k)!])), { source });
  }

  /** The OutBatchNorm tensors from a state dict in the core's key names (a twin's core), when all are there. */
  loadOutBatchNorm(sd: StateDict, source: string): void {
    const keys = [...this.outBn.stateDict().keys()];
    const m = new Map(keys.map((k) => [k, sd.get(`features.OutBatchNorm.${k}`)]));
    if ([...m.values()].some((v) => !v)) throw new WeightsError(`${source}: no features.OutBatchNorm.* of ${this.outChannels} channels`);
    this.outBn.loadStateDict(m as StateDict, { source });
  }
}

export function describeBackbone(b: PretrainedBackbone): string {
  return b.kind === 'convnextv2' ? `ConvNeXtV2 (hidden sizes ${b.config.hiddenSizes.join('/')}, cut at ${b.truncateAt})` : `ResNet-50 (cut after ${b.truncateAfter})`;
}

/**
 * Channels out of a ConvNeXtV2 cut at `at`: a cut at a stage's blocks (encoder.stages.S.layers[.L...]) keeps its
 * downsampling (width S); a cut at the stage itself or inside its downsampling keeps the previous width; a cut at
 * the final layernorm or later keeps every stage.
 */
function convnextOutChannels(c: ConvNextV2Config, at: string): number {
  const widths = c.hiddenSizes;
  if (at === 'layernorm' || at === 'pooler' || at === 'classifier') return widths[widths.length - 1]!;
  const m = /^encoder\.stages\.([0-9]+)(?:\.(.*))?$/.exec(at);
  if (!m) {
    if (at.startsWith('embeddings') || at === 'encoder' || at === 'encoder.stages') throw new InputError(`ConvNeXtV2: a cut at '${at}' leaves no feature map; cut at encoder.stages.S[.layers.L] or later`);
    throw new InputError(`ConvNeXtV2: no module named '${at}' to cut at (e.g. encoder.stages.1.layers.0, encoder.stages.2, layernorm)`);
  }
  const s = Number(m[1]), rest = m[2] ?? '';
  if (s >= widths.length) throw new InputError(`ConvNeXtV2: no stage ${s} to cut at (stages 0..${widths.length - 1})`);
  if (rest === 'layers' || rest.startsWith('layers.')) return widths[s]!;
  if (rest === '' || rest === 'downsampling_layer' || rest.startsWith('downsampling_layer.')) return widths[Math.max(s - 1, 0)]!;
  throw new InputError(`ConvNeXtV2: no module named '${at}' to cut at`);
}

function resnetOutChannels(after: string): number {
  const m = /^layer([1-4])(?:\.([0-9]+)(?:\..*)?)?$/.exec(after);
  if (!m) {
    if (['conv1', 'bn1', 'relu', 'maxpool'].includes(after)) return 64;
    throw new InputError(`ResNet-50: cannot cut after '${after}' for a core (cut after layerN or layerN.K, e.g. layer3.0)`);
  }
  const li = Number(m[1]) - 1;
  if (m[2] !== undefined && Number(m[2]) >= RESNET_LAYERS.resnet50![li]!) throw new InputError(`ResNet-50: layer${li + 1} has blocks 0..${RESNET_LAYERS.resnet50![li]! - 1}; got '${after}'`);
  if (after.split('.').length > 2) throw new InputError(`ResNet-50: cut after a whole block (layerN.K), got '${after}'`);
  return 64 * 2 ** li * 4;
}

/** A state dict's keys with a leading prefix removed where present (e.g. 'convnextv2.' of an HF classifier). */
export function stripPrefixes(sd: StateDict, prefixes: readonly string[]): StateDict {
  for (const p of prefixes) {
    if ([...sd.keys()].some((k) => k.startsWith(p))) return new Map([...sd].filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]));
  }
  return sd;
}

