// The Allen notebook's MEI recipe (`--recipe allen`; ../shared/reference/seeds/003_*.txt, functions `grad`,
// `fft_smooth`, `scale` and `generate_mei`) as its own loop: it optimises the image itself (no parameterisation,
// no optimiser state, no crops) and post-processes it on the host after every step, which the engine's
// param -> image -> optimiser loop does not express. It reuses the engine's run specs, objectives and result type,
// so its results are written and resumed by runPoles like any other.
//
// A run keeps an image u in [0, 1] (C, H, W), as the notebook's ToTensor images. Step i = 1..steps (generate_mei):
//   1. std_i = torch.std(u) (unbiased, all values) and r_i = the objective of model(toModel(u))      (grad())
//   2. g = d/du [pole * r_i - lambda * |c* - std_i|]                                                   (grad(); param = 2)
//   3. g = fft_smooth(g, factor)                                                        (fft_smooth, factor = 1/4)
//   4. u = u + alpha * g                                                                (generate_mei, alpha = 0.1)
//   5. sigma = sigma + (sigma_end - sigma) * i / steps    (sigma carried over from step i - 1: not a linear ramp;
//      sigma_0 = 7 (the call generate_mei(wn, steps=1000, sigma=7)), sigma_end = 0.001)
//   6. u = gaussian_filter(u, sigma)                                      (scipy.ndimage, mode reflect, truncate 4)
//   7. u = scale(u, 0, 1)                                                                  (min-max over the image)
// The start is white noise N(0, 1) min-max scaled to [0, 1] (`wn = scale(np.random.normal(0, 1, ...))`), drawn
// from the run's own seed, or given images. toModel maps u to a twin's input space as screening does (ImageNet
// normalisation, aperture, L2 norm; see InputMap); for the notebook's own model it is the identity. Channels are filtered one by one (the
// notebook is grayscale; scipy on a (C, H, W) array would blur across channels, which is not meant here).
//
// Recorded per run (steps + 1 entries each, like the engine: the image before the first step and after each):
// activations (the objective r, unregularised), stds (torch.std of u) and objective (pole * r - lambda * |c* -
// std|: what the notebook's list `r` actually holds, since `output -= ...` modifies the appended tensor in place).
import { Tensor, tidy, keep, noGrad, stack, type Backend } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { HostRng } from '../render/rng.js';
import { objectiveMatrix, NonFiniteActivationError, type Model, type RunResult, type RunSpec } from './engine.js';
import { STREAM, streamSeed } from './parameterization.js';
import { normalizeEach } from './transforms.js';
import { fftSmooth, gaussianFilter, meanStd, minMaxScale } from './allen-ops.js';

export interface AllenOptions {
  steps: number;
  /** gradient step alpha */
  lr: number;
  /** c*, the data set's mean image std (torch.std of each [0, 1] image, averaged) */
  contrastTarget: number;
  /** lambda of the contrast penalty */
  contrastWeight: number;
  /** sigma of the Gaussian blur before the first step's update, and the value it is pulled towards */
  blurStart: number;
  blurEnd: number;
  /** exponent of the 1/|f| gradient filter (fft_smooth's factor; 0 = no smoothing) */
  fftDecay: number;
  /**
   * How u in [0, 1] becomes the model's input: (u - mean_c) / std_c per channel, times the aperture (H*W values)
   * when given, then scaled to L2 norm `norm` per image when given: a twin's screening space (pipeline.ts). Default
   * the identity (the notebook feeds u to its model as is).
   */
  input?: InputMap;
  /** start images u (C*H*W each, one for every run or one for all) instead of seeded white noise */
  initImages?: ArrayLike<number>[];
  saveAllSteps?: boolean;
  onStep?: (step: number) => void;
}

/** The notebook's values: generate_mei(wn, steps=1000, sigma=7) with alpha=0.1, grad()'s param = 2, fft_smooth's
 * factor = 1/4, and c* = 0.2655758261680603, the mean std it printed for its Allen natural scenes (60x96, [0, 1]). */
