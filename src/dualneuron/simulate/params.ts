// Drawing the simulated population's parameters from a seed. Every neuron has its own Philox stream (seed,
// neuron index), so neuron n is the same whatever the population size. The ranges are in RANGES (S is the
// image side in pixels); the gains are then calibrated on a fixed set of scenes (not the stimuli, so a
// neuron does not depend on --images either):
//   exc_gain = delta_e / p95(S_e)  : the 95th-percentile calibration scene raises the drive by delta_e;
//   dual:     sup_gain = max(delta_s / p95(S_s), (beta + 1 + exc_gain S_e(x_s)) / S_s(x_s)), where x_s is the
//             suppressive filter through the aperture at the MEI norm: natural scenes suppress visibly, and the
//             drive at x_s (hence at the LEI, which is at least as suppressive) is <= -1, a rate <= 0.24 x baseline;
//   not dual: sup_gain = eps / (2 eta^2), eps <= 0.1: since S_s <= 2 |x|^2, no image at the MEI norm eta lowers
//             the drive by more than 0.1, so the LEI's rate stays >= 0.94 x baseline.
import { deriveSeed } from '../../tensor/random.js';
import { HostRng } from '../render/rng.js';
import { aperture } from './gabor.js';
import { HostNeuron, type NeuronParams, type SubunitParams } from './neuron.js';
import { contrastImage, grayScene } from './stimuli.js';

/** Sub-streams of the simulation seed. */
export const STREAM = { calibration: 1, params: 2, spikes: 3, repeats: 4, poles: 5, contrast: 6 } as const;

/** Ranges of the drawn parameters (uniform unless said). */
export const RANGES = {
  /** excitatory centre: uniform in a disc of this radius (x S) around the image centre */
  excCentreRadius: 0.06,
  /** suppressive centre: uniform in a disc of this radius (x S) around the excitatory centre */
  supOffsetRadius: 0.06,
  /** excitatory envelope sigma, x S */
  sigma: [0.05, 0.08],
  /** excitatory frequency x sigma (bandwidth about 1-1.5 octaves); frequencies are clamped to [0.02, 0.25] cycles/pixel */
  freqTimesSigma: [0.45, 0.8],
  /** suppressive sigma = excitatory sigma x 2^U(a, b) */
  supSigmaLog2: [-0.3, 0.3],
  /** suppressive frequency = excitatory frequency x 2^U(a, b) */
  supFreqLog2: [-0.5, 0.5],
  /** |suppressive - excitatory orientation|, radians (sign random) */
  orientationDelta: [Math.PI / 6, Math.PI / 2],
  /** phase invariance kappa of both subunits */
  invariance: [0.2, 0.6],
  /** beta, the baseline drive */
  baselineDrive: [1, 2],
  /** rho, spikes/s */
  rateScale: [5, 15],
  /** delta_e: drive added by the excitatory subunit at the 95th-percentile calibration scene */
  excDelta: [1.5, 3],
  /** delta_s (dual neurons): drive removed by the suppressive subunit at its 95th-percentile calibration scene */
  supDelta: [0.75, 1.5],
  /** eps (other neurons): the most drive any image at the MEI norm can remove */
  weakSupEps: [0, 0.1],
} as const;

/** Calibration scenes (seed-derived, disjoint from the stimuli). */
export const CALIBRATION_SCENES = 256;

/** The norm budget of the MEI/LEI and the calibration, computed once per (seed, size). */
export interface Calibration {
  size: number;
  /** the contrast images of the calibration scenes */
  scenes: Float64Array[];
  /** aperture, S*S */
  aperture: Float64Array;
  /** eta: median over calibration scenes of |a * (x - mean_a(x))|, the MEI/LEI L2 norm */
  norm: number;
}

