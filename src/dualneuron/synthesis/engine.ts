// Gradient-based synthesis of most/least exciting inputs for many runs at once (upstream synthesis/ascend.py,
// batched). A run is (objective, pole, seed); runs share one model and one optimiser over stacked parameters,
// but every run draws its own initial parameters, crops and noise from its own seed, and its loss term only
// involves its own image, so a run gives the same result in a batch as alone (up to float rounding).
//
// Each step: image = param -> image (differentiable); crops = transforms(image); activation = mean over crops
// of the objective; loss = -pole * activation + TV(image) [- axis term]; backward to the image (its |gradient|
// accumulates into the alpha map) and on to the parameters; optimiser and schedule step; then the clean image
// (norm-adjusted) is evaluated and its activation recorded.
import { Tensor, tidy, noGrad, keep, backward, stack, type Backend } from '../../tensor/index.js';
import { interpolate, tvSquares } from '../../tensor/index.js';
import { Adam, SGD, CosineAnnealing, ConstantLr, type Optimizer, type Schedule } from '../../nn/optim.js';
import { DualNeuronError, InputError } from '../../errors.js';
import type { Parameterization } from './parameterization.js';
import { CropSampler, transform, constrainEach, noiseSeedsOf, type TransformOptions } from './transforms.js';

/**
 * What a run maximises (pole 'most') or minimises ('least'): one output, the mean of several, a fixed weighting
 * of all outputs, or any differentiable function of the model output (B, N) -> (B) values per image.
 */
export type Objective = { neuron: number } | { neurons: number[] } | { weights: Float32Array } | { fn: (y: Tensor) => Tensor };

export interface RunSpec {
  objective: Objective; pole: 'most' | 'least'; seed: bigint; label?: string;
  /** runs of one group are coupled by SynthesisOptions.coupling (e.g. the seeds of one objective and pole) */
  group?: number;
}

export interface AxisTerm {
  /** embeds (K, 3, 224, 224) images in [0, 1] -> (K, D) */
  embed: (u: Tensor) => Tensor;
  axis: Float32Array;
  weight: number;
}

export interface SynthesisOptions {
  steps: number;
  optimizer: 'adam' | 'sgd';
  lr: number;
  lrSchedule: boolean;
  etaMin: number;
  /** SGD momentum (upstream pixel recipe: 0.9) */
  momentum: number;
  tvWeight: number;
  transforms: TransformOptions;
  /** L2 norm of the clean image that is evaluated and returned (null: as produced) */
  targetNorm: number | null;
  /**
   * Aperture (S*S values, row-major) multiplied into every image (all channels) before the norm constraint and the
   * crops, as screening masks its images: the norm budget then goes to the receptive field only. null: no aperture.
   */
  aperture?: Float32Array | null;
  axis?: AxisTerm | null;
  /**
   * A loss term over the whole batch, added every step: crops (K * nbCrops, C, S, S) of the K runs -> a scalar
   * (units/diversity.ts). With it a run's result depends on the runs of its group beside it in the batch.
   */
  coupling?: ((crops: Tensor, runs: readonly RunSpec[], cropsPerRun: number) => Tensor) | null;
  /**
   * Stop early on a plateau: once no run's objective (toward its pole) has beaten its best value from before the
   * last `patience` steps by more than minDelta * max(1, |best|), the batch stops (results then have fewer than
   * steps + 1 activations). null: run every step.
   */
  plateau?: { patience: number; minDelta: number } | null;
  /** keep every step's clean image and alpha (for animations) */
  saveAllSteps: boolean;
  /** called after each step with the step number (progress bars) */
  onStep?: (step: number) => void;
  /**
   * called with the clean images (K, C, S, S) and their objective values (K) before the first step (step 0) and
   * after each step, as they are recorded (live displays); awaited, so a slow display slows the run
   */
  onRecord?: (step: number, activations: Float32Array, images: Float32Array) => void | Promise<void>;
}

export interface RunResult {
  /** final clean image (C, S, S) */
  image: Float32Array;
  /** accumulated |d loss / d image|, divided by its max, (C, S, S) */
  alpha: Float32Array;
  /** objective value of the clean image before the first step and after each step (steps + 1), signed */
  activations: Float32Array;
  /** with saveAllSteps: steps + 1 images and alphas (C, S, S) each */
  frames?: Float32Array[];
  alphaFrames?: Float32Array[];
}

export interface Model { forward(x: Tensor): Tensor; readonly backend: Backend }

/**
 * A run's activation became NaN or infinite: its result would be meaningless, so the batch stops and nothing is
 * written for it (a result marked done with "final": null would be skipped forever after).
 */
export class NonFiniteActivationError extends DualNeuronError {
  constructor(readonly run: number, readonly step: number, readonly value: number, describe: string, steps: number) {
    super(`synthesis failed: the activation of ${describe} is ${value} ${step === 0 ? 'before the first step (the initial image)' : `after step ${step} of ${steps}`}; ` +
      'nothing was written for the runs of this batch. Check the prior, --init-image and the model inputs, or lower --lr.');
  }
}

