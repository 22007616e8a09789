// `dualneuron evolve --model DIR`: evolution on a trained twin folder. The same runner, optimisers, noise and
// outputs as the fixed twins; what differs is the twin's side (twin-source.ts): its members and neurons (by index
// or id), the pixel space at its own size mapped through its training normalisation (evolve/unit-pixel-space.ts),
// --mask instead of an upstream aperture, and the norm every image is scaled to: sqrt(C*H*W), the root-mean-square
// norm of its training images in model space. Only the pixel space: fourier needs a natural magnitude prior at
// the twin's size, and fc6/biggan feed the fixed twins' colour screening crops.
import { dirname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import type { ResultConfig } from '../result-config.js';
import { parseEvolveOptions, spacePop, spaceSigma0 } from '../evolve/run-options.js';
import { spaceStream } from '../evolve/space-factory.js';
import { MAX_CMA_DIMENSION, makeOptimizer, optimizerSeed } from '../evolve/optimizer-factory.js';
import { TwinObjective } from '../evolve/objective.js';
import { finishedAlready, prepareEvolveOutput, runEvolution, threadDir } from '../evolve/runner.js';
import { writeThreadFigures } from '../evolve/report.js';
import { UnitPixelSpace } from '../evolve/unit-pixel-space.js';
import type { RecordingNoiseOptions } from '../evolve/recording-noise.js';
import { checkMembers, maskRecord, memberNumbersOf, openTwin, parseNeuronList, readTwinMask, trainedInputNorm, trainedMemberSha256, type OpenedTwin, type TwinRef } from '../twin-source.js';
import { parseIntStrict } from './parse.js';
import { checkResultCount } from './limits.js';
import { parseEvolveRunOptions, type EvolveCli } from './evolve.js';
import { shardConfig, shardPart, shardRecord } from '../evolve/shard.js';

type TrainedRef = Extract<TwinRef, { kind: 'trained' }>;

function required<T>(v: T | undefined, name: string, example: string): T {
  if (v === undefined) throw new InputError(`evolve needs ${name} (e.g. ${example})`);
  return v;
}

/** Every option checked (and --mask read) before --out is locked or any GPU work. */
export function parseEvolveTrained(o: EvolveCli & { mask?: string }, ref: TrainedRef) {
  if (!o.centered) throw new InputError(`--no-centered is an option of the DualNeuron twins; the trained twin ${ref.dir} reads each neuron where its readout learned to`);
  const members = checkMembers(ref, o.members ? [...new Set(o.members.split(',').map((s) => parseIntStrict('--members', s, { min: 1 })))] : undefined) ?? memberNumbersOf(ref);
  const neurons = parseNeuronList('--neurons', required(o.neurons, '--neurons', '--neurons 0-19 or 3,5,8'), ref);
  const evo = parseEvolveOptions({
    spaces: required(o.spaces, '--spaces', '--spaces pixel'), optimizer: o.optimizer, generations: required(o.generations, '--generations', '--generations 100'),
    pop: o.pop, sigma0: o.sigma0, noise: o.noise, seeds: o.seeds, hessianEigvecs: o.hessianEigvecs, hessianEigvals: o.hessianEigvals,
  });
  for (const s of evo.spaces) {
    if (s !== 'pixel') throw new InputError(`--spaces ${s}: the trained twin ${ref.dir} evolves in the pixel space only (fourier needs a natural magnitude prior at the twin's size; fc6 and biggan feed the DualNeuron twins' colour screening crops)`);
  }
  const [C, H, W] = ref.manifest.input.shape;
  if (evo.optimizer === 'cma' && C * H * W > MAX_CMA_DIMENSION) throw new InputError(`--optimizer cma keeps a dense covariance matrix; the pixel space of the twin ${ref.dir} has ${C * H * W} dimensions, more than the ${MAX_CMA_DIMENSION} cma is for. Use cholcma (or spherecma, ga).`);
  const { poissonWindow, batch, saveEvery, out, shard } = parseEvolveRunOptions(o);
  checkResultCount(neurons.length * evo.seeds * evo.spaces.length, `${neurons.length} neurons x ${evo.seeds} seeds x ${evo.spaces.length} spaces`);
  const mask = readTwinMask(ref, o.mask);
  const norm = trainedInputNorm(ref);
  const noise: RecordingNoiseOptions | null = evo.noise > 0 || poissonWindow !== undefined ? { eta: evo.noise, poissonWindow } : null;
  const config: ResultConfig = {
    '--model': ref.dir, '--members': members, '--neurons': neurons, '--spaces': evo.spaces, '--optimizer': evo.optimizer,
    '--generations': evo.generations, '--pop': evo.pop ?? null, '--sigma0': evo.sigma0 ?? null, '--noise': evo.noise, '--poisson-window': poissonWindow ?? null,
    '--seeds': evo.seeds, '--batch': batch, '--mask': maskRecord(o.mask, mask), norm, preprocessing: { ...ref.manifest.input.preprocessing },
    'weights sha256': trainedMemberSha256(ref, members),
  };
  return { members, neurons, evo, noise, batch, saveEvery, out, mask, norm, config: shardConfig(config, shard), ...shardPart(neurons, evo.seeds, shard) };
}

export async function runEvolveTrained(o: EvolveCli & { mask?: string }, ref: TrainedRef): Promise<void> {
  const p = parseEvolveTrained(o, ref);
  const lock = openOutputFolder(p.out, 'evolve');
  const spaces: UnitPixelSpace[] = [];
  let objective: TwinObjective | null = null;
  let twin: OpenedTwin | null = null;
  try {
    if (finishedAlready(p.out, prepareEvolveOutput(p.out, p.config, o.overwrite), p.evo.generations)) return;
    const backend = await init('webgpu');
    const rec = startRecord('evolve', { ...o }, backend.describe());
    twin = openTwin(ref, { members: p.members, backend });
    const shape = twin.inputShape;
    objective = new TwinObjective({ model: twin.model, neurons: twin.neurons, inputShape: shape, aperture: p.mask, norm: p.norm, batch: p.batch, backend });
    const { mean, std } = ref.manifest.input.preprocessing;
    spaces.push(await UnitPixelSpace.create(shape, { mean, std }, backend)); // --spaces is 'pixel' (checked above)
    const res = await runEvolution({
      out: p.out, objective, neurons: p.neurons, seeds: p.evo.seeds, jobs: p.jobs, spaces, generations: p.evo.generations, noise: p.noise, config: p.config,
      saveEvery: p.saveEvery, handleSignals: true, progress: true,
      plan: (neuron, seed, space) => {
        const pop = spacePop(p.evo, space.dim), sigma0 = spaceSigma0(p.evo, 'pixel'), stream = spaceStream(space.name);
        const optimizer = makeOptimizer({
          optimizer: p.evo.optimizer, dim: space.dim, init: space.initCode(), pop, sigma0, seed: optimizerSeed(neuron, stream, seed),
          sphereNorm: sigma0 * Math.sqrt(space.dim),
        });
        return { optimizer, width: p.evo.optimizer === 'spherecma' ? pop + 1 : pop, stream };
      },
    });
    if (res.interrupted) {
      process.exitCode = res.interrupted === 'SIGINT' ? 130 : 143;
      return;
    }
    for (const { neuron, seed } of p.jobs) writeThreadFigures(dirname(threadDir(p.out, neuron, seed, p.evo.spaces[0]!)), { generations: res.generationsDone, spaces: p.evo.spaces });
    finishRecord(rec, join(p.out, 'run.json'), {
      model: ref.dir, members: twin.memberIds, weightsSha256: twin.weightsSha256, neuron_ids: Object.fromEntries(p.neurons.map((k) => [k, twin!.neuronIds[k]])), config: p.config,
      imageShape: shape, norm: p.norm, mask: p.config['--mask'], preprocessing: twin.preprocessing, generations: res.generationsDone, evaluations: res.evaluations, resumedFrom: res.resumedFrom,
      threads: p.jobs.length * p.evo.spaces.length, ...shardRecord(p),
      seedsNote: 'each thread (neuron, seed, space) seeds its optimiser with optimizerSeed(neuron, SPACE_STREAM[space], seed) and its noise with noiseSeed(...): independent of the other threads',
    });
    console.error(`evolved ${p.shard ? `shard ${p.shard.k}/${p.shard.n} (${p.jobs.length} of ${p.jobsTotal} (neuron, seed) jobs) of ` : ''}${p.neurons.length} neuron${p.neurons.length > 1 ? 's' : ''} x ${p.evo.seeds} seed${p.evo.seeds > 1 ? 's' : ''} x pixel for ${res.generationsDone} generations (${res.evaluations} evaluations) into ${p.out}`);
  } finally {
    for (const s of spaces) s.dispose();
    objective?.dispose();
    twin?.dispose();
    lock.release();
  }
}
