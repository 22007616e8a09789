// The XDream genetic algorithm (Ponce et al. 2019; upstream `Genetic` in ActMax-Optimizer-Dev core/Optimizers.py):
// the n_conserve best codes survive unchanged; the rest of the next generation are children of two parents drawn
// with probability proportional to fitness exp((s - s_max) / kT), kT = kTMultiplier * std(scores), each gene
// taken from the first parent with probability parentalSkew (uniform crossover), then each gene of a child
// mutated with probability mutationRate by adding mutationSize * N(0, 1). Equations in docs/EVOLVE.md.
import { makeDraws, resumeDraws, type DrawSource, type DrawState } from './draws.js';
import { decodeSized, encodeF64 } from './encode.js';
import { checkPositive, checkPositiveInt, checkScores, descendingOrder } from './ranking.js';
import { rowsOf, type Optimizer, type RestoreOptions } from './optimizer.js';
import { FormatError, InputError } from '../../errors.js';

export interface GeneticOptions {
  dimension: number;
  /** default 40 (the GECCO 2022 benchmark; XDream's demo used 20) */
  populationSize?: number;
  /** probability that a gene of a child mutates (default 0.25) */
  mutationRate?: number;
  /** standard deviation of a mutation (default 0.75) */
  mutationSize?: number;
  /** kT = kTMultiplier * std(scores) (default 2) */
  kTMultiplier?: number;
  /** probability that a gene comes from the first parent (default 0.75, the benchmark's; 0.5 is upstream's default) */
  parentalSkew?: number;
  /** the best codes kept unmutated each generation (default 10) */
  nConserve?: number;
  /** generation 0; default populationSize codes of N(0, I), drawn from the draw source */
  init?: Float64Array[];
  maximize?: boolean;
  seed?: number | bigint;
  /** inject the draws (see docs/EVOLVE.md for their order) */
  draws?: DrawSource;
}

interface GeneticState {
  kind: 'ga'; version: 1;
  options: { dimension: number; populationSize: number; mutationRate: number; mutationSize: number; kTMultiplier: number; parentalSkew: number; nConserve: number; maximize: boolean };
  generation: number; population: string; draws: DrawState;
}

export class Genetic implements Optimizer {
  readonly kind = 'ga';
  readonly dimension: number;
  readonly populationSize: number;
  readonly mutationRate: number;
  readonly mutationSize: number;
  readonly kTMultiplier: number;
  readonly parentalSkew: number;
  readonly nConserve: number;
  readonly maximize: boolean;
  private draws: DrawSource;
  private gen = 0;
  private pop: Float64Array;
  private last: { scores: Float64Array; kT: number; fitness: Float64Array; order: number[]; parents1: Int32Array; parents2: Int32Array; mutations: number } | null = null;

  constructor(o: GeneticOptions, resume?: DrawSource) {
    const who = 'Genetic';
    const N = this.dimension = checkPositiveInt(o.dimension, 'dimension', who);
    const P = this.populationSize = checkPositiveInt(o.populationSize ?? 40, 'populationSize', who, 2);
    this.mutationRate = o.mutationRate ?? 0.25;
    if (!(this.mutationRate >= 0 && this.mutationRate <= 1)) throw new InputError(`${who}: mutationRate must be in [0, 1], got ${this.mutationRate}`);
    this.mutationSize = o.mutationSize ?? 0.75;
    if (!(this.mutationSize >= 0 && Number.isFinite(this.mutationSize))) throw new InputError(`${who}: mutationSize must be a finite number >= 0, got ${this.mutationSize}`);
    this.kTMultiplier = checkPositive(o.kTMultiplier ?? 2, 'kTMultiplier', who);
    this.parentalSkew = o.parentalSkew ?? 0.75;
    if (!(this.parentalSkew >= 0 && this.parentalSkew <= 1)) throw new InputError(`${who}: parentalSkew must be in [0, 1], got ${this.parentalSkew}`);
    this.nConserve = o.nConserve ?? 10;
    if (!Number.isInteger(this.nConserve) || this.nConserve < 0 || this.nConserve >= P) {
      throw new InputError(`${who}: nConserve must be an integer in 0..populationSize-1 (${P - 1}), got ${o.nConserve}`);
    }
    this.maximize = o.maximize ?? true;
    if (resume) { this.draws = resume; this.pop = new Float64Array(0); return; }
    this.draws = makeDraws(o.seed, o.draws);
    if (o.init) {
      if (o.init.length !== P) throw new InputError(`${who}: init holds ${o.init.length} codes, expected populationSize ${P}`);
      this.pop = new Float64Array(P * N);
      o.init.forEach((x, i) => {
        if (x.length !== N) throw new InputError(`${who}: init code ${i} has length ${x.length}, expected dimension ${N}`);
        this.pop.set(x, i * N);
      });
    } else this.pop = this.draws.normal(P * N);
  }

  get generation(): number { return this.gen; }

