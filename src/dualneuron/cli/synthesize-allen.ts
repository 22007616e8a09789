// `synthesize --recipe allen` and `poles --recipe allen`: the Allen notebook's MEI loop (synthesis/allen.ts) on a
// DualNeuron twin. The image u in [0, 1] reaches the twin as screening images do (ImageNet normalisation, the
// twin's aperture unless --no-aperture, L2 norm --target-norm, default the twin's screening norm), so the
// notebook's recipe runs in the space the twin was made for; its own knobs are --steps, --lr (alpha),
// --contrast-target (c*), --contrast-weight (lambda), --blur-start/--blur-end (sigma) and --fft-smooth (the
// filter's exponent). Options of the engine's recipes are refused rather than ignored.
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { loadTwin } from '../../models/twins/load.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadMask, memberSha256, weightsHome } from '../../models/weights/store.js';
import { ALLEN_DEFAULTS, checkAllenOptions, type AllenOptions } from '../synthesis/allen.js';
import { runPoles, planJobs, type Job } from '../synthesis/poles.js';
import { IMAGENET_MEAN, IMAGENET_STD, scaleMask } from '../input/pipeline.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import type { ResultConfig } from '../result-config.js';
import { parseTwin } from './predict.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';
import { MAX_RESULTS, maxBufferBytes, maxRunsPerBatch } from './limits.js';
import type { WebGPUBackend } from '../../tensor/backend/webgpu/webgpu-backend.js';
import type { SynthCli } from './synthesize.js';

/** The options only --recipe allen takes (their flags, for messages). */
export const ALLEN_FLAGS = { contrastTarget: '--contrast-target', contrastWeight: '--contrast-weight', blurStart: '--blur-start', blurEnd: '--blur-end', fftSmooth: '--fft-smooth' } as const;

/** Engine options that mean nothing to the Allen loop: given with it, they are refused (not silently ignored). */
const ENGINE_ONLY: [keyof SynthCli, string][] = [
  ['param', '--param'], ['optimizer', '--optimizer'], ['etaMin', '--eta-min'], ['momentum', '--momentum'], ['noise', '--noise'], ['crops', '--crops'],
  ['boxSize', '--box-size'], ['jitter', '--jitter'], ['oversample', '--oversample'], ['padFrac', '--pad-frac'], ['tvWeight', '--tv-weight'],
  ['range', '--range'], ['rangeFn', '--range-fn'], ['initStd', '--init-std'], ['prior', '--prior'], ['initImage', '--init-image'], ['axis', '--axis'], ['axisWeight', '--axis-weight'], ['norm', '--norm'],
];

export type AllenCli = SynthCli & { contrastTarget?: string; contrastWeight?: string; blurStart?: string; blurEnd?: string; fftSmooth?: string };

/** The Allen loop's own options (engine-only options refused); `contrastTarget` is the default c* of the twin. */
export function parseAllenKnobs(o: AllenCli, contrastTarget: number = ALLEN_DEFAULTS.contrastTarget): AllenOptions {
  for (const [k, flag] of ENGINE_ONLY) if (o[k] !== undefined) throw new InputError(`${flag} is an option of the engine's recipes; --recipe allen does not use it (its options: --steps, --lr, --target-norm, --aperture/--no-aperture, ${Object.values(ALLEN_FLAGS).join(', ')})`);
  if (!o.lrSchedule) throw new InputError('--no-lr-schedule is an option of the engine\'s recipes; --recipe allen takes a constant step --lr');
  if (!o.blur) throw new InputError('--no-blur is an option of the pixel recipes; --recipe allen blurs the image with --blur-start/--blur-end (set both to 0 for no blur)');
  const num = parseFloatStrict;
  const allen = {
    steps: o.steps !== undefined ? parseIntStrict('--steps', o.steps) : ALLEN_DEFAULTS.steps,
    lr: o.lr !== undefined ? num('--lr', o.lr) : ALLEN_DEFAULTS.lr,
    contrastTarget: o.contrastTarget !== undefined ? num('--contrast-target', o.contrastTarget) : contrastTarget,
    contrastWeight: o.contrastWeight !== undefined ? num('--contrast-weight', o.contrastWeight) : ALLEN_DEFAULTS.contrastWeight,
    blurStart: o.blurStart !== undefined ? num('--blur-start', o.blurStart) : ALLEN_DEFAULTS.blurStart,
    blurEnd: o.blurEnd !== undefined ? num('--blur-end', o.blurEnd) : ALLEN_DEFAULTS.blurEnd,
    fftDecay: o.fftSmooth !== undefined ? num('--fft-smooth', o.fftSmooth) : ALLEN_DEFAULTS.fftDecay,
  };
  checkAllenOptions(allen);
  return allen;
}

