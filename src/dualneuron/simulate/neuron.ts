// The simulated model neuron (issue 14 item 6), as a formula and its float64 host implementation. This host
// version computes the population's responses written to DATA/ (so they are the same on every machine) and is
// the oracle the tensor version (population-model.ts) is tested against.
//
// Each neuron has two Gabor subunits, excitatory (e) and suppressive (s). A subunit with quadrature pair
// (g_cos, g_sin) (gabor.ts: zero mean, unit norm) and phase invariance kappa responds to the contrast image x
// (x = pixel / 255 - 0.5, gray, row-major) with
//     c = g_cos . x,  q = g_sin . x,  S = kappa (c^2 + q^2) + (1 - kappa) relu(c)^2
// i.e. a mix of a complex cell (quadrature energy, phase-invariant) and a half-squared simple cell at the
// subunit's phase; kappa < 1 makes the phase part of the feature, so the MEI has a definite phase. The drive is
// subtractive,  u = beta + alpha_e S_e - alpha_s S_s,  and the rate (spikes/s) is  r = rho softplus(u)  >= 0.
// The baseline (rate to a blank image, x = 0) is rho softplus(beta) > 0: suppression below it is visible.
//
// Why subtractive and not divisive: S_e and S_s are homogeneous of degree 2 in x, so the drive minus beta is a
// (piecewise) quadratic form; the MEI and LEI at a fixed norm then have the same shape at every norm (only
// their rates change with it), and the strength of suppression is one number, alpha_s. With a divisive
// combination (beta + alpha_e S_e) / (1 + alpha_s S_s) the balance of the two subunits changes with contrast,
// and the "true" MEI would depend on the arbitrary norm chosen for it.
import { gaborPair, type GaborSpec } from './gabor.js';

export interface SubunitParams extends GaborSpec {
  /** kappa in [0, 1]: 1 a pure energy (complex) subunit, 0 a pure half-squared linear (simple) one */
  invariance: number;
}

/** One model neuron. Field names are those of truth/params.json. */
export interface NeuronParams {
  id: number;
  /** by construction, the suppressive subunit is strong enough to take the LEI's rate far below baseline */
  dual: boolean;
  excitatory: SubunitParams;
  suppressive: SubunitParams;
  /** beta */
  baseline_drive: number;
  /** alpha_e, per unit of S_e */
  exc_gain: number;
  /** alpha_s, per unit of S_s */
  sup_gain: number;
  /** rho, spikes/s per unit of softplus(drive) */
  rate_scale: number;
}

/** log(1 + e^u) without overflow or cancellation */
export const softplus = (u: number) => (u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u)));
const sigmoid = (u: number) => (u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u)));

export const baselineRate = (p: NeuronParams) => p.rate_scale * softplus(p.baseline_drive);

const dot = (a: Float64Array, x: ArrayLike<number>) => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * x[k];
  return s;
};

/** A neuron with its filters, evaluated in float64. */
export class HostNeuron {
  /** e cos, e sin, s cos, s sin */
  readonly filters: [Float64Array, Float64Array, Float64Array, Float64Array];
  constructor(readonly params: NeuronParams, readonly size: number) {
    const e = gaborPair(params.excitatory, size), s = gaborPair(params.suppressive, size);
    this.filters = [e.cos, e.sin, s.cos, s.sin];
  }

  static subunit(c: number, q: number, kappa: number): number {
    const r = Math.max(c, 0);
    return kappa * (c * c + q * q) + (1 - kappa) * r * r;
  }

  /** the subunit responses S_e, S_s of one image (S*S values) */
  subunits(x: ArrayLike<number>): [number, number] {
    const [ec, es, sc, ss] = this.filters, p = this.params;
    return [HostNeuron.subunit(dot(ec, x), dot(es, x), p.excitatory.invariance), HostNeuron.subunit(dot(sc, x), dot(ss, x), p.suppressive.invariance)];
  }

  drive(x: ArrayLike<number>): number {
    const [se, ss] = this.subunits(x), p = this.params;
    return p.baseline_drive + p.exc_gain * se - p.sup_gain * ss;
  }

  rate(x: ArrayLike<number>): number { return this.params.rate_scale * softplus(this.drive(x)); }

  /** d drive / d x, analytically */
  driveGradient(x: ArrayLike<number>): Float64Array {
    const [ec, es, sc, ss] = this.filters, p = this.params;
    const ce = dot(ec, x), qe = dot(es, x), cs = dot(sc, x), qs = dot(ss, x);
    const ke = p.excitatory.invariance, ks = p.suppressive.invariance;
    // dS/dc = 2 kappa c + 2 (1 - kappa) relu(c), dS/dq = 2 kappa q
    const wec = p.exc_gain * (2 * ke * ce + 2 * (1 - ke) * Math.max(ce, 0)), weq = p.exc_gain * 2 * ke * qe;
    const wsc = -p.sup_gain * (2 * ks * cs + 2 * (1 - ks) * Math.max(cs, 0)), wsq = -p.sup_gain * 2 * ks * qs;
    const g = new Float64Array(x.length);
    for (let i = 0; i < g.length; i++) g[i] = wec * ec[i] + weq * es[i] + wsc * sc[i] + wsq * ss[i];
    return g;
  }

  /** d rate / d x = rho sigmoid(drive) d drive / d x */
  rateGradient(x: ArrayLike<number>): Float64Array {
    const k = this.params.rate_scale * sigmoid(this.drive(x));
    return this.driveGradient(x).map((v) => k * v);
  }
}