/** 'run k (neuron n, pole p[, label])' for messages. */
function describeRun(r: RunSpec, k: number): string {
  const o = r.objective;
  const what = 'neuron' in o ? `neuron ${o.neuron}` : 'neurons' in o ? `neurons ${o.neurons.join(',')}` : 'a custom objective';
  return `run ${k} (${r.label ? `${r.label}, ` : ''}${what}, pole ${r.pole})`;
}

/** (K, N) objective weights of each run over the model outputs. */
export function objectiveMatrix(runs: readonly RunSpec[], outputs: number): Float32Array {
  const W = new Float32Array(runs.length * outputs);
  runs.forEach((r, k) => {
    const o = r.objective;
    if ('neuron' in o) {
      if (!Number.isInteger(o.neuron) || o.neuron < 0 || o.neuron >= outputs) throw new InputError(`neuron ${o.neuron} is out of range: the model has outputs 0..${outputs - 1}`);
      W[k * outputs + o.neuron] = 1;
    } else if ('neurons' in o) {
      if (o.neurons.length === 0) throw new InputError('an objective over an empty set of neurons');
      for (const n of o.neurons) {
        if (!Number.isInteger(n) || n < 0 || n >= outputs) throw new InputError(`neuron ${n} is out of range: the model has outputs 0..${outputs - 1}`);
        W[k * outputs + n] += 1 / o.neurons.length;
      }
    } else if ('fn' in o) {
      // evaluated separately (activations())
    } else {
      if (o.weights.length !== outputs) throw new InputError(`objective weights have ${o.weights.length} entries; the model has ${outputs} outputs`);
      W.set(o.weights, k * outputs);
    }
  });
  return W;
}

