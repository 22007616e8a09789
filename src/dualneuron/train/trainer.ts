// Training one member of a twin (neuralpredictors' standard_trainer, written from its definition): per epoch the
// training images in a seeded order (shuffle.ts), batches of `batch` images; loss = scale * Poisson (or MSE)
// loss + model.regularizer() (core Laplace + group sparsity, readout feature L1), backward, gradient clipping by
// global norm, Adam at the plateau schedule's rate; after the epoch the mean validation correlation drives the
// plateau schedule and early stopping (schedule.ts). After every epoch a checkpoint (model, best model, Adam
// moments and step, schedule and early-stopping state, history; the shuffling needs only the epoch number) is
// written atomically; a run started again resumes from it and ends with the same weights.
import { existsSync } from 'node:fs';
import { DualNeuronError } from '../../errors.js';
import { Tensor, Generator, tidy, noGrad, keep, type Backend } from '../../tensor/index.js';
import { FullGaussian2d } from '../../models/readout.js';
import { deriveSeed } from '../../tensor/random.js';
import { Adam } from '../../nn/optim.js';
import { readSafetensors, writeSafetensors } from '../../io/safetensors.js';
import type { HostArray } from '../../io/host-array.js';
import { initializeEncoder, type FiringRateEncoder } from '../../models/encoder.js';
import { buildTwinModel, gaussianInit, trainableParameters, type TwinArchitecture } from './architecture.js';
import { applyCoreInit, type CoreInit } from './finetune.js';
import type { PretrainedCore } from '../../models/pretrained-core.js';
import { rowsOf, type TrainingData } from './data.js';
import { lossFunction, type LossKind, type LossReduction } from './loss.js';
import { clipGradNorm } from './clip.js';
import { EarlyStopping, PlateauLr, type EarlyStoppingState, type PlateauState } from './schedule.js';
import { batchesOf, epochOrder } from './shuffle.js';
import { meanCorrelation, perNeuronCorrelation } from './correlation.js';
import { hostToModule, moduleToHost, prefixed, tensorToHost, unprefixed, type HostState } from './state.js';
import type { TrainOptions } from './options.js';
import { Progress } from '../../util/progress.js';

export interface EpochRecord { epoch: number; loss: number; validation_correlation: number; lr: number; grad_norm: number; best: boolean }

export interface MemberResult {
  member: number;
  seed: string;
  epochs: number;
  bestEpoch: number;
  bestValidationCorrelation: number;
  stopped: string;
  history: EpochRecord[];
  /** the best weights (what the member file holds) */
  weights: HostState;
}

interface CheckpointState {
  version: 1; member: number; seed: string; adamStep: number; /** a Gaussian readout's position-noise generator offset */ sampleOffset: string | null; plateau: PlateauState; earlyStopping: EarlyStoppingState; history: EpochRecord[];
}

export interface MemberRun {
  arch: TwinArchitecture;
  data: TrainingData;
  /** 1-based member number */
  member: number;
  options: TrainOptions;
  backend: Backend;
  /** the member's checkpoint file (written every epoch; resumed from when present) */
  checkpoint: string;
  log?: (line: string) => void;
  /** called after each checkpoint (tests stop a run here) */
  afterEpoch?: (epoch: number) => void;
  /** a fine-tuning architecture's pretrained core weights, put in after the seeded initialisation */
  coreInit?: CoreInit;
}

/** the seed of member k (1-based): member 1 uses the run's seed, others an independent stream of it */
export const memberSeed = (seed: bigint, member: number): bigint => (member === 1 ? seed : deriveSeed(seed, 0x3e3be5, member));

/** rates (images, N) of the model in eval mode for some images, in batches */
export async function predictImages(model: FiringRateEncoder, data: TrainingData, images: readonly number[], batch: number): Promise<Float32Array> {
  const per = data.inputShape[0] * data.inputShape[1] * data.inputShape[2], N = data.neurons;
  const out = new Float32Array(images.length * N);
  const was = model.training;
  model.eval();
  for (let s = 0; s < images.length; s += batch) {
    const idx = images.slice(s, s + batch);
    const y = noGrad(() => tidy(() => model.forward(Tensor.from(rowsOf(data.inputs, per, idx), [idx.length, ...data.inputShape], { backend: model.backend }))));
    out.set(await y.dataF32(), s * N);
    y.dispose();
  }
  model.train(was);
  return out;
}

async function validationCorrelation(model: FiringRateEncoder, data: TrainingData, batch: number): Promise<number> {
  const v = data.split.validation;
  const pred = await predictImages(model, data, v, batch);
  for (const p of pred) if (!Number.isFinite(p)) return NaN;
  return meanCorrelation(perNeuronCorrelation(pred, rowsOf(data.targets, data.neurons, v), v.length, data.neurons));
}

