// ConvNeXt V2 (Woo et al. 2023) as Hugging Face transformers' ConvNextV2Model, with its state-dict key names
// (embeddings.*, encoder.stages.S.downsampling_layer.*, encoder.stages.S.layers.L.*, layernorm.*), so checkpoints
// load unchanged. `truncateAt` cuts the model at a named module the way upstream's clip_convnext_layers does.
import { type Backend, Tensor } from '../tensor/index.js';
import { grn } from '../tensor/index.js';
import { Module, ModuleDict, Sequential } from '../nn/module.js';
import { Conv2d, LayerNorm, LayerNorm2d, Linear } from '../nn/layers.js';
import { Cut } from './truncation.js';
import { ShapeError } from '../errors.js';

export interface ConvNextV2Config {
  numChannels: number;
  depths: number[];
  hiddenSizes: number[];
  patchSize: number;
  /** eps of the final LayerNorm (HF config.layer_norm_eps); the inner LayerNorms use 1e-6 as HF does */
  layerNormEps: number;
}

export const CONVNEXTV2_PRESETS: Record<string, ConvNextV2Config> = {
  atto: { numChannels: 3, depths: [2, 2, 6, 2], hiddenSizes: [40, 80, 160, 320], patchSize: 4, layerNormEps: 1e-12 },
  femto: { numChannels: 3, depths: [2, 2, 6, 2], hiddenSizes: [48, 96, 192, 384], patchSize: 4, layerNormEps: 1e-12 },
  pico: { numChannels: 3, depths: [2, 2, 6, 2], hiddenSizes: [64, 128, 256, 512], patchSize: 4, layerNormEps: 1e-12 },
  nano: { numChannels: 3, depths: [2, 2, 8, 2], hiddenSizes: [80, 160, 320, 640], patchSize: 4, layerNormEps: 1e-12 },
  tiny: { numChannels: 3, depths: [3, 3, 9, 3], hiddenSizes: [96, 192, 384, 768], patchSize: 4, layerNormEps: 1e-12 },
};

class Embeddings extends Module {
  readonly patch: Conv2d;
  readonly norm: LayerNorm2d;
  constructor(cfg: ConvNextV2Config, backend?: Backend) {
    super(backend);
    this.patch = this.module('patch_embeddings', new Conv2d(cfg.numChannels, cfg.hiddenSizes[0], cfg.patchSize, { stride: cfg.patchSize }, backend));
    this.norm = this.module('layernorm', new LayerNorm2d(cfg.hiddenSizes[0], 1e-6, backend));
  }
  forward(x: Tensor): Tensor { return this.norm.forward(this.patch.forward(x)); }
}

/** ConvNeXt V2 block: depthwise 7x7, LayerNorm (channels last), Linear 4x, GELU, GRN, Linear back, residual. */
export class ConvNextV2Layer extends Module {
  private readonly dwconv: Conv2d;
  private readonly norm: LayerNorm;
  private readonly pw1: Linear;
  private readonly pw2: Linear;
  constructor(readonly dim: number, backend?: Backend) {
    super(backend);
    this.dwconv = this.module('dwconv', new Conv2d(dim, dim, 7, { padding: 3, groups: dim }, backend));
    this.norm = this.module('layernorm', new LayerNorm(dim, 1e-6, backend));
    this.pw1 = this.module('pwconv1', new Linear(dim, 4 * dim, true, backend));
    this.module('grn', new GRNModule(4 * dim, backend));
    this.pw2 = this.module('pwconv2', new Linear(4 * dim, dim, true, backend));
  }
  forward(x: Tensor): Tensor {
    let h = this.dwconv.forward(x).permute([0, 2, 3, 1]); // NHWC
    h = this.pw1.forward(this.norm.forward(h)).gelu();
    h = (this.getSubmodule('grn') as GRNModule).forward(h);
    h = this.pw2.forward(h).permute([0, 3, 1, 2]);
    return x.add(h);
  }
}

