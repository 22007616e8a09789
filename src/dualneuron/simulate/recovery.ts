// Does a twin trained on a simulated population give back the features put in? The MEI and LEI of every neuron
// are synthesised on the twin under the simulation's own constraint (norm eta inside the aperture and the truth's
// pixel range, in contrast units x = pixel / 255 - 0.5: norm-constrained.ts, the same optimiser as the truth, but
// from noise: the twin
// knows nothing of the true filters), and compared with the true ones: cosine similarity inside the aperture,
// the true model's drive at the twin's images relative to its drive at the true ones, and the "LEI below
// baseline" label on the twin (its rate at its LEI <= 0.8 x its rate to a blank image) against the truth's.
import { Tensor, keep, noGrad } from '../../tensor/index.js';
import { deriveSeed } from '../../tensor/random.js';
import { InputError } from '../../errors.js';
import { median } from '../../util/median.js';
import { HostRng } from '../render/rng.js';
import type { TrainedTwin } from '../train/trained-twin.js';
import { defaultLr, optimiseAtNorm } from './norm-constrained.js';
import { leiBelowBaseline } from './run.js';
import { cosineInAperture, type SimulationTruth } from './truth.js';

export interface RecoveryOptions {
  steps: number;
  /** noise starts per neuron and pole; the best on the twin is kept */
  restarts: number;
  /** the optimiser's rate; default defaultLr(the truth's range) */
  lr?: number;
  seed: bigint;
  /** runs (neurons x 2 poles x restarts) optimised together */
  batch: number;
  /** indices of the truth's neurons to recover (default: all), in this order */
  neurons?: readonly number[];
  /**
   * The images' norm as a fraction of the simulation's eta (default 1). The truth's MEI/LEI shapes do not depend on
   * the norm (its drive is a quadratic form); a twin's may, far from the contrasts it was trained on.
   */
  normScale?: number;
  onStep?: (done: number, total: number) => void;
}

export const DEFAULT_RECOVERY = { steps: 200, restarts: 3, batch: 96 } as const;

/** Seed streams of recover (disjoint from the simulation's, which use 1..5). */
const STREAM_RECOVERY_STARTS = 11;

export interface NeuronRecovery {
  neuron: number;
  id: string;
  /** the truth's labels: dual by construction; the true LEI's rate at the norm of the recovery <= 0.8 x baseline */
  dual: boolean;
  trueBelowBaseline: boolean;
  meiCosine: number;
  leiCosine: number;
  /** (u(twin MEI) - beta) / (u(true MEI) - beta) on the true model: 1 when the twin's MEI is as good as the true one */
  meiDriveRatio: number;
  /** the same for the LEI (drive below baseline) */
  leiDriveRatio: number;
  /** the twin's rates: to a blank image, its MEI, its LEI */
  twinBaseline: number;
  twinMeiRate: number;
  twinLeiRate: number;
  twinBelowBaseline: boolean;
}

export interface RecoveryResult {
  /** (N, S*S) contrast images at norm eta x normScale, the twin's MEIs and LEIs of the neurons recovered, in order */
  mei: Float32Array;
  lei: Float32Array;
  neurons: NeuronRecovery[];
}

/** The twin's output column of each truth neuron (matched by id); clear errors when the two do not belong together. */
export function matchNeurons(twin: TrainedTwin, truth: SimulationTruth): number[] {
  const [C, H, W] = twin.spec.inputShape;
  if (C !== 1 || H !== truth.size || W !== truth.size) {
    throw new InputError(`${twin.dir} takes ${C}x${H}x${W} inputs; the simulation's images are 1x${truth.size}x${truth.size}: train it with --image-size ${truth.size}x${truth.size} so that its MEIs can be compared pixel for pixel`);
  }
  const p = twin.manifest.input.preprocessing;
  if (p.kind !== 'notebook') throw new InputError(`${twin.dir}: input preprocessing '${p.kind}'; recover needs the notebook's gray pipeline (a twin made by dualneuron train --arch stacked2d)`);
  const col = new Map(twin.neuronIds.map((id, k) => [String(id), k]));
  const missing: string[] = [];
  const cols = truth.neurons.map((q) => { const k = col.get(String(q.id)); if (k === undefined) missing.push(String(q.id)); return k ?? -1; });
  if (missing.length) throw new InputError(`${twin.dir} does not predict simulated neuron(s) ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''} (${missing.length} of ${truth.neurons.length}); was it trained on this DATA folder?`);
  return cols;
}

