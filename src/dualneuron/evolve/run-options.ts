// The options of an evolution run (`dualneuron evolve`), checked in full before any work: every bad option
// (unknown space or optimiser, pop < 2, sigma0 <= 0, neuron out of range, missing generator weights) fails here,
// naming what was wrong and what to do. Per-space defaults: fc6 from field-anchors section 4 (sigma0 3, lambda 40);
// pixel and Fourier are our choices, documented in README "Evolution".
import { InputError } from '../../errors.js';
import { choleskyConstants } from './cholesky-cmaes.js';

export const SPACES = ['fc6', 'pixel', 'fourier'] as const;
export type SpaceName = (typeof SPACES)[number];
/** spaces the issue names that are not built yet: they get their own message instead of "unknown" */
const PLANNED_SPACES: Record<string, string> = { biggan: 'the BigGAN-deep-256 space is not available yet (its generator is still being built)' };

export const OPTIMIZERS = ['cholcma', 'spherecma', 'ga', 'cma', 'hesscma'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface SpaceDefaults { sigma0: number }
/**
 * sigma0 per space for the CMA family. fc6: upstream's 3.0 (codes have norm ~ 300 at N = 4096). pixel: codes are
 * model-space pixels (normalised, roughly unit scale), 0.1 keeps the first samples near the grey start. fourier: the
 * phase parameters of the natural-prior parameterisation, 0.5 (its init sd is 0.01, its useful range ~ 1).
 * HessCMA in fc6 uses upstream's 0.8.
 */
export function spaceDefaults(space: SpaceName, optimizer: OptimizerName): SpaceDefaults {
  if (space === 'fc6') return { sigma0: optimizer === 'hesscma' ? 0.8 : 3 };
  return { sigma0: space === 'pixel' ? 0.1 : 0.5 };
}

export interface EvolveOptionsInput {
  spaces: string;
  optimizer: string;
  generations: string | number;
  pop?: string | number;
  sigma0?: string | number;
  noise?: string | number;
  seeds?: string | number;
  hessianEigvecs?: string;
  hessianEigvals?: string;
}

export interface EvolveOptions {
  spaces: SpaceName[];
  optimizer: OptimizerName;
  generations: number;
  /** undefined: each space's own default (CholeskyCMAES lambda of its dimension; 40 for fc6) */
  pop?: number;
  /** undefined: spaceDefaults(space) */
  sigma0?: number;
  noise: number;
  seeds: number;
  hessian?: { eigvecs: string; eigvals: string };
}

function integer(name: string, v: string | number, min: number): number {
  const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new InputError(`${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}
function real(name: string, v: string | number): number {
  const n = typeof v === 'number' ? v : v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new InputError(`${name} must be a number, got '${v}'`);
  return n;
}

export function parseEvolveOptions(o: EvolveOptionsInput): EvolveOptions {
  const spaces: SpaceName[] = [];
  for (const raw of o.spaces.split(',')) {
    const s = raw.trim();
    if (PLANNED_SPACES[s]) throw new InputError(`--spaces ${s}: ${PLANNED_SPACES[s]}; use ${SPACES.join(', ')}`);
    if (!(SPACES as readonly string[]).includes(s)) throw new InputError(`--spaces: unknown space '${s}'; use one or more of ${SPACES.join(', ')} (comma-separated)`);
    if (spaces.includes(s as SpaceName)) throw new InputError(`--spaces: '${s}' is given twice`);
    spaces.push(s as SpaceName);
  }
  if (!(OPTIMIZERS as readonly string[]).includes(o.optimizer)) throw new InputError(`--optimizer: unknown optimiser '${o.optimizer}'; use one of ${OPTIMIZERS.join(', ')}`);
  const optimizer = o.optimizer as OptimizerName;
  const generations = integer('--generations', o.generations, 1);
  const pop = o.pop === undefined ? undefined : integer('--pop', o.pop, 2);
  const sigma0 = o.sigma0 === undefined ? undefined : real('--sigma0', o.sigma0);
  if (sigma0 !== undefined && !(sigma0 > 0)) throw new InputError(`--sigma0 must be > 0, got ${sigma0}`);
  const noise = o.noise === undefined ? 0 : real('--noise', o.noise);
  if (noise < 0) throw new InputError(`--noise (eta) must be >= 0, got ${noise}`);
  const seeds = integer('--seeds', o.seeds ?? 1, 1);
  let hessian: EvolveOptions['hessian'];
  if (optimizer === 'hesscma') {
    if (!spaces.every((s) => s === 'fc6')) throw new InputError('--optimizer hesscma preconditions the fc6 generator space only; use --spaces fc6');
    if (!o.hessianEigvecs || !o.hessianEigvals) {
      throw new InputError('--optimizer hesscma needs the generator Hessian: --hessian-eigvecs X.npy (k x 4096, one eigenvector a row) and --hessian-eigvals Y.npy (k), as made by `dualneuron gan-hessian`');
    }
    hessian = { eigvecs: o.hessianEigvecs, eigvals: o.hessianEigvals };
  } else if (o.hessianEigvecs || o.hessianEigvals) {
    throw new InputError(`--hessian-eigvecs/--hessian-eigvals are for --optimizer hesscma, not ${optimizer}`);
  }
  return { spaces, optimizer, generations, pop, sigma0, noise, seeds, hessian };
}

/** The population of one space: --pop, else CholeskyCMAES's lambda for its dimension (40 for fc6's 4096). */
export function spacePop(o: EvolveOptions, dim: number): number {
  return o.pop ?? choleskyConstants(dim).lambda;
}
export function spaceSigma0(o: EvolveOptions, space: SpaceName): number {
  return o.sigma0 ?? spaceDefaults(space, o.optimizer).sigma0;
}
