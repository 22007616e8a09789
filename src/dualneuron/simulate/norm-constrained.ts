// Batched gradient optimisation of images at a fixed L2 norm inside an aperture: the constraint under which the
// simulation defines a neuron's true MEI and LEI (poles.ts), and under which they are recovered from a twin
// (recovery.ts), so that the two are compared on equal terms. Two constraint sets:
// - the norm alone: x = eta (a * v) / |a * v| over free pixels v (a the aperture), so every step is feasible;
//   Adam on v with a cosine schedule to 0;
// - the norm and a pixel range [lo, hi] (DualNeuron's practice: one norm and one value range for every pole; it
//   keeps poles displayable, and a twin's poles inside the contrasts it was trained on): the images
//   K = {x = a * z : lo <= z <= hi, |x| <= eta}, i.e. a stimulus in the display's range seen through the aperture,
//   at most the norm eta (an optimum of a contrast-driven objective sits on the sphere wherever the box leaves it
//   room). Projected gradient ascent on x, in float64 on the host: x <- P_K(x + step g / |g|) per image, the
//   step a fraction lr of eta on a cosine schedule to 0 (P_K: projectBallBox). Its fixed points are exactly the
//   first-order optima on K. Two shortcuts were tried first and measured wrong: a clip inside the parametrisation
//   (clip(eta a v / |a v|)) gives clipped pixels no gradient while they still spend norm (MEIs stopped at
//   stationarity residuals of 0.2-0.5), and projected Adam stops where its per-pixel preconditioned step, not the
//   gradient, is normal to K (92% of a linear objective's optimum in the test).
import { Tensor, keep, tidy, noGrad, type Backend } from '../../tensor/index.js';
import { Adam, CosineAnnealing } from '../../nn/optim.js';
import { DualNeuronError } from '../../errors.js';

export interface NormConstrainedProblem {
  backend: Backend;
  size: number;
  /** S*S, >= 0 */
  aperture: ArrayLike<number>;
  /** eta, the L2 norm of every image (at most eta with a range) */
  norm: number;
  /** [lo, hi] with lo < 0 < hi: pixel k lies in a_k [lo, hi]; null: the norm alone constrains the images */
  range: readonly [number, number] | null;
  /** (B, S*S): the starting free pixels of B runs (the start image is the one x = eta a v / |a v| gives, projected) */
  init: Float32Array;
  /**
   * The value to maximise, summed over runs: images (B, 1, S, S) -> a scalar tensor (minimise a run's objective by
   * negating its term). Built from tensor ops, so autodiff gives the gradient.
   */
  objective: (images: Tensor) => Tensor;
  steps: number;
  /** Adam learning rate on v (the starts are best scaled to RMS 1); with a range, the first step's length / eta */
  lr: number;
  /** for the error message of a non-finite objective */
  what: string;
  onStep?: () => void;
}

/**
 * The default `lr` of each constraint set: Adam's 0.05 on free pixels of RMS 1 (the norm alone); with a range, a first
 * step of eta itself (the projection keeps it feasible). Measured on the simulated neurons of the tests against a
 * float64 backtracking optimiser: 200 steps at 1 reach the optimum's drive to 1e-5 for every neuron; at 0.2, 300
 * steps leave one neuron 0.5% short, at 0.05 a linear objective stops 0.2% short.
 */
export const defaultLr = (range: readonly [number, number] | null) => (range ? 1 : 0.05);

/** Runs B optimisations at once; returns the final images (B, S*S). */
export async function optimiseAtNorm(p: NormConstrainedProblem): Promise<Float32Array> {
  const S = p.size, P = S * S, B = p.init.length / P;
  if (!Number.isInteger(B) || B < 1) throw new DualNeuronError(`${p.what}: ${p.init.length} starting values are not a whole number of ${S}x${S} images`);
  if (p.range && !(p.range[0] < 0 && p.range[1] > 0)) throw new DualNeuronError(`${p.what}: the pixel range [${p.range.join(', ')}] must contain 0 (the blank image) inside it`);
  return p.range ? projected(p, p.range, B) : reparametrised(p, B);
}

