// SphereCMA (upstream ZOHA_Sphere_lr_euclid, Wang & Ponce GECCO 2022): search on the sphere of codes of norm R.
// The centre moves by spherical extrapolation (SLERP with lr 1.5) towards the rank-weighted mean of the best
// samples, and samples are the exponential map of isotropic tangent vectors whose length follows a decaying
// exploration-angle schedule. Equations in docs/EVOLVE.md.
import { makeDraws, resumeDraws, type DrawSource, type DrawState } from './draws.js';
import { decodeSized, encodeF64 } from './encode.js';
import { angle, expMap, renormalize, slerp } from './geometry.js';
import { checkPositive, checkPositiveInt, checkScores, descendingOrder, logWeights } from './ranking.js';
import { rowsOf, type Optimizer, type RestoreOptions } from './optimizer.js';
import { FormatError, InputError } from '../../errors.js';

export type AngleScheduleMode = 'exp' | 'inv' | 'lin';

export interface AngleSchedule {
  /** 'exp' (default, the benchmark's ZOHA_Sphere_exp): log-spaced from limits[0] to limits[1] degrees;
   *  'lin': linearly spaced; 'inv': 15 + 1/(0.0017 k + 0.0146) degrees, k = 1..generations */
  mode: AngleScheduleMode;
  /** length of the schedule; later generations keep its last value (default 75) */
  generations: number;
  /** start and end angle in degrees (default [50, 7.33]); ignored by 'inv' */
  limits: [number, number];
}

export interface SphereCMAOptions {
  dimension: number;
  /** B, the samples around the centre (default 40; a generation evaluates B + 1 codes, the centre first) */
  populationSize?: number;
  /** how many of the best samples are recombined (default 20) */
  selectSize?: number;
  /** SLERP step from the centre towards the weighted mean; 1.5 extrapolates (default) */
  lr?: number;
  /** the radius R of the sphere of codes (default 300) */
  sphereNorm?: number;
  schedule?: Partial<AngleSchedule>;
  maximize?: boolean;
  seed?: number | bigint;
  /** inject the normal draws (generation 0: B x N; then the tangent draws U, B x N per generation) */
  draws?: DrawSource;
}

interface SphereState {
  kind: 'spherecma'; version: 1;
  options: { dimension: number; populationSize: number; selectSize: number; lr: number; sphereNorm: number; schedule: AngleSchedule; maximize: boolean };
  generation: number; centre: string; previousCentre: string; populationRows: number; population: string; draws: DrawState;
}

/** the tangent lengths per generation: the schedule's angles in radians divided by sqrt(N), as upstream */
export function angleSchedule(s: AngleSchedule, N: number): Float64Array {
  const n = s.generations, out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let deg: number;
    if (s.mode === 'inv') deg = 15 + 1 / (0.0017 * (k + 1) + 0.0146);
    else {
      const [a, b] = s.mode === 'exp' ? [Math.log10(s.limits[0]), Math.log10(s.limits[1])] : s.limits;
      const t = n === 1 ? a : k === n - 1 ? b : a + ((b - a) / (n - 1)) * k; // numpy linspace, exact endpoint
      deg = s.mode === 'exp' ? 10 ** t : t;
    }
    out[k] = ((deg / 180) * Math.PI) / Math.sqrt(N);
  }
  return out;
}

export class SphereCMA implements Optimizer {
  readonly kind = 'spherecma';
  readonly dimension: number;
  readonly populationSize: number;
  readonly selectSize: number;
  readonly lr: number;
  readonly sphereNorm: number;
  readonly schedule: AngleSchedule;
  readonly maximize: boolean;
  private readonly mulist: Float64Array;
  private draws: DrawSource;
  private gen = 0;
  private centre: Float64Array;
  private previousCentre: Float64Array;
  private pop: Float64Array;
  private popRows: number;
  private lastScores: Float64Array | null = null;

  constructor(o: SphereCMAOptions, resume?: DrawSource) {
    const who = 'SphereCMA';
    const N = this.dimension = checkPositiveInt(o.dimension, 'dimension', who, 2);
    this.populationSize = checkPositiveInt(o.populationSize ?? 40, 'populationSize', who, 2);
    this.selectSize = checkPositiveInt(o.selectSize ?? 20, 'selectSize', who);
    if (this.selectSize > this.populationSize) throw new InputError(`${who}: selectSize ${this.selectSize} exceeds populationSize ${this.populationSize}`);
    this.lr = checkPositive(o.lr ?? 1.5, 'lr', who);
    this.sphereNorm = checkPositive(o.sphereNorm ?? 300, 'sphereNorm', who);
    const sc = o.schedule ?? {};
    this.schedule = { mode: sc.mode ?? 'exp', generations: sc.generations ?? 75, limits: sc.limits ?? [50, 7.33] };
    if (!['exp', 'inv', 'lin'].includes(this.schedule.mode)) throw new InputError(`${who}: schedule.mode must be 'exp', 'inv' or 'lin', got '${this.schedule.mode}'`);
    checkPositiveInt(this.schedule.generations, 'schedule.generations', who);
    this.schedule.limits.forEach((l) => checkPositive(l, 'schedule.limits', who));
    this.maximize = o.maximize ?? true;
    this.mulist = angleSchedule(this.schedule, N);
    this.centre = new Float64Array(N);
    this.previousCentre = new Float64Array(N);
    if (resume) {
      this.draws = resume;
      this.pop = new Float64Array(0);
      this.popRows = 0;
      return;
    }
    this.draws = makeDraws(o.seed, o.draws);
    // generation 0: B random codes on the sphere
    const B = this.populationSize, u = this.draws.normal(B * N);
    this.pop = new Float64Array(B * N);
    for (let r = 0; r < B; r++) this.pop.set(renormalize(u.subarray(r * N, (r + 1) * N), this.sphereNorm), r * N);
    this.popRows = B;
  }

