// `synthesize` / `poles` with a trained twin folder (--model DIR): the Allen notebook's MEI loop (synthesis/allen.ts)
// on the twin, in the space it was trained in. The image u in [0, 1] (C, H, W at the twin's own size) reaches the
// twin as its training images did, (u - mean) / std with the training pixel mean and std of twin.json, times
// --mask when given; no L2 norm unless --target-norm (the notebook has none: its contrast penalty keeps the
// image's std near c*). c* defaults to the twin's training pixel std (twin.json input.preprocessing.std), the data
// set's contrast in the same [0, 1] units the notebook's c* (mean std of its images) is in. The engine's recipes
// (Fourier priors, crops, square images of the DualNeuron twins) are refused for trained twins.
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import type { AllenOptions } from '../synthesis/allen.js';
import { runPoles, planJobs, type Job } from '../synthesis/poles.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import type { ResultConfig } from '../result-config.js';
import { checkMembers, maskRecord, memberNumbersOf, openTwin, readTwinMask, trainedMemberSha256, type TwinRef } from '../twin-source.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';
import { MAX_RESULTS } from './limits.js';
import { parseAllenKnobs, type AllenCli } from './synthesize-allen.js';

type TrainedRef = Extract<TwinRef, { kind: 'trained' }>;

/** Every option checked before any file is read but the mask, and before --out is touched. */
export function parseTrainedSynthesis(o: AllenCli & { mask?: string }, ref: TrainedRef) {
  if (o.recipe !== undefined && o.recipe !== 'allen') {
    throw new InputError(`--recipe ${o.recipe}: the engine's recipes are made for the DualNeuron twins (their square inputs, natural priors and norms); the trained twin ${ref.dir} synthesises with --recipe allen, its default (leave --recipe out)`);
  }
  if (!o.centered) throw new InputError(`--no-centered is an option of the DualNeuron twins; the trained twin ${ref.dir} reads each neuron where its readout learned to`);
  if (o.aperture === false && o.mask !== undefined) throw new InputError('--no-aperture and --mask contradict each other: leave one out');
  if (o.preset !== undefined) throw new InputError(`--preset is a preprocessing of the DualNeuron twins; the trained twin ${ref.dir} takes no --init-image`);
  if (o.aperture === true && o.mask === undefined) throw new InputError(`--aperture: the trained twin ${ref.dir} has no aperture of its own; give one with --mask m.npy (H x W, values in [0, 1])`);
  const p = ref.manifest.input.preprocessing;
  const allen = parseAllenKnobs(o, p.std);
  const norm = o.targetNorm !== undefined ? parseFloatStrict('--target-norm', o.targetNorm) : null;
  if (norm !== null && !(norm > 0)) throw new InputError(`--target-norm must be > 0, got ${norm}`);
  const members = checkMembers(ref, o.members ? [...new Set(o.members.split(',').map((s) => parseIntStrict('--members', s, { min: 1 })))] : undefined) ?? memberNumbersOf(ref);
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: MAX_RESULTS });
  const mask = readTwinMask(ref, o.mask);
  return { allen, norm, members, batch, mask, mean: [p.mean], std: [p.std] };
}

export async function runTrainedJobs(o: AllenCli & { mask?: string }, ref: TrainedRef, jobs: Job[], command: string, extra: Record<string, unknown>): Promise<void> {
  const out = resolve(o.out);
  const p = parseTrainedSynthesis(o, ref);
  const shape = ref.manifest.input.shape;
  const lock = openOutputFolder(out, command);
  try {
    const mask = maskRecord(o.mask, p.mask);
    const config: ResultConfig = {
      '--model': ref.dir, '--members': p.members, 'weights sha256': trainedMemberSha256(ref, p.members),
      '--recipe': 'allen', '--steps': p.allen.steps, '--lr': p.allen.lr, '--contrast-target': p.allen.contrastTarget, '--contrast-weight': p.allen.contrastWeight,
      '--blur-start': p.allen.blurStart, '--blur-end': p.allen.blurEnd, '--fft-smooth': p.allen.fftDecay, '--target-norm': p.norm, '--mask': mask,
      'input map': { mean: p.mean, std: p.std }, '--save-all-steps': o.saveAllSteps ?? false,
    };
    // refuses results made with other options before any GPU work
    planJobs(out, jobs, config, o.overwrite);
    const backend = await init('webgpu');
    const rec = startRecord(command, { ...o }, backend.describe());
    const twin = openTwin(ref, { members: p.members, backend });
    try {
      const allen: AllenOptions = { ...p.allen, input: { mean: p.mean, std: p.std, aperture: p.mask, norm: p.norm }, saveAllSteps: o.saveAllSteps };
      const n = await runPoles({ out, config, overwrite: o.overwrite, model: twin.model, outputs: twin.neurons, allen, shape, jobs, batch: p.batch, animation: o.saveAllSteps, progress: true });
      const neurons = [...new Set(jobs.map((j) => j.neuron))];
      finishRecord(rec, join(out, 'run.json'), {
        model: ref.dir, members: twin.memberIds, weightsSha256: twin.weightsSha256, neuron_ids: Object.fromEntries(neurons.map((k) => [k, twin.neuronIds[k]])),
        recipe: { name: 'allen', ...p.allen, targetNorm: p.norm, mask, inputMap: { mean: p.mean, std: p.std } }, preprocessing: twin.preprocessing,
        jobs: jobs.length, computed: n, batch: p.batch, seedsNote: 'each result (neuron, seed, pole) draws its white-noise start from deriveSeed(seed, pole), independent of the batch', ...extra,
      });
      console.error(`${n} results computed (${jobs.length - n} were already done) in ${out}`);
    } finally {
      twin.dispose();
    }
  } finally {
    lock.release();
  }
}
