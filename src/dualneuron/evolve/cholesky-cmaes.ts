// CholeskyCMAES of Wang & Ponce (upstream core/utils/Optimizers.py, identical in ActMax-Optimizer-Dev), and
// HessCMA, the same algorithm with A started from the top-k eigenvectors of a generator's Hessian (upstream
// HessCMAES). Row vectors, maximising by default. Equations: ../shared/reference/field-anchors.md section 4 and
// docs/EVOLVE.md. Generation 0 is the initial code(s): their scores are ignored (one code) or, with several,
// the mean starts as the weighted recombination of the best of them, as upstream without init_code.
import { CholeskyFactor, type FactorState } from './cholesky-factor.js';
import { makeDraws, resumeDraws, type DrawSource, type DrawState } from './draws.js';
import { decodeSized, encodeF64 } from './encode.js';
import { checkPositive, checkPositiveInt, checkScores, descendingOrder, logWeights, muEff } from './ranking.js';
import { norm, rowsOf, type Optimizer, type RestoreOptions } from './optimizer.js';
import { FormatError, InputError } from '../../errors.js';

export interface CholeskyCMAESOptions {
  /** N, the length of a code */
  dimension: number;
  /** lambda; default 4 + floor(3 log2 K) (K = N, or the top-k of HessCMA) */
  populationSize?: number;
  /** initial step size; default 3 (upstream's fc6 setting; BigGAN uses 0.2) */
  sigma0?: number;
  /** the generation-0 code(s); default one zero code, as upstream's benchmark */
  init?: Float64Array | Float64Array[];
  /** A is updated when counteval - eigeneval > aUpdateFreq * lambda (default 10: every 11th generation);
   *  null: lambda / c1 / K / 10 evaluations, as upstream's Aupdate_freq=None */
  aUpdateFreq?: number | null;
  maximize?: boolean;
  seed?: number | bigint;
  /** inject the normal draws (z, lambda x K row-major per generation) instead of the seeded Philox stream */
  draws?: DrawSource;
  /** overrides of the adaptation constants, as upstream's optim_params */
  cc?: number; cs?: number; c1?: number;
}

export interface HessCMAOptions extends CholeskyCMAESOptions {
  /** Hessian eigenvalues (any order; the top-k largest are used) */
  eigenvalues: ArrayLike<number>;
  /** Hessian eigenvectors, N x m row-major: column j belongs to eigenvalue j */
  eigenvectors: Float64Array;
  /** how many of the largest eigenpairs span the search space (K); default all given */
  topK?: number;
  /** A = diag(eig^-exponent) E^T; default 1/2.5 (upstream BigGAN), fc6's HessCMA800/500 used 1/5 */
  exponent?: number;
}

/** the constants of the algorithm, from K alone (and lambda) */
export interface CholeskyConstants {
  lambda: number; mu: number; weights: Float64Array; mueff: number;
  cc: number; cs: number; c1: number; damps: number; chiN: number;
}

export function choleskyConstants(K: number, lambda?: number, over: { cc?: number; cs?: number; c1?: number } = {}): CholeskyConstants {
  const lam = lambda ?? Math.floor(4 + Math.floor(3 * Math.log2(K)));
  const weights = logWeights(lam / 2);
  const mueff = muEff(weights);
  const cc = over.cc ?? 4 / (K + 4);
  const cs = over.cs ?? Math.sqrt(mueff) / (Math.sqrt(mueff) + Math.sqrt(K));
  const c1 = over.c1 ?? 2 / (K + Math.SQRT2) ** 2;
  const damps = 1 + cs + 2 * Math.max(0, Math.sqrt((mueff - 1) / (K + 1)) - 1);
  const chiN = Math.sqrt(K) * (1 - 1 / (4 * K) + 1 / (21 * K * K));
  return { lambda: lam, mu: weights.length, weights, mueff, cc, cs, c1, damps, chiN };
}

