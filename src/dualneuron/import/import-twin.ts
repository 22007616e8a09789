// `dualneuron import-twin`: a neuralpredictors Stacked2dCore + readout state dict -> a twin folder (twin.json +
// member_1.safetensors, the layout `dualneuron train` writes), which predict and evaluate take as --model DIR. The model is rebuilt on the CPU backend from the inferred architecture and the file's tensors are
// checked against it key by key (missing, unexpected, mis-shaped: all listed under the file's own key names)
// before anything is written; member_1.safetensors then holds exactly what loadTrainedTwin loads.
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { InputError, WeightsError } from '../../errors.js';
import { type Backend, cpu } from '../../tensor/index.js';
import type { HostArray } from '../../io/host-array.js';
import { readTorchStateDict } from '../../io/pytorch.js';
import { isLegacyTorchCheckpoint, legacyTorchToZip } from '../../io/pytorch-legacy.js';
import { parseSafetensors, writeSafetensors } from '../../io/safetensors.js';
import { ensureDir, readFileBytes, writeFileAtomic } from '../../io/atomic.js';
import { Stacked2dCore } from '../../models/stacked2d.js';
import { buildTwinModel } from '../train/architecture.js';
import { moduleToHost } from '../train/state.js';
import { MANIFEST_NAME, TWIN_FORMAT, type TwinManifest } from '../train/manifest.js';
import type { NpImportConfig } from './np-config.js';
import { splitStateDict, type SplitStateDict } from './np-keys.js';
import { planImport, type NpPlan } from './np-architecture.js';

export type StateDictFormat = 'pytorch-zip' | 'pytorch-legacy' | 'safetensors';

export interface ReadStateDict {
  tensors: Map<string, HostArray>;
  format: StateDictFormat;
  /** the checkpoint-dict key that held the state dict ('model_state_dict', 'state_dict', 'model'), or null */
  key: string | null;
}

/** A state dict from the bytes of a .pt/.pth (zip or legacy torch.save) or a .safetensors file. */
export function readStateDictBytes(bytes: Uint8Array, source: string): ReadStateDict {
  const isZip = bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b;
  if (isZip) return { ...readTorchStateDict(bytes, source), format: 'pytorch-zip' };
  if (isLegacyTorchCheckpoint(bytes)) return { ...readTorchStateDict(legacyTorchToZip(bytes, source), source), format: 'pytorch-legacy' };
  if (/\.safetensors$/i.test(source) || (bytes.length > 9 && bytes[8] === 0x7b)) return { tensors: parseSafetensors(bytes, source).tensors, format: 'safetensors', key: null };
  return { ...readTorchStateDict(bytes, source), format: 'pytorch-zip' }; // its FormatError says what the file is instead
}

/** The manifest of an imported twin: twin.json's fields plus where the weights came from. */
export interface ImportedTwinManifest extends TwinManifest {
  imported: {
    from: 'neuralpredictors'; file: string; sha256: string; bytes: number; format: StateDictFormat; state_dict_key: string | null;
    core_prefix: string; readout_prefix: string; data_key: string | null; data_keys: string[];
    core_class: string; readout_class: string; config: NpImportConfig; notes: string[];
  };
}

export interface ImportTwinOptions {
  /** the state dict file (read by the caller; named here for the manifest and messages) */
  file: string;
  bytes: Uint8Array;
  config: NpImportConfig;
  out: string;
  dataKey?: string;
  size?: [number, number];
  mean?: number;
  std?: number;
  neuronIds?: string[];
  name?: string;
  /** replace a twin already in `out` */
  overwrite?: boolean;
  command?: string;
  log?: (s: string) => void;
}

/**
 * Checks the plan's tensors against a model built from its architecture. Keys the file may lack are filled from the
 * model: the constant filters (Laplace regulariser, pyramid) and the batch-norm batch counters.
 */
function checkAgainstModel(plan: NpPlan, expected: Map<string, readonly number[]>, source: string): Map<string, HostArray> {
  const optional = (k: string) => k === 'core._input_weights_regularizer.laplace.filter' || k === 'readout.gauss_pyramid.filter' || k.endsWith('.num_batches_tracked');
  const missing = [...expected.keys()].filter((k) => !plan.weights.has(k) && !optional(k));
  const unexpected = [...plan.weights.keys()].filter((k) => !expected.has(k));
  const mismatched: string[] = [];
  for (const [k, v] of plan.weights) {
    const want = expected.get(k);
    if (want && (want.length !== v.shape.length || want.some((s, i) => s !== v.shape[i]))) mismatched.push(`${plan.fileKey(k)}: found [${v.shape.join(', ')}], expected [${want.join(', ')}]`);
  }
  if (missing.length || unexpected.length || mismatched.length) {
    const lines = [`${source} does not fit the model described by its shapes and the configuration (core ${plan.coreClass}, readout ${plan.readoutClass}):`];
    if (missing.length) lines.push(`  missing keys (${missing.length}): ${missing.map(plan.fileKey).join(', ')}`);
    if (unexpected.length) lines.push(`  unknown keys (${unexpected.length}): ${unexpected.map(plan.fileKey).join(', ')}`);
    if (mismatched.length) lines.push(`  shape mismatches (${mismatched.length}):\n    ${mismatched.join('\n    ')}`);
    lines.push('  check the configuration\'s arguments (bias, batch_norm, batch_norm_scale, skip, stack, scale_n, ...) against the ones the model was built with');
    throw new WeightsError(lines.join('\n'));
  }
  return new Map([...plan.weights].filter(([k]) => expected.has(k)));
}