  ask(): Float64Array[] { return rowsOf(this.pop, this.populationSize, this.dimension); }

  tell(scores: ArrayLike<number>): void {
    const s = checkScores(scores, this.populationSize, this.maximize, 'Genetic');
    const N = this.dimension, P = this.populationSize, nc = this.nConserve, nMate = P - nc;
    const kT = Math.max(std(s) * this.kTMultiplier, 1e-8); // upstream's floor against kT = 0
    const order = descendingOrder(s);
    const sorted = new Float64Array(P * N);
    order.forEach((src, r) => sorted.set(this.pop.subarray(src * N, (src + 1) * N), r * N));
    const fitness = new Float64Array(P);
    for (let r = 0; r < P; r++) fitness[r] = Math.exp((s[order[r]] - s[order[0]]) / kT);
    // fitness that underflowed to 0 gets the smallest positive fitness (upstream's mate)
    let minPos = Infinity;
    for (const f of fitness) if (f > 0 && f < minPos) minPos = f;
    for (let r = 0; r < P; r++) if (!(fitness[r] > 0)) fitness[r] = minPos;
    const bins = new Float64Array(P);
    let acc = 0;
    for (let r = 0; r < P; r++) { acc += fitness[r]; bins[r] = acc; }
    for (let r = 0; r < P; r++) bins[r] /= acc;
    const next = new Float64Array(P * N);
    next.set(sorted.subarray(0, nc * N), 0);
    const u1 = this.draws.uniform(nMate), u2 = this.draws.uniform(nMate);
    const parents1 = new Int32Array(nMate), parents2 = new Int32Array(nMate);
    for (let c = 0; c < nMate; c++) { parents1[c] = digitize(u1[c], bins); parents2[c] = digitize(u2[c], bins); }
    for (let c = 0; c < nMate; c++) {
      const take = this.draws.uniform(N), a = parents1[c] * N, b = parents2[c] * N, at = (nc + c) * N;
      for (let i = 0; i < N; i++) next[at + i] = take[i] < this.parentalSkew ? sorted[a + i] : sorted[b + i];
    }
    const mask = this.draws.uniform(nMate * N);
    let count = 0;
    for (let j = 0; j < mask.length; j++) if (mask[j] < this.mutationRate) count++;
    const noise = this.draws.normal(count);
    for (let j = 0, k = 0; j < mask.length; j++) if (mask[j] < this.mutationRate) next[nc * N + j] += this.mutationSize * noise[k++];
    this.last = { scores: Float64Array.from(scores, Number), kT, fitness, order, parents1, parents2, mutations: count };
    this.pop = next;
    this.gen++;
  }

  internals(): {
    generation: number; population: Float64Array[]; scores: Float64Array | null; kT: number | null;
    fitness: Float64Array | null; ranking: number[] | null; parents1: Int32Array | null; parents2: Int32Array | null; mutations: number | null;
  } {
    const l = this.last;
    return {
      generation: this.gen, population: this.ask(), scores: l ? l.scores.slice() : null, kT: l ? l.kT : null,
      fitness: l ? l.fitness.slice() : null, ranking: l ? [...l.order] : null,
      parents1: l ? l.parents1.slice() : null, parents2: l ? l.parents2.slice() : null, mutations: l ? l.mutations : null,
    };
  }

  state(): GeneticState {
    return {
      kind: 'ga', version: 1,
      options: { dimension: this.dimension, populationSize: this.populationSize, mutationRate: this.mutationRate, mutationSize: this.mutationSize, kTMultiplier: this.kTMultiplier, parentalSkew: this.parentalSkew, nConserve: this.nConserve, maximize: this.maximize },
      generation: this.gen, population: encodeF64(this.pop), draws: this.draws.state(),
    };
  }

  static restore(s: GeneticState, r: RestoreOptions = {}): Genetic {
    if (s?.kind !== 'ga') throw new FormatError(`optimizer state: kind '${s?.kind}' is not a Genetic state`);
    if (s.version !== 1) throw new FormatError(`optimizer state: version ${s.version} of 'ga' is not supported (expected 1)`);
    const opt = new Genetic(s.options, resumeDraws(s.draws, r.draws));
    opt.gen = s.generation;
    opt.pop = decodeSized(s.population, s.options.populationSize * s.options.dimension, 'population');
    return opt;
  }
}

/** population standard deviation (ddof 0, as numpy.std) */
function std(s: Float64Array): number {
  let m = 0;
  for (const x of s) m += x;
  m /= s.length;
  let v = 0;
  for (const x of s) v += (x - m) ** 2;
  return Math.sqrt(v / s.length);
}

/** numpy.digitize(u, bins): the number of bins <= u, i.e. i with bins[i-1] <= u < bins[i] */
function digitize(u: number, bins: Float64Array): number {
  let lo = 0, hi = bins.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bins[mid] <= u) lo = mid + 1; else hi = mid;
  }
  return Math.min(lo, bins.length - 1);
}
