// The fine-tuning architectures (twin.json's "architecture" for --arch convnext-finetune / resnet-finetune): a
// truncated pretrained backbone (PretrainedCore: the V1 twin's ConvNeXtV2-atto cut at encoder.stages.1.layers.0, or
// the V4 twins' ResNet-50 cut after layer3.0) with OutBatchNorm and GELU/ReLU, a new FullGaussian2d readout trained
// with sampled positions, and the twins' output elu(r - 1) + 1 (elu_offset -1). The core starts from pretrained
// weights: an installed twin's core (backbone and OutBatchNorm of one member) or an HF ConvNextV2 / torchvision
// ResNet-50 state dict (backbone only). Where those came from (and their sha256) is recorded; the member files hold
// the whole model, so a twin folder is rebuilt from twin.json and its members alone.
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { InputError, WeightsError } from '../../errors.js';
import type { Backend, Tensor } from '../../tensor/index.js';
import type { StateDict } from '../../nn/module.js';
import type { HostArray } from '../../io/host-array.js';
import { readFileBytes } from '../../io/atomic.js';
import { parseSafetensors } from '../../io/safetensors.js';
import { readTorchCheckpoint } from '../../io/pytorch.js';
import { CONVNEXTV2_PRESETS } from '../../models/convnextv2.js';
import { FiringRateEncoder } from '../../models/encoder.js';
import { FullGaussian2d, type GaussType } from '../../models/readout.js';
import { PretrainedCore, backbonePrefix, describeBackbone, stripPrefixes, type PretrainedCoreConfig } from '../../models/pretrained-core.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadMemberStateDict, weightsHome } from '../../models/weights/store.js';

export const FINETUNE_ARCHITECTURES = ['convnext-finetune', 'resnet-finetune'] as const;
export type FinetuneArchName = typeof FINETUNE_ARCHITECTURES[number];

/** where the core's starting weights came from */
export type CoreSource =
  | { kind: 'twin'; twin: TwinId; member: number; /** the member's upstream checkpoint ('' if unrecorded) */ sha256: string }
  | { kind: 'file'; path: string; sha256: string };

export interface FinetuneReadoutOptions {
  kind: 'gaussian'; gaussType: GaussType; featureRegWeight: number;
  /** neuralpredictors' init_mu_range and init_sigma (the V4 twins' config: 0.4 and 0.6) */
  initMuRange: number; initSigma: number;
}

export interface FinetuneArchitecture {
  arch: FinetuneArchName;
  neurons: number;
  /** model-space input (C, H, W) */
  inputShape: [number, number, number];
  core: PretrainedCoreConfig;
  coreSource: CoreSource;
  /** the backbone's weights stay as loaded (OutBatchNorm and the readout still learn) */
  freezeCore: boolean;
  /** initial learning rate of the backbone; null: the run's --lr (upstream: one rate for all) */
  coreLr: number | null;
  readout: FinetuneReadoutOptions;
  /** rate = elu(readout + eluOffset) + 1 (the twins: -1) */
  eluOffset: number;
}

/** The twin whose core an architecture copies by default, and its cut. */
export const FINETUNE_DEFAULTS: Record<FinetuneArchName, { twin: TwinId; size: [number, number]; featureRegWeight: number }> = {
  // the V1 twin: ConvNeXtV2-atto cut at encoder.stages.1.layers.0 (80 x 11 x 11 at 93 x 93), gamma_readout 10
  'convnext-finetune': { twin: 'v1', size: [93, 93], featureRegWeight: 10 },
  // the V4 gray twin: ResNet-50 cut after layer3.0 (1024 x 7 x 7 at 100 x 100), gamma_readout 3
  'resnet-finetune': { twin: 'v4g', size: [100, 100], featureRegWeight: 3 },
};

export interface FinetuneSpec {
  neurons: number;
  size: [number, number];
  source: CoreSource;
  /** convnext: the HF module to cut at (default encoder.stages.1.layers.0); resnet: the module to cut after (layer3.0) */
  truncate?: string;
  /** convnext: the ConvNeXtV2 size (atto, femto, pico, nano, tiny; default atto) */
  convnextSize?: string;
  freezeCore?: boolean;
  coreLr?: number | null;
  gaussType?: GaussType;
  featureRegWeight?: number;
}

