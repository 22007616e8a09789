// Where the parts of a neuralpredictors model sit in its state dict: the core under `core.` (an Encoder /
// FiringRateEncoder) or `conv_core.` (the Allen notebook's CustomCNN_2_pooling), the readout under `readout.` (one
// readout) or `readout.<data_key>.` (a MultiReadout, one readout per data set: a ModuleDict). A `module.` prefix
// on every key (torch.nn.DataParallel) is dropped first. Anything else (shifter, modulator, ...) is not part of
// a twin and is reported as unknown.
import { InputError, WeightsError } from '../../errors.js';
import type { HostArray } from '../../io/host-array.js';

/** names a single readout's own state-dict entries start with (PointPyramid2d, FullGaussian2d and their variants) */
const READOUT_NAMES = new Set(['grid', 'features', 'bias', 'gauss_pyramid', '_mu', 'sigma', '_features', 'scales', 'mu_transform', 'source_grid', 'feature_sharing_index', 'grid_sharing_index']);

export interface SplitStateDict {
  /** the core's entries, prefix removed (features.layer0.conv.weight, ...) */
  core: Map<string, HostArray>;
  /** the chosen readout's entries, prefix removed (grid, features, bias, ... or _mu, sigma, _features, bias) */
  readout: Map<string, HostArray>;
  /** 'core.' or 'conv_core.', with 'module.' in front when the file has it */
  corePrefix: string;
  /** 'readout.' or 'readout.<data_key>.' */
  readoutPrefix: string;
  /** the readout used, for a multi-readout model; null for a single readout */
  dataKey: string | null;
  /** every data key of a multi-readout model (empty for a single readout) */
  dataKeys: string[];
}

const list = (keys: readonly string[], n = 12) => `${keys.slice(0, n).join(', ')}${keys.length > n ? `, ... (${keys.length} in all)` : ''}`;

/**
 * Splits a state dict into core and readout. `dataKey` chooses the readout of a multi-readout model (required when
 * it has several). Errors: no core / no readout (naming the prefixes looked for and the keys found), unknown
 * top-level entries (listed), several data keys without `dataKey`, an unknown `dataKey` (listing the known).
 */
export function splitStateDict(sd: Map<string, HostArray>, source: string, dataKey?: string): SplitStateDict {
  const keys = [...sd.keys()];
  const outer = keys.length > 0 && keys.every((k) => k.startsWith('module.')) ? 'module.' : '';
  const cores = ['core.', 'conv_core.'].filter((p) => keys.some((k) => k.startsWith(outer + p)));
  if (cores.length !== 1) {
    throw new WeightsError(`${source}: ${cores.length ? 'both core. and conv_core. entries' : 'no core entries (core.* of a neuralpredictors Encoder or conv_core.* of the Allen notebook\'s model)'}; ` +
      `this is not a Stacked2dCore + readout state dict. Its keys: ${list(keys)}`);
  }
  const corePrefix = outer + cores[0]!, readoutRoot = `${outer}readout.`;
  const unknown = keys.filter((k) => !k.startsWith(corePrefix) && !k.startsWith(readoutRoot));
  if (unknown.length) {
    throw new WeightsError(`${source}: unknown state-dict entries outside the core and the readout: ${list(unknown)}. ` +
      'A twin is a core, a readout and the ELU+1 output; models with a shifter or modulator cannot be imported');
  }
  const readoutKeys = keys.filter((k) => k.startsWith(readoutRoot)).map((k) => k.slice(readoutRoot.length));
  if (readoutKeys.length === 0) throw new WeightsError(`${source}: no readout entries (${readoutRoot}*); the state dict holds only a core`);
  const firsts = [...new Set(readoutKeys.map((k) => k.split('.')[0]!))];
  const single = firsts.some((f) => READOUT_NAMES.has(f));
  let readoutPrefix = readoutRoot, chosen: string | null = null;
  const dataKeys = single ? [] : firsts;
  if (single) {
    if (dataKey !== undefined) throw new InputError(`--data-key ${dataKey}: ${source} has a single readout (${readoutRoot}${firsts.join(', ' + readoutRoot)}), not one per data key; leave --data-key out`);
  } else {
    if (dataKey === undefined) {
      if (firsts.length > 1) throw new InputError(`${source} has one readout per data key (${firsts.join(', ')}); choose the neurons to import with --data-key (or "data_key" in the config)`);
      chosen = firsts[0]!;
    } else {
      if (!firsts.includes(dataKey)) throw new InputError(`--data-key ${dataKey} is not a readout of ${source}; its data keys: ${firsts.join(', ')}`);
      chosen = dataKey;
    }
    readoutPrefix = `${readoutRoot}${chosen}.`;
  }
  const strip = (prefix: string) => new Map([...sd].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
  return { core: strip(corePrefix), readout: strip(readoutPrefix), corePrefix, readoutPrefix, dataKey: chosen, dataKeys };
}
