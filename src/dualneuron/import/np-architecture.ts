// A neuralpredictors state dict (split into core and readout by np-keys.ts) plus its constructor arguments ->
// the architecture of a twin folder (twin.json) and its weights under our keys. What the shapes tell is inferred:
// input and hidden channels, kernel sizes, layers, skip, per-layer convolution bias / batch norm / affine /
// Bias2DLayer / Scale2DLayer, neurons, the readout's kind, its pyramid levels and filter or its gauss type. The rest
// (pooling, padding, stride, stack, nonlinearity, readout options, input size and normalisation) comes from the
// configuration, with neuralpredictors' defaults. Arguments that contradict the shapes surface as missing,
// unexpected or mis-shaped keys when the model is checked (import-twin.ts).
import { InputError, ShapeError, WeightsError } from '../../errors.js';
import type { HostArray } from '../../io/host-array.js';
import { toFloat32 } from '../../io/host-array.js';
import { type Stacked2dCoreConfig, neuralpredictorsStacked2dConfig } from '../../models/stacked2d.js';
import { PYRAMID_FILTERS, type PyramidFilter } from '../../models/pyramid-readout.js';
import type { GaussType } from '../../models/readout.js';
import type { Stacked2dArchitecture } from '../train/architecture.js';
import { POOLING_CORE_ARGS, POOLING_CORE_IGNORED, type CoreClass, type NpImportConfig } from './np-config.js';
import type { SplitStateDict } from './np-keys.js';

export type ReadoutClass = 'PointPyramid2d' | 'FullGaussian2d';

export interface NpPlan {
  architecture: Stacked2dArchitecture;
  /** the file's tensors under our keys (core.*, readout.*) */
  weights: Map<string, HostArray>;
  /** our key -> the file's key, for messages */
  fileKey: (ours: string) => string;
  coreClass: CoreClass;
  readoutClass: ReadoutClass;
  neuronIds: string[];
  preprocessing: { size: [number, number]; mean: number; std: number };
  /** what was inferred or assumed, for the user and the manifest */
  notes: string[];
}

export interface NpPlanOptions {
  size?: [number, number];
  mean?: number;
  std?: number;
  neuronIds?: string[];
  /** the core's output channels for a core configuration (the caller builds the core to know) */
  coreOutChannels: (c: Stacked2dCoreConfig) => number;
}

const shapeOf = (a: HostArray | undefined) => (a ? `[${a.shape.join(', ')}]` : 'absent');

/** per-layer structure read off the keys: layers, channels, kernels, skip and the flags of each layer */
function coreStructure(core: Map<string, HostArray>, corePrefix: string) {
  const layerIdx = [...new Set([...core.keys()].flatMap((k) => { const m = /^features\.layer(\d+)\./.exec(k); return m ? [Number(m[1])] : []; }))].sort((a, b) => a - b);
  const w0 = core.get('features.layer0.conv.weight');
  if (!w0) throw new WeightsError(`missing key ${corePrefix}features.layer0.conv.weight (the input convolution); the core's keys: ${[...core.keys()].slice(0, 8).join(', ')}`);
  if (w0.shape.length !== 4 || w0.shape[2] !== w0.shape[3]) throw new ShapeError(`${corePrefix}features.layer0.conv.weight has shape ${shapeOf(w0)}; expected (hidden_channels, input_channels, k, k) with a square kernel`);
  const layers = layerIdx.length;
  if (layerIdx.some((l, i) => l !== i)) throw new WeightsError(`the core's layers are ${layerIdx.map((l) => `layer${l}`).join(', ')}; expected layer0..layer${layers - 1} without gaps`);
  const [H, Cin, k0] = w0.shape as [number, number, number, number];
  const hiddenKern: number[] = [], skipFactor: number[] = [];
  for (let l = 1; l < layers; l++) {
    const key = `features.layer${l}.conv.weight`, w = core.get(key);
    if (!w) throw new WeightsError(`missing key ${corePrefix}${key} (layer ${l}'s convolution)`);
    if (w.shape.length !== 4 || w.shape[0] !== H || w.shape[1]! % H !== 0 || w.shape[2] !== w.shape[3]) {
      throw new ShapeError(`${corePrefix}${key} has shape ${shapeOf(w)}; expected (${H}, m * ${H}, k, k) with a square kernel (hidden_channels ${H} from layer 0)`);
    }
    hiddenKern.push(w.shape[2]!);
    skipFactor.push(w.shape[1]! / H);
  }
  const maxSkip = Math.max(1, ...skipFactor);
  const skip = maxSkip > 1 ? maxSkip : 0;
  const has = (l: number, s: string) => core.has(`features.layer${l}.${s}`);
  const ls = [...Array(layers).keys()];
  return {
    inputChannels: Cin, hiddenChannels: H, inputKern: k0, hiddenKern, layers, skip,
    convBias: ls.map((l) => has(l, 'conv.bias')),
    batchNorm: ls.map((l) => has(l, 'norm.running_mean') || has(l, 'norm.weight')),
    batchNormAffine: ls.map((l) => has(l, 'norm.weight')),
    batchNormExtra: ls.map((l) => (has(l, 'bias.bias') ? 'bias' as const : has(l, 'scale.scale') ? 'scale' as const : null)),
  };
}