export const recoverySteps = (neurons: number, o: Pick<RecoveryOptions, 'steps' | 'restarts' | 'batch'>) => {
  const per = Math.max(1, Math.floor(o.batch / (2 * o.restarts)));
  return Math.ceil(neurons / per) * o.steps;
};

export async function recoverPoles(twin: TrainedTwin, truth: SimulationTruth, o: RecoveryOptions): Promise<RecoveryResult> {
  const cols = matchNeurons(twin, truth);
  const idx = o.neurons ?? truth.neurons.map((_, n) => n);
  for (const n of idx) if (!(Number.isInteger(n) && n >= 0 && n < truth.neurons.length)) throw new InputError(`neuron index ${n}: the simulation has neurons 0..${truth.neurons.length - 1}`);
  const N = idx.length, S = truth.size, P = S * S, R = o.restarts, Nout = twin.spec.neurons;
  const norm = truth.norm * (o.normScale ?? 1);
  if (!(norm > 0)) throw new InputError(`norm scale ${o.normScale}: the images' norm must be positive`);
  if (truth.range && norm !== truth.norm) {
    throw new InputError(`norm scale ${o.normScale}: the true MEI/LEI were found in the pixel range [${truth.range.join(', ')}], so their shapes depend on the norm and there is no truth at another one; simulate again with --pole-range=none to compare at other norms`);
  }
  const { mean, std } = twin.manifest.input.preprocessing;
  const backend = twin.backend;
  // contrast x -> the twin's input: pixel / 255 = x + 0.5, then (v - mean) / std
  const toInput = (x: Tensor) => x.add(0.5 - mean).mul(1 / std);
  const per = Math.max(1, Math.floor(o.batch / (2 * R)));
  const total = recoverySteps(N, o);
  let done = 0;
  const mei = new Float32Array(N * P), lei = new Float32Array(N * P);
  const rates = { mei: new Float64Array(N), lei: new Float64Array(N) };
  for (let n0 = 0; n0 < N; n0 += per) {
    const n1 = Math.min(N, n0 + per), B = (n1 - n0) * 2 * R;
    // run ((n - n0) * 2 + pole) * R + r; pole 0 = MEI (maximise the drive), 1 = LEI (minimise it)
    const init = new Float32Array(B * P), weights = new Float32Array(B * Nout);
    for (let n = n0; n < n1; n++) for (const pole of [0, 1]) for (let r = 0; r < R; r++) {
      const k = ((n - n0) * 2 + pole) * R + r;
      const rng = new HostRng(deriveSeed(o.seed, STREAM_RECOVERY_STARTS, idx[n], pole, r));
      for (let j = 0; j < P; j++) init[k * P + j] = rng.normal();
      weights[k * Nout + cols[idx[n]]] = pole === 0 ? 1 : -1;
    }
    const w = keep(Tensor.from(weights, [B, Nout], { backend }));
    let images: Float32Array;
    try {
      // the twin's drive (before its ELU + 1), as the truth optimises the model's drive: the same images, and a
      // gradient that does not vanish where a suppressed rate underflows
      images = await optimiseAtNorm({
        backend, size: S, aperture: truth.aperture, norm, range: truth.range, init, steps: o.steps, lr: o.lr ?? defaultLr(truth.range),
        what: `recovering the MEI/LEI of neurons ${idx.slice(n0, n1).join(', ')} on ${twin.dir}`, onStep: () => o.onStep?.(++done, total),
        objective: (x) => twin.drive(toInput(x)).mul(w).sum(),
      });
    } finally {
      w.dispose();
    }
    const y = await twinRates(twin, toInput, images, B, S);
    for (let n = n0; n < n1; n++) for (const pole of [0, 1]) {
      const rate = (r: number) => y[(((n - n0) * 2 + pole) * R + r) * Nout + cols[idx[n]]];
      let best = 0;
      for (let r = 1; r < R; r++) if (pole === 0 ? rate(r) > rate(best) : rate(r) < rate(best)) best = r;
      const k = ((n - n0) * 2 + pole) * R + best;
      (pole === 0 ? mei : lei).set(images.subarray(k * P, (k + 1) * P), n * P);
      (pole === 0 ? rates.mei : rates.lei)[n] = rate(best);
    }
  }
  const blank = await twinRates(twin, toInput, new Float32Array(P), 1, S);
  const a = truth.aperture;
  // the true drive at the twin's images is compared with the true images' at the same norm (the drive's excursion
  // from beta scales with the norm squared)
  const s2 = (norm / truth.norm) ** 2;
  const neurons = idx.map((t, n): NeuronRecovery => {
    const q = truth.neurons[t], h = truth.neuron(t), beta = q.baseline_drive;
    const tm = truth.mei.subarray(t * P, (t + 1) * P), tl = truth.lei.subarray(t * P, (t + 1) * P);
    const m = mei.subarray(n * P, (n + 1) * P), l = lei.subarray(n * P, (n + 1) * P);
    const baseline = blank[cols[t]];
    return {
      // at the simulation's norm this is the truth's own label (truth/lei_below_baseline.npy); at another norm the
      // true LEI (whose shape does not depend on the norm) is rescaled to it and rated by the true model
      neuron: t, id: String(q.id), dual: q.dual,
      trueBelowBaseline: s2 === 1 ? q.lei_below_baseline : leiBelowBaseline(h.rate(tl.map((v) => v * Math.sqrt(s2))), q.baseline_rate),
      meiCosine: cosineInAperture(m, tm, a), leiCosine: cosineInAperture(l, tl, a),
      meiDriveRatio: (h.drive(m) - beta) / (s2 * (h.drive(tm) - beta)), leiDriveRatio: (h.drive(l) - beta) / (s2 * (h.drive(tl) - beta)),
      twinBaseline: baseline, twinMeiRate: rates.mei[n], twinLeiRate: rates.lei[n], twinBelowBaseline: leiBelowBaseline(rates.lei[n], baseline),
    };
  });
  return { mei, lei, neurons };
}

