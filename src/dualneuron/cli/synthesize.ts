// `dualneuron synthesize` (one neuron), `dualneuron poles` (many neurons in batches, resumable) and their shared
// options: every knob of the algorithm, with each twin's recipe supplying the defaults.
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { readNpy } from '../../io/npy.js';
import { readImage } from '../../io/image/index.js';
import { toFloat32 } from '../../io/host-array.js';
import { loadTwin } from '../../models/twins/load.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadPrior, loadMask, weightsHome } from '../../models/weights/store.js';
import { RECIPES, defaultRecipe, recipeOptions, type Recipe } from '../synthesis/recipes.js';
import { PixelParameterization, type Parameterization, type RangeFn } from '../synthesis/parameterization.js';
import { FourierParameterization } from '../synthesis/fourier.js';
import type { NormKind } from '../synthesis/transforms.js';
import { runPoles, type Job, type Pole } from '../synthesis/poles.js';
import { imageToInput, makePipeline, scaleMask } from '../input/pipeline.js';
import { startRecord, finishRecord } from '../run-record.js';
import { weightsDirOption } from './weights.js';
import { DREAMSIM_TYPE_NAMES, isDreamsimType, type DreamSim, type DreamsimType } from '../../models/dreamsim.js';
import { dreamsimSha256, loadDreamsim } from '../../models/weights/dreamsim-weights.js';
import { memberSha256 } from '../../models/weights/store.js';
import { openOutputFolder } from '../output-folder.js';
import { synthesisConfig } from '../synthesis/config.js';
import { planJobs } from '../synthesis/poles.js';
import { modelOption, parseTwin } from './predict.js';
import { announcePreset, parsePreset, presetOption } from './preset.js';
import { parseFloatStrict, parseIntStrict, parseSeed } from './parse.js';
import { MAX_RESULTS, checkResultCount, maxBufferBytes, maxRunsPerBatch } from './limits.js';
import type { WebGPUBackend } from '../../tensor/backend/webgpu/webgpu-backend.js';
import { ALLEN_FLAGS, runAllenJobs } from './synthesize-allen.js';
import { ALLEN_DEFAULTS } from '../synthesis/allen.js';
import { parseNeuronList, resolveTwin } from '../twin-source.js';
import { runTrainedJobs } from './synthesize-trained.js';
import { parseShard } from './screen.js';
import { shardJobs } from '../synthesis/poles-shard.js';
import { objectiveConfig, objectiveOptions, parseObjective, type ObjectiveCli, type ParsedObjective } from './objective-options.js';
import { openTarget, type OpenedTarget } from '../units/target.js';
import { isTorchvisionId } from '../../models/torchvision/zoo.js';
import { runClassifierJobs } from './synthesize-classifier.js';

const num = parseFloatStrict;
const pair = (name: string, v: string): [number, number] => {
  const p = v.split(',').map((s) => num(name, s));
  if (p.length !== 2) throw new InputError(`${name} takes two numbers 'lo,hi', got '${v}'`);
  if (!(p[0] <= p[1])) throw new InputError(`${name}: lo must not exceed hi, got '${v}'`);
  return [p[0], p[1]];
};

/** --axis-weight when not given: with Adam, 0.05-0.2 moved the projection a lot on the V1 twin while keeping the activation within a few percent; 1 let the guidance term dominate. */
export const DEFAULT_AXIS_WEIGHT = 0.1;

