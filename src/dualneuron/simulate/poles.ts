// The true MEI and LEI of each simulated neuron: gradient optimisation on the tensor model (autodiff), at a
// fixed L2 norm eta inside the aperture, as synthesis constrains twins' MEIs, and optionally every pixel within a
// range (PIXEL_RANGE = [-0.5, 0.5] in contrast units is that of every recorded image: poles one could show;
// DualNeuron uses one norm and one value range for all poles). Without a range a run optimises free pixels v, the
// image is x = eta (a * v) / |a * v| (a the aperture), so every step is feasible; Adam on v with a cosine schedule;
// with a range, projected gradient (norm-constrained.ts); several restarts per neuron and pole (restart 0 starts from the subunit's own filter through the
// aperture: the excitatory cos filter for the MEI, the suppressive one made invisible to the excitatory subunit
// for the LEI; the others from Gaussian noise), and the best by the float64 host drive is kept. No crops, jitter or
// noise: this is the optimum of the model itself, not a robust-synthesis recipe.
// What is optimised is the drive u, not the rate rho softplus(u): softplus is strictly increasing, so the images
// are the same, but far below zero the rate (and its gradient) vanish like e^u, which in float32 stopped a dual
// neuron's LEI wherever its rate first underflowed; the drive keeps the LEI defined (the most suppressive image).
import { Tensor, keep } from '../../tensor/index.js';
import { deriveSeed } from '../../tensor/random.js';
import { optimiseAtNorm } from './norm-constrained.js';
import { DualNeuronError } from '../../errors.js';
import { HostRng } from '../render/rng.js';
import { STREAM, filterImage, type Calibration } from './params.js';
import type { HostNeuron } from './neuron.js';
import type { PopulationModel } from './population-model.js';

export interface PoleOptions {
  steps: number;
  restarts: number;
  /** the optimiser's rate (norm-constrained.ts: Adam's on v of RMS 1 for the norm alone, the first step / eta with a range) */
  lr: number;
  /** [lo, hi] of every pixel, contrast units; null: the norm alone constrains the images */
  range: readonly [number, number] | null;
  /** called with (steps done, total steps over all chunks) */
  onStep?: (done: number, total: number) => void;
}

/** The pixel range of the recorded images in contrast units: x = pixel / 255 - 0.5 with pixels 0..255. */
export const PIXEL_RANGE: readonly [number, number] = [-0.5, 0.5];

/**
 * Default: the norm alone. The range is an option (--pole-range): on the acceptance twin it made the recovered MEIs
 * worse, not better (docs/ACCEPTANCE.md, "Simulated population"), and the embedded twin's truth is defined without it.
 */
export const DEFAULT_POLE_OPTIONS: { steps: number; restarts: number; range: readonly [number, number] | null } = { steps: 200, restarts: 2, range: null };

export interface PoleResults {
  /** (N, S*S) float32 contrast images at norm eta */
  mei: Float32Array;
  lei: Float32Array;
  /** float64 host rates of those float32 images */
  meiRate: Float64Array;
  leiRate: Float64Array;
  /** first-order optimality residual (stationarity()): 0 at a constrained optimum */
  meiStationarity: Float64Array;
  leiStationarity: Float64Array;
  /** the restart that won, per neuron */
  meiRestart: Int32Array;
  leiRestart: Int32Array;
}

/** Elements of one chunk's image batch (runs x S*S): 4 Mi floats, 16 MiB per tensor. */
const CHUNK_ELEMENTS = 2 ** 22;

const neuronsPerChunk = (size: number, restarts: number) => Math.max(1, Math.floor(CHUNK_ELEMENTS / (2 * restarts * size * size)));

/** Optimiser steps truePoles takes in all (neurons are optimised in chunks of runs), for progress bars. */
export const poleSteps = (neurons: number, size: number, restarts: number, steps: number) => Math.ceil(neurons / neuronsPerChunk(size, restarts)) * steps;