function coreConfig(split: SplitStateDict, cfg: NpImportConfig, notes: string[]): { core: Stacked2dCoreConfig; coreClass: CoreClass } {
  const s = coreStructure(split.core, split.corePrefix);
  const coreClass: CoreClass = cfg.core_class ?? (split.corePrefix.endsWith('conv_core.') ? 'Stacked2dCore_pooling' : 'Stacked2dCore');
  const a = cfg.core ?? {};
  const inferred = { input_channels: s.inputChannels, hidden_channels: s.hiddenChannels, input_kern: s.inputKern, hidden_kern: s.hiddenKern, layers: s.layers, skip: s.skip };
  const args = { ...inferred, ...a };
  const fromKeys = { convBias: s.convBias, batchNorm: s.batchNorm, batchNormAffine: s.batchNormAffine, batchNormExtra: s.batchNormExtra };
  notes.push(`core (${coreClass}) from the shapes: input_channels ${s.inputChannels}, hidden_channels ${s.hiddenChannels}, input_kern ${s.inputKern}, hidden_kern [${s.hiddenKern.join(', ')}], layers ${s.layers}, skip ${s.skip}`);
  if (coreClass === 'Stacked2dCore') {
    if (a.pooling !== undefined || a.hidden_pooling !== undefined || a.skip_nonlin !== undefined) {
      throw new InputError('"core": pooling, hidden_pooling and skip_nonlin are arguments of the notebook\'s Stacked2dCore_pooling; set "core_class": "Stacked2dCore_pooling" for that core');
    }
    // no pooling in neuralpredictors' Stacked2dCore (stated, so that the notebook's defaults never fill it in)
    const core: Stacked2dCoreConfig = { ...neuralpredictorsStacked2dConfig(args as Parameters<typeof neuralpredictorsStacked2dConfig>[0]), pooling: 1, hiddenPooling: 1 };
    // the convolution bias, batch norm and bias/scale layers of each layer are what the keys hold, unless the
    // configuration states them (then a contradiction shows up as missing or unexpected keys)
    const stated = ['bias', 'batch_norm', 'batch_norm_scale', 'final_batchnorm_scale'].filter((k) => k in a);
    return { core: stated.length ? core : { ...core, ...fromKeys }, coreClass };
  }
  // the Allen notebook's Stacked2dCore_pooling: the same bias flag for every convolution, affine batch norms,
  // AvgPool2d(pooling) after the input convolution and AvgPool2d(hidden_pooling) after the others
  const foreign = Object.keys(a).filter((k) => !POOLING_CORE_ARGS.includes(k) && !POOLING_CORE_IGNORED.includes(k));
  if (foreign.length) throw new InputError(`"core": ${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not ${foreign.length > 1 ? 'arguments' : 'an argument'} of the notebook's Stacked2dCore_pooling (known: ${POOLING_CORE_ARGS.join(', ')}); for neuralpredictors' Stacked2dCore set "core_class": "Stacked2dCore"`);
  for (const k of ['pooling', 'hidden_pooling'] as const) {
    if (a[k] === undefined) throw new InputError(`"core.${k}" is missing: Stacked2dCore_pooling requires it and the state dict cannot tell it (the notebook: pooling 2, hidden_pooling 1)`);
    if (!Number.isInteger(a[k]) || a[k]! < 1) throw new InputError(`"core.${k}" must be an integer >= 1, got ${JSON.stringify(a[k])}`);
  }
  for (const k of ['bias', 'batch_norm', 'final_nonlinearity', 'pad_input', 'skip_nonlin'] as const) {
    if (a[k] !== undefined && typeof a[k] !== 'boolean') throw new InputError(`"core.${k}" of Stacked2dCore_pooling is one true/false for every layer, got ${JSON.stringify(a[k])}`);
  }
  if (!Number.isInteger(args.hidden_channels)) throw new InputError(`"core.hidden_channels" of Stacked2dCore_pooling is one integer, got ${JSON.stringify(args.hidden_channels)}`);
  const ignored = POOLING_CORE_IGNORED.filter((k) => k in a);
  if (ignored.length) notes.push(`core: ${ignored.join(', ')} ignored (Stacked2dCore_pooling swallows ${ignored.length > 1 ? 'them' : 'it'} in **kwargs: its convolutions have stride 1)`);
  const L = args.layers;
  const every = <T>(v: T | undefined, keys: T[]): T[] => (v === undefined ? keys : new Array<T>(L).fill(v));
  const hk = args.hidden_kern;
  return {
    coreClass,
    core: {
      inputChannels: args.input_channels, hiddenChannels: args.hidden_channels as number, inputKern: args.input_kern, hiddenKern: hk,
      layers: L, gammaHidden: a.gamma_hidden ?? 0, gammaInput: a.gamma_input ?? 0, skip: args.skip, stride: 1, inputStride: 1,
      finalNonlinearity: a.final_nonlinearity ?? true, linear: a.skip_nonlin ?? false, momentum: a.momentum ?? 0.1,
      padInput: a.pad_input ?? true, laplacePadding: a.laplace_padding ?? 0, inputRegularizer: 'LaplaceL2', useAvgReg: true,
      convBias: every(a.bias as boolean | undefined, s.convBias), batchNorm: every(a.batch_norm as boolean | undefined, s.batchNorm),
      batchNormAffine: every<boolean>(true, []), batchNormExtra: every<'bias' | 'scale' | null>(null, []),
      pooling: a.pooling, hiddenPooling: a.hidden_pooling,
    },
  };
}

