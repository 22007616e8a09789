// Objectives and fixture plumbing shared by the evolve tests (the same formulas as tools/golden/evolve_reference.py).
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/fixtures.js';
import { CholeskyCMAES, CMAES, Genetic, HessCMA, ReplayDraws, SphereCMA, type Optimizer } from '../../src/dualneuron/evolve/index.js';

/** maximised: -sum_i 10^(2i/(N-1)) (x_i - 1)^2 */
export function quadratic(x: Float64Array): number {
  const N = x.length;
  let s = 0;
  for (let i = 0; i < N; i++) s += 10 ** ((2 * i) / (N - 1)) * (x[i] - 1) ** 2;
  return -s;
}

/** maximised: -sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 */
export function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return -s;
}

/** maximised: -|x - 1|^2 */
export function sphere(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += (v - 1) ** 2;
  return -s;
}

export const objectives: Record<string, (x: Float64Array) => number> = { quadratic, rosenbrock, sphere };

export interface RefRecord { mean?: number[]; centre?: number[]; popMean?: number[]; sigma?: number; best: number; psNorm?: number; mu?: number; kT?: number; hsig?: number }
export interface RefCase {
  algo: 'cholcma' | 'hesscma' | 'spherecma' | 'ga' | 'cma'; objective: string; seed?: number; N: number;
  sigma0?: number; aUpdateFreq?: number; topK?: number; exponent?: number; eigenvalues?: number[]; eigenvectors?: number[];
  B?: number; select?: number; lr?: number; R?: number; schedule?: ['exp' | 'inv' | 'lin', number, [number, number]];
  pop?: number; rate?: number; size?: number; kT?: number; skew?: number; conserve?: number;
  records: RefRecord[]; finalA?: number[]; init?: number[][]; normals?: number[]; uniforms?: number[];
}

export function loadReference(): { philox: { seed: number; uniform: number[]; normal: number[] }; cases: RefCase[] } {
  return JSON.parse(readFileSync(fixture('evolve', 'reference.json'), 'utf8'));
}

/** the optimiser a reference case describes, on its seed or on its recorded draws */
export function buildFromCase(c: RefCase): Optimizer {
  const draws = c.normals ? new ReplayDraws(Float64Array.from(c.normals), Float64Array.from(c.uniforms ?? [])) : undefined;
  const seed = c.seed;
  switch (c.algo) {
    case 'cholcma': return new CholeskyCMAES({ dimension: c.N, sigma0: c.sigma0, aUpdateFreq: c.aUpdateFreq, seed, draws, init: c.init?.map((x) => Float64Array.from(x)) });
    case 'hesscma': return HessCMA.create({
      dimension: c.N, sigma0: c.sigma0, aUpdateFreq: c.aUpdateFreq, seed, draws, topK: c.topK, exponent: c.exponent,
      eigenvalues: c.eigenvalues!, eigenvectors: Float64Array.from(c.eigenvectors!),
    });
    case 'spherecma': return new SphereCMA({
      dimension: c.N, populationSize: c.B, selectSize: c.select, lr: c.lr, sphereNorm: c.R, seed, draws,
      schedule: { mode: c.schedule![0], generations: c.schedule![1], limits: c.schedule![2] },
    });
    case 'ga': return new Genetic({
      dimension: c.N, populationSize: c.pop, mutationRate: c.rate, mutationSize: c.size, kTMultiplier: c.kT, parentalSkew: c.skew, nConserve: c.conserve, seed, draws,
    });
    case 'cma': return new CMAES({ dimension: c.N, sigma0: c.sigma0, seed, draws });
  }
}

/** one generation: evaluate ask() with f, tell, and return the scores */
export function step(opt: Optimizer, f: (x: Float64Array) => number): Float64Array {
  const scores = Float64Array.from(opt.ask(), f);
  opt.tell(scores);
  return scores;
}

/** |a - b| / |b| over a vector */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-300);
}