export function addSynthesisOptions(c: Command): Command {
  return c
    .addOption(modelOption())
    .option('--recipe <name>', `named defaults: ${Object.keys(RECIPES).join(', ')} (default: the model's own, e.g. v1 or v1-pixel; a trained twin folder: allen, the only recipe it takes); allen: the Allen notebook's MEI loop (white noise, Fourier-smoothed gradient steps, annealed blur, min-max to [0, 1], contrast penalty)`)
    .addOption(new Option('--param <kind>', 'parameterisation: fourier (phase of a natural magnitude prior) or pixel').choices(['fourier', 'pixel']))
    .option('--steps <n>', 'optimisation steps (default 128; --recipe allen 1000)')
    .option('--members <list>', 'ensemble members to optimise on, e.g. 1,2,3,4 (default: all)')
    .option('--ensemble', 'use every member (default)')
    .option('--no-centered', 'use the learned readout positions instead of the centre')
    .addOption(new Option('--optimizer <name>', 'adam or sgd (with --momentum)').choices(['adam', 'sgd']))
    .option('--lr <x>', 'learning rate (--recipe allen: the gradient step alpha, default 0.1)')
    .option('--no-lr-schedule', 'constant learning rate instead of cosine annealing')
    .option('--eta-min <x>', 'final learning rate of the cosine schedule (default 0)')
    .option('--momentum <x>', 'SGD momentum (default 0.9)')
    .option('--noise <x>', 'std of the Gaussian noise added to each crop')
    .option('--crops <n>', 'jittered crops per step')
    .option('--box-size <lo,hi>', 'crop side as a fraction of the image side, uniform in [lo, hi]')
    .option('--jitter <x>', 'std of the crop centre jitter, as a fraction of the image side')
    .option('--oversample <n>', 'resample crops at n times the size, then bicubic antialiased down (1 = off)')
    .option('--pad-frac <x>', 'reflect padding around the image, as a fraction of its side')
    .option('--target-norm <x>', 'L2 norm of each crop and of the returned image (default: 12 for v1, 40 for v4; --recipe allen: of the model input; a trained twin folder: none, the image keeps the norm the twin\'s normalisation gives it)')
    .option('--norm <kind>', 'what --target-norm constrains in each crop and in the returned image: l2 (default, upstream), std (the image\'s standard deviation, sinzlab mei\'s ChangeStd: a contrast constraint), or lP for an Lp norm, e.g. l1, l4')
    .option('--tv-weight <x>', 'weight of the total-variation term sqrt(sum dx^2 + sum dy^2)')
    .option('--range <lo,hi>', 'value range of the image')
    .addOption(new Option('--range-fn <f>', 'how the range is enforced').choices(['linear', 'sigmoid', 'tanh']))
    .option('--init-std <x>', 'pixel parameterisation: std of the initial parameters')
    .option('--prior <name|file.npy>', 'Fourier magnitude prior: natural_gray, natural_rgb or a (C,S,S) .npy')
    .option('--init-image <file>', 'start from this image (.npy in model space, or PNG/JPEG preprocessed as screening with --preset): Fourier: its phase; pixel: the whole image (values clamped into --range)')
    .addOption(presetOption('preprocessing of a PNG/JPEG --init-image'))
    .option('--no-blur', 'pixel parameterisation: do not blur the gradient')
    .option('--aperture', 'multiply the image by the twin\'s screening aperture before the norm constraint, so the whole norm budget goes to the receptive field and MEIs compare with screened images at the same norm and mask (default of v1-pixel)')
    .option('--no-aperture', 'no aperture (default of every recipe but v1-pixel and allen)')
    .option('--size <px>', 'torchvision CNNs (vgg16, vgg16_bn, resnet50): the side of the synthesised image (default: the network\'s own, 224); the twins and vit_b_16 take their own size only')
    .option('--plateau <n>', 'stop early once no run of a batch has improved its objective (toward its pole) over its best from before the last n steps by more than --plateau-delta (relative); results then record fewer steps (done.json steps)')
    .option('--plateau-delta <x>', 'with --plateau: the relative improvement that counts (default 1e-3)')
    .option('--save-all-steps', 'also write images_all_steps.npy and an animated trajectory.png')
    .option('--batch <n>', "runs optimised together; split into smaller batches when the adapter's buffers hold fewer (with a note)", '8')
    .option('--axis <axis.npy>', 'DreamSim guidance: loss -= weight * projection of the (min-max stretched, 224, RGB) image\'s embedding onto this axis (dualneuron axis)')
    .option('--axis-weight <w>', `weight of the guidance term (default ${DEFAULT_AXIS_WEIGHT}; with Adam 0.05-0.2 moves the projection a lot while keeping the activation within a few percent)`)
    .addOption(new Option('--embedder <t>', 'DreamSim type that embeds for --axis (must match the axis)').choices(DREAMSIM_TYPE_NAMES).default('ensemble'))
    .option('--contrast-target <c>', `--recipe allen: c*, the data set's mean image std in [0, 1] (default ${ALLEN_DEFAULTS.contrastTarget}, the notebook's Allen natural scenes; a trained twin folder: its training pixel std, twin.json)`)
    .option('--contrast-weight <l>', `--recipe allen: lambda of the penalty lambda * |c* - std(image)| (default ${ALLEN_DEFAULTS.contrastWeight})`)
    .option('--blur-start <sigma>', '--recipe allen: Gaussian blur sigma at the first step (default 7)')
    .option('--blur-end <sigma>', '--recipe allen: the sigma the blur is pulled towards, sigma += (end - sigma) * i / steps (default 0.001)')
    .option('--fft-smooth <decay>', '--recipe allen: the gradient is filtered by 1/|f|^decay in Fourier space (default 0.25; 0 = off)')
    .option('--mask <m.npy>', 'trained twin folders: an (H, W) aperture in [0, 1] multiplied into the model input (default: none; the fixed twins use --aperture)')
    .addOption(weightsDirOption())
    .requiredOption('--out <dir>', 'output folder')
    .option('--overwrite', 'recompute and replace results in --out that were made with other options (default: refuse, naming them)');
}