interface CholState {
  kind: 'cholcma' | 'hesscma';
  version: 1;
  options: {
    dimension: number; searchDimension: number; populationSize: number; sigma0: number;
    aUpdateFreq: number | null; maximize: boolean; cc: number; cs: number; c1: number;
  };
  generation: number; counteval: number; eigeneval: number; sigma: number;
  mean: string; ps: string; pc: string;
  populationRows: number; population: string; z: string;
  A: FactorState;
  draws: DrawState;
}

export class CholeskyCMAES implements Optimizer {
  readonly kind: 'cholcma' | 'hesscma';
  readonly dimension: number;
  /** K: the dimension z lives in (N for CholeskyCMAES, top-k for HessCMA) */
  readonly searchDimension: number;
  readonly constants: CholeskyConstants;
  readonly sigma0: number;
  readonly maximize: boolean;
  readonly aUpdateFreq: number | null;
  private readonly updateCrit: number;
  private draws: DrawSource;
  private factor: CholeskyFactor;
  private gen = 0;
  private counteval = 0;
  private eigeneval = 0;
  private sigma: number;
  private mean: Float64Array;
  private ps: Float64Array;
  private pc: Float64Array;
  /** the codes of ask() (rows x N) and, after generation 0, their normal draws (lambda x K) */
  private pop: Float64Array;
  private popRows: number;
  private z: Float64Array;
  private lastScores: Float64Array | null = null;

  constructor(o: CholeskyCMAESOptions, hess?: { B: Float64Array; Binv: Float64Array; K: number }, kind: 'cholcma' | 'hesscma' = 'cholcma') {
    const who = kind === 'cholcma' ? 'CholeskyCMAES' : 'HessCMA';
    const N = checkPositiveInt(o.dimension, 'dimension', who);
    const K = hess?.K ?? N;
    this.kind = kind;
    this.dimension = N;
    this.searchDimension = K;
    if (o.populationSize !== undefined) checkPositiveInt(o.populationSize, 'populationSize', who, 2);
    this.constants = choleskyConstants(K, o.populationSize, o);
    this.sigma0 = checkPositive(o.sigma0 ?? 3, 'sigma0', who);
    this.maximize = o.maximize ?? true;
    this.aUpdateFreq = o.aUpdateFreq === undefined ? 10 : o.aUpdateFreq;
    if (this.aUpdateFreq !== null) checkPositive(this.aUpdateFreq + 1, 'aUpdateFreq + 1', who);
    const c = this.constants;
    this.updateCrit = this.aUpdateFreq === null ? c.lambda / c.c1 / K / 10 : this.aUpdateFreq * c.lambda;
    this.draws = makeDraws(o.seed, o.draws);
    this.factor = hess ? new CholeskyFactor(K, N, hess.B, hess.Binv) : new CholeskyFactor(N, N);
    this.sigma = this.sigma0;
    this.mean = new Float64Array(N);
    this.ps = new Float64Array(K);
    this.pc = new Float64Array(N);
    const init = o.init === undefined ? [new Float64Array(N)] : Array.isArray(o.init) ? o.init : [o.init];
    if (init.length === 0) throw new InputError(`${who}: init must hold at least one code`);
    init.forEach((x, i) => { if (x.length !== N) throw new InputError(`${who}: init code ${i} has length ${x.length}, expected dimension ${N}`); });
    this.popRows = init.length;
    this.pop = new Float64Array(init.length * N);
    init.forEach((x, i) => this.pop.set(x, i * N));
    this.z = new Float64Array(0);
  }

  get generation(): number { return this.gen; }

  ask(): Float64Array[] { return rowsOf(this.pop, this.popRows, this.dimension); }

