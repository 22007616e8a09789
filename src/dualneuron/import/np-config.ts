// The JSON configuration of `dualneuron import-twin`: what a neuralpredictors state dict does not say, given with
// neuralpredictors' own constructor-argument names (README "Importing a twin trained with neuralpredictors").
//   core         Stacked2dCore (or the Allen notebook's Stacked2dCore_pooling) arguments
//   core_class   "Stacked2dCore" (default) or "Stacked2dCore_pooling" (default when the keys start with conv_core.)
//   readout      PointPyramid2d / SpatialTransformerPyramid2d or FullGaussian2d arguments
//   encoder      FiringRateEncoder arguments (elu_offset, nonlinearity_type)
//   input        { size: [H, W], mean, std }: the model-space input and the image normalisation used in training
//   neuron_ids   the neurons' ids in output order; data_key: which readout of a multi-readout model; name
// Every object is checked for unknown names (listed in the error, with the known ones), so a misspelt argument is
// never silently ignored.
import { InputError } from '../../errors.js';
import type { NeuralpredictorsStacked2dArgs } from '../../models/stacked2d.js';

export const CORE_CLASSES = ['Stacked2dCore', 'Stacked2dCore_pooling'] as const;
export type CoreClass = typeof CORE_CLASSES[number];

/** Stacked2dCore's arguments plus Stacked2dCore_pooling's own (pooling, hidden_pooling, skip_nonlin) */
export type NpCoreArgs = Partial<NeuralpredictorsStacked2dArgs> & { pooling?: number; hidden_pooling?: number; skip_nonlin?: boolean };

export interface NpReadoutArgs {
  in_shape?: number[]; outdims?: number; bias?: boolean; feature_reg_weight?: number; gamma_readout?: number;
  mean_activity?: unknown; align_corners?: boolean;
  // PointPyramid2d / SpatialTransformerPyramid2d
  scale_n?: number; positive?: boolean; init_range?: number; downsample?: boolean; type?: string; _skip_upsampling?: boolean;
  // FullGaussian2d
  gauss_type?: string; init_mu_range?: number; init_sigma?: number; batch_sample?: boolean;
  grid_mean_predictor?: unknown; shared_features?: unknown; shared_grid?: unknown; source_grid?: unknown;
  return_weighted_features?: boolean;
}

export interface NpImportConfig {
  name?: string;
  core_class?: CoreClass;
  core?: NpCoreArgs;
  readout?: NpReadoutArgs;
  encoder?: { elu_offset?: number; nonlinearity_type?: string; nonlinearity_config?: unknown };
  input?: { size?: [number, number]; mean?: number; std?: number };
  neuron_ids?: string[];
  data_key?: string;
}