export interface SynthCli {
  model: string; recipe?: string; param?: 'fourier' | 'pixel'; steps?: string; members?: string; centered: boolean; optimizer?: 'adam' | 'sgd';
  lr?: string; lrSchedule: boolean; etaMin?: string; momentum?: string; noise?: string; crops?: string; boxSize?: string; jitter?: string;
  oversample?: string; padFrac?: string; targetNorm?: string; norm?: string; tvWeight?: string; range?: string; rangeFn?: RangeFn; initStd?: string;
  prior?: string; initImage?: string; blur: boolean; aperture?: boolean; saveAllSteps?: boolean; batch: string; weightsDir?: string; out: string;
  axis?: string; axisWeight?: string; embedder?: string; preset?: string; overwrite?: boolean; size?: string; plateau?: string; plateauDelta?: string;
  contrastTarget?: string; contrastWeight?: string; blurStart?: string; blurEnd?: string; fftSmooth?: string; mask?: string;
}

/** The --axis vector and weight, validated before any GPU work (null without --axis). */
export function parseAxis(o: SynthCli): { axis: Float32Array; weight: number; type: DreamsimType } | null {
  if (o.axis === undefined) {
    if (o.axisWeight !== undefined) throw new InputError('--axis-weight needs --axis');
    return null;
  }
  const a = readNpy(o.axis);
  if (a.shape.length !== 1 || a.shape[0] < 1) throw new InputError(`${o.axis}: shape (${a.shape.join(', ')}); an axis is a vector (D,)`);
  const axis = toFloat32(a);
  if (!axis.every(Number.isFinite)) throw new InputError(`${o.axis} holds non-finite values`);
  const weight = o.axisWeight === undefined ? DEFAULT_AXIS_WEIGHT : num('--axis-weight', o.axisWeight);
  const type = (o.embedder ?? 'ensemble') as DreamsimType;
  if (!isDreamsimType(type)) throw new InputError(`--embedder: unknown DreamSim type '${type}'`);
  return { axis, weight, type };
}

/** --norm l2|std|lP as the engine's constraint. */
export function parseNormKind(v: string): NormKind {
  if (v === 'l2' || v === 'std') return v;
  const m = /^l([0-9]+(?:\.[0-9]+)?)$/.exec(v);
  if (!m || !(Number(m[1]) >= 1)) throw new InputError(`--norm: '${v}' is not l2, std or lP with P >= 1 (e.g. l1, l4)`);
  return Number(m[1]) === 2 ? 'l2' : { p: Number(m[1]) };
}

/** --plateau N [--plateau-delta x] as the engine's early stop (null without --plateau). */
export function parsePlateau(o: SynthCli): { patience: number; minDelta: number } | null {
  if (o.plateau === undefined) {
    if (o.plateauDelta !== undefined) throw new InputError('--plateau-delta needs --plateau N');
    return null;
  }
  const minDelta = o.plateauDelta === undefined ? 1e-3 : num('--plateau-delta', o.plateauDelta);
  if (!(minDelta >= 0)) throw new InputError(`--plateau-delta must be >= 0, got ${o.plateauDelta}`);
  return { patience: parseIntStrict('--plateau', o.plateau, { min: 1 }), minDelta };
}