export const ALLEN_DEFAULTS = { steps: 1000, lr: 0.1, contrastTarget: 0.2655758261680603, contrastWeight: 2, blurStart: 7, blurEnd: 0.001, fftDecay: 0.25 } as const;

export interface InputMap { mean: readonly number[]; std: readonly number[]; aperture?: Float32Array | null; norm?: number | null }

export interface AllenRunResult extends RunResult {
  /** the final image u in [0, 1] (C, H, W), as the notebook returns it (`image` is toModel(u)) */
  unitImage: Float32Array;
  /** torch.std(u) before the first step and after each (steps + 1) */
  stds: Float32Array;
  /** pole * r - lambda * |c* - std| (steps + 1) */
  objective: Float32Array;
}

export function checkAllenOptions(o: AllenOptions): void {
  const bad = (what: string, v: number, need: string) => { throw new InputError(`allen recipe: ${what} must be ${need}, got ${v}`); };
  if (!Number.isInteger(o.steps) || o.steps < 0) bad('--steps', o.steps, 'an integer >= 0');
  if (!(o.lr > 0) || !Number.isFinite(o.lr)) bad('--lr', o.lr, 'a finite number > 0');
  if (!(o.contrastTarget >= 0) || !Number.isFinite(o.contrastTarget)) bad('--contrast-target', o.contrastTarget, 'a finite number >= 0');
  if (!(o.contrastWeight >= 0) || !Number.isFinite(o.contrastWeight)) bad('--contrast-weight', o.contrastWeight, 'a finite number >= 0');
  if (!(o.blurStart >= 0) || !Number.isFinite(o.blurStart)) bad('--blur-start', o.blurStart, 'a finite number >= 0');
  if (!(o.blurEnd >= 0) || !Number.isFinite(o.blurEnd)) bad('--blur-end', o.blurEnd, 'a finite number >= 0');
  if (!(o.fftDecay >= 0) || !Number.isFinite(o.fftDecay)) bad('--fft-smooth', o.fftDecay, 'a finite number >= 0');
  const m = o.input;
  if (m && (!m.mean.every(Number.isFinite) || !m.std.every((v) => Number.isFinite(v) && v !== 0))) {
    throw new InputError(`allen recipe: the input map (u - [${m.mean.join(', ')}]) / [${m.std.join(', ')}] needs finite means and finite, non-zero stds`);
  }
  if (m && m.norm != null && !(m.norm > 0 && Number.isFinite(m.norm))) throw new InputError(`allen recipe: the input norm must be a finite number > 0, got ${m.norm}`);
}

/** White noise N(0, 1) from the run's init stream, min-max scaled to [0, 1] (the notebook's `wn`). */
export function whiteNoiseStart(seed: bigint, n: number): Float64Array {
  const rng = new HostRng(streamSeed(seed, STREAM.init));
  const z = Float64Array.from({ length: n }, () => rng.normal());
  return minMaxScale(z) ?? new Float64Array(n);
}

