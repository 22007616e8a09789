// A whole training run into a folder: members 1..K trained (or resumed) one after the other, each written as
// member_<k>.safetensors (its best weights, neuralpredictors' state-dict keys) when it finishes; then twin.json
// with the ensemble's validation and test correlations. Per-member checkpoints live in checkpoints/ and are
// kept (they make a rerun with the same options a no-op; another --out or --overwrite starts afresh).
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import type { Backend } from '../../tensor/index.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { writeSafetensors } from '../../io/safetensors.js';
import type { RecordedData } from '../recorded/types.js';
import type { TwinArchitecture } from './architecture.js';
import type { CoreInit } from './finetune.js';
import { prepareTrainingData } from './data.js';
import { trainMember, type MemberResult } from './trainer.js';
import { trainOptionsRecord, type TrainOptions } from './options.js';
import { MANIFEST_NAME, TWIN_FORMAT, type ManifestMember, type TwinManifest } from './manifest.js';
import { loadTrainedTwin } from './trained-twin.js';
import { evaluateTwin } from './evaluate.js';
import { meanCorrelation } from './correlation.js';

export interface TrainRun {
  rec: RecordedData;
  arch: TwinArchitecture;
  size: [number, number];
  options: TrainOptions;
  members: number;
  validation: number;
  test: number;
  out: string;
  backend: Backend;
  overwrite?: boolean;
  /** recorded in twin.json */
  command?: string;
  log?: (line: string) => void;
  /** a fine-tuning architecture's pretrained core weights (finetune.ts loadCoreInit) */
  coreInit?: CoreInit;
}

const SETTINGS = 'train.json';

/** Everything that decides the result; a rerun into a folder made with other settings is refused. */
function settingsOf(r: TrainRun): Record<string, unknown> {
  const c = r.rec.responses;
  const h = createHash('sha256').update(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
  if (r.rec.images) h.update(r.rec.images.data);
  return {
    architecture: r.arch, image_size: r.size, training: trainOptionsRecord(r.options), members: r.members, validation: r.validation, test: r.test,
    data_sha256: h.digest('hex'), neuron_ids: r.rec.neuronIds.length, image_ids: r.rec.imageIds.length,
  };
}

function checkSettings(r: TrainRun): void {
  const file = join(r.out, SETTINGS);
  const now = settingsOf(r);
  if (existsSync(file)) {
    const was = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const diff = Object.keys(now).filter((k) => JSON.stringify(was[k]) !== JSON.stringify(now[k]));
    if (diff.length && !r.overwrite) {
      throw new InputError(`${r.out} holds a training run made with other settings (${diff.join(', ')} differ: e.g. ${diff[0]}: ${JSON.stringify(was[diff[0]!])} then, ${JSON.stringify(now[diff[0]!])} now); ` +
        'choose another --out or add --overwrite to start afresh');
    }
    if (diff.length || r.overwrite) {
      rmSync(join(r.out, 'checkpoints'), { recursive: true, force: true });
      for (let k = 1; existsSync(join(r.out, `member_${k}.safetensors`)); k++) rmSync(join(r.out, `member_${k}.safetensors`));
      rmSync(join(r.out, MANIFEST_NAME), { force: true });
    }
  }
  writeFileAtomic(file, JSON.stringify(now, null, 1) + '\n');
}

function sha256File(path: string): string { return createHash('sha256').update(readFileSync(path)).digest('hex'); }

export async function trainTwin(r: TrainRun): Promise<TwinManifest> {
  const log = r.log ?? ((s: string) => console.error(s));
  if (!Number.isInteger(r.members) || r.members < 1) throw new InputError(`--members must be an integer >= 1, got ${r.members}`);
  const data = prepareTrainingData(r.rec, { size: r.size, seed: r.options.seed, validation: r.validation, test: r.test });
  ensureDir(r.out);
  checkSettings(r);
  ensureDir(join(r.out, 'checkpoints'));
  const members: ManifestMember[] = [];
  for (let k = 1; k <= r.members; k++) {
    const file = `member_${k}.safetensors`, doneFile = join(r.out, 'checkpoints', `member_${k}.done.json`);
    let res: Omit<MemberResult, 'weights'>;
    if (existsSync(doneFile) && existsSync(join(r.out, file))) {
      res = JSON.parse(readFileSync(doneFile, 'utf8')) as Omit<MemberResult, 'weights'>;
      log(`member ${k}: already trained (${file}), kept`);
    } else {
      const m = await trainMember({ arch: r.arch, data, member: k, options: r.options, backend: r.backend, checkpoint: join(r.out, 'checkpoints', `member_${k}.safetensors`), log, coreInit: r.coreInit });
      writeSafetensors(join(r.out, file), m.weights, { format: TWIN_FORMAT, member: String(k), seed: m.seed, best_epoch: String(m.bestEpoch) });
      const { weights: _w, ...rest } = m;
      res = rest;
      writeFileAtomic(doneFile, JSON.stringify(res) + '\n');
    }
    members.push({ member: k, file, sha256: sha256File(join(r.out, file)), seed: res.seed, epochs: res.epochs, best_epoch: res.bestEpoch, validation_correlation: res.bestValidationCorrelation, stopped: res.stopped, history: res.history });
  }
  const ids = (idx: number[]) => idx.map((i) => r.rec.imageIds[i]!);
  const manifest: TwinManifest = {
    format: TWIN_FORMAT, version: 1, name: `${r.arch.arch} twin of ${r.rec.source}`, architecture: r.arch,
    input: { shape: data.inputShape, preprocessing: { kind: 'notebook', size: r.size, mean: data.normalisation.mean, std: data.normalisation.std } },
    neurons: { count: data.neurons, ids: r.rec.neuronIds },
    members,
    data: {
      source: r.rec.source, layout: r.rec.layout, origin: r.rec.origin, images: data.images, repeats: r.rec.responses.repeats, response_unit: r.rec.responseUnit,
      split: { seed: data.split.seed, validation: r.validation, test: r.test, train_ids: ids(data.split.train), validation_ids: ids(data.split.validation), test_ids: ids(data.split.test) },
    },
    training: { ...trainOptionsRecord(r.options), members: r.members },
    correlation: { validation: null, test: null, test_per_neuron: [] },
    created: new Date().toISOString(), command: r.command ?? '',
  };
  writeFileAtomic(join(r.out, MANIFEST_NAME), JSON.stringify(manifest, null, 1) + '\n');
  // the ensemble's correlations, measured through the same loader predict and evaluate use
  const { model } = loadTrainedTwin(r.out, { backend: r.backend });
  try {
    const v = await evaluateTwin(model, r.rec, 'validation');
    manifest.correlation.validation = meanCorrelation(v.neurons.map((n) => n.correlation));
    if (data.split.test.length >= 2) {
      const t = await evaluateTwin(model, r.rec, 'test');
      manifest.correlation.test = meanCorrelation(t.neurons.map((n) => n.correlation));
      manifest.correlation.test_per_neuron = t.neurons.map((n) => n.correlation);
      log(`ensemble of ${r.members}: validation correlation ${manifest.correlation.validation.toFixed(4)}, test correlation ${manifest.correlation.test.toFixed(4)} (median fraction of oracle ${t.medianFraction?.toFixed(3) ?? 'n/a'})`);
    }
  } finally {
    model.dispose();
  }
  writeFileAtomic(join(r.out, MANIFEST_NAME), JSON.stringify(manifest, null, 1) + '\n');
  return manifest;
}