class GRNModule extends Module {
  constructor(dim: number, backend?: Backend) {
    super(backend);
    this.param('weight', [1, 1, 1, dim]);
    this.param('bias', [1, 1, 1, dim]);
  }
  forward(x: Tensor): Tensor { return grn(x, this.get('weight'), this.get('bias'), 1e-6); }
}

class Stage extends Module {
  private readonly down: Sequential | null;
  private readonly layers: ConvNextV2Layer[] = [];
  constructor(inCh: number, outCh: number, stride: number, depth: number, path: string, cut: Cut, backend?: Backend) {
    super(backend);
    this.down = null;
    if (inCh !== outCh || stride > 1) {
      const p = `${path}.downsampling_layer`;
      if (cut.keeps(p)) {
        const norm = cut.keeps(`${p}.0`) ? new LayerNorm2d(inCh, 1e-6, backend) : null;
        const conv = cut.keeps(`${p}.1`) ? new Conv2d(inCh, outCh, stride, { stride }, backend) : null;
        const parts: Module[] = [];
        if (norm) parts.push(norm);
        if (conv) parts.push(conv);
        this.down = this.module('downsampling_layer', new Sequential(parts, backend));
      }
    }
    const layersContainer = cut.keeps(`${path}.layers`);
    for (let i = 0; i < depth && layersContainer; i++) {
      if (!cut.keeps(`${path}.layers.${i}`)) break;
      const layer = new ConvNextV2Layer(outCh, backend);
      // the block's own submodules come next in named_modules order
      for (const sub of ['dwconv', 'layernorm', 'pwconv1', 'act', 'grn', 'pwconv2', 'drop_path']) cut.keeps(`${path}.layers.${i}.${sub}`);
      this.layers.push(layer);
    }
    if (this.layers.length) this.module('layers', new Sequential(this.layers, backend));
  }
  forward(x: Tensor): Tensor {
    let h = this.down ? this.down.forward(x) : x;
    for (const l of this.layers) h = l.forward(h);
    return h;
  }
}

/** HF ConvNextV2Model; forward returns last_hidden_state (N, C, H, W) of the (possibly truncated) encoder. */
export class ConvNextV2 extends Module {
  private readonly embeddings: Embeddings;
  private readonly stages: Stage[] = [];
  constructor(readonly config: ConvNextV2Config, opts: { truncateAt?: string; backend?: Backend } = {}) {
    super(opts.backend);
    const b = opts.backend;
    const cut = new Cut({ at: opts.truncateAt });
    cut.keeps('embeddings');
    for (const p of ['embeddings.patch_embeddings', 'embeddings.layernorm']) cut.keeps(p);
    this.embeddings = this.module('embeddings', new Embeddings(config, b));
    cut.keeps('encoder'); cut.keeps('encoder.stages');
    const stagesModules: Module[] = [];
    let prev = config.hiddenSizes[0];
    for (let s = 0; s < config.depths.length; s++) {
      const path = `encoder.stages.${s}`;
      if (!cut.keeps(path)) break;
      const stage = new Stage(prev, config.hiddenSizes[s], s > 0 ? 2 : 1, config.depths[s], path, cut, b);
      this.stages.push(stage);
      stagesModules.push(stage);
      prev = config.hiddenSizes[s];
    }
    this.module('encoder', new ModuleDict({ stages: new Sequential(stagesModules, b) }, b));
    if (cut.keeps('layernorm')) this.module('layernorm', new LayerNorm(config.hiddenSizes[config.hiddenSizes.length - 1], config.layerNormEps, b));
    if (opts.truncateAt && !cut.isCut) throw new ShapeError(`ConvNextV2: no module named '${opts.truncateAt}' to truncate at`);
  }
  forward(x: Tensor): Tensor {
    let h = this.embeddings.forward(x);
    for (const s of this.stages) h = s.forward(h);
    return h;
  }
}
