// `dualneuron evolve`: gradient-free evolution of images for twin neurons (Wang & Ponce; XDream), one optimiser
// thread per (neuron, seed, space), all scored in one twin forward pass per generation; resumable. The command
// is registered so that subcommands (`evolve summary DIR`) can be added to it: its own options are not
// commander-mandatory (a mandatory option would be demanded of the subcommands too) and are checked in the action.
import { Command } from 'commander';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { readFileBytes } from '../../io/atomic.js';
import { openTwin, resolveTwin, type OpenedTwin } from '../twin-source.js';
import { runEvolveTrained } from './evolve-trained.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadMask, memberSha256, weightsHome } from '../../models/weights/store.js';
import { scaleMask } from '../input/pipeline.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import type { ResultConfig } from '../result-config.js';
import { parseEvolveOptions, spacePop, spaceSigma0, type EvolveOptions, type SpaceName } from '../evolve/run-options.js';
import { checkSpace, generatorSha256, makeSpace, spaceDimension, spaceStream } from '../evolve/space-factory.js';
import { MAX_CMA_DIMENSION, makeOptimizer, optimizerSeed, readHessianFiles, type GanHessian } from '../evolve/optimizer-factory.js';
import { TwinObjective } from '../evolve/objective.js';
import { finishedAlready, prepareEvolveOutput, runEvolution, threadDir } from '../evolve/runner.js';
import { writeThreadFigures } from '../evolve/report.js';
import type { RecordingNoiseOptions } from '../evolve/recording-noise.js';
import type { ImageSpace } from '../evolve/spaces.js';
import { weightsDirOption } from './weights.js';
import { parseTwin } from './predict.js';
import { parseMembers, parseNeurons } from './synthesize.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';
import { parseShard } from './screen.js';
import { shardConfig, shardPart, shardRecord, type EvolveJob } from '../evolve/shard.js';
import type { ShardSpec } from '../screening/screen.js';
import { checkImageBatch, checkResultCount, maxBufferBytes } from './limits.js';
import type { WebGPUBackend } from '../../tensor/backend/webgpu/webgpu-backend.js';


/** The options of an evolve run that do not depend on the twin: recording noise window, batch, save interval, folder. */
export function parseEvolveRunOptions(o: { poissonWindow?: string; batch: string; saveEvery: string; out?: string; shard?: string }): { poissonWindow: number | undefined; batch: number; saveEvery: number; out: string; shard: ShardSpec | undefined } {
  const shard = parseShard(o.shard);
  const poissonWindow = o.poissonWindow === undefined ? undefined : parseFloatStrict('--poisson-window', o.poissonWindow);
  if (poissonWindow !== undefined && !(poissonWindow > 0)) throw new InputError(`--poisson-window must be a positive number of seconds, got ${poissonWindow}`);
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: MAX_EVOLVE_BATCH });
  const saveEvery = parseFloatStrict('--save-every', o.saveEvery);
  if (saveEvery < 0) throw new InputError(`--save-every must be >= 0 seconds, got ${saveEvery}`);
  return { poissonWindow, batch, saveEvery, out: resolve(required(o.out, '--out', '--out runs/evolve1')), shard };
}

export interface EvolveCli {
  model?: string; members?: string; neurons?: string; spaces?: string; optimizer: string; generations?: string; pop?: string; sigma0?: string;
  noise?: string; poissonWindow?: string; seeds?: string; batch: string; saveEvery: string; overwrite?: boolean; weightsDir?: string; out?: string;
  hessianEigvecs?: string; hessianEigvals?: string; centered: boolean; mask?: string; shard?: string;
}

/** Images per forward pass at most (as screening): one V4 batch of 8192 is already 1 GB. */
const MAX_EVOLVE_BATCH = 8192;

function required<T>(v: T | undefined, name: string, example: string): T {
  if (v === undefined) throw new InputError(`evolve needs ${name} (e.g. ${example})`);
  return v;
}