const TOP = ['name', 'core_class', 'core', 'readout', 'encoder', 'input', 'neuron_ids', 'data_key'];
const CORE_ARGS = [
  'input_channels', 'hidden_channels', 'input_kern', 'hidden_kern', 'layers', 'gamma_hidden', 'gamma_input', 'skip', 'stride',
  'input_stride', 'final_nonlinearity', 'elu_shift', 'bias', 'momentum', 'pad_input', 'hidden_padding', 'batch_norm',
  'batch_norm_scale', 'final_batchnorm_scale', 'hidden_dilation', 'laplace_padding', 'input_regularizer', 'stack',
  'use_avg_reg', 'depth_separable', 'attention_conv', 'linear', 'nonlinearity_type', 'nonlinearity_config',
];
export const POOLING_CORE_ARGS = [
  'input_channels', 'hidden_channels', 'input_kern', 'hidden_kern', 'pooling', 'hidden_pooling', 'layers', 'gamma_hidden',
  'gamma_input', 'skip', 'final_nonlinearity', 'bias', 'skip_nonlin', 'momentum', 'pad_input', 'batch_norm', 'laplace_padding',
];
/** arguments the notebook passes to Stacked2dCore_pooling that its **kwargs swallows (no effect there) */
export const POOLING_CORE_IGNORED = ['stride', 'input_stride'];
const READOUT_ARGS = [
  'in_shape', 'outdims', 'bias', 'feature_reg_weight', 'gamma_readout', 'mean_activity', 'align_corners', 'scale_n', 'positive',
  'init_range', 'downsample', 'type', '_skip_upsampling', 'gauss_type', 'init_mu_range', 'init_sigma', 'batch_sample',
  'grid_mean_predictor', 'shared_features', 'shared_grid', 'source_grid', 'return_weighted_features',
];
const ENCODER_ARGS = ['elu_offset', 'nonlinearity_type', 'nonlinearity_config'];
const INPUT_ARGS = ['size', 'mean', 'std'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkNames(where: string, v: unknown, known: readonly string[], source: string): void {
  if (v === undefined) return;
  if (!isObject(v)) throw new InputError(`${source}: "${where}" must be a JSON object, got ${JSON.stringify(v)}`);
  const unknown = Object.keys(v).filter((k) => !known.includes(k));
  if (unknown.length) throw new InputError(`${source}: unknown name(s) in "${where}": ${unknown.join(', ')} (known: ${known.join(', ')})`);
}

/** Validates a parsed config (names and the few types the importer relies on); `source` names it in errors. */
export function checkImportConfig(v: unknown, source: string): NpImportConfig {
  if (!isObject(v)) throw new InputError(`${source}: the import configuration must be a JSON object, got ${JSON.stringify(v)?.slice(0, 40)}`);
  checkNames('(top level)', v, TOP, source);
  const c = v as NpImportConfig;
  if (c.core_class !== undefined && !CORE_CLASSES.includes(c.core_class)) throw new InputError(`${source}: "core_class" must be one of ${CORE_CLASSES.join(', ')}, got ${JSON.stringify(c.core_class)}`);
  if (c.core !== undefined) {
    checkNames('core', c.core, c.core_class === 'Stacked2dCore_pooling' ? [...POOLING_CORE_ARGS, ...POOLING_CORE_IGNORED] : c.core_class === 'Stacked2dCore' ? CORE_ARGS : [...new Set([...CORE_ARGS, ...POOLING_CORE_ARGS])], source);
  }
  checkNames('readout', c.readout, READOUT_ARGS, source);
  checkNames('encoder', c.encoder, ENCODER_ARGS, source);
  checkNames('input', c.input, INPUT_ARGS, source);
  const size = c.input?.size;
  if (size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((s) => Number.isInteger(s) && s >= 1))) {
    throw new InputError(`${source}: "input.size" must be [H, W] in pixels, got ${JSON.stringify(size)}`);
  }
  for (const k of ['mean', 'std'] as const) {
    const x = c.input?.[k];
    if (x !== undefined && !(typeof x === 'number' && Number.isFinite(x))) throw new InputError(`${source}: "input.${k}" must be a number, got ${JSON.stringify(x)}`);
  }
  if (c.input?.std !== undefined && !(c.input.std > 0)) throw new InputError(`${source}: "input.std" must be > 0, got ${c.input.std}`);
  if (c.neuron_ids !== undefined && !(Array.isArray(c.neuron_ids) && c.neuron_ids.every((s) => typeof s === 'string' || typeof s === 'number'))) {
    throw new InputError(`${source}: "neuron_ids" must be a list of strings, got ${JSON.stringify(c.neuron_ids)?.slice(0, 60)}`);
  }
  if (c.data_key !== undefined && typeof c.data_key !== 'string') throw new InputError(`${source}: "data_key" must be a string, got ${JSON.stringify(c.data_key)}`);
  if (c.name !== undefined && typeof c.name !== 'string') throw new InputError(`${source}: "name" must be a string, got ${JSON.stringify(c.name)}`);
  return c;
}

/** Parses the config file's text. */
export function parseImportConfig(text: string, source: string): NpImportConfig {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw new InputError(`${source}: not valid JSON (${(e as Error).message})`); }
  return checkImportConfig(v, source);
}