  tell(scores: ArrayLike<number>): void {
    const who = this.kind === 'cholcma' ? 'CholeskyCMAES' : 'HessCMA';
    const s = checkScores(scores, this.popRows, this.maximize, who);
    this.lastScores = Float64Array.from(scores, Number);
    const N = this.dimension, K = this.searchDimension, c = this.constants;
    const order = descendingOrder(s);
    if (this.gen === 0) {
      if (this.popRows === 1) this.mean = this.pop.slice(0, N);
      else {
        // upstream without init_code: the weighted mean of the best min(mu, rows) codes, weights renormalised
        const n = Math.min(c.mu, this.popRows);
        let wsum = 0;
        for (let i = 0; i < n; i++) wsum += c.weights[i];
        this.mean = new Float64Array(N);
        for (let i = 0; i < n; i++) axpy(c.weights[i] / wsum, this.pop, order[i] * N, this.mean, N);
      }
    } else {
      const mean = new Float64Array(N), zw = new Float64Array(K);
      for (let i = 0; i < c.mu; i++) {
        axpy(c.weights[i], this.pop, order[i] * N, mean, N);
        axpy(c.weights[i], this.z, order[i] * K, zw, K);
      }
      this.mean = mean;
      const fs = Math.sqrt(c.cs * (2 - c.cs) * c.mueff);
      for (let k = 0; k < K; k++) this.ps[k] = (1 - c.cs) * this.ps[k] + fs * zw[k];
      const zwA = this.factor.rowTimesA(zw);
      const fc = Math.sqrt(c.cc * (2 - c.cc) * c.mueff);
      for (let i = 0; i < N; i++) this.pc[i] = (1 - c.cc) * this.pc[i] + fc * zwA[i];
      this.sigma *= Math.exp((c.cs / c.damps) * (norm(this.ps) / c.chiN - 1));
      if (this.counteval - this.eigeneval > this.updateCrit) {
        this.eigeneval = this.counteval;
        this.factor.update(this.pc, c.c1);
      }
    }
    this.sample();
    this.gen++;
  }

  /** x_k = m + sigma z_k A with z_k ~ N(0, I_K) */
  private sample(): void {
    const N = this.dimension, K = this.searchDimension, lam = this.constants.lambda;
    this.z = this.draws.normal(lam * K);
    this.pop = new Float64Array(lam * N);
    this.popRows = lam;
    const row = new Float64Array(N);
    for (let k = 0; k < lam; k++) {
      this.factor.rowTimesA(this.z.subarray(k * K, (k + 1) * K), row);
      const at = k * N;
      for (let i = 0; i < N; i++) this.pop[at + i] = this.mean[i] + this.sigma * row[i];
    }
    this.counteval += lam;
  }

  internals(): {
    generation: number; counteval: number; sigma: number; mean: Float64Array; ps: Float64Array; pc: Float64Array;
    psNorm: number; pcNorm: number; chiN: number;
    A: { rows: number; cols: number; updates: number; scale: number; frobenius: number };
    scores: Float64Array | null;
  } {
    return {
      generation: this.gen, counteval: this.counteval, sigma: this.sigma,
      mean: this.mean.slice(), ps: this.ps.slice(), pc: this.pc.slice(),
      psNorm: norm(this.ps), pcNorm: norm(this.pc), chiN: this.constants.chiN,
      A: { rows: this.searchDimension, cols: this.dimension, updates: this.factor.updates, scale: this.factor.scale, frobenius: this.factor.frobenius() },
      scores: this.lastScores ? this.lastScores.slice() : null,
    };
  }

  /** A (K x N row-major), dense: for inspection (134 MB at N = 4096) */
  matrixA(): Float64Array { return this.factor.dense(); }
  /** Ainv (N x K row-major), dense */
  matrixAinv(): Float64Array { return this.factor.denseInverse(); }

  state(): CholState {
    const c = this.constants;
    return {
      kind: this.kind, version: 1,
      options: {
        dimension: this.dimension, searchDimension: this.searchDimension, populationSize: c.lambda, sigma0: this.sigma0,
        aUpdateFreq: this.aUpdateFreq, maximize: this.maximize, cc: c.cc, cs: c.cs, c1: c.c1,
      },
      generation: this.gen, counteval: this.counteval, eigeneval: this.eigeneval, sigma: this.sigma,
      mean: encodeF64(this.mean), ps: encodeF64(this.ps), pc: encodeF64(this.pc),
      populationRows: this.popRows, population: encodeF64(this.pop), z: encodeF64(this.z),
      A: this.factor.state(), draws: this.draws.state(),
    };
  }