export interface ParsedEvolve {
  id: TwinId; members: number[]; neurons: number[]; evo: EvolveOptions; noise: RecordingNoiseOptions | null;
  batch: number; saveEvery: number; out: string; home: string; hessian: GanHessian | null; config: ResultConfig;
  /** this shard's (neuron, seed) jobs (all of them without --shard) */
  shard: ShardSpec | undefined; jobs: EvolveJob[]; jobsTotal: number;
}

/** Every option checked, the twin's weights, priors and Hessian files found: all before --out is locked or any GPU work. */
export function parseEvolveCli(o: EvolveCli): ParsedEvolve {
  const id = parseTwin(required(o.model, '--model', '--model v1'));
  const spec = TWINS[id];
  const members = parseMembers(o.members, id) ?? spec.members.map((_, i) => i + 1);
  let neurons: number[];
  try { neurons = parseNeurons(required(o.neurons, '--neurons', '--neurons 0-19 or 3,5,8'), spec.neurons); } catch (e) {
    if (e instanceof InputError && /out of range/.test(e.message)) throw new InputError(`${e.message}: the ${id} twin has ${spec.neurons} neurons`);
    throw e;
  }
  const evo = parseEvolveOptions({
    spaces: required(o.spaces, '--spaces', '--spaces pixel,fourier'), optimizer: o.optimizer, generations: required(o.generations, '--generations', '--generations 100'),
    pop: o.pop, sigma0: o.sigma0, noise: o.noise, seeds: o.seeds, hessianEigvecs: o.hessianEigvecs, hessianEigvals: o.hessianEigvals,
  });
  const { poissonWindow, batch, saveEvery, out, shard } = parseEvolveRunOptions(o);
  checkResultCount(neurons.length * evo.seeds * evo.spaces.length, `${neurons.length} neurons x ${evo.seeds} seeds x ${evo.spaces.length} spaces`);
  if (evo.optimizer === 'cma') {
    for (const s of evo.spaces) {
      const n = spaceDimension(s, id);
      if (n > MAX_CMA_DIMENSION) throw new InputError(`--optimizer cma keeps a dense covariance matrix; the ${s} space of the ${id} twin has ${n} dimensions, more than the ${MAX_CMA_DIMENSION} cma is for. Use cholcma (or spherecma, ga).`);
    }
  }
  const home = weightsHome(o.weightsDir);
  for (const s of evo.spaces) checkSpace(s, id, home);
  loadMask(id, home); // the twin's weights are installed (else a WeightsError naming `weights pull`)
  let hessian: GanHessian | null = null;
  const hashOf = (p: string) => createHash('sha256').update(readFileBytes(p, '.npy file')).digest('hex');
  if (evo.hessian) hessian = readHessianFiles(evo.hessian.eigvecs, evo.hessian.eigvals, spaceDimension(evo.spaces[0], id));
  const noise: RecordingNoiseOptions | null = evo.noise > 0 || poissonWindow !== undefined ? { eta: evo.noise, poissonWindow } : null;
  const config: ResultConfig = {
    '--model': id, '--members': members, '--centered': o.centered, '--neurons': neurons, '--spaces': evo.spaces, '--optimizer': evo.optimizer,
    '--generations': evo.generations, '--pop': evo.pop ?? null, '--sigma0': evo.sigma0 ?? null, '--noise': evo.noise, '--poisson-window': poissonWindow ?? null,
    '--seeds': evo.seeds, '--batch': batch,
    '--hessian': evo.hessian ? { eigvecs: hashOf(evo.hessian.eigvecs), eigvals: hashOf(evo.hessian.eigvals) } : null,
    'weights sha256': Object.fromEntries(members.map((k) => [`member_${k}`, memberSha256(id, k, home)])),
  };
  // generator weights are part of a result too (recorded only when a generator space is used, so pixel/Fourier
  // runs keep their options hash)
  const generators = evo.spaces.filter((s) => generatorSha256(s, home) !== null);
  if (generators.length) config['generator sha256'] = Object.fromEntries(generators.map((s) => [s, generatorSha256(s, home)]));
  return { id, members, neurons, evo, noise, batch, saveEvery, out, home, hessian, config: shardConfig(config, shard), ...shardPart(neurons, evo.seeds, shard) };
}

