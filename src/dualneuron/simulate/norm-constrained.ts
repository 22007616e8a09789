// Batched gradient optimisation of images at a fixed L2 norm inside an aperture: the constraint under which the
// simulation defines a neuron's true MEI and LEI (poles.ts), and under which they are recovered from a twin
// (recovery.ts), so that the two are compared on equal terms. Each run optimises free pixels v; the image is
// x = eta (a * v) / |a * v| (a the aperture), so every step is feasible. Adam on v with a cosine schedule to 0.
import { Tensor, keep, tidy, noGrad, type Backend } from '../../tensor/index.js';
import { Adam, CosineAnnealing } from '../../nn/optim.js';
import { DualNeuronError } from '../../errors.js';

export interface NormConstrainedProblem {
  backend: Backend;
  size: number;
  /** S*S, >= 0 */
  aperture: ArrayLike<number>;
  /** eta, the L2 norm of every image */
  norm: number;
  /** (B, S*S): the starting free pixels of B runs */
  init: Float32Array;
  /**
   * The value to maximise, summed over runs: images (B, 1, S, S) at norm eta -> a scalar tensor (minimise a run's
   * objective by negating its term). Built from tensor ops, so autodiff gives the gradient.
   */
  objective: (images: Tensor) => Tensor;
  steps: number;
  /** Adam learning rate on v (the starts are best scaled to RMS 1) */
  lr: number;
  /** for the error message of a non-finite objective */
  what: string;
  onStep?: () => void;
}

/** Runs B optimisations at once; returns the final images (B, S*S) at norm eta. */
export async function optimiseAtNorm(p: NormConstrainedProblem): Promise<Float32Array> {
  const S = p.size, P = S * S, B = p.init.length / P;
  if (!Number.isInteger(B) || B < 1) throw new DualNeuronError(`${p.what}: ${p.init.length} starting values are not a whole number of ${S}x${S} images`);
  const v = keep(Tensor.from(p.init, [B, 1, S, S], { backend: p.backend })).requiresGrad_();
  const a = keep(Tensor.from(Float32Array.from(p.aperture), [1, 1, S, S], { backend: p.backend }));
  const opt = new Adam([v], { lr: p.lr });
  const sched = new CosineAnnealing(opt, Math.max(1, p.steps));
  const image = (q: Tensor) => {
    const x = q.mul(a);
    return x.mul(x.square().sum([1, 2, 3], true).add(1e-30).rsqrt().mul(p.norm));
  };
  try {
    for (let t = 0; t < p.steps; t++) {
      const loss = tidy(() => {
        const l = p.objective(image(v)).neg();
        l.backward();
        opt.step();
        sched.step();
        v.zeroGrad();
        return l;
      });
      // a scalar read now and then bounds the queue of deferred work and lets signals and progress through
      if (t % 16 === 15 || t === p.steps - 1) {
        const value = await loss.item();
        if (!Number.isFinite(value)) { loss.dispose(); throw new DualNeuronError(`${p.what}: the objective became ${value} at step ${t + 1}`); }
      }
      loss.dispose();
      p.onStep?.();
    }
    const x = noGrad(() => image(v));
    const out = await x.dataF32();
    x.dispose();
    return out;
  } finally {
    opt.dispose();
    [v, a].forEach((t) => t.dispose());
  }
}