  static restore(s: CholState, r: RestoreOptions = {}): CholeskyCMAES {
    if (s?.kind !== 'cholcma' && s?.kind !== 'hesscma') throw new FormatError(`optimizer state: kind '${s?.kind}' is not a CholeskyCMAES/HessCMA state`);
    if (s.version !== 1) throw new FormatError(`optimizer state: version ${s.version} of '${s.kind}' is not supported (expected 1)`);
    const o = s.options, N = o.dimension, K = o.searchDimension;
    const opt = new CholeskyCMAES(
      { dimension: N, populationSize: o.populationSize, sigma0: o.sigma0, aUpdateFreq: o.aUpdateFreq, maximize: o.maximize, cc: o.cc, cs: o.cs, c1: o.c1, draws: resumeDraws(s.draws, r.draws) },
      s.kind === 'hesscma' ? { K, B: new Float64Array(0), Binv: new Float64Array(0) } : undefined, s.kind);
    opt.factor = CholeskyFactor.restore(s.A);
    if (opt.factor.rows !== K || opt.factor.cols !== N) throw new FormatError(`optimizer state: A is ${opt.factor.rows} x ${opt.factor.cols}, expected ${K} x ${N}`);
    opt.gen = s.generation; opt.counteval = s.counteval; opt.eigeneval = s.eigeneval; opt.sigma = s.sigma;
    opt.mean = decodeSized(s.mean, N, 'mean'); opt.ps = decodeSized(s.ps, K, 'ps'); opt.pc = decodeSized(s.pc, N, 'pc');
    opt.popRows = s.populationRows;
    opt.pop = decodeSized(s.population, s.populationRows * N, 'population');
    opt.z = decodeSized(s.z, s.generation === 0 ? 0 : s.populationRows * K, 'z');
    return opt;
  }
}

/**
 * HessCMA: CholeskyCMAES searching the top-k eigenspace of a generator Hessian, with A = diag(eig^-e) E^T (K x N)
 * and Ainv = E diag(eig^e) (N x K); the constants (lambda, c_c, c_sigma, c1, chi_N) use K, the mean, p_c and the
 * codes live in N, p_sigma and z in K (upstream HessCMAES with set_Hessian).
 */
export class HessCMA {
  static create(o: HessCMAOptions): CholeskyCMAES {
    const N = checkPositiveInt(o.dimension, 'dimension', 'HessCMA');
    const m = o.eigenvalues?.length ?? 0;
    if (m === 0 || o.eigenvectors?.length !== N * m) {
      throw new InputError(`HessCMA: eigenvectors must be N x m = ${N} x ${m} row-major (${N * m} values), got ${o.eigenvectors?.length}`);
    }
    const K = o.topK ?? m;
    if (!Number.isInteger(K) || K < 1 || K > m) throw new InputError(`HessCMA: topK must be an integer in 1..${m}, got ${o.topK}`);
    const e = checkPositive(o.exponent ?? 1 / 2.5, 'exponent', 'HessCMA');
    // the largest eigenvalues first (upstream reverses eigh's ascending order before cutting)
    const order = descendingOrder(o.eigenvalues).slice(0, K);
    const B = new Float64Array(K * N), Binv = new Float64Array(N * K);
    order.forEach((col, k) => {
      const lam = Number(o.eigenvalues[col]);
      if (!(lam > 0)) throw new InputError(`HessCMA: eigenvalue ${col} (${lam}) is among the top ${K} but not positive; eig^-${e} needs positive eigenvalues, lower topK`);
      const scale = lam ** -e, inv = 1 / scale;
      for (let i = 0; i < N; i++) {
        const v = o.eigenvectors[i * m + col];
        B[k * N + i] = scale * v;
        Binv[i * K + k] = inv * v;
      }
    });
    return new CholeskyCMAES(o, { B, Binv, K }, 'hesscma');
  }
}

function axpy(a: number, x: Float64Array, at: number, y: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] += a * x[at + i];
}

