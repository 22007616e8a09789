// Optimisers and learning-rate schedules, usable on any tensors (image parameters, Fourier phases, weights).
// Updates follow PyTorch's torch.optim (Adam, SGD with momentum) and write into the parameters' storage, so
// the parameter objects stay the same across steps. State lives in kept tensors freed by dispose().
import { DualNeuronError } from '../errors.js';
import { Tensor, keep, tidy, noGrad, adamUpdate_, sgdUpdate_ } from '../tensor/index.js';

export interface Optimizer {
  readonly params: Tensor[];
  lr: number;
  /** apply one update from each parameter's .grad (parameters without a gradient are left alone) */
  step(): void;
  /** drop the parameters' gradients */
  zeroGrad(): void;
  /** the state as plain numbers, for method researchers (moments etc. stay on the device) */
  readonly stepCount: number;
  dispose(): void;
}

function checkParams(name: string, params: Tensor[]): void {
  if (params.length === 0) throw new DualNeuronError(`${name}: no parameters to optimise`);
  for (const p of params) if (p.dtype !== 'f32') throw new DualNeuronError(`${name}: parameters must be f32, got ${p.dtype}`);
}

/**
 * Run a fused in-place update on p (one kernel per parameter, src/tensor/ops/optim.ts); a parameter that is a
 * non-contiguous view is updated through a contiguous copy written back.
 */
function inPlace(p: Tensor, update: (q: Tensor) => void): void {
  if (p.isContiguous) { update(p); return; }
  const q = p.contiguousCopy();
  update(q);
  p.copy_(q);
}

export interface AdamOptions {
  lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number; maximize?: boolean;
  /** per-parameter factor on lr (PyTorch parameter groups whose rates keep a fixed ratio, e.g. a core's own rate) */
  lrScale?: number[];
}

/** Adam (Kingma & Ba), with PyTorch's bias correction and eps placement. */
export class Adam implements Optimizer {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  stepCount = 0;
  private readonly m: (Tensor | null)[];
  private readonly v: (Tensor | null)[];
  private readonly lrScale: number[] | null;

  constructor(readonly params: Tensor[], opts: AdamOptions = {}) {
    checkParams('Adam', params);
    if (opts.lrScale && (opts.lrScale.length !== params.length || !opts.lrScale.every((s) => s >= 0 && Number.isFinite(s)))) {
      throw new DualNeuronError(`Adam: lrScale needs one finite factor >= 0 per parameter (${params.length}), got ${opts.lrScale.length}`);
    }
    this.lrScale = opts.lrScale ?? null;
    this.lr = opts.lr ?? 1e-3;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.maximize = opts.maximize ?? false;
    this.m = params.map(() => null);
    this.v = params.map(() => null);
  }

  step(): void {
    this.stepCount++;
    const t = this.stepCount;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    noGrad(() => tidy(() => {
      this.params.forEach((p, i) => {
        if (!p.grad) return;
        const first = !this.m[i];
        if (first) { this.m[i] = keep(p.zerosLike()); this.v[i] = keep(p.zerosLike()); }
        const s = { b1, b2, eps: this.eps, stepSize: (this.lr * (this.lrScale ? this.lrScale[i]! : 1)) / bc1, invSqrtBc2: 1 / Math.sqrt(bc2),
          weightDecay: this.weightDecay, maximize: this.maximize, first };
        inPlace(p, (q) => adamUpdate_(q, p.grad!, this.m[i]!, this.v[i]!, s));
      });
    }));
  }

  /** First and second moment estimates of parameter i (null before the first step). */
  moments(i: number): { m: Tensor | null; v: Tensor | null } { return { m: this.m[i], v: this.v[i] }; }

  /** Put back moments saved from moments(i) (resuming a checkpointed run; the optimiser takes ownership). */
  restoreMoments(i: number, m: Tensor | null, v: Tensor | null): void {
    this.m[i]?.dispose(); this.v[i]?.dispose();
    this.m[i] = m ? keep(m) : null; this.v[i] = v ? keep(v) : null;
  }

  zeroGrad(): void { for (const p of this.params) p.zeroGrad(); }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t?.dispose();
    this.m.fill(null); this.v.fill(null);
  }
}

export interface SGDOptions { lr?: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number; maximize?: boolean }

/** SGD with momentum as torch.optim.SGD: buf = momentum * buf + (1 - dampening) * g (buf = g at the first step). */
export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly maximize: boolean;
  stepCount = 0;
  private readonly bufs: (Tensor | null)[];

  constructor(readonly params: Tensor[], opts: SGDOptions = {}) {
    checkParams('SGD', params);
    this.lr = opts.lr ?? 1e-2;
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    this.maximize = opts.maximize ?? false;
    this.bufs = params.map(() => null);
  }

  step(): void {
    this.stepCount++;
    noGrad(() => tidy(() => {
      this.params.forEach((p, i) => {
        if (!p.grad) return;
        const first = this.momentum !== 0 && !this.bufs[i];
        if (first) this.bufs[i] = keep(p.zerosLike());
        const s = { lr: this.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay,
          maximize: this.maximize, first };
        inPlace(p, (q) => sgdUpdate_(q, p.grad!, this.momentum ? this.bufs[i] : null, s));
      });
    }));
  }

  momentumBuffer(i: number): Tensor | null { return this.bufs[i]; }

  zeroGrad(): void { for (const p of this.params) p.zeroGrad(); }

  dispose(): void {
    for (const t of this.bufs) t?.dispose();
    this.bufs.fill(null);
  }
}

/** A learning-rate schedule: call step() after each optimiser step. */
export interface Schedule { readonly lastLr: number; step(): void }

/**
 * Cosine annealing (torch.optim.lr_scheduler.CosineAnnealingLR, closed form): after k scheduler steps the
 * optimiser's lr is etaMin + (base - etaMin) * (1 + cos(pi * k / tMax)) / 2.
 */
export class CosineAnnealing implements Schedule {
  private k = 0;
  private readonly base: number;
  constructor(private readonly opt: Optimizer, readonly tMax: number, readonly etaMin = 0) {
    if (!(tMax > 0)) throw new DualNeuronError(`CosineAnnealing: tMax must be positive, got ${tMax}`);
    this.base = opt.lr;
  }
  get lastLr(): number { return this.opt.lr; }
  step(): void {
    this.k++;
    this.opt.lr = this.etaMin + ((this.base - this.etaMin) * (1 + Math.cos((Math.PI * this.k) / this.tMax))) / 2;
  }
}

/** No schedule: the learning rate stays constant. */
export class ConstantLr implements Schedule {
  constructor(private readonly opt: Optimizer) {}
  get lastLr(): number { return this.opt.lr; }
  step(): void {}
}