/** Reads, maps and checks a state dict; returns the plan and the twin's weights (our keys, as train writes them). */
export async function convertStateDict(o: Omit<ImportTwinOptions, 'out'>, backend: Backend = cpu()): Promise<{ plan: NpPlan; read: ReadStateDict; split: SplitStateDict; weights: Map<string, HostArray> }> {
  const read = readStateDictBytes(o.bytes, o.file);
  const dataKey = o.dataKey ?? o.config.data_key;
  const split = splitStateDict(read.tensors, o.file, dataKey);
  const plan = planImport(split, o.config, {
    size: o.size, mean: o.mean, std: o.std, neuronIds: o.neuronIds,
    coreOutChannels: (c) => { const core = new Stacked2dCore(c, backend); const n = core.outChannels; core.dispose(); return n; },
  });
  const model = buildTwinModel(plan.architecture, backend);
  try {
    const expected = new Map([...model.stateDict()].map(([k, t]) => [k, t.shape]));
    const load = checkAgainstModel(plan, expected, o.file);
    model.loadStateDict(load, { strict: false, source: o.file });
    model.eval();
    return { plan, read, split, weights: await moduleToHost(model) };
  } finally {
    model.dispose();
  }
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export async function importTwin(o: ImportTwinOptions): Promise<ImportedTwinManifest> {
  const log = o.log ?? ((s: string) => console.error(s));
  if (!o.overwrite && existsSync(join(o.out, MANIFEST_NAME))) throw new InputError(`${o.out} already holds a twin (${MANIFEST_NAME}); give another --out, or --overwrite to replace it`);
  const { plan, read, split, weights } = await convertStateDict(o);
  log(`read ${o.file} (${read.format}${read.key ? `, state dict under '${read.key}'` : ''}): core ${plan.coreClass}, readout ${plan.readoutClass}, ${plan.architecture.neurons} neurons`);
  for (const n of plan.notes) log(`  ${n}`);
  const sourceSha = sha256(o.bytes);
  ensureDir(o.out);
  const file = 'member_1.safetensors';
  writeSafetensors(join(o.out, file), weights, { format: TWIN_FORMAT, member: '1', imported_from: basename(o.file), source_sha256: sourceSha });
  const memberSha = sha256(readFileBytes(join(o.out, file), 'twin member'));
  const manifest: ImportedTwinManifest = {
    format: TWIN_FORMAT, version: 1, name: o.name ?? o.config.name ?? `neuralpredictors twin from ${basename(o.file)}`,
    architecture: plan.architecture,
    input: { shape: plan.architecture.inputShape, preprocessing: { kind: 'notebook', ...plan.preprocessing } },
    neurons: { count: plan.architecture.neurons, ids: plan.neuronIds },
    // trained elsewhere: no seed, epochs or validation correlation known here (NaN is written as null)
    members: [{ member: 1, file, sha256: memberSha, seed: '', epochs: 0, best_epoch: 0, validation_correlation: NaN, stopped: 'imported', history: [] }],
    data: {
      source: resolve(o.file), layout: 'imported', origin: 'neuralpredictors state dict', images: 0, repeats: 0, response_unit: 'unknown',
      split: { seed: '', validation: 0, test: 0, train_ids: [], validation_ids: [], test_ids: [] },
    },
    training: {},
    correlation: { validation: null, test: null, test_per_neuron: [] },
    created: new Date().toISOString(), command: o.command ?? '',
    imported: {
      from: 'neuralpredictors', file: resolve(o.file), sha256: sourceSha, bytes: o.bytes.length, format: read.format, state_dict_key: read.key,
      core_prefix: split.corePrefix, readout_prefix: split.readoutPrefix, data_key: split.dataKey, data_keys: split.dataKeys,
      core_class: plan.coreClass, readout_class: plan.readoutClass, config: o.config, notes: plan.notes,
    },
  };
  writeFileAtomic(join(o.out, MANIFEST_NAME), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}