async function saveCheckpoint(path: string, model: FiringRateEncoder, best: HostState, adam: Adam, state: CheckpointState): Promise<void> {
  const tensors: [string, HostArray][] = [...prefixed(await moduleToHost(model), 'model.'), ...prefixed(best, 'best.')];
  for (let i = 0; i < adam.params.length; i++) {
    const { m, v } = adam.moments(i);
    if (m) tensors.push([`adam.m.${i}`, await tensorToHost(m)]);
    if (v) tensors.push([`adam.v.${i}`, await tensorToHost(v)]);
  }
  writeSafetensors(path, new Map(tensors), { state: JSON.stringify(state) });
}

function loadCheckpoint(path: string, model: FiringRateEncoder, adam: Adam): { best: HostState; state: CheckpointState } {
  const st = readSafetensors(path);
  const state = JSON.parse(st.metadata.state ?? 'null') as CheckpointState;
  hostToModule(model, unprefixed(st.tensors, 'model.'));
  adam.stepCount = state.adamStep;
  for (let i = 0; i < adam.params.length; i++) {
    const m = st.tensors.get(`adam.m.${i}`), v = st.tensors.get(`adam.v.${i}`);
    const p = adam.params[i]!;
    const t = (a: HostArray | undefined) => (a ? Tensor.from(a.data as Float32Array, a.shape, { backend: p.backend }) : null);
    adam.restoreMoments(i, t(m), t(v));
  }
  return { best: unprefixed(st.tensors, 'best.'), state };
}

export interface StepOptions { loss: LossKind; reduction: LossReduction; /** multiplies the data loss */ scale: number; /** global gradient norm bound, 0: none */ clip: number }

/**
 * One optimisation step on a batch: loss = scale * loss(model(x), y) + model.regularizer('sum'); backward; clip;
 * Adam step; gradients dropped. Returns the loss and the gradient norm before clipping. (A non-finite loss takes
 * no step.)
 */
export async function trainStep(model: FiringRateEncoder, adam: Adam, x: Tensor, y: Tensor, o: StepOptions): Promise<{ loss: number; gradNorm: number }> {
  const lossFn = lossFunction(o.loss);
  const lossT = tidy(() => {
    const l = lossFn(model.forward(x), y, { reduction: o.reduction }).mul(o.scale).add(model.regularizer('sum'));
    l.backward();
    return keep(l.detach());
  });
  const loss = await lossT.item();
  lossT.dispose();
  if (!Number.isFinite(loss)) { adam.zeroGrad(); return { loss, gradNorm: NaN }; }
  const gradNorm = await clipGradNorm(adam.params, o.clip);
  adam.step();
  adam.zeroGrad();
  return { loss, gradNorm };
}