export async function synthesize(model: Model, param: Parameterization, runs: readonly RunSpec[], o: SynthesisOptions, outputs: number): Promise<RunResult[]> {
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new InputError(`steps must be a non-negative integer, got ${o.steps}`);
  if (o.targetNorm !== null && !(o.targetNorm > 0)) throw new InputError(`the target norm must be > 0, got ${o.targetNorm}`);
  if (o.transforms.targetNorm !== null && !(o.transforms.targetNorm > 0)) throw new InputError(`the crop norm must be > 0, got ${o.transforms.targetNorm}`);
  const b = model.backend;
  const K = runs.length, nc = o.transforms.nbCrops;
  const [C, S] = param.shape;
  if (o.aperture && o.aperture.length !== S * S) throw new InputError(`the aperture has ${o.aperture.length} values; the images are ${S}x${S} (${S * S})`);
  if (o.aperture && !o.aperture.some((v) => v !== 0)) throw new InputError('the aperture is zero everywhere: no image could pass it');
  const seeds = runs.map((r) => r.seed);
  const W = keep(Tensor.from(objectiveMatrix(runs, outputs), [K, outputs], { backend: b }));
  const fns = runs.map((r) => ('fn' in r.objective ? r.objective.fn : null));
  /** objective values of n images per run from outputs y (K * n, N) -> (K, n) */
  const activations = (y: Tensor, n: number): Tensor => {
    const lin = y.reshape([K, n, outputs]).mul(W.reshape([K, 1, outputs])).sum(2);
    if (fns.every((f) => f === null)) return lin;
    const rows = fns.map((f, k) => {
      const own = y.slice([[k * n, (k + 1) * n]]);
      if (!f) return lin.select(0, k);
      const v = f(own);
      if (v.rank !== 1 || v.shape[0] !== n) throw new InputError(`an objective function must return one value per image (${n}), got shape [${v.shape.join(', ')}]`);
      return v;
    });
    return stack(rows, 0);
  };
  const poles = keep(Tensor.from(runs.map((r) => (r.pole === 'most' ? 1 : -1)), [K], { backend: b }));
  const axis = o.axis ? keep(Tensor.from(o.axis.axis, [o.axis.axis.length], { backend: b })) : null;
  const p = keep(param.init(seeds, b)).requiresGrad_();
  const aperture = o.aperture ? keep(Tensor.from(o.aperture, [1, 1, S, S], { backend: b })) : null;
  /** the parameters' images, through the aperture when there is one (differentiable) */
  const imageOf = (q: Tensor) => (aperture ? param.image(q).mul(aperture) : param.image(q));
  const opt: Optimizer = o.optimizer === 'adam' ? new Adam([p], { lr: o.lr }) : new SGD([p], { lr: o.lr, momentum: o.momentum });
  const sched: Schedule = o.lrSchedule ? new CosineAnnealing(opt, Math.max(1, o.steps), o.etaMin) : new ConstantLr(opt);
  const sampler = new CropSampler(seeds);
  const noiseSeeds = noiseSeedsOf(seeds);
  const alphaAcc = keep(Tensor.from(new Float32Array(K * C * S * S), [K, C, S, S], { backend: b }));
  const acts: Float32Array[] = [];
  const frames: Float32Array[][] = runs.map(() => []);
  const alphaFrames: Float32Array[][] = runs.map(() => []);

  /** The clean images (norm-adjusted) and their objective values. */
  const evaluate = () => noGrad(() => tidy(() => {
    let img = imageOf(p);
    if (o.targetNorm !== null) img = constrainEach(img, o.targetNorm, o.transforms.normKind);
    const y = model.forward(img);
    return { img, act: activations(y, 1).reshape([K]) };
  }));
  const record = async (withFrames: boolean) => {
    const { img, act } = evaluate();
    const a = await act.dataF32();
    const bad = a.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) { img.dispose(); act.dispose(); throw new NonFiniteActivationError(bad, acts.length, a[bad], describeRun(runs[bad], bad), o.steps); }
    acts.push(a);
    const im = withFrames || o.onRecord ? await img.dataF32() : null;
    if (withFrames) {
      const al = await normalizedAlpha(alphaAcc).dataF32();
      const per = C * S * S;
      runs.forEach((_, k) => { frames[k].push(im!.slice(k * per, (k + 1) * per)); alphaFrames[k].push(al.slice(k * per, (k + 1) * per)); });
    }
    img.dispose(); act.dispose();
    await o.onRecord?.(acts.length - 1, a, im!);
  };

  try {
    await record(o.saveAllSteps);
    for (let t = 0; t < o.steps; t++) {
      tidy(() => {
        const img = imageOf(p);
        const x = img.detach().requiresGrad_();
        // (no inner tidy here: disposing intermediates before backward() would cut the graph)
        const loss = (() => {
          const crops = transform(x, o.transforms, sampler, noiseSeeds, t);
          const y = model.forward(crops); // (K * nc, N)
          const act = activations(y, nc).mean(1); // (K)
          // sqrt(sum of squared neighbour differences + 1e-8) per run (tvSquares: one kernel each way)
          const tv = tvSquares(x).add(1e-8).sqrt().mul(o.tvWeight); // (K)
          let l = act.mul(poles).neg().add(tv).sum();
          if (o.coupling) l = l.add(o.coupling(crops, runs, nc));
          if (o.axis && axis) {
            // guidance on the min-max stretched image, resized to 224 and made RGB (upstream optimization_step)
            const lo = x.min([1, 2, 3], true), hi = x.max([1, 2, 3], true);
            let u = x.sub(lo).div(hi.sub(lo).add(1e-8));
            u = interpolate(u, { size: [224, 224], mode: 'bilinear', alignCorners: false });
            if (C === 1) u = u.expand([K, 3, 224, 224]);
            l = l.sub(o.axis.embed(u).matmul(axis).sum().mul(o.axis.weight));
          }
          return l;
        })();
        loss.backward();
        const gx = x.grad!;
        alphaAcc.copy_(alphaAcc.add(gx.abs()));
        backward(img, gx);
        x.zeroGrad();
        const g = param.gradient(p.grad!);
        if (g !== p.grad) { const old = p.grad!; p.grad = keep(g); old.dispose(); }
        opt.step();
        sched.step();
        p.zeroGrad();
        return undefined;
      });
      await record(o.saveAllSteps);
      o.onStep?.(t + 1);
      if (o.plateau && plateaued(acts, runs, o.plateau)) break;
    }
    const { img } = evaluate();
    const im = await img.dataF32();
    img.dispose();
    const al = tidy(() => normalizedAlpha(alphaAcc));
    const alv = await al.dataF32();
    al.dispose();
    const per = C * S * S;
    return runs.map((_, k) => ({
      image: im.slice(k * per, (k + 1) * per),
      alpha: alv.slice(k * per, (k + 1) * per),
      activations: Float32Array.from(acts, (a) => a[k]),
      // frame 0 has no gradient yet: it shows the first step's alpha, as upstream
      ...(o.saveAllSteps ? { frames: frames[k], alphaFrames: o.steps > 0 ? [alphaFrames[k][1], ...alphaFrames[k].slice(1)] : alphaFrames[k] } : {}),
    }));
  } finally {
    opt.dispose();
    [W, poles, p, alphaAcc, axis, aperture].forEach((x) => x?.dispose());
  }
}

/** Whether every run's objective (signed toward its pole) stopped improving over the last `patience` records. */
export function plateaued(acts: readonly Float32Array[], runs: readonly RunSpec[], p: { patience: number; minDelta: number }): boolean {
  if (acts.length <= p.patience) return false;
  const cut = acts.length - p.patience;
  return runs.every((r, k) => {
    const s = r.pole === 'most' ? 1 : -1;
    let before = -Infinity, recent = -Infinity;
    acts.forEach((a, t) => { if (t < cut) before = Math.max(before, s * a[k]); else recent = Math.max(recent, s * a[k]); });
    return recent <= before + p.minDelta * Math.max(1, Math.abs(before));
  });
}

/** acc / (max + 1e-8) per run, the max taken over all channels and pixels of the run. */
function normalizedAlpha(acc: Tensor): Tensor {
  return acc.div(acc.max([1, 2, 3], true).add(1e-8));
}
