// twin.json, the manifest of a trained twin folder: what the model is (architecture and config), what it takes
// (input shape and the preprocessing from images), which neurons it predicts (ids in output order), its members
// (files, seeds, sha256), the data and split it was trained on, the training options and record, and its
// validation/test correlations. loadTrainedTwin (trained-twin.ts) rebuilds the twin from it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, InputError } from '../../errors.js';
import type { TwinArchitecture } from './architecture.js';
import type { EpochRecord } from './trainer.js';

export const TWIN_FORMAT = 'dualneuron-twin';
export const MANIFEST_NAME = 'twin.json';

export interface Preprocessing {
  /** the Allen notebook's: grayscale (PIL convert('L')), PIL bilinear resize to size, /255, then (x - mean) / std */
  kind: 'notebook';
  size: [number, number];
  mean: number;
  std: number;
}

export interface ManifestMember {
  member: number; file: string; sha256: string; seed: string; epochs: number; best_epoch: number;
  validation_correlation: number; stopped: string; history: EpochRecord[];
}

export interface TwinManifest {
  format: typeof TWIN_FORMAT;
  version: 1;
  name: string;
  architecture: TwinArchitecture;
  input: { shape: [number, number, number]; preprocessing: Preprocessing };
  neurons: { count: number; ids: string[] };
  members: ManifestMember[];
  data: { source: string; layout: string; origin: string; images: number; repeats: number; response_unit: string; split: { seed: string; validation: number; test: number; train_ids: string[]; validation_ids: string[]; test_ids: string[] } };
  training: Record<string, string | number | boolean>;
  correlation: { validation: number | null; test: number | null; test_per_neuron: (number | null)[] };
  created: string;
  command: string;
}

export function isTwinFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, MANIFEST_NAME));
}

export function readManifest(dir: string): TwinManifest {
  const file = join(dir, MANIFEST_NAME);
  if (!existsSync(file)) throw new InputError(`${dir} has no ${MANIFEST_NAME}; a trained twin folder is made by dualneuron train`);
  let m: TwinManifest;
  try { m = JSON.parse(readFileSync(file, 'utf8')) as TwinManifest; } catch (e) { throw new FormatError(`${file}: not valid JSON (${(e as Error).message})`); }
  if (m?.format !== TWIN_FORMAT) throw new FormatError(`${file}: "format" is ${JSON.stringify(m?.format)}, expected "${TWIN_FORMAT}"`);
  if (m.version !== 1) throw new FormatError(`${file}: version ${JSON.stringify(m.version)} is not supported (this dualneuron reads version 1)`);
  if (!m.architecture || !Array.isArray(m.members) || m.members.length === 0) throw new FormatError(`${file}: no architecture or no members`);
  if (!Array.isArray(m.neurons?.ids) || m.neurons.ids.length !== m.architecture.neurons) throw new FormatError(`${file}: neurons.ids lists ${m.neurons?.ids?.length} ids but the architecture has ${m.architecture.neurons} neurons`);
  return m;
}