/** Trains (or resumes) one member; returns its best weights and its record. */
export async function trainMember(r: MemberRun): Promise<MemberResult> {
  const { data, options: o, backend } = r;
  const log = r.log ?? (() => {});
  const seed = memberSeed(o.seed, r.member);
  const model = buildTwinModel(r.arch, backend);
  const disposers: (() => void)[] = [];
  try {
    initializeEncoder(model, seed);
    if (r.coreInit) applyCoreInit(model.core as PretrainedCore, r.coreInit);
    // a Gaussian readout samples positions in train mode: its own stream per member, checkpointed with its offset
    const sampler = model.readout instanceof FullGaussian2d ? (model.readout.generator = new Generator(deriveSeed(seed, 0x5a3b1e))) : null;
    if (model.readout instanceof FullGaussian2d) {
      // neuralpredictors' recipe for trained Gaussian readouts: a narrow init_sigma and the bias at each neuron's
      // mean training response
      const mean = new Float32Array(data.neurons);
      for (const i of data.split.train) for (let n = 0; n < data.neurons; n++) mean[n]! += data.targets[i * data.neurons + n]! / data.split.train.length;
      const bias = Tensor.from(mean, [data.neurons], { backend });
      model.readout.initialize(new Generator(deriveSeed(seed, 0x6a1a55)), { ...gaussianInit(r.arch), bias });
      bias.dispose();
    }
    model.requiresGrad_(true).train();
    const { params, lrScale } = trainableParameters(model, r.arch, o.lr);
    const adam = new Adam(params, { lr: o.lr, lrScale });
    disposers.push(() => adam.dispose());
    const per = data.inputShape[0] * data.inputShape[1] * data.inputShape[2], N = data.neurons;
    const train = data.split.train;
    let best: HostState, plateau: PlateauLr, es: EarlyStopping, history: EpochRecord[];
    if (existsSync(r.checkpoint)) {
      const c = loadCheckpoint(r.checkpoint, model, adam);
      best = c.best; history = c.state.history;
      if (sampler && c.state.sampleOffset !== null) sampler.offset = BigInt(c.state.sampleOffset);
      plateau = new PlateauLr({ factor: o.decayFactor, patience: o.patience, threshold: o.tolerance, minLr: o.minLr }, o.lr, c.state.plateau);
      es = new EarlyStopping({ patience: o.patience, maxEpochs: o.maxEpochs, decaySteps: o.decaySteps, tolerance: o.tolerance }, 0, c.state.earlyStopping);
      log(`member ${r.member}: resuming after epoch ${es.state.epoch} (validation correlation ${es.state.last.toFixed(4)}, best ${es.state.best.toFixed(4)} at epoch ${es.state.bestEpoch})`);
    } else {
      const v0 = await validationCorrelation(model, data, o.batch);
      best = await moduleToHost(model); history = [];
      plateau = new PlateauLr({ factor: o.decayFactor, patience: o.patience, threshold: o.tolerance, minLr: o.minLr }, o.lr);
      es = new EarlyStopping({ patience: o.patience, maxEpochs: o.maxEpochs, decaySteps: o.decaySteps, tolerance: o.tolerance }, v0);
      log(`member ${r.member}: seed ${seed}, ${train.length} training / ${data.split.validation.length} validation images, validation correlation before training ${v0.toFixed(4)}`);
    }
    for (;;) {
      const action = es.next();
      if (action === 'stop') break;
      if (action === 'restore-best') {
        hostToModule(model, best);
        log(`member ${r.member}: no improvement for ${o.patience} epochs: best weights of epoch ${es.state.bestEpoch} restored, learning rate ${plateau.lr.toPrecision(3)} (decay step ${es.state.repeat + 1} of ${o.decaySteps})`);
        continue;
      }
      const epoch = es.state.epoch + 1;
      adam.lr = plateau.lr;
      model.train();
      let lossSum = 0, normMax = 0, count = 0;
      const batches = batchesOf(epochOrder(train, seed, epoch), o.batch);
      const progress = new Progress({ total: batches.length, unit: 'batch', label: `member ${r.member} epoch ${epoch}` });
      for (const b of batches) {
        // the loss scale uses the batch's own size, as standard_trainer (sqrt(len(dataset) / batch.shape[0]))
        const x = Tensor.from(rowsOf(data.inputs, per, b), [b.length, ...data.inputShape], { backend });
        const y = Tensor.from(rowsOf(data.targets, N, b), [b.length, N], { backend });
        const step = await trainStep(model, adam, x, y, { loss: o.loss, reduction: o.lossReduction, scale: o.scaleLoss ? Math.sqrt(train.length / b.length) : 1, clip: o.clip });
        x.dispose(); y.dispose();
        const lv = step.loss;
        if (!Number.isFinite(lv)) {
          throw new DualNeuronError(`member ${r.member}, epoch ${epoch}: the loss is ${lv}; training diverged (lower --lr, set --clip, or check the responses for outliers)`);
        }
        normMax = Math.max(normMax, step.gradNorm);
        lossSum += lv; count++;
        progress.tick(1);
      }
      progress.finish();
      const v = await validationCorrelation(model, data, o.batch);
      plateau.step(v);
      const improved = es.report(v);
      if (improved) best = await moduleToHost(model);
      history.push({ epoch, loss: lossSum / count, validation_correlation: v, lr: adam.lr, grad_norm: normMax, best: improved });
      await saveCheckpoint(r.checkpoint, model, best, adam, { version: 1, member: r.member, seed: seed.toString(), adamStep: adam.stepCount, sampleOffset: sampler ? sampler.offset.toString() : null, plateau: plateau.state, earlyStopping: es.state, history });
      log(`member ${r.member} epoch ${epoch}: loss ${(lossSum / count).toPrecision(5)}, validation correlation ${v.toFixed(4)}${improved ? ' (best)' : ''}, lr ${adam.lr.toPrecision(3)}`);
      r.afterEpoch?.(epoch);
    }
    const s = es.state;
    if (s.stopped === 'not-finite') throw new DualNeuronError(`member ${r.member}: the validation correlation became ${s.last} at epoch ${s.epoch}; the model produced non-finite rates (lower --lr or set --clip)`);
    log(`member ${r.member}: stopped (${s.stopped}) after ${s.epoch} epochs; best validation correlation ${s.best.toFixed(4)} at epoch ${s.bestEpoch}`);
    return { member: r.member, seed: seed.toString(), epochs: s.epoch, bestEpoch: s.bestEpoch, bestValidationCorrelation: s.best, stopped: s.stopped ?? '', history, weights: best };
  } finally {
    for (const d of disposers) d();
    model.dispose();
  }
}