/** The twin's rates (B, neurons) to B contrast images. */
async function twinRates(twin: TrainedTwin, toInput: (x: Tensor) => Tensor, images: Float32Array, B: number, S: number): Promise<Float32Array> {
  const y = noGrad(() => {
    const x = Tensor.from(images, [B, 1, S, S], { backend: twin.backend });
    const r = twin.forward(toInput(x));
    x.dispose();
    return r;
  });
  const out = await y.dataF32();
  y.dispose();
  return out;
}

export interface RecoverySummary {
  neurons: number;
  mei: { medianCosine: number; fractionAtLeast: number };
  /** LEIs of the neurons whose true LEI is below baseline (elsewhere the LEI is nearly flat and ill-defined) */
  leiBelowBaselineNeurons: { count: number; medianCosine: number; fractionAtLeast: number };
  lei: { medianCosine: number; fractionAtLeast: number };
  labels: { truthFraction: number; twinFraction: number; agreement: number };
  threshold: number;
}

export function summariseRecovery(rs: readonly NeuronRecovery[], threshold = 0.8): RecoverySummary {
  const med = median;
  const frac = (v: number[]) => (v.length ? v.filter((c) => c >= threshold).length / v.length : NaN);
  const below = rs.filter((r) => r.trueBelowBaseline);
  return {
    neurons: rs.length, threshold,
    mei: { medianCosine: med(rs.map((r) => r.meiCosine)), fractionAtLeast: frac(rs.map((r) => r.meiCosine)) },
    leiBelowBaselineNeurons: { count: below.length, medianCosine: med(below.map((r) => r.leiCosine)), fractionAtLeast: frac(below.map((r) => r.leiCosine)) },
    lei: { medianCosine: med(rs.map((r) => r.leiCosine)), fractionAtLeast: frac(rs.map((r) => r.leiCosine)) },
    labels: {
      truthFraction: rs.filter((r) => r.trueBelowBaseline).length / rs.length,
      twinFraction: rs.filter((r) => r.twinBelowBaseline).length / rs.length,
      agreement: rs.filter((r) => r.twinBelowBaseline === r.trueBelowBaseline).length / rs.length,
    },
  };
}