export async function runEvolveCli(o: EvolveCli): Promise<void> {
  const ref = resolveTwin(required(o.model, '--model', '--model v1'));
  if (ref.kind === 'trained') return runEvolveTrained(o, ref);
  if (o.mask !== undefined) throw new InputError(`--mask is for trained twin folders; the ${ref.id} twin uses its own upstream aperture`);
  const p = parseEvolveCli(o);
  const lock = openOutputFolder(p.out, 'evolve');
  const spaces: ImageSpace[] = [];
  let objective: TwinObjective | null = null;
  let model: OpenedTwin['model'] | null = null;
  try {
    if (finishedAlready(p.out, prepareEvolveOutput(p.out, p.config, o.overwrite), p.evo.generations)) return;
    const backend = await init('webgpu');
    const spec = TWINS[p.id];
    // the largest forward of a generation: every thread's population and centre
    const perGeneration = p.neurons.length * p.evo.seeds * p.evo.spaces.reduce((a, s) => a + spacePop(p.evo, spaceDimension(s, p.id)) + 2, 0);
    checkImageBatch(p.id, Math.min(p.batch, perGeneration), maxBufferBytes((backend as WebGPUBackend).limits));
    const rec = startRecord('evolve', { ...o }, backend.describe());
    const loaded = openTwin(p.id, { members: p.members, centered: o.centered, backend, weightsDir: o.weightsDir });
    model = loaded.model;
    const [C, S] = spec.inputShape;
    objective = new TwinObjective({
      model, neurons: spec.neurons, inputShape: spec.inputShape, aperture: scaleMask(loadMask(p.id, p.home), S), norm: spec.screening.norm, batch: p.batch, backend,
    });
    for (const s of p.evo.spaces) spaces.push(await makeSpace(s, { twin: p.id, home: p.home, backend }));
    const res = await runEvolution({
      out: p.out, objective, neurons: p.neurons, seeds: p.evo.seeds, jobs: p.jobs, spaces, generations: p.evo.generations, noise: p.noise, config: p.config,
      saveEvery: p.saveEvery, handleSignals: true, progress: true,
      plan: (neuron, seed, space) => {
        const name = space.name as SpaceName;
        const pop = spacePop(p.evo, space.dim), sigma0 = spaceSigma0(p.evo, name), stream = spaceStream(space.name);
        const optimizer = makeOptimizer({
          optimizer: p.evo.optimizer, dim: space.dim, init: space.initCode(), pop, sigma0, seed: optimizerSeed(neuron, stream, seed),
          sphereNorm: name === 'fc6' ? 300 : sigma0 * Math.sqrt(space.dim), hessian: p.hessian ?? undefined,
        });
        return { optimizer, width: p.evo.optimizer === 'spherecma' ? pop + 1 : pop, stream };
      },
    });
    if (res.interrupted) {
      process.exitCode = res.interrupted === 'SIGINT' ? 130 : 143;
      return;
    }
    for (const { neuron, seed } of p.jobs) writeThreadFigures(dirname(threadDir(p.out, neuron, seed, p.evo.spaces[0])), { generations: res.generationsDone, spaces: p.evo.spaces });
    finishRecord(rec, join(p.out, 'run.json'), {
      model: p.id, members: model.memberIds, centered: o.centered, weightsSha256: loaded.weightsSha256, config: p.config,
      imageShape: [C, S, S], norm: spec.screening.norm, aperture: true, generations: res.generationsDone, evaluations: res.evaluations, resumedFrom: res.resumedFrom,
      threads: p.jobs.length * p.evo.spaces.length, ...shardRecord(p),
      seedsNote: 'each thread (neuron, seed, space) seeds its optimiser with optimizerSeed(neuron, SPACE_STREAM[space], seed) and its noise with noiseSeed(...): independent of the other threads',
    });
    console.error(`evolved ${p.shard ? `shard ${p.shard.k}/${p.shard.n} (${p.jobs.length} of ${p.jobsTotal} (neuron, seed) jobs) of ` : ''}${p.neurons.length} neuron${p.neurons.length > 1 ? 's' : ''} x ${p.evo.seeds} seed${p.evo.seeds > 1 ? 's' : ''} x ${spaces.map((s) => s.name).join(', ')} for ${res.generationsDone} generations (${res.evaluations} evaluations) into ${p.out}`);
  } finally {
    for (const s of spaces) s.dispose();
    objective?.dispose();
    model?.dispose();
    lock.release();
  }
}