/**
 * First-order optimality residual of x for maximising (sign 1) or minimising (sign -1) the drive over the images
 * optimiseAtNorm searches, with g the float64 drive gradient times sign:
 * - the norm alone ({a v : |a v| = eta}): t = a (g - (g . x^) x^), x^ = x / |x|;
 * - with a range ({x = a z : lo <= z <= hi, |x| <= eta}): t = g - lambda x over the pixels strictly inside their
 *   bounds a_k [lo, hi], plus, on a pixel at a bound, that component where it points back inside (the only move
 *   the bound allows; a gain there is a violation); lambda = (g . x) / |x|^2 over the free pixels when |x| = eta
 *   (the ball's multiplier), 0 when the norm is not reached.
 * Returned as |x| |t| / max(|u(x) - beta|, beta): the drive change available to first order for a move of the whole
 * norm budget, relative to the drive's excursion from baseline (or the baseline drive, for flat objectives such as
 * a non-dual neuron's LEI). 0 at a constrained optimum.
 */
export function stationarity(h: HostNeuron, x: ArrayLike<number>, a: ArrayLike<number>, sign: 1 | -1, range: readonly [number, number] | null, eta: number): number {
  const g = h.driveGradient(x).map((v) => sign * v), beta = h.params.baseline_drive, P = g.length;
  // -1 at the lower bound, 1 at the upper, 0 free, 2 fixed (outside the aperture)
  const state = new Int8Array(P);
  if (range) for (let k = 0; k < P; k++) {
    const l = a[k] * range[0], u = a[k] * range[1], tol = 1e-6 * (u - l);
    state[k] = u - l <= 1e-12 ? 2 : x[k] <= l + tol ? -1 : x[k] >= u - tol ? 1 : 0;
  }
  let all = 0, xx = 0, gx = 0;
  for (let k = 0; k < P; k++) { all += x[k] * x[k]; if (state[k] === 0) { xx += x[k] * x[k]; gx += g[k] * x[k]; } }
  const onSphere = !range || Math.sqrt(all) >= eta * (1 - 1e-4);
  const lambda = onSphere && xx > 0 ? gx / xx : 0;
  let tt = 0;
  for (let k = 0; k < P; k++) {
    const r = (range ? 1 : a[k]) * (g[k] - lambda * x[k]), s = state[k];
    if (s === 0 || (s === 1 && r < 0) || (s === -1 && r > 0)) tt += r * r;
  }
  return (Math.sqrt(all) * Math.sqrt(tt)) / Math.max(Math.abs(h.drive(x) - beta), beta);
}

export async function truePoles(model: PopulationModel, hosts: readonly HostNeuron[], cal: Calibration, seed: bigint, o: PoleOptions): Promise<PoleResults> {
  const N = hosts.length, S = cal.size, P = S * S, R = o.restarts;
  if (!(Number.isInteger(R) && R >= 1)) throw new DualNeuronError(`restarts must be an integer >= 1, got ${R}`);
  const per = neuronsPerChunk(S, R);
  const res: PoleResults = {
    mei: new Float32Array(N * P), lei: new Float32Array(N * P), meiRate: new Float64Array(N), leiRate: new Float64Array(N),
    meiStationarity: new Float64Array(N), leiStationarity: new Float64Array(N), meiRestart: new Int32Array(N), leiRestart: new Int32Array(N),
  };
  const total = poleSteps(N, S, R, o.steps);
  let done = 0;
  for (let n0 = 0; n0 < N; n0 += per) {
    const n1 = Math.min(N, n0 + per);
    const out = await optimiseChunk(model, hosts, cal, seed, o, n0, n1, () => o.onStep?.(++done, total));
    // keep the best restart of each (neuron, pole) by the host drive of the float32 image
    for (let n = n0; n < n1; n++) for (const pole of [0, 1]) {
      let best = -1, bestDrive = 0;
      for (let r = 0; r < R; r++) {
        const k = ((n - n0) * 2 + pole) * R + r;
        const u = hosts[n].drive(out.subarray(k * P, (k + 1) * P));
        if (best < 0 || (pole === 0 ? u > bestDrive : u < bestDrive)) { best = r; bestDrive = u; }
      }
      const k = ((n - n0) * 2 + pole) * R + best, img = out.slice(k * P, (k + 1) * P);
      (pole === 0 ? res.mei : res.lei).set(img, n * P);
      (pole === 0 ? res.meiRate : res.leiRate)[n] = hosts[n].rate(img);
      (pole === 0 ? res.meiRestart : res.leiRestart)[n] = best;
      (pole === 0 ? res.meiStationarity : res.leiStationarity)[n] = stationarity(hosts[n], img, cal.aperture, pole === 0 ? 1 : -1, o.range, cal.norm);
    }
  }
  return res;
}

