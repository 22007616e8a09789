// The options of an evolution run (`dualneuron evolve`), checked in full before any work: every bad option
// (unknown space or optimiser, pop < 2, sigma0 <= 0, neuron out of range, missing generator weights) fails here,
// naming what was wrong and what to do. Per-space defaults: fc6 from field-anchors section 4 (sigma0 3, lambda 40);
// BigGAN from upstream's label2optimizer (sigma0 0.2, lambda 28); pixel and Fourier are our choices, documented in
// README "Evolution".
import { InputError, WeightsError } from '../../errors.js';
import { choleskyConstants } from './cholesky-cmaes.js';
import { weightsHome } from '../../models/weights/store.js';
import { requireDeepsimFc6 } from '../../models/weights/deepsim-weights.js';
import { requireBiggan } from '../../models/weights/biggan-weights.js';

export const SPACES = ['fc6', 'biggan', 'pixel', 'fourier'] as const;
export type SpaceName = (typeof SPACES)[number];

export const OPTIMIZERS = ['cholcma', 'spherecma', 'ga', 'cma', 'hesscma'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface SpaceDefaults { sigma0: number }
/**
 * sigma0 per space for the CMA family. fc6: upstream's 3.0 (codes have norm ~ 300 at N = 4096). biggan: upstream's
 * 0.2 for the full 256-D code (Dynamic-Neuron-GAN-Alignment core/utils/Optimizers.py label2optimizer, BigGAN
 * "CholCMA": `CholeskyCMAES(space_dimen=256, init_code=init_code, init_sigma=0.2,)`; HessCMA there uses 0.2 too;
 * field-anchors section 4); one half only: BIGGAN_HALF_SIGMA0. pixel: codes are
 * model-space pixels (normalised, roughly unit scale), 0.1 keeps the first samples near the grey start. fourier: the
 * phase parameters of the natural-prior parameterisation, 0.5 (its init sd is 0.01, its useful range ~ 1).
 * HessCMA in fc6 uses upstream's 0.8.
 */
export function spaceDefaults(space: SpaceName, optimizer: OptimizerName): SpaceDefaults {
  if (space === 'fc6') return { sigma0: optimizer === 'hesscma' ? 0.8 : 3 };
  if (space === 'biggan') return { sigma0: 0.2 };
  return { sigma0: space === 'pixel' ? 0.1 : 0.5 };
}

/**
 * sigma0 when one BigGAN half is searched and the other fixed (BigGANSpace fixNoise / fixClass), upstream's
 * label2optimizer: "CholCMA_class" (noise fixed) `init_sigma=0.06`, "CholCMA_noise" (class fixed) `init_sigma=0.3`.
 * ("CholCMA_prod", one optimiser per half through Concat, uses 0.1 for the noise and 0.06 for the class.)
 */
export const BIGGAN_HALF_SIGMA0 = { class: 0.06, noise: 0.3 } as const;

/**
 * null when `space` needs no generator or its weights are installed in `weightsDir` (default: the weights cache,
 * DUALNEURON_HOME), else the message naming the command that installs them (`dualneuron weights pull deepsim-fc6`
 * or `biggan-deep-256`, and `weights import` for a local copy). Reads only the manifest and the stored file's
 * presence, as loadDeepsimFc6 / loadBiggan locate them, so the CLI can fail before any work.
 */
export function generatorWeightsMissing(space: SpaceName, weightsDir?: string): string | null {
  const require = space === 'fc6' ? requireDeepsimFc6 : space === 'biggan' ? requireBiggan : null;
  if (!require) return null;
  try {
    require(weightsHome(weightsDir));
    return null;
  } catch (e) {
    if (e instanceof WeightsError) return e.message;
    throw e;
  }
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