/** Every option checked before any file is read or --out is touched. */
export function parseAllenCli(o: AllenCli) {
  const id: TwinId = parseTwin(o.model);
  const allen = parseAllenKnobs(o);
  const num = parseFloatStrict;
  const spec = TWINS[id];
  const norm = o.targetNorm !== undefined ? num('--target-norm', o.targetNorm) : spec.screening.norm;
  if (!(norm > 0)) throw new InputError(`--target-norm must be > 0, got ${norm}`);
  const aperture = o.aperture ?? true;
  const C = spec.inputShape[0];
  const mean = C === 1 ? [0.449] : IMAGENET_MEAN, std = C === 1 ? [0.226] : IMAGENET_STD;
  let members: number[] | undefined;
  if (o.members) {
    members = [...new Set(o.members.split(',').map((s) => parseIntStrict('--members', s, { min: 1 })))];
    for (const m of members) if (m > spec.members.length) throw new InputError(`--members: the ${id} twin has members 1..${spec.members.length}, got ${m}`);
  }
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: MAX_RESULTS });
  return { id, spec, allen, norm, aperture, mean, std, members, batch, home: weightsHome(o.weightsDir) };
}

export async function runAllenJobs(o: AllenCli, jobs: Job[], command: string, extra: Record<string, unknown>): Promise<void> {
  const out = resolve(o.out);
  const p = parseAllenCli(o);
  const [C, S] = [p.spec.inputShape[0], p.spec.inputShape[1]];
  const lock = openOutputFolder(out, command);
  try {
    const aperture = p.aperture ? Float32Array.from(scaleMask(loadMask(p.id, p.home), S)) : null;
    const ids = p.members ?? p.spec.members.map((_, i) => i + 1);
    const config: ResultConfig = {
      '--model': p.id, '--members': ids, '--centered': o.centered, 'weights sha256': Object.fromEntries(ids.map((k) => [`member_${k}`, memberSha256(p.id, k, p.home)])),
      '--recipe': 'allen', '--steps': p.allen.steps, '--lr': p.allen.lr, '--contrast-target': p.allen.contrastTarget, '--contrast-weight': p.allen.contrastWeight,
      '--blur-start': p.allen.blurStart, '--blur-end': p.allen.blurEnd, '--fft-smooth': p.allen.fftDecay, '--target-norm': p.norm, '--aperture': p.aperture,
      'input map': { mean: [...p.mean], std: [...p.std] }, '--save-all-steps': o.saveAllSteps ?? false,
    };
    // refuses results made with other options before any GPU work
    planJobs(out, jobs, config, o.overwrite);
    const backend = await init('webgpu');
    const cap = maxRunsPerBatch(p.id, { channels: C, size: S, nbCrops: 1, oversample: 1, guided: false }, maxBufferBytes((backend as WebGPUBackend).limits));
    const batch = Math.min(p.batch, cap);
    if (batch < p.batch) console.error(`--batch ${p.batch} is more than this adapter's buffers hold; running in batches of ${batch} (results do not depend on the batch)`);
    const rec = startRecord(command, { ...o }, backend.describe());
    const { model, weightsSha256 } = loadTwin(p.id, { members: p.members, centered: o.centered, backend, weightsDir: o.weightsDir });
    try {
      const allen: AllenOptions = { ...p.allen, input: { mean: p.mean, std: p.std, aperture, norm: p.norm }, saveAllSteps: o.saveAllSteps };
      const n = await runPoles({ out, config, overwrite: o.overwrite, model, outputs: p.spec.neurons, allen, shape: [C, S, S], jobs, batch, animation: o.saveAllSteps, progress: true });
      finishRecord(rec, join(out, 'run.json'), {
        model: p.id, members: model.memberIds, centered: o.centered, weightsSha256, recipe: { name: 'allen', ...p.allen, targetNorm: p.norm, aperture: p.aperture, inputMap: { mean: p.mean, std: p.std } },
        jobs: jobs.length, computed: n, batch, seedsNote: 'each result (neuron, seed, pole) draws its white-noise start from deriveSeed(seed, pole), independent of the batch', ...extra,
      });
      console.error(`${n} results computed (${jobs.length - n} were already done) in ${out}`);
    } finally {
      model.dispose();
    }
  } finally {
    lock.release();
  }
}