/** which of PYRAMID_FILTERS the stored filter is (float32 values, as upstream's buffer), or null */
function filterType(f: HostArray): PyramidFilter | null {
  const v = toFloat32(f);
  for (const [name, ref] of Object.entries(PYRAMID_FILTERS) as [PyramidFilter, readonly number[]][]) {
    if (ref.length === v.length && ref.every((r, i) => Math.abs(Math.fround(r) - v[i]!) <= 1e-7)) return name;
  }
  return null;
}

const PYRAMID_ONLY = ['scale_n', 'positive', 'init_range', 'downsample', 'type', '_skip_upsampling'];
const GAUSSIAN_ONLY = ['gauss_type', 'init_mu_range', 'init_sigma', 'batch_sample', 'grid_mean_predictor', 'shared_features', 'shared_grid', 'source_grid', 'return_weighted_features'];

export function planImport(split: SplitStateDict, cfg: NpImportConfig, o: NpPlanOptions): NpPlan {
  const notes: string[] = [];
  const { core, coreClass } = coreConfig(split, cfg, notes);
  const C = o.coreOutChannels(core);
  const r = split.readout, ra = cfg.readout ?? {}, rp = split.readoutPrefix;
  const isPyramid = r.has('grid') || r.has('features'), isGaussian = r.has('_mu') || r.has('_features') || r.has('sigma');
  if (isPyramid === isGaussian) {
    throw new WeightsError(`the readout's entries (${[...r.keys()].map((k) => rp + k).join(', ')}) are ${isPyramid ? 'both' : 'neither'} a PointPyramid2d (grid, features) ${isPyramid ? 'and' : 'nor'} a FullGaussian2d (_mu, sigma, _features)`);
  }
  const readoutClass: ReadoutClass = isPyramid ? 'PointPyramid2d' : 'FullGaussian2d';
  const foreign = Object.keys(ra).filter((k) => (isPyramid ? GAUSSIAN_ONLY : PYRAMID_ONLY).includes(k));
  if (foreign.length) throw new InputError(`"readout": ${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not ${readoutClass}'s, but the state dict holds a ${readoutClass} (${isPyramid ? 'grid, features' : '_mu, sigma, _features'})`);
  if (ra.align_corners === false && !isPyramid) throw new InputError('"readout.align_corners": false is not supported for FullGaussian2d (the DualNeuron readout samples with align_corners=True)');
  const weights = new Map<string, HostArray>();
  for (const [k, v] of split.core) weights.set(`core.${k}`, v);
  for (const [k, v] of r) weights.set(`readout.${k}`, v);
  const need = (k: string, rank: number): HostArray => {
    const v = r.get(k);
    if (!v) throw new WeightsError(`missing key ${rp}${k} (the ${readoutClass} readout's; it has ${[...r.keys()].map((x) => rp + x).join(', ')})`);
    if (v.shape.length !== rank) throw new ShapeError(`${rp}${k} has shape ${shapeOf(v)}; expected ${rank} dimensions`);
    return v;
  };
  let N: number, readout: Stacked2dArchitecture['readout'];
  const featureRegWeight = ra.feature_reg_weight ?? ra.gamma_readout ?? 1;
  if (isPyramid) {
    N = need('grid', 4).shape[1]!;
    const F = need('features', 4).shape[1]!;
    let scaleN = ra.scale_n;
    if (scaleN === undefined) {
      if (F % C !== 0 || F / C < 1) throw new ShapeError(`${rp}features has ${F} channels, not a multiple of the core's ${C} output channels (hidden_channels x stacked layers); check "core.stack" and "readout.scale_n"`);
      scaleN = F / C - 1;
      notes.push(`readout PointPyramid2d: scale_n ${scaleN} from ${rp}features (${F} = ${C} x ${scaleN + 1})`);
    }
    if (ra._skip_upsampling) throw new InputError('"readout._skip_upsampling": true (the old, inexact Laplace pyramid) is not supported');
    const filter = r.get('gauss_pyramid.filter');
    const stored = filter ? filterType(filter) : null;
    if (filter && !stored) throw new WeightsError(`${rp}gauss_pyramid.filter (${shapeOf(filter)}) is none of the pyramid filters ${Object.keys(PYRAMID_FILTERS).join(', ')}`);
    if (ra.type !== undefined && !(ra.type in PYRAMID_FILTERS)) throw new InputError(`"readout.type" must be one of ${Object.keys(PYRAMID_FILTERS).join(', ')}, got ${JSON.stringify(ra.type)}`);
    if (ra.type !== undefined && stored && ra.type !== stored) throw new WeightsError(`"readout.type" is ${ra.type} but ${rp}gauss_pyramid.filter holds ${stored}`);
    const type = (ra.type as PyramidFilter | undefined) ?? stored ?? 'gauss5x5';
    if (stored && ra.type === undefined) notes.push(`readout PointPyramid2d: filter ${stored} from ${rp}gauss_pyramid.filter`);
    const positive = ra.positive ?? false;
    if (ra.positive === undefined) {
      const neg = toFloat32(r.get('features')!).filter((x) => x < 0).length;
      if (neg) notes.push(`readout: positive=False (neuralpredictors' default) and ${neg} feature weights are negative; if the model was built with positive=True, set "readout": {"positive": true} (its forward sets them to 0)`);
    }
    readout = { kind: 'pyramid', scaleN, type, positive, bias: ra.bias ?? r.has('bias'), downsample: ra.downsample ?? true, alignCorners: ra.align_corners ?? true, featureRegWeight };
  } else {
    N = need('_mu', 4).shape[1]!;
    const sigma = need('sigma', 4);
    const byShape: Record<string, GaussType> = { '1,1': 'isotropic', '1,2': 'uncorrelated', '2,2': 'full' };
    const gaussType = byShape[`${sigma.shape[2]},${sigma.shape[3]}`];
    if (!gaussType) throw new ShapeError(`${rp}sigma has shape ${shapeOf(sigma)}; expected (1, N, 1, 1) isotropic, (1, N, 1, 2) uncorrelated or (1, N, 2, 2) full`);
    if (ra.gauss_type !== undefined && ra.gauss_type !== gaussType) throw new WeightsError(`"readout.gauss_type" is ${JSON.stringify(ra.gauss_type)} but ${rp}sigma ${shapeOf(sigma)} is ${gaussType}`);
    for (const k of ['grid_mean_predictor', 'shared_features', 'shared_grid'] as const) {
      if (ra[k] !== undefined && ra[k] !== null) throw new InputError(`"readout.${k}" is not supported (readouts whose positions or features are predicted or shared cannot be imported)`);
    }
    notes.push(`readout FullGaussian2d: gauss_type ${gaussType} from ${rp}sigma ${shapeOf(sigma)}; evaluated at the learned means (eval mode)`);
    if (!r.has('bias') && ra.bias !== true) {
      weights.set('readout.bias', { dtype: 'f32', shape: [N], data: new Float32Array(N) });
      notes.push('readout: no bias in the state dict (bias=False): bias 0');
    }
    readout = { kind: 'gaussian', gaussType, featureRegWeight };
  }
  if (ra.outdims !== undefined && ra.outdims !== N) throw new WeightsError(`"readout.outdims" is ${ra.outdims} but the readout's entries hold ${N} neurons`);
  const enc = cfg.encoder ?? {};
  if (enc.nonlinearity_type !== undefined && enc.nonlinearity_type !== 'elu') {
    throw new InputError(`"encoder.nonlinearity_type" ${JSON.stringify(enc.nonlinearity_type)} is not supported: the twins' output is elu(x + elu_offset) + 1 (FiringRateEncoder's default "elu")`);
  }
  const eluOffset = enc.elu_offset ?? 0;
  if (!Number.isFinite(eluOffset)) throw new InputError(`"encoder.elu_offset" must be a number, got ${JSON.stringify(enc.elu_offset)}`);

  const size = o.size ?? cfg.input?.size;
  if (!size) throw new InputError('the model\'s input size is not in a state dict: give --image-size HxW (or "input": {"size": [H, W]} in the config), the size of the images the model was trained on (the notebook: 60x96)');
  const mean = o.mean ?? cfg.input?.mean, std = o.std ?? cfg.input?.std;
  if (mean === undefined || std === undefined) notes.push(`input normalisation: ${mean === undefined ? 'mean 0 ' : ''}${std === undefined ? 'std 1 ' : ''}(not given); images given to predict --images are scaled to [0, 1] and then (x - mean) / std`);
  const ids = (o.neuronIds ?? cfg.neuron_ids)?.map(String) ?? Array.from({ length: N }, (_, n) => String(n));
  if (ids.length !== N) throw new InputError(`${ids.length} neuron ids given, but the readout has ${N} neurons`);
  if (new Set(ids).size !== ids.length) throw new InputError('the neuron ids are not unique');

  const fileKey = (ours: string) => (ours.startsWith('core.') ? split.corePrefix + ours.slice(5) : rp + ours.slice(8));
  return {
    architecture: { arch: 'stacked2d', neurons: N, inputShape: [core.inputChannels, size[0], size[1]], core, readout, ...(eluOffset ? { eluOffset } : {}) },
    weights, fileKey, coreClass, readoutClass, neuronIds: ids,
    preprocessing: { size: [size[0], size[1]], mean: mean ?? 0, std: std ?? 1 }, notes,
  };
}