/** The recipe after command-line overrides, validated before any GPU work. */
export function resolveRecipe(o: SynthCli, id: TwinId | null): Recipe {
  // null: a torchvision network, whose default recipe is imagenet
  const name = o.recipe ?? (id === null ? 'imagenet' : defaultRecipe(id, o.param));
  const base = RECIPES[name];
  if (!base) throw new InputError(`unknown recipe '${name}'; choose from ${Object.keys(RECIPES).join(', ')}, allen`);
  for (const [k, flag] of Object.entries(ALLEN_FLAGS)) if (o[k as keyof typeof ALLEN_FLAGS] !== undefined) throw new InputError(`${flag} is an option of --recipe allen; the ${name} recipe does not use it`);
  const r: Recipe = { ...base };
  if (o.param) r.param = o.param;
  if (o.steps !== undefined) r.steps = parseIntStrict('--steps', o.steps);
  if (o.optimizer) r.optimizer = o.optimizer;
  if (o.lr !== undefined) r.lr = num('--lr', o.lr);
  r.lrSchedule = o.lrSchedule && r.lrSchedule;
  if (o.etaMin !== undefined) r.etaMin = num('--eta-min', o.etaMin);
  if (o.momentum !== undefined) r.momentum = num('--momentum', o.momentum);
  if (o.noise !== undefined) r.noise = num('--noise', o.noise);
  if (o.crops !== undefined) r.nbCrops = parseIntStrict('--crops', o.crops, { min: 1 });
  if (o.boxSize !== undefined) r.boxSize = pair('--box-size', o.boxSize);
  if (o.jitter !== undefined) r.jitterStd = num('--jitter', o.jitter);
  if (o.oversample !== undefined) r.oversample = parseIntStrict('--oversample', o.oversample, { min: 1 });
  if (o.padFrac !== undefined) r.reflectPadFrac = num('--pad-frac', o.padFrac);
  if (o.targetNorm !== undefined) r.targetNorm = num('--target-norm', o.targetNorm);
  if (o.tvWeight !== undefined) r.tvWeight = num('--tv-weight', o.tvWeight);
  if (o.norm !== undefined) r.normKind = parseNormKind(o.norm);
  if (o.range !== undefined) r.valuesRange = pair('--range', o.range);
  if (o.rangeFn) r.rangeFn = o.rangeFn;
  if (o.initStd !== undefined) r.initStd = num('--init-std', o.initStd);
  r.blurGradient = o.blur && r.blurGradient;
  if (o.aperture !== undefined) r.aperture = o.aperture;
  if (!(r.targetNorm > 0)) throw new InputError(`--target-norm must be > 0, got ${r.targetNorm}`);
  if (!(r.lr > 0)) throw new InputError(`--lr must be > 0, got ${r.lr}`);
  if (r.noise < 0) throw new InputError(`--noise must be >= 0, got ${r.noise}`);
  if (!(r.boxSize[0] > 0 && r.boxSize[1] <= 1)) throw new InputError(`--box-size must lie in (0, 1], got ${r.boxSize.join(',')}`);
  if (!(r.valuesRange[0] < r.valuesRange[1])) throw new InputError(`--range must have lo < hi, got ${r.valuesRange.join(',')}`);
  if (r.reflectPadFrac < 0 || r.reflectPadFrac >= 0.5) throw new InputError(`--pad-frac must lie in [0, 0.5), got ${r.reflectPadFrac}`);
  return r;
}

/** `data` when every value is finite, else an InputError naming `what`, the first bad index and its value. */
function assertFinite(what: string, data: Float32Array, why: string): Float32Array {
  const i = data.findIndex((v) => !Number.isFinite(v));
  if (i >= 0) throw new InputError(`${what} holds a non-finite value (${data[i]} at flat index ${i}); ${why}. Nothing was computed.`);
  return data;
}

export function parseMembers(v: string | undefined, id: TwinId): number[] | undefined {
  if (!v) return undefined;
  const k = TWINS[id].members.length;
  const list = v.split(',').map((s) => parseIntStrict('--members', s, { min: 1 }));
  for (const m of list) if (m > k) throw new InputError(`--members: the ${id} twin has members 1..${k}, got ${m}`);
  return [...new Set(list)];
}

/** The options alone, checked without reading any file: a typo fails before --out is created or locked. */
export function parseSynthOptions(o: SynthCli) {
  const id = parseTwin(o.model);
  const r = resolveRecipe(o, id);
  const members = parseMembers(o.members, id);
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: MAX_RESULTS });
  return { id, spec: TWINS[id], recipe: r, members, batch, home: weightsHome(o.weightsDir) };
}