/** A twin's core fits an architecture only when it is the same backbone (V1: ConvNeXtV2; V4: ResNet-50). */
export function checkCoreTwin(arch: FinetuneArchName, twin: TwinId): void {
  const wants = arch === 'convnext-finetune' ? 'convnextv2-atto-stage1' : 'resnet50-layer3.0';
  if (TWINS[twin].core !== wants) {
    throw new InputError(`--core-from ${twin}: the ${twin} twin's core is ${TWINS[twin].core}, not a ${arch === 'convnext-finetune' ? 'ConvNeXtV2' : 'ResNet-50'}; ` +
      `use --arch ${arch === 'convnext-finetune' ? 'resnet-finetune' : 'convnext-finetune'}, or --core-from ${arch === 'convnext-finetune' ? 'v1' : 'v4g (or v4)'}`);
  }
}

export function finetuneArchitecture(arch: FinetuneArchName, s: FinetuneSpec): FinetuneArchitecture {
  let core: PretrainedCoreConfig;
  if (arch === 'convnext-finetune') {
    const size = s.convnextSize ?? 'atto';
    const config = CONVNEXTV2_PRESETS[size];
    if (!config) throw new InputError(`--convnext-size must be one of ${Object.keys(CONVNEXTV2_PRESETS).join(', ')}, got '${size}'`);
    const at = (s.truncate ?? 'encoder.stages.1.layers.0').replace(/^convnextv2\./, '');
    core = { backbone: { kind: 'convnextv2', config, truncateAt: at }, inputChannels: 1, nonlinearity: 'gelu', momentum: 0.1 };
  } else {
    core = { backbone: { kind: 'resnet50', truncateAfter: s.truncate ?? 'layer3.0' }, inputChannels: 1, nonlinearity: 'relu', momentum: 0.1 };
  }
  if (s.source.kind === 'twin') {
    checkCoreTwin(arch, s.source.twin);
    if (arch === 'convnext-finetune' && s.convnextSize && s.convnextSize !== 'atto') throw new InputError(`--core-from ${s.source.twin} is a ConvNeXtV2-atto; --convnext-size ${s.convnextSize} needs --core-weights`);
  }
  if (s.coreLr !== undefined && s.coreLr !== null && !(s.coreLr > 0)) throw new InputError(`--core-lr must be > 0, got ${s.coreLr}`);
  if (s.freezeCore && s.coreLr) throw new InputError('--core-lr and --freeze-core exclude each other (a frozen core does not learn)');
  return {
    arch, neurons: s.neurons, inputShape: [1, s.size[0], s.size[1]], core, coreSource: s.source, freezeCore: !!s.freezeCore, coreLr: s.coreLr ?? null,
    readout: { kind: 'gaussian', gaussType: s.gaussType ?? 'isotropic', featureRegWeight: s.featureRegWeight ?? FINETUNE_DEFAULTS[arch].featureRegWeight, initMuRange: 0.4, initSigma: 0.6 },
    eluOffset: -1,
  };
}

/** The model of a fine-tuning architecture with uninitialised weights (a member file or initialisation fills them). */
export function buildFinetuneModel(a: FinetuneArchitecture, backend?: Backend): FiringRateEncoder {
  const core = new PretrainedCore(a.core, backend);
  try {
    const [C] = core.probe(a.inputShape[1], a.inputShape[2]);
    const readout = new FullGaussian2d(C, a.neurons, core.backend, { gaussType: a.readout.gaussType, featureRegWeight: a.readout.featureRegWeight });
    return new FiringRateEncoder(core, readout, a.eluOffset, core.backend);
  } catch (e) {
    core.dispose();
    throw e;
  }
}

/** Pretrained weights for a core, in the core's key names (features.<backbone>.*, and OutBatchNorm from a twin). */
export interface CoreInit { source: string; tensors: Map<string, HostArray> }

function fileSha256(bytes: Uint8Array): string { return createHash('sha256').update(bytes).digest('hex'); }

/** Reads a state dict file (.safetensors, or a PyTorch .pth/.pt/.bin/.pth.tar) and its sha256. */
function readStateDictFile(path: string): { tensors: Map<string, HostArray>; sha256: string } {
  const bytes = readFileBytes(path, '--core-weights file');
  const ext = extname(path).toLowerCase();
  const tensors = ext === '.safetensors' ? parseSafetensors(bytes, path).tensors : readTorchCheckpoint(bytes, path);
  return { tensors, sha256: fileSha256(bytes) };
}