export function calibrate(seed: bigint, size: number): Calibration {
  const s = deriveSeed(seed, STREAM.calibration);
  const a = aperture(size);
  const scenes = Array.from({ length: CALIBRATION_SCENES }, (_, i) => contrastImage(grayScene(i, size, s)));
  const asum = a.reduce((p, q) => p + q, 0);
  const norms = scenes.map((x) => {
    let m = 0;
    for (let k = 0; k < x.length; k++) m += a[k] * x[k];
    m /= asum;
    let ss = 0;
    for (let k = 0; k < x.length; k++) ss += (a[k] * (x[k] - m)) ** 2;
    return Math.sqrt(ss);
  }).sort((p, q) => p - q);
  return { size, scenes, aperture: a, norm: 0.5 * (norms[(CALIBRATION_SCENES - 1) >> 1] + norms[CALIBRATION_SCENES >> 1]) };
}

const percentile95 = (v: number[]) => {
  const s = [...v].sort((p, q) => p - q), pos = 0.95 * (s.length - 1), lo = Math.floor(pos);
  return s[lo] + (pos - lo) * ((s[lo + 1] ?? s[lo]) - s[lo]);
};

/** The image that drives a filter hardest at norm eta through the aperture: eta a g / |a g|. */
export function filterImage(g: Float64Array, a: Float64Array, eta: number): Float64Array {
  const x = new Float64Array(g.length);
  let ss = 0;
  for (let k = 0; k < g.length; k++) { x[k] = a[k] * g[k]; ss += x[k] * x[k]; }
  const f = eta / Math.sqrt(ss);
  for (let k = 0; k < g.length; k++) x[k] *= f;
  return x;
}

const clampFreq = (f: number) => Math.min(0.25, Math.max(0.02, f));
const wrap = (t: number) => ((t % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);

/** Neuron n of the population of `seed`: drawn, then calibrated. */
export function drawNeuron(n: number, seed: bigint, dualFraction: number, cal: Calibration): NeuronParams {
  const S = cal.size, c = (S - 1) / 2;
  const rng = new HostRng(deriveSeed(seed, STREAM.params, n));
  const u = (r: readonly [number, number]) => rng.range(r[0], r[1]);
  const disc = (radius: number): [number, number] => { const r = radius * S * Math.sqrt(rng.uniform()), t = rng.range(0, 2 * Math.PI); return [r * Math.cos(t), r * Math.sin(t)]; };
  const dual = rng.uniform() < dualFraction;
  const [ex, ey] = disc(RANGES.excCentreRadius);
  const sigma = S * u(RANGES.sigma);
  const excitatory: SubunitParams = {
    x: c + ex, y: c + ey, sigma, frequency: clampFreq(u(RANGES.freqTimesSigma) / sigma),
    orientation: rng.range(0, Math.PI), phase: rng.range(0, 2 * Math.PI), invariance: u(RANGES.invariance),
  };
  const [sx, sy] = disc(RANGES.supOffsetRadius);
  const supSigma = sigma * 2 ** u(RANGES.supSigmaLog2);
  const dTheta = u(RANGES.orientationDelta) * (rng.uniform() < 0.5 ? -1 : 1);
  const suppressive: SubunitParams = {
    x: excitatory.x + sx, y: excitatory.y + sy, sigma: supSigma, frequency: clampFreq(excitatory.frequency * 2 ** u(RANGES.supFreqLog2)),
    orientation: wrap(excitatory.orientation + dTheta), phase: rng.range(0, 2 * Math.PI), invariance: u(RANGES.invariance),
  };
  const beta = u(RANGES.baselineDrive), rho = u(RANGES.rateScale), deltaE = u(RANGES.excDelta);
  const deltaS = u(RANGES.supDelta), eps = u(RANGES.weakSupEps);
  // gains from the calibration scenes
  const p: NeuronParams = { id: n, dual, excitatory, suppressive, baseline_drive: beta, exc_gain: 1, sup_gain: 1, rate_scale: rho };
  const h = new HostNeuron(p, S);
  const subs = cal.scenes.map((x) => h.subunits(x));
  p.exc_gain = deltaE / percentile95(subs.map((v) => v[0]));
  if (dual) {
    const [seXs, ssXs] = h.subunits(filterImage(h.filters[2], cal.aperture, cal.norm));
    p.sup_gain = Math.max(deltaS / percentile95(subs.map((v) => v[1])), (beta + 1 + p.exc_gain * seXs) / ssXs);
  } else {
    p.sup_gain = eps / (2 * cal.norm * cal.norm);
  }
  return p;
}