/** Everything a synthesis run needs: the parsed options, the parameterisation (priors, init images, aperture) read. */
export async function prepare(o: SynthCli, opts = parseSynthOptions(o)) {
  const { id, spec, recipe: r, members, batch, home } = opts;
  const [C, S] = [spec.inputShape[0], spec.inputShape[1]];
  let param: Parameterization;
  // --init-image in model space: a .npy as it is, an image file through the screening pipeline
  let initImage: Float32Array | undefined;
  if (o.initImage) {
    if (o.initImage.endsWith('.npy')) {
      const a = readNpy(o.initImage);
      if (a.shape.join(',') !== `${C},${S},${S}`) throw new InputError(`${o.initImage}: shape (${a.shape.join(', ')}), expected (${C}, ${S}, ${S})`);
      initImage = assertFinite(`--init-image ${o.initImage}`, toFloat32(a), r.param === 'pixel' ? 'it would be the starting pixels' : 'its phase would be undefined');
    } else initImage = imageToInput(makePipeline(spec, loadMask(id, home), announcePreset(parsePreset(o.preset), '--init-image')), readImage(o.initImage));
  }
  if (r.param === 'pixel') {
    param = new PixelParameterization({ channels: C, size: S, initStd: r.initStd, valuesRange: r.valuesRange, blurGradient: r.blurGradient, initParams: initImage && pixelParamsOf(initImage, r.valuesRange) });
  } else {
    const priorName = o.prior ?? (C === 3 ? 'natural_rgb' : r.prior);
    const prior = priorName === 'natural_gray' || priorName === 'natural_rgb' ? loadPrior(priorName, home) : readNpy(priorName);
    if (prior.shape[0] !== C) throw new InputError(`the prior ${priorName} has ${prior.shape[0]} channels; the ${id} twin takes ${C}`);
    assertFinite(`the prior ${priorName}`, toFloat32(prior), 'a magnitude spectrum must be finite everywhere');
    param = new FourierParameterization({ prior, size: S, valuesRange: r.valuesRange, rangeFn: r.rangeFn, initImages: initImage && [initImage] });
  }
  const aperture = r.aperture ? Float32Array.from(scaleMask(loadMask(id, home), S)) : null;
  const synth = recipeOptions(r, { saveAllSteps: o.saveAllSteps, aperture });
  const priorName = r.param === 'fourier' ? o.prior ?? (C === 3 ? 'natural_rgb' : r.prior) : null;
  const builtin = priorName === 'natural_gray' || priorName === 'natural_rgb';
  const ids = members ?? spec.members.map((_, i) => i + 1);
  const config = (guide: ReturnType<typeof parseAxis>) => synthesisConfig({
    model: id, members: ids, centered: o.centered, weightsSha256: Object.fromEntries(ids.map((k) => [`member_${k}`, memberSha256(id, k, home)])),
    recipeName: o.recipe ?? defaultRecipe(id, o.param), recipe: r,
    prior: priorName === null ? null : { name: builtin ? priorName : 'file', file: builtin ? join(home, 'priors', `${priorName}.npy`) : priorName },
    initImage: o.initImage ?? null, saveAllSteps: o.saveAllSteps ?? false,
    guidance: guide && { axis: o.axis!, weight: guide.weight, embedder: guide.type, embedderSha256: dreamsimSha256(guide.type, home) },
  });
  return { id, spec, recipe: r, members, batch, home, param, synth, config };
}

/**
 * The pixel parameters whose image is `x` (the whole image, Horama's accentuation start): image = sigmoid(p) *
 * (hi - lo) + lo, so p = logit((x - lo) / (hi - lo)), values outside the range clamped just inside it.
 */
export function pixelParamsOf(x: Float32Array, [lo, hi]: [number, number]): Float32Array {
  return x.map((v) => {
    const u = Math.min(Math.max((v - lo) / (hi - lo), 1e-4), 1 - 1e-4);
    return Math.log(u / (1 - u));
  });
}

export function parseNeurons(v: string, n: number): number[] {
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!m) throw new InputError(`--neurons: cannot read '${part}'; use e.g. 0-457 or 3,7,10-19 (decimal digits, no spaces)`);
    const [a, b] = [m[1], m[2] ?? m[1]].map((x) => {
      if (BigInt(x) >= BigInt(n)) throw new InputError(`--neurons: neuron ${x} is out of range (0..${n - 1})`);
      return Number(x);
    });
    if (b < a) throw new InputError(`--neurons: range ${part} is empty`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return [...new Set(out)];
}

/** The seeds of --seed S (one seed, 0..2^64-1, exact) or --seeds K (0..K-1; at most MAX_RESULTS). */
export function parseSeeds(seeds: string | undefined, seed: string | undefined): bigint[] {
  if (seeds !== undefined && seed !== undefined) throw new InputError('give --seeds K or --seed S, not both');
  if (seed !== undefined) return [parseSeed('--seed', seed)];
  const k = parseIntStrict('--seeds', seeds ?? '1', { min: 1 });
  checkResultCount(k, `--seeds ${k}`);
  return Array.from({ length: k }, (_, i) => BigInt(i));
}

/** Every (neuron, seed, pole), refused up front when there are more than MAX_RESULTS. */
export function makeJobs(neurons: number[], seeds: bigint[], poles: Pole[]): Job[] {
  checkResultCount(neurons.length * seeds.length * poles.length, `${neurons.length} neurons x ${seeds.length} seeds x ${poles.length} poles`);
  return neurons.flatMap((neuron) => seeds.flatMap((seed) => poles.map((pole) => ({ neuron, seed, pole }))));
}

/** The fewest seeds any (neuron, pole) of `jobs` has. */
export function seedsPerGroup(jobs: Job[]): number {
  const n = new Map<string, number>();
  for (const j of jobs) n.set(`${j.neuron} ${j.pole}`, (n.get(`${j.neuron} ${j.pole}`) ?? 0) + 1);
  return Math.min(...n.values());
}