/** The norm alone: Adam on v, x = eta (a * v) / |a * v|. */
async function reparametrised(p: NormConstrainedProblem, B: number): Promise<Float32Array> {
  const S = p.size;
  const v = keep(Tensor.from(p.init, [B, 1, S, S], { backend: p.backend })).requiresGrad_();
  const a = keep(Tensor.from(Float32Array.from(p.aperture), [1, 1, S, S], { backend: p.backend }));
  const image = (q: Tensor) => {
    const x = q.mul(a);
    return x.mul(x.square().sum([1, 2, 3], true).add(1e-30).rsqrt().mul(p.norm));
  };
  const opt = new Adam([v], { lr: p.lr });
  const sched = new CosineAnnealing(opt, Math.max(1, p.steps));
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

/** The norm and a range: projected gradient ascent on x (the gradient from the tensor objective, the step on the host). */
async function projected(p: NormConstrainedProblem, range: readonly [number, number], B: number): Promise<Float32Array> {
  const S = p.size, P = S * S, a = p.aperture;
  const lo = Float64Array.from(a, (v) => v * range[0]), hi = Float64Array.from(a, (v) => v * range[1]);
  const x = new Float64Array(B * P);
  for (let r = 0; r < B; r++) {
    const z = new Float64Array(P);
    let ss = 0;
    for (let k = 0; k < P; k++) { z[k] = a[k] * p.init[r * P + k]; ss += z[k] * z[k]; }
    const f = ss > 0 ? p.norm / Math.sqrt(ss) : 0;
    x.set(projectBallBox(z.map((v) => v * f), lo, hi, p.norm), r * P);
  }
  for (let t = 0; t < p.steps; t++) {
    const xt = Tensor.from(Float32Array.from(x), [B, 1, S, S], { backend: p.backend }).requiresGrad_();
    let g: Float32Array;
    try {
      const value = tidy(() => { const l = p.objective(xt); l.backward(); return l; });
      const v = await value.item();
      value.dispose();
      if (!Number.isFinite(v)) throw new DualNeuronError(`${p.what}: the objective became ${v} at step ${t + 1}`);
      g = await xt.grad!.dataF32();
    } finally {
      xt.dispose();
    }
    const step = p.lr * p.norm * 0.5 * (1 + Math.cos((Math.PI * t) / Math.max(1, p.steps)));
    for (let r = 0; r < B; r++) {
      let gg = 0;
      for (let k = r * P; k < (r + 1) * P; k++) gg += g[k] * g[k];
      if (!(gg > 0)) continue;
      const f = step / Math.sqrt(gg), z = new Float64Array(P);
      for (let k = 0; k < P; k++) z[k] = x[r * P + k] + f * g[r * P + k];
      x.set(projectBallBox(z, lo, hi, p.norm), r * P);
    }
    p.onStep?.();
  }
  return Float32Array.from(x);
}

/**
 * The Euclidean projection of z onto {x : lo <= x <= hi, |x| <= eta} (lo <= 0 <= hi elementwise), in float64: by
 * the KKT conditions x = clip(s z, lo, hi) for the largest s in (0, 1] with |x| <= eta (s = 1 / (1 + mu), mu the
 * ball's multiplier; |clip(s z)| grows with s), found by bisection.
 */
export function projectBallBox(z: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, eta: number): Float64Array {
  const n = z.length, x = new Float64Array(n);
  const clipNorm2 = (s: number) => {
    let ss = 0;
    for (let k = 0; k < n; k++) { const v = Math.min(hi[k], Math.max(lo[k], s * z[k])); ss += v * v; }
    return ss;
  };
  let s = 1;
  if (clipNorm2(1) > eta * eta) {
    let a = 0, b = 1;
    for (let it = 0; it < 60; it++) { const m = 0.5 * (a + b); if (clipNorm2(m) > eta * eta) b = m; else a = m; }
    s = a;
  }
  for (let k = 0; k < n; k++) x[k] = Math.min(hi[k], Math.max(lo[k], s * z[k]));
  return x;
}
