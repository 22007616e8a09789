// The optimiser of one evolution thread, from --optimizer and the thread's space: its population and sigma0 come
// from run-options (spacePop, spaceSigma0), its start from the space's init code, its seed from the thread.
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { CholeskyCMAES, HessCMA } from './cholesky-cmaes.js';
import { SphereCMA } from './sphere-cma.js';
import { Genetic } from './genetic.js';
import { CMAES } from './cmaes.js';
import type { Optimizer } from './optimizer.js';
import type { OptimizerName } from './run-options.js';

/** Dense-covariance CMA-ES above this dimension would need GBs and hours per decomposition (docs/EVOLVE.md). */
export const MAX_CMA_DIMENSION = 1024;

export interface ThreadOptimizerSpec {
  optimizer: OptimizerName;
  dim: number;
  /** the space's start code */
  init: Float64Array;
  pop: number;
  sigma0: number;
  /** SphereCMA's radius: fc6 upstream's 300; elsewhere sigma0 sqrt(dim), the norm of a sigma0-sized random code */
  sphereNorm: number;
  seed: bigint;
  hessian?: GanHessian;
}

export interface GanHessian { eigenvalues: Float64Array; /** N x k row-major, column j for eigenvalue j */ eigenvectors: Float64Array; k: number; n: number }

/** The seed of a thread's optimiser: distinct per (neuron < 2^23, space stream < 2^8, seed < 2^31); bit 31 clear (noise streams set it). */
export function optimizerSeed(neuron: number, stream: number, seed: number): bigint {
  for (const [name, v, max] of [['neuron', neuron, 2 ** 23], ['space stream', stream, 2 ** 8], ['seed', seed, 2 ** 31]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= max) throw new InputError(`optimiser seed: ${name} ${v} must be an integer in [0, ${max})`);
  }
  return (BigInt(seed) << 32n) | (BigInt(neuron) << 8n) | BigInt(stream);
}

/** The --hessian-eigvecs (k x N, one eigenvector a row) and --hessian-eigvals (k) files, checked against N. */
export function readHessianFiles(eigvecsPath: string, eigvalsPath: string, n: number): GanHessian {
  const V = readNpy(eigvecsPath), ev = readNpy(eigvalsPath);
  if (ev.shape.length !== 1) throw new InputError(`--hessian-eigvals ${eigvalsPath}: shape (${ev.shape.join(', ')}), expected (k)`);
  if (V.shape.length !== 2 || V.shape[0] !== ev.shape[0] || V.shape[1] !== n) {
    throw new InputError(`--hessian-eigvecs ${eigvecsPath}: shape (${V.shape.join(', ')}), expected (${ev.shape[0]}, ${n}): one eigenvector of the ${n}-D code a row, as many as --hessian-eigvals has values`);
  }
  const k = ev.shape[0];
  const rows = V.data as ArrayLike<number>, eigenvectors = new Float64Array(n * k);
  for (let r = 0; r < k; r++) for (let i = 0; i < n; i++) eigenvectors[i * k + r] = Number(rows[r * n + i]);
  return { eigenvalues: Float64Array.from(ev.data as ArrayLike<number>, Number), eigenvectors, k, n };
}

export function makeOptimizer(s: ThreadOptimizerSpec): Optimizer {
  const { dim, pop, sigma0, seed, init } = s;
  switch (s.optimizer) {
    case 'cholcma': return new CholeskyCMAES({ dimension: dim, populationSize: pop, sigma0, init, seed });
    case 'hesscma': {
      if (!s.hessian) throw new InputError('--optimizer hesscma needs --hessian-eigvecs and --hessian-eigvals');
      // fc6's HessCMA800/500 runs used A = diag(eig^-1/5) E^T (docs/EVOLVE.md)
      return HessCMA.create({ dimension: dim, eigenvalues: s.hessian.eigenvalues, eigenvectors: s.hessian.eigenvectors, exponent: 1 / 5, populationSize: pop, sigma0, init, seed });
    }
    case 'spherecma': return new SphereCMA({ dimension: dim, populationSize: pop, selectSize: Math.max(1, Math.floor(pop / 2)), sphereNorm: s.sphereNorm, seed });
    // the benchmark keeps the best 10 of 40; a quarter of smaller populations
    case 'ga': return new Genetic({ dimension: dim, populationSize: pop, nConserve: Math.min(10, Math.floor(pop / 4)), seed });
    case 'cma': {
      if (dim > MAX_CMA_DIMENSION) throw new InputError(`--optimizer cma keeps a dense ${dim} x ${dim} covariance; it is for spaces of at most ${MAX_CMA_DIMENSION} dimensions (use cholcma)`);
      return new CMAES({ dimension: dim, populationSize: pop, sigma0, mean0: init, seed });
    }
    default: throw new InputError(`unknown optimiser '${s.optimizer as string}'`);
  }
}

/**
 * The optimiser's centre after its last tell: CMA family `mean`, SphereCMA `centre`, the GA the mean of its
 * population; wrappers assemble their parts (Concat: [first | second]; FixedPart: with the fixed half in place).
 */
export function centreOf(opt: Optimizer): Float64Array {
  const k = opt.kind;
  const i = opt.internals();
  if (k === 'concat') {
    const w = opt as unknown as { first: Optimizer; second: Optimizer };
    const a = centreOf(w.first), b = centreOf(w.second), out = new Float64Array(a.length + b.length);
    out.set(a); out.set(b, a.length);
    return out;
  }
  if (k === 'fixed') {
    const w = opt as unknown as { inner: Optimizer; fixed: Float64Array; position: 'before' | 'after' };
    const c = centreOf(w.inner), out = new Float64Array(c.length + w.fixed.length);
    if (w.position === 'before') { out.set(w.fixed); out.set(c, w.fixed.length); } else { out.set(c); out.set(w.fixed, c.length); }
    return out;
  }
  if (i.mean instanceof Float64Array) return i.mean.slice();
  if (i.centre instanceof Float64Array) return i.centre.slice();
  if (Array.isArray(i.population)) {
    const pop = i.population as Float64Array[];
    const out = new Float64Array(opt.dimension);
    for (const c of pop) for (let j = 0; j < out.length; j++) out[j] += c[j];
    for (let j = 0; j < out.length; j++) out[j] /= pop.length;
    return out;
  }
  throw new InputError(`optimiser '${k}' exposes no centre (mean, centre or population) in internals()`);
}