/** --batch, split to what the adapter's buffers hold (results do not depend on the batch), with a note when split. */
function fitBatch(p: Awaited<ReturnType<typeof prepare>>, guided: boolean, backend: WebGPUBackend): number {
  const maxBytes = maxBufferBytes(backend.limits);
  const [C, S] = [p.spec.inputShape[0], p.spec.inputShape[1]];
  const cap = maxRunsPerBatch(p.id, { channels: C, size: S, nbCrops: p.recipe.nbCrops, oversample: p.recipe.oversample, guided }, maxBytes);
  if (p.batch <= cap) return p.batch;
  console.error(`--batch ${p.batch} is more than this adapter's buffers hold (${(maxBytes / 2 ** 20).toFixed(0)} MiB per buffer: at most ${cap} runs of ${p.recipe.nbCrops} crops per batch); running in batches of ${cap} (results do not depend on the batch)`);
  return cap;
}

/** Refuses objective options where only plain neurons are optimised (the Allen loop, trained twins). */
export function refuseObjective(obj: ParsedObjective | undefined, where: string): void {
  if (obj && !obj.plain) throw new InputError(`units and composed objectives (--layer, --channel(s), --member, --objective, --weights, --direction, --contrast, --diversity) work with the engine's recipes on the DualNeuron twins and the torchvision networks; ${where} optimises plain neurons`);
}

/** The members an objective asks for (--member K, --contrast member:K), which replace --members. */
export function objectiveMembers(o: SynthCli, obj: ParsedObjective | undefined, id: TwinId): number[] | undefined {
  if (!obj?.members) return undefined;
  if (o.members !== undefined) throw new InputError('--member (and --contrast member:K) choose the members; leave --members out');
  return parseMembers(obj.members.join(','), id);
}

export async function runJobs(o: SynthCli, jobs: Job[], command: string, extra: Record<string, unknown>, objective?: ParsedObjective): Promise<void> {
  if (o.recipe === 'allen') {
    refuseObjective(objective, '--recipe allen');
    if (o.plateau !== undefined) throw new InputError('--plateau is an option of the engine\'s recipes; --recipe allen runs every step');
    return runAllenJobs(o, jobs, command, extra);
  }
  if (o.size !== undefined) throw new InputError(`--size is for the torchvision CNNs; the ${o.model} twin takes its own input size`);
  const out = resolve(o.out);
  const opts = parseSynthOptions(o);
  opts.members = objectiveMembers(o, objective, opts.id) ?? opts.members;
  const guide = parseAxis(o);
  // With a unit or composed objective, the model and the objective are opened before --out is made, so a bad layer,
  // channel or location fails without leaving an empty output folder (loading the weights is the only work done by
  // then). Plain runs keep the order lock, options, weights: a locked or unwritable --out and bad options are
  // reported before the weights are read (and on a machine without them).
  const early = Boolean(objective && !objective.plain);
  let backend: Awaited<ReturnType<typeof init>> | null = null;
  let loaded: ReturnType<typeof loadTwin> | null = null;
  let target: OpenedTarget | null = null;
  if (early) {
    backend = await init('webgpu');
    loaded = loadTwin(opts.id, { members: opts.members, centered: o.centered, backend, weightsDir: o.weightsDir });
    try {
      target = await openTarget(loaded.model, objective!, opts.spec.inputShape, [...new Set(jobs.map((j) => j.neuron))], seedsPerGroup(jobs));
    } catch (e) {
      loaded.model.dispose();
      throw e;
    }
  }
  let lock: ReturnType<typeof openOutputFolder> | null = null;
  let p: Awaited<ReturnType<typeof prepare>>;
  try {
    lock = openOutputFolder(out, command);
    p = await prepare(o, opts);
  } catch (e) {
    loaded?.model.dispose();
    lock?.release();
    throw e;
  }
  let embedder: DreamSim | null = null;
  try {
    const config = p.config(guide);
    if (objective && !objective.plain) config.objective = objectiveConfig(objective);
    const plateau = parsePlateau(o);
    // recorded only when set, so results made before --plateau existed still match
    if (plateau) { config['--plateau'] = { ...plateau }; p.synth.plateau = plateau; }
    // refuses results made with other options before any GPU work
    planJobs(out, jobs, config, o.overwrite);
    backend ??= await init('webgpu');
    const batch = fitBatch(p, guide !== null, backend as WebGPUBackend);
    const rec = startRecord(command, { ...o }, backend.describe());
    loaded ??= loadTwin(p.id, { members: p.members, centered: o.centered, backend, weightsDir: o.weightsDir });
    const { model, weightsSha256 } = loaded;
    if (target) { p.synth.coupling = target.coupling; extra = { ...extra, objective: target.description }; }
    if (guide) {
      const ds = loadDreamsim(guide.type, { weightsDir: o.weightsDir, backend });
      embedder = ds.model;
      if (embedder.dim !== guide.axis.length) throw new InputError(`--axis ${o.axis} has ${guide.axis.length} dims; the DreamSim ${guide.type} embedding has ${embedder.dim} (pass the --embedder the axis was made with)`);
      const e = embedder;
      p.synth.axis = { embed: (u) => e.embed(u), axis: guide.axis, weight: guide.weight };
      extra = { ...extra, guidance: { axis: resolve(o.axis!), weight: guide.weight, embedder: guide.type, embedderSha256: ds.sha256 } };
    }
    const n = await runPoles({
      out, config, overwrite: o.overwrite, model: target ? target.readout : model, outputs: target ? target.readout.outputs : p.spec.neurons, param: p.param, synth: p.synth, jobs, batch, animation: o.saveAllSteps, progress: true,
      objectiveOf: target?.objectiveOf, grouped: Boolean(target?.coupling),
    });
    finishRecord(rec, join(out, 'run.json'), {
      model: p.id, members: model.memberIds, centered: o.centered, weightsSha256, recipe: { name: o.recipe ?? defaultRecipe(p.id, o.param), ...p.recipe },
      jobs: jobs.length, computed: n, batch, initImagePreset: o.initImage ? parsePreset(o.preset) : undefined, seedsNote: 'each result (neuron, seed, pole) draws its own streams from deriveSeed(seed, pole), independent of the batch', ...extra,
    });
    console.error(`${n} results computed (${jobs.length - n} were already done) in ${out}`);
  } finally {
    loaded?.model.dispose();
    embedder?.dispose();
    p.param.dispose();
    lock.release();
  }
}