/** Registers `evolve` and returns it, so that subcommands (`evolve summary`) can be added with evolve.command(...). */
export function registerEvolve(program: Command): Command {
  return program
    .command('evolve')
    .description('evolve images that drive twin neurons with gradient-free optimisers (CMA-ES family, GA; Wang & Ponce), one thread per neuron, seed and space, all scored in one twin forward per generation; resumable')
    .option('--model <id|dir>', 'twin: v1 (V1GrayTaskDriven), v4 (V4ColorTaskDriven), v4g (V4GrayTaskDriven), or a trained twin folder (twin.json; pixel space only, its images scaled to norm sqrt(C*H*W)) (required)')
    .option('--mask <m.npy>', 'trained twin folders: an (H, W) aperture in [0, 1] multiplied into every image before the norm (default: none; the fixed twins use their own)')
    .option('--members <list>', 'ensemble members to score with, e.g. 1 or 1,2 (default: the whole ensemble)')
    .option('--no-centered', 'use the learned readout positions instead of the feature-map centre')
    .option('--neurons <list>', 'neurons, e.g. 0-19 or 3,5,8; a trained twin folder: also its neuron ids (required)')
    .option('--spaces <list>', 'comma-separated spaces, one optimiser thread each: pixel (model-space pixels through a sigmoid, the <twin>-pixel recipe), fourier (Fourier phase under the natural magnitude prior, the <twin> recipe); fc6, biggan: generator spaces (required)')
    .option('--optimizer <name>', 'cholcma (Cholesky CMA-ES), spherecma (CMA on the sphere), ga (XDream genetic algorithm), cma (standard CMA-ES, spaces up to 1024-D), hesscma (fc6, Hessian-preconditioned)', 'cholcma')
    .option('--generations <n>', 'generations per thread (required)')
    .option('--pop <n>', 'codes per generation (>= 2; default 4 + floor(3 log2 N) of the space\'s dimension N, 40 for fc6); spherecma evaluates pop + 1 (its centre first)')
    .option('--sigma0 <x>', 'initial step size (> 0; default fc6 3, hesscma 0.8, pixel 0.1, fourier 0.5); spherecma: radius sigma0 * sqrt(N) (fc6: 300)')
    .option('--noise <eta>', 'recording-like noise on the scores the optimiser is told: gain max(0, 1 + eta N(0,1)) (default 0: off)')
    .option('--poisson-window <s>', 'also replace each response (read as spikes/s) by Poisson counts over this window in seconds, divided back by it')
    .option('--seeds <k>', 'independent runs per neuron and space, seeds 0..k-1 (default 1)')
    .option('--hessian-eigvecs <X.npy>', 'hesscma: the generator Hessian eigenvectors (k x N, one a row), as `dualneuron gan-hessian` writes')
    .option('--hessian-eigvals <Y.npy>', 'hesscma: their eigenvalues (k)')
    .option('--batch <n>', `images per twin forward pass; a generation with more images is split (at most ${MAX_EVOLVE_BATCH})`, '64')
    .option('--shard <k/n>', 'evolve only shard k of n (0-based): the k-th of n contiguous parts of the (neuron, seed) jobs, each with all its spaces; each shard writes its own --out, combined by `dualneuron merge` into the bytes of one run (give every shard the same options)')
    .option('--save-every <s>', 'seconds between checkpoints (state.json and the thread files); also on SIGINT/SIGTERM and at the end', '60')
    .addOption(weightsDirOption())
    .option('--out <dir>', 'output folder (required): n<neuron>/s<seed>/<space>/{scores,best_codes,best_image,mean_image,mean_scores}.npy, state.json, run.json')
    .option('--overwrite', 'replace a run in --out made with other options (default: refuse, naming them); a run made with the same options is resumed')
    .action(async (o: EvolveCli) => { await runEvolveCli(o); });
}