  get generation(): number { return this.gen; }

  ask(): Float64Array[] { return rowsOf(this.pop, this.popRows, this.dimension); }

  tell(scores: ArrayLike<number>): void {
    const s = checkScores(scores, this.popRows, this.maximize, 'SphereCMA');
    this.lastScores = Float64Array.from(scores, Number);
    const N = this.dimension, B = this.populationSize, R = this.sphereNorm;
    this.previousCentre = this.pop.slice(0, N);
    // rank weights: generation 0 ranks all B codes with mu = B/2; later the centre (row 0) is left out and the
    // best selectSize samples share the weights
    const first = this.gen === 0;
    const offset = first ? 0 : 1;
    const ranked = s.subarray(offset);
    const raw = logWeights(first ? ranked.length / 2 : this.selectSize);
    const order = descendingOrder(ranked);
    const wmean = new Float64Array(N);
    for (let r = 0; r < raw.length && r < order.length; r++) {
      const at = (order[r] + offset) * N, w = raw[r];
      for (let i = 0; i < N; i++) wmean[i] += w * this.pop[at + i];
    }
    const target = renormalize(wmean, R);
    this.centre = first ? target : slerp(this.previousCentre, target, this.lr);
    // samples: the centre, then the exponential map of tangent vectors mu * (U projected off the centre)
    const mu = this.mulist[Math.min(this.gen, this.mulist.length - 1)];
    const U = this.draws.normal(B * N);
    const c = this.centre;
    let cc = 0;
    for (let i = 0; i < N; i++) cc += c[i] * c[i];
    this.pop = new Float64Array((B + 1) * N);
    this.pop.set(renormalize(c, R), 0);
    const t = new Float64Array(N);
    for (let r = 0; r < B; r++) {
      const u = U.subarray(r * N, (r + 1) * N);
      let uc = 0;
      for (let i = 0; i < N; i++) uc += u[i] * c[i];
      for (let i = 0; i < N; i++) t[i] = mu * (u[i] - (uc * c[i]) / cc);
      this.pop.set(renormalize(expMap(c, t), R), (r + 1) * N);
    }
    this.popRows = B + 1;
    this.gen++;
  }

  /** the tangent length used for the population now being asked (radians per unit normal draw) */
  private currentMu(): number { return this.mulist[Math.min(Math.max(this.gen - 1, 0), this.mulist.length - 1)]; }

  internals(): {
    generation: number; centre: Float64Array; previousCentre: Float64Array; stepAngle: number;
    mu: number; explorationDeg: number; scores: Float64Array | null;
  } {
    const mu = this.gen === 0 ? 0 : this.currentMu();
    return {
      generation: this.gen, centre: this.centre.slice(), previousCentre: this.previousCentre.slice(),
      stepAngle: this.gen <= 1 ? 0 : angle(this.previousCentre, this.centre),
      mu, explorationDeg: (mu * Math.sqrt(this.dimension - 1) / Math.PI) * 180,
      scores: this.lastScores ? this.lastScores.slice() : null,
    };
  }

  state(): SphereState {
    return {
      kind: 'spherecma', version: 1,
      options: { dimension: this.dimension, populationSize: this.populationSize, selectSize: this.selectSize, lr: this.lr, sphereNorm: this.sphereNorm, schedule: { ...this.schedule, limits: [...this.schedule.limits] }, maximize: this.maximize },
      generation: this.gen, centre: encodeF64(this.centre), previousCentre: encodeF64(this.previousCentre),
      populationRows: this.popRows, population: encodeF64(this.pop), draws: this.draws.state(),
    };
  }

  static restore(s: SphereState, r: RestoreOptions = {}): SphereCMA {
    if (s?.kind !== 'spherecma') throw new FormatError(`optimizer state: kind '${s?.kind}' is not a SphereCMA state`);
    if (s.version !== 1) throw new FormatError(`optimizer state: version ${s.version} of 'spherecma' is not supported (expected 1)`);
    const o = s.options, N = o.dimension;
    const opt = new SphereCMA(o, resumeDraws(s.draws, r.draws));
    opt.gen = s.generation;
    opt.centre = decodeSized(s.centre, N, 'centre');
    opt.previousCentre = decodeSized(s.previousCentre, N, 'previousCentre');
    opt.popRows = s.populationRows;
    opt.pop = decodeSized(s.population, s.populationRows * N, 'population');
    return opt;
  }
}