const OBJECTIVE_HELP = `
Units and objectives (the DualNeuron twins and the torchvision networks vgg16, vgg16_bn, resnet50, vit_b_16 as --model;
a torchvision network is optimised with --recipe imagenet, pixels in its normalised space; its "neurons" are its logits):
  --layer NAME --channel C [--location center|mean|h,w]   one unit of an internal module (dualneuron layers --model ...)
  --neurons 3,7,9 --objective mean                      the mean of a set (with --layer: --channels)
  --weights w.npy                                       sum_i w_i y_i over the outputs (with --layer: the channels)
  --layer NAME --direction d.npy                        the channel vector at --location projected onto d / |d|
  --contrast N | member:K  [--contrast-scale s]         minus s times unit N, or minus the same objective in member K
  --objective onehot [--onehot-weight w]                drive one unit, hold the others at their blank-image baseline
  --diversity w --diversity-layer NAME --seeds K        lucid's diversity across the K seeds of each objective and pole
An ensemble's unit is the mean of the unit over its members, as its neurons are; --member K reads member K alone.
Objectives over a set, weights or a direction are one result, written under neuron_0000; done.json and run.json record
the objective.`;

export function registerSynthesize(program: Command): void {
  const syn = addSynthesisOptions(program.command('synthesize').description('most/least exciting inputs (MEI/LEI) of one neuron, one unit of any layer, or a composed objective, by gradient ascent'))
    .option('--neuron <n>', 'neuron index (a trained twin folder: or one of its neuron ids; a torchvision network: a logit)')
    .option('--neurons <list>', 'with --objective mean: the neurons whose mean is optimised, e.g. 3,7,9')
    .addOption(new Option('--pole <p>', 'most (MEI), least (LEI) or both').choices(['most', 'least', 'both']).default('both'))
    .option('--seeds <k>', `seeds 0..k-1 (default 1; upstream draws seeds at random); at most ${MAX_RESULTS.toLocaleString('en-US')} results per command`)
    .option('--seed <s>', 'a single seed, 0..2^64-1');
  for (const opt of objectiveOptions('synthesize')) syn.addOption(opt);
  syn.addHelpText('after', OBJECTIVE_HELP)
    .action(async (o: SynthCli & ObjectiveCli & { pole: 'most' | 'least' | 'both'; seeds?: string; seed?: string }) => {
      const poles: Pole[] = o.pole === 'both' ? ['least', 'most'] : [o.pole];
      if (isTorchvisionId(o.model)) {
        const obj = parseObjective(o, 'synthesize');
        return runClassifierJobs(o, o.model, obj, makeJobs(obj.indices, parseSeeds(o.seeds, o.seed), poles), 'synthesize', { poles });
      }
      const ref = resolveTwin(o.model);
      if (ref.kind === 'trained') {
        if (o.neuron === undefined) throw new InputError('give --neuron N (a trained twin folder optimises one neuron)');
        if (o.size !== undefined) throw new InputError(`--size is for the torchvision CNNs; the trained twin ${ref.dir} takes its own input size`);
        if (o.plateau !== undefined) throw new InputError(`--plateau is an option of the engine's recipes; the trained twin ${ref.dir} synthesises with --recipe allen, which runs every step`);
        refuseObjective(parseObjective({ ...o, neuron: '0' }, 'synthesize'), `the trained twin ${ref.dir} (--recipe allen)`);
        const neurons = parseNeuronList('--neuron', o.neuron, ref);
        if (neurons.length !== 1) throw new InputError(`--neuron names one neuron, got ${neurons.length} (poles --neurons takes many)`);
        return runTrainedJobs(o, ref, makeJobs(neurons, parseSeeds(o.seeds, o.seed), poles), 'synthesize', { neuron: neurons[0], poles });
      }
      if (o.mask !== undefined) throw new InputError(`--mask is for trained twin folders; the ${ref.id} twin uses its own upstream aperture (--aperture)`);
      const id = ref.id;
      const obj = parseObjective(o, 'synthesize');
      if (obj.plain) {
        const neuron = obj.indices[0];
        if (neuron >= TWINS[id].neurons) throw new InputError(`--neuron ${neuron} is out of range: the ${id} twin has neurons 0..${TWINS[id].neurons - 1}`);
      }
      const jobs = makeJobs(obj.indices, parseSeeds(o.seeds, o.seed), poles);
      await runJobs(o, jobs, 'synthesize', { neuron: obj.indices[0], poles }, obj);
    });

  const pol = addSynthesisOptions(program.command('poles').description('MEIs and LEIs of many neurons (or channels of a layer), optimised in batches; resumes an interrupted run'))
    .option('--neurons <list>', 'neurons, e.g. 0-457 or 3,7,10-19 (a trained twin folder: indices or its neuron ids, id:NAME for an id that looks like a number; a torchvision network: logits)')
    .option('--seeds <k>', `seeds 0..k-1 (default 1; upstream draws seeds at random); at most ${MAX_RESULTS.toLocaleString('en-US')} results per command`)
    .option('--seed <s>', 'a single seed, 0..2^64-1')
    .option('--shard <k/n>', 'compute only shard k of n (0-based; contiguous whole batches of --batch results, so each batch is the one a single run optimises: give every shard the same --batch); each shard writes its own --out, combined by `dualneuron merge` into the bytes of one run');
  for (const opt of objectiveOptions('poles')) pol.addOption(opt);
  pol.addHelpText('after', '\nWith --layer NAME --channels LIST each channel (at --location) is optimised as a neuron is, written as neuron_NNNN; --member, --contrast, --objective onehot and --diversity apply to each (synthesize --help explains them).')
    .action(async (o: SynthCli & ObjectiveCli & { seeds?: string; seed?: string; shard?: string }) => {
      const shard = parseShard(o.shard);
      // a shard's run.json records its part and the whole run's size, which `merge` checks for completeness
      const batch = parseIntStrict('--batch', o.batch, { min: 1, max: MAX_RESULTS });
      const part = (all: Job[]) => (shard ? { jobs: shardJobs(all, shard, batch), extra: { shard, jobsTotal: all.length } } : { jobs: all, extra: {} });
      if (shard && o.diversity !== undefined) throw new InputError('--diversity optimises the seeds of each neuron together; it cannot be split into --shard parts');
      if (isTorchvisionId(o.model)) {
        const obj = parseObjective(o, 'poles');
        const p = part(makeJobs(obj.indices, parseSeeds(o.seeds, o.seed), ['least', 'most']));
        return runClassifierJobs(o, o.model, obj, p.jobs, 'poles', { neurons: obj.indices, ...p.extra });
      }
      const ref = resolveTwin(o.model);
      if (ref.kind === 'trained') {
        if (o.neurons === undefined) throw new InputError('give --neurons LIST');
        if (o.size !== undefined) throw new InputError(`--size is for the torchvision CNNs; the trained twin ${ref.dir} takes its own input size`);
        if (o.plateau !== undefined) throw new InputError(`--plateau is an option of the engine's recipes; the trained twin ${ref.dir} synthesises with --recipe allen, which runs every step`);
        refuseObjective(parseObjective({ ...o, neurons: '0' }, 'poles'), `the trained twin ${ref.dir} (--recipe allen)`);
        const neurons = parseNeuronList('--neurons', o.neurons, ref);
        const p = part(makeJobs(neurons, parseSeeds(o.seeds, o.seed), ['least', 'most']));
        return runTrainedJobs(o, ref, p.jobs, 'poles', { neurons, ...p.extra });
      }
      if (o.mask !== undefined) throw new InputError(`--mask is for trained twin folders; the ${ref.id} twin uses its own upstream aperture (--aperture)`);
      const id = ref.id;
      const obj = parseObjective(o, 'poles');
      const neurons = obj.readout.layer === null ? parseNeurons(o.neurons!, TWINS[id].neurons) : obj.indices;
      const p = part(makeJobs(neurons, parseSeeds(o.seeds, o.seed), ['least', 'most']));
      await runJobs(o, p.jobs, 'poles', { neurons, ...p.extra }, obj);
    });
}