export async function synthesizeAllen(model: Model, shape: readonly [number, number, number], runs: readonly RunSpec[], o: AllenOptions, outputs: number): Promise<AllenRunResult[]> {
  checkAllenOptions(o);
  const [C, H, W] = shape;
  if (![C, H, W].every((v) => Number.isInteger(v) && v >= 1) || H * W < 2) throw new InputError(`allen recipe: image shape (${shape.join(', ')}) is not a (C, H, W) image of at least 2 pixels`);
  const ap = o.input?.aperture ?? null;
  if (ap && ap.length !== H * W) throw new InputError(`allen recipe: the aperture has ${ap.length} values; the images are ${H}x${W} (${H * W})`);
  if (ap && !ap.some((v) => v !== 0)) throw new InputError('allen recipe: the aperture is zero everywhere: no image could pass it');
  const mean = o.input?.mean ?? [0], sd = o.input?.std ?? [1], norm = o.input?.norm ?? null;
  if (mean.length !== C && mean.length !== 1) throw new InputError(`allen recipe: the input map has ${mean.length} means for ${C} channels`);
  if (sd.length !== C && sd.length !== 1) throw new InputError(`allen recipe: the input map has ${sd.length} stds for ${C} channels`);
  const meanOf = (c: number) => mean[mean.length === 1 ? 0 : c], sdOf = (c: number) => sd[sd.length === 1 ? 0 : c];
  const identity = Array.from({ length: C }, (_, c) => meanOf(c) === 0 && sdOf(c) === 1).every(Boolean);
  const b: Backend = model.backend;
  const K = runs.length, per = C * H * W, hw = H * W;
  const init = o.initImages;
  if (init && init.length !== 1 && init.length !== K) throw new InputError(`allen recipe: give one start image or one per run (${K}), got ${init.length}`);
  if (init) for (const im of init) {
    if (im.length !== per) throw new InputError(`allen recipe: a start image has ${im.length} values, expected ${C}x${H}x${W}`);
    if (!Array.from(im).every(Number.isFinite)) throw new InputError('allen recipe: a start image holds non-finite values');
  }
  const u = runs.map((r, k) => (init ? Float64Array.from(init[init.length === 1 ? 0 : k]) : whiteNoiseStart(r.seed, per)));
  const Wm = keep(Tensor.from(objectiveMatrix(runs, outputs), [K, outputs], { backend: b }));
  const fns = runs.map((r) => ('fn' in r.objective ? r.objective.fn : null));
  const poles = runs.map((r) => (r.pole === 'most' ? 1 : -1));
  const polesT = keep(Tensor.from(poles, [K], { backend: b }));
  const apT = ap ? keep(Tensor.from(ap, [1, 1, H, W], { backend: b })) : null;
  const meanT = identity ? null : keep(Tensor.from(Array.from({ length: C }, (_, c) => meanOf(c)), [1, C, 1, 1], { backend: b }));
  const sdT = identity ? null : keep(Tensor.from(Array.from({ length: C }, (_, c) => sdOf(c)), [1, C, 1, 1], { backend: b }));
  const toModel = (x: Tensor) => {
    let m = meanT && sdT ? x.sub(meanT).div(sdT) : x;
    if (apT) m = m.mul(apT);
    if (norm !== null) m = normalizeEach(m, norm);
    return m;
  };
  const objectives = (y: Tensor): Tensor => {
    const lin = y.mul(Wm).sum(1);
    if (fns.every((f) => f === null)) return lin;
    return stack(fns.map((f, k) => {
      if (!f) return lin.select(0, k);
      const v = f(y.slice([[k, k + 1]]));
      if (v.rank !== 1 || v.shape[0] !== 1) throw new InputError(`an objective function must return one value per image (1), got shape [${v.shape.join(', ')}]`);
      return v.reshape([]);
    }), 0);
  };
  const hostBatch = () => {
    const all = new Float64Array(K * per);
    u.forEach((x, k) => all.set(x, k * per));
    return all;
  };
  /** the objective of each run's image and, when asked, its gradient d(pole * r)/du */
  const evaluate = async (withGrad: boolean): Promise<{ act: ArrayLike<number>; grad: ArrayLike<number> | null }> => {
    if (!withGrad) {
      const a = noGrad(() => tidy(() => objectives(model.forward(toModel(Tensor.from(hostBatch(), [K, C, H, W], { backend: b }))))));
      const act = await a.data();
      a.dispose();
      return { act, grad: null };
    }
    const { a, g } = tidy(() => {
      const x = Tensor.from(hostBatch(), [K, C, H, W], { backend: b }).requiresGrad_();
      const act = objectives(model.forward(toModel(x)));
      act.mul(polesT).sum().backward();
      return { a: act.detach(), g: x.grad!.mul(1) };
    });
    const [act, grad] = [await a.data(), await g.data()];
    a.dispose(); g.dispose();
    return { act, grad };
  };

  const acts: number[][] = runs.map(() => []), stds: number[][] = runs.map(() => []), objs: number[][] = runs.map(() => []);
  const frames: Float32Array[][] = runs.map(() => []), alphaFrames: Float32Array[][] = runs.map(() => []);
  const alpha = runs.map(() => new Float64Array(per));
  /** accumulated |d objective / du| divided by its max (+1e-8), as the engine's alpha */
  const normalizedAlpha = (k: number) => {
    let mx = 0;
    for (const v of alpha[k]) mx = Math.max(mx, v);
    return Float32Array.from(alpha[k], (v) => v / (mx + 1e-8));
  };
  const toModelHost = (x: Float64Array) => {
    const y = new Float64Array(per);
    for (let i = 0; i < per; i++) { const c = Math.floor(i / hw); y[i] = ((x[i] - meanOf(c)) / sdOf(c)) * (ap ? ap[i % hw] : 1); }
    if (norm !== null) {
      let ss = 0;
      for (const v of y) ss += v * v;
      const k = norm / (Math.sqrt(ss) + 1e-8);
      for (let i = 0; i < per; i++) y[i] *= k;
    }
    return Float32Array.from(y);
  };
  const record = (k: number, act: number, std: number, step: number) => {
    if (!Number.isFinite(act)) throw new NonFiniteActivationError(k, step, act, `run ${k} (${runs[k].label ?? `pole ${runs[k].pole}`})`, o.steps);
    acts[k].push(act);
    stds[k].push(std);
    objs[k].push(poles[k] * act - o.contrastWeight * Math.abs(o.contrastTarget - std));
    if (o.saveAllSteps) { frames[k].push(toModelHost(u[k])); alphaFrames[k].push(normalizedAlpha(k)); }
  };

  try {
    let sigma = o.blurStart;
    for (let i = 1; i <= o.steps; i++) {
      const { act, grad } = await evaluate(true);
      sigma = sigma + ((o.blurEnd - sigma) * i) / o.steps;
      for (let k = 0; k < K; k++) {
        const x = u[k];
        const { mean, std } = meanStd(x);
        record(k, act[k], std, i - 1);
        // d(-lambda |c* - std|)/du_j = lambda sign(c* - std) (u_j - mean) / ((n - 1) std); torch's sign(0) = 0
        const c = o.contrastWeight * Math.sign(o.contrastTarget - std) / ((per - 1) * std);
        const g = new Float64Array(per);
        for (let j = 0; j < per; j++) {
          g[j] = grad![k * per + j] + (std > 0 ? c * (x[j] - mean) : 0);
          alpha[k][j] += Math.abs(g[j]);
        }
        const next = new Float64Array(per);
        for (let ch = 0; ch < C; ch++) {
          const sm = fftSmooth(g.subarray(ch * hw, (ch + 1) * hw), H, W, o.fftDecay);
          const plane = new Float64Array(hw);
          for (let j = 0; j < hw; j++) plane[j] = x[ch * hw + j] + o.lr * sm[j];
          next.set(gaussianFilter(plane, H, W, sigma), ch * hw);
        }
        const scaled = minMaxScale(next);
        if (!scaled) throw new InputError(`allen recipe: the image of run ${k} became flat at step ${i} of ${o.steps} (blur sigma ${sigma}); min-max scaling is undefined. Lower --blur-start or raise --lr.`);
        u[k] = scaled;
      }
      o.onStep?.(i);
    }
    const { act } = await evaluate(false);
    for (let k = 0; k < K; k++) record(k, act[k], meanStd(u[k]).std, o.steps);
    return runs.map((_, k) => ({
      image: toModelHost(u[k]),
      unitImage: Float32Array.from(u[k]),
      alpha: normalizedAlpha(k),
      activations: Float32Array.from(acts[k]),
      stds: Float32Array.from(stds[k]),
      objective: Float32Array.from(objs[k]),
      // frame 0 has no gradient yet: it shows the first step's alpha, as the engine does
      ...(o.saveAllSteps ? { frames: frames[k], alphaFrames: o.steps > 0 ? [alphaFrames[k][1], ...alphaFrames[k].slice(1)] : alphaFrames[k] } : {}),
    }));
  } finally {
    [Wm, polesT, apT, meanT, sdT].forEach((t) => t?.dispose());
  }
}
