// The standard (mu/mu_w, lambda)-CMA-ES with cumulative step-size adaptation, rank-one and rank-mu covariance
// updates and h_sigma (Hansen, "The CMA Evolution Strategy: A Tutorial", 2016, default parameters with positive
// weights only), for comparison with CholeskyCMAES. Samples are y = C^(1/2) z with the symmetric square root
// B D B^T (not B D z), so a trajectory does not depend on the signs or order an eigensolver gives its vectors and
// can be checked against a reference. C is dense (N x N) and decomposed by Householder + QL: meant for moderate N.
import { makeDraws, resumeDraws, type DrawSource, type DrawState } from './draws.js';
import { decodeSized, encodeF64 } from './encode.js';
import { spectralFunction, symmetricEigen } from './eigen.js';
import { checkPositive, checkPositiveInt, checkScores, descendingOrder, logWeights, muEff } from './ranking.js';
import { norm, rowsOf, type Optimizer, type RestoreOptions } from './optimizer.js';
import { FormatError, InputError } from '../../errors.js';

export interface CMAESOptions {
  dimension: number;
  /** lambda; default 4 + floor(3 ln N) */
  populationSize?: number;
  /** default 1 */
  sigma0?: number;
  /** the initial mean; default 0 */
  mean0?: Float64Array;
  maximize?: boolean;
  seed?: number | bigint;
  /** inject the normal draws (z, lambda x N row-major per generation, the first at construction) */
  draws?: DrawSource;
}

export interface CMAESConstants {
  lambda: number; mu: number; weights: Float64Array; mueff: number;
  cc: number; cs: number; c1: number; cmu: number; damps: number; chiN: number;
  /** evaluations between eigendecompositions: lambda / (c1 + cmu) / N / 10 */
  eigenInterval: number;
}

export function cmaesConstants(N: number, lambda?: number): CMAESConstants {
  const lam = lambda ?? 4 + Math.floor(3 * Math.log(N));
  const weights = logWeights(lam / 2);
  const mueff = muEff(weights);
  const cc = (4 + mueff / N) / (N + 4 + (2 * mueff) / N);
  const cs = (mueff + 2) / (N + mueff + 5);
  const c1 = 2 / ((N + 1.3) ** 2 + mueff);
  const cmu = Math.min(1 - c1, (2 * (mueff - 2 + 1 / mueff)) / ((N + 2) ** 2 + mueff));
  const damps = 1 + 2 * Math.max(0, Math.sqrt((mueff - 1) / (N + 1)) - 1) + cs;
  const chiN = Math.sqrt(N) * (1 - 1 / (4 * N) + 1 / (21 * N * N));
  return { lambda: lam, mu: weights.length, weights, mueff, cc, cs, c1, cmu, damps, chiN, eigenInterval: lam / (c1 + cmu) / N / 10 };
}

interface CMAESState {
  kind: 'cma'; version: 1;
  options: { dimension: number; populationSize: number; sigma0: number; maximize: boolean };
  generation: number; counteval: number; eigeneval: number; sigma: number; hsig: number;
  mean: string; ps: string; pc: string; C: string; sqrtC: string; eigenvalues: string;
  population: string; z: string; y: string; draws: DrawState;
}

export class CMAES implements Optimizer {
  readonly kind = 'cma';
  readonly dimension: number;
  readonly constants: CMAESConstants;
  readonly sigma0: number;
  readonly maximize: boolean;
  private draws: DrawSource;
  private gen = 0;
  private counteval = 0;
  private eigeneval = 0;
  private sigma: number;
  private hsig = 1;
  private mean: Float64Array;
  private ps: Float64Array;
  private pc: Float64Array;
  private C: Float64Array;
  private sqrtC: Float64Array;
  private eigenvalues: Float64Array;
  private pop: Float64Array = new Float64Array(0);
  private z: Float64Array = new Float64Array(0);
  private y: Float64Array = new Float64Array(0);
  private lastScores: Float64Array | null = null;