/** The source record of --core-weights FILE (its sha256 is part of the run's settings). */
export function fileSource(path: string): CoreSource {
  return { kind: 'file', path, sha256: readStateDictFile(path).sha256 };
}

/** The source record of --core-from TWIN (member k of the installed twin). */
export function twinSource(twin: TwinId, member: number, weightsDir?: string): CoreSource {
  const { sha256 } = loadMemberStateDict(twin, member, weightsHome(weightsDir));
  return { kind: 'twin', twin, member, sha256 };
}

/**
 * The pretrained weights of an architecture's core. A twin gives its member's core.* tensors (V4 checkpoints
 * name layer3[0] '0', as clip_model's Sequential: renamed to layer3.0); a file gives an HF ConvNextV2 state dict
 * (with or without 'convnextv2.') or a torchvision ResNet-50 one (with or without 'module.'), mapped under the
 * core's backbone prefix. Whether every key the truncated backbone needs is there is checked by applyCoreInit.
 */
export function loadCoreInit(a: FinetuneArchitecture, weightsDir?: string): CoreInit {
  const src = a.coreSource, prefix = backbonePrefix(a.core.backbone);
  if (src.kind === 'twin') {
    const { tensors, path } = loadMemberStateDict(src.twin, src.member, weightsHome(weightsDir));
    const v4 = `core.${TWINS[src.twin].backbonePrefix.slice('core.'.length)}0.`;
    const out = new Map<string, HostArray>();
    for (const [k, v] of tensors) {
      if (!k.startsWith('core.')) continue;
      const key = k.startsWith(v4) ? `${v4.slice(0, -2)}layer3.0.${k.slice(v4.length)}` : k;
      out.set(key.slice('core.'.length), v);
    }
    return { source: `${path} (the ${src.twin} twin's member ${src.member})`, tensors: out };
  }
  const { tensors, sha256 } = readStateDictFile(src.path);
  if (sha256 !== src.sha256) throw new WeightsError(`${src.path}: sha256 ${sha256} differs from the one recorded for this run (${src.sha256}); the file changed`);
  const sd = stripPrefixes(tensors, a.core.backbone.kind === 'convnextv2' ? ['convnextv2.', 'module.'] : ['module.model.', 'module.', 'model.']);
  return { source: src.path, tensors: new Map([...sd].map(([k, v]) => [`${prefix}${k}`, v as HostArray])) };
}

/** Puts pretrained weights into a core: the backbone (every key it needs), and OutBatchNorm when given. */
export function applyCoreInit(core: PretrainedCore, init: CoreInit): void {
  const prefix = backbonePrefix(core.config.backbone);
  const backbone: StateDict = new Map([...init.tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  const own = [...core.backbone.stateDict().keys()];
  if (!own.some((k) => backbone.has(k))) {
    const some = [...init.tensors.keys()].slice(0, 4).map((k) => (k.startsWith(prefix) ? k.slice(prefix.length) : k));
    throw new WeightsError(`${init.source} has no weights of a ${describeBackbone(core.config.backbone)}: keys like ${some.join(', ') || '(none)'}; ` +
      `expected keys like ${own.slice(0, 3).join(', ')}`);
  }
  core.loadBackbone(backbone, init.source);
  if ([...init.tensors.keys()].some((k) => k.startsWith('features.OutBatchNorm.'))) core.loadOutBatchNorm(init.tensors, init.source);
}

/**
 * The parameters Adam updates and their learning-rate factors: a frozen core's backbone is left out (its
 * requiresGrad cleared, so no gradient work reaches it); with a core rate the backbone's factor is coreLr / lr.
 */
export function finetuneParameters(model: FiringRateEncoder, a: FinetuneArchitecture, lr: number): { params: Tensor[]; lrScale: number[] | undefined } {
  const core = model.core as PretrainedCore;
  if (a.freezeCore) core.backbone.requiresGrad_(false);
  const backbone = new Set(core.backbone.parameters());
  const params = model.parameters().filter((p) => p.requiresGrad);
  const lrScale = a.coreLr === null ? undefined : params.map((p) => (backbone.has(p) ? a.coreLr! / lr : 1));
  return { params, lrScale };
}