/**
 * The LEI's first start: the suppressive cos filter with the parts the excitatory subunit sees through the
 * aperture removed (v orthogonal to a g_cos and a g_sin, so x = a v gives c_e = q_e = 0). Without it, the LEI
 * of a neuron with a weak suppressive subunit converges slowly: its objective is flat except along the
 * excitatory filters, where it is steep.
 */
function leiStart(h: HostNeuron, a: Float64Array): Float64Array {
  const v = Float64Array.from(h.filters[2]);
  const basis: Float64Array[] = [];
  for (const g of [h.filters[0], h.filters[1]]) {
    const w = g.map((x, k) => a[k] * x);
    for (const q of basis) { const d = w.reduce((s, x, k) => s + x * q[k], 0); for (let k = 0; k < w.length; k++) w[k] -= d * q[k]; }
    const nw = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    if (nw > 0) basis.push(w.map((x) => x / nw));
  }
  for (const q of basis) { const d = v.reduce((s, x, k) => s + x * q[k], 0); for (let k = 0; k < v.length; k++) v[k] -= d * q[k]; }
  return v;
}

/** Runs of neurons n0..n1-1: index ((n - n0) * 2 + pole) * R + restart, pole 0 = MEI, 1 = LEI. Returns the final images. */
async function optimiseChunk(model: PopulationModel, hosts: readonly HostNeuron[], cal: Calibration, seed: bigint, o: PoleOptions,
  n0: number, n1: number, tick: () => void): Promise<Float32Array> {
  const S = cal.size, P = S * S, R = o.restarts, B = (n1 - n0) * 2 * R;
  const init = new Float32Array(B * P), sign = new Float32Array(2 * R);
  for (let k = 0; k < 2 * R; k++) sign[k] = k < R ? 1 : -1;
  for (let n = n0; n < n1; n++) for (const pole of [0, 1]) for (let r = 0; r < R; r++) {
    const k = ((n - n0) * 2 + pole) * R + r;
    let v: Float64Array;
    if (r === 0) v = filterImage(pole === 0 ? hosts[n].filters[0] : leiStart(hosts[n], cal.aperture), cal.aperture, 1);
    else {
      const rng = new HostRng(deriveSeed(seed, STREAM.poles, n, pole, r));
      v = Float64Array.from({ length: P }, () => rng.normal());
    }
    const rms = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / P);
    for (let j = 0; j < P; j++) init[k * P + j] = v[j] / rms;
  }
  const sg = keep(Tensor.from(sign, [1, 2 * R], { backend: model.backend }));
  try {
    return await optimiseAtNorm({
      backend: model.backend, size: S, aperture: cal.aperture, norm: cal.norm, range: o.range, init, steps: o.steps, lr: o.lr, onStep: tick,
      what: `MEI/LEI optimisation of neurons ${n0}..${n1 - 1}`,
      objective: (x) => model.perNeuron(x.reshape([n1 - n0, 2 * R, S, S]), n0, 'drive').mul(sg).sum(),
    });
  } finally {
    sg.dispose();
  }
}