  constructor(o: CMAESOptions, resume?: DrawSource) {
    const who = 'CMAES';
    const N = this.dimension = checkPositiveInt(o.dimension, 'dimension', who);
    if (o.populationSize !== undefined) checkPositiveInt(o.populationSize, 'populationSize', who, 2);
    this.constants = cmaesConstants(N, o.populationSize);
    this.sigma0 = checkPositive(o.sigma0 ?? 1, 'sigma0', who);
    this.maximize = o.maximize ?? true;
    this.sigma = this.sigma0;
    if (o.mean0 && o.mean0.length !== N) throw new InputError(`${who}: mean0 has length ${o.mean0.length}, expected dimension ${N}`);
    this.mean = o.mean0 ? Float64Array.from(o.mean0) : new Float64Array(N);
    this.ps = new Float64Array(N);
    this.pc = new Float64Array(N);
    this.C = identity(N);
    this.sqrtC = identity(N);
    this.eigenvalues = new Float64Array(N).fill(1);
    if (resume) { this.draws = resume; return; }
    this.draws = makeDraws(o.seed, o.draws);
    this.sample();
  }

  get generation(): number { return this.gen; }

  ask(): Float64Array[] { return rowsOf(this.pop, this.constants.lambda, this.dimension); }

  tell(scores: ArrayLike<number>): void {
    const c = this.constants, N = this.dimension;
    const s = checkScores(scores, c.lambda, this.maximize, 'CMAES');
    this.lastScores = Float64Array.from(scores, Number);
    const order = descendingOrder(s);
    const yw = new Float64Array(N), zw = new Float64Array(N), mean = new Float64Array(N);
    for (let i = 0; i < c.mu; i++) {
      const w = c.weights[i], at = order[i] * N;
      for (let k = 0; k < N; k++) { mean[k] += w * this.pop[at + k]; yw[k] += w * this.y[at + k]; zw[k] += w * this.z[at + k]; }
    }
    this.mean = mean;
    // p_sigma <- (1 - cs) p_sigma + sqrt(cs (2 - cs) mueff) C^(-1/2) y_w, and C^(-1/2) y_w = z_w exactly (the
    // samples were drawn with the current C^(1/2))
    const fs = Math.sqrt(c.cs * (2 - c.cs) * c.mueff);
    for (let k = 0; k < N; k++) this.ps[k] = (1 - c.cs) * this.ps[k] + fs * zw[k];
    const psn = norm(this.ps);
    this.hsig = psn / Math.sqrt(1 - (1 - c.cs) ** (2 * (this.gen + 1))) < (1.4 + 2 / (N + 1)) * c.chiN ? 1 : 0;
    const fc = this.hsig * Math.sqrt(c.cc * (2 - c.cc) * c.mueff);
    for (let k = 0; k < N; k++) this.pc[k] = (1 - c.cc) * this.pc[k] + fc * yw[k];
    // C <- (1 - c1 - cmu) C + c1 (pc pc^T + (1 - hsig) cc (2 - cc) C) + cmu sum_i w_i y_i y_i^T
    const keep = 1 - c.c1 - c.cmu + c.c1 * (1 - this.hsig) * c.cc * (2 - c.cc);
    for (let i = 0; i < N; i++) {
      for (let j = i; j < N; j++) {
        let rankMu = 0;
        for (let r = 0; r < c.mu; r++) { const at = order[r] * N; rankMu += c.weights[r] * this.y[at + i] * this.y[at + j]; }
        const v = keep * this.C[i * N + j] + c.c1 * this.pc[i] * this.pc[j] + c.cmu * rankMu;
        this.C[i * N + j] = v; this.C[j * N + i] = v;
      }
    }
    this.sigma *= Math.exp((c.cs / c.damps) * (psn / c.chiN - 1));
    if (this.counteval - this.eigeneval > c.eigenInterval) {
      this.eigeneval = this.counteval;
      const { values, vectors } = symmetricEigen(this.C, N);
      this.eigenvalues = values;
      this.sqrtC = spectralFunction(values, vectors, N, (d) => Math.sqrt(Math.max(d, 0)));
    }
    this.gen++;
    this.sample();
  }

  /** x_k = m + sigma y_k, y_k = C^(1/2) z_k */
  private sample(): void {
    const N = this.dimension, lam = this.constants.lambda;
    this.z = this.draws.normal(lam * N);
    this.y = new Float64Array(lam * N);
    this.pop = new Float64Array(lam * N);
    for (let r = 0; r < lam; r++) {
      for (let i = 0; i < N; i++) {
        let v = 0;
        for (let k = 0; k < N; k++) v += this.sqrtC[i * N + k] * this.z[r * N + k];
        this.y[r * N + i] = v;
        this.pop[r * N + i] = this.mean[i] + this.sigma * v;
      }
    }
    this.counteval += lam;
  }

  internals(): {
    generation: number; counteval: number; sigma: number; hsig: number; mean: Float64Array; ps: Float64Array; pc: Float64Array;
    psNorm: number; eigenvalues: Float64Array; conditionNumber: number; scores: Float64Array | null;
  } {
    let lo = Infinity, hi = -Infinity;
    for (const d of this.eigenvalues) { lo = Math.min(lo, d); hi = Math.max(hi, d); }
    return {
      generation: this.gen, counteval: this.counteval, sigma: this.sigma, hsig: this.hsig,
      mean: this.mean.slice(), ps: this.ps.slice(), pc: this.pc.slice(), psNorm: norm(this.ps),
      eigenvalues: this.eigenvalues.slice(), conditionNumber: hi / lo, scores: this.lastScores ? this.lastScores.slice() : null,
    };
  }

  /** the covariance C (N x N row-major) */
  covariance(): Float64Array { return this.C.slice(); }

  state(): CMAESState {
    return {
      kind: 'cma', version: 1,
      options: { dimension: this.dimension, populationSize: this.constants.lambda, sigma0: this.sigma0, maximize: this.maximize },
      generation: this.gen, counteval: this.counteval, eigeneval: this.eigeneval, sigma: this.sigma, hsig: this.hsig,
      mean: encodeF64(this.mean), ps: encodeF64(this.ps), pc: encodeF64(this.pc), C: encodeF64(this.C), sqrtC: encodeF64(this.sqrtC),
      eigenvalues: encodeF64(this.eigenvalues), population: encodeF64(this.pop), z: encodeF64(this.z), y: encodeF64(this.y),
      draws: this.draws.state(),
    };
  }

  static restore(s: CMAESState, r: RestoreOptions = {}): CMAES {
    if (s?.kind !== 'cma') throw new FormatError(`optimizer state: kind '${s?.kind}' is not a CMAES state`);
    if (s.version !== 1) throw new FormatError(`optimizer state: version ${s.version} of 'cma' is not supported (expected 1)`);
    const o = s.options, N = o.dimension;
    const opt = new CMAES(o, resumeDraws(s.draws, r.draws));
    const lamN = opt.constants.lambda * N;
    opt.gen = s.generation; opt.counteval = s.counteval; opt.eigeneval = s.eigeneval; opt.sigma = s.sigma; opt.hsig = s.hsig;
    opt.mean = decodeSized(s.mean, N, 'mean'); opt.ps = decodeSized(s.ps, N, 'ps'); opt.pc = decodeSized(s.pc, N, 'pc');
    opt.C = decodeSized(s.C, N * N, 'C'); opt.sqrtC = decodeSized(s.sqrtC, N * N, 'sqrtC'); opt.eigenvalues = decodeSized(s.eigenvalues, N, 'eigenvalues');
    opt.pop = decodeSized(s.population, lamN, 'population'); opt.z = decodeSized(s.z, lamN, 'z'); opt.y = decodeSized(s.y, lamN, 'y');
    return opt;
  }
}

function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}
