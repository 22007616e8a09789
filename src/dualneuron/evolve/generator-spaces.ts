// The generator spaces of Wang & Ponce's evolutions: DeePSim fc6 codes (4096) and BigGAN-deep-256 codes
// [noise 128 | class embedding 128], either half optionally fixed (upstream's fix_param_wrapper). A batch of codes
// goes through the generator to (B, 3, 256, 256) images in [0, 1] and then through the twin's screening
// preprocessing (TwinTransform), so evolved images reach the twin as screened images do; finishForTwin (aperture,
// norm) follows in the objective, as for the pixel and Fourier spaces.
//
// Init codes, as upstream's runs:
//  - fc6: the zero code. ActMax-Optimizer-Dev cma_benchmark.py, get_optimizer("CholeskyCMAES"):
//    `CholeskyCMAES(4096, population_size=40, init_sigma=3.0, Aupdate_freq=10, init_code=np.zeros([1, 4096]))`, and
//    core/insilico_exps.py ExperimentEvolution (`codes = np.zeros([1, self.code_length])` at step 0);
//    field-anchors section 4: "The benchmark's generation 0 is the single zero code". (One of upstream's
//    GAN-comparison scripts starts fc6 at np.random.randn(1, 4096) instead; pass initCode for that.)
//  - BigGAN: noise 0.7 x a standard normal truncated to [-2, 2], class embedding zero. Visual_Neuro_InSilico_Exp
//    BigGAN_Evol_cluster.py (its "CholCMA" run, CholeskyCMAES(space_dimen=256, init_code=init_code, init_sigma=0.2)): `fixnoise = 0.7 * truncated_noise_sample(1, 128)`,
//    `init_code = np.concatenate((fixnoise, np.zeros((1, 128))), axis=1)`; pytorch_pretrained_biggan's
//    truncated_noise_sample is scipy's truncnorm(-2, 2). Ours draws the same distribution from the project's
//    Philox stream (rejection of normals outside [-2, 2]); the numbers cannot equal scipy's.
// Truncation: 0.7, upstream's BigGAN_wrapper.visualize default. Batches: generator calls of at most `batch` codes
// (upstream's visualize_batch_np: 42 for fc6, 15 for BigGAN), so a population of 40 does not hold every activation.
import { Tensor, concat, keep, tidy, type Backend } from '../../tensor/index.js';
import { DEEPSIM_IMAGE_SIZE, type DeepSimFc6 } from '../../models/deepsim-fc6.js';
import { BIGGAN_DEFAULT_TRUNCATION, truncationIndex, type BigGanDeep } from '../../models/biggan.js';
import { PhiloxDraws } from './draws.js';
import type { ImageSpace } from './spaces.js';
import { TwinTransform, type ScreeningSpec } from './twin-transform.js';
import { InputError, ShapeError } from '../../errors.js';

export const FC6_BATCH = 42;
export const BIGGAN_BATCH = 15;
/** upstream's init noise scale and truncation bound (0.7 * truncnorm(-2, 2)) */
export const BIGGAN_INIT_NOISE_STD = 0.7;
export const BIGGAN_NOISE_BOUND = 2;

interface CommonOptions {
  /** the twin whose screening preprocessing the images go through (its spec, or just its screening field) */
  twinSpec: { screening: ScreeningSpec };
  /** where the transform's constants live: the generator's backend (the default; another one is refused) */
  backend?: Backend;
  /** largest number of codes per generator call */
  batch?: number;
}

export interface Fc6SpaceOptions extends CommonOptions {
  generator: DeepSimFc6;
  /** the start code (4096 values); the zero code by default */
  initCode?: ArrayLike<number>;
}

export interface BigGANSpaceOptions extends CommonOptions {
  generator: BigGanDeep;
  /** upstream's 0.7 by default */
  truncation?: number;
  /** fix the noise half at these zDim values: the space is the class embedding half (upstream CholCMA_class) */
  fixNoise?: ArrayLike<number>;
  /** fix the class-embedding half at these zDim values: the space is the noise half (upstream CholCMA_noise) */
  fixClass?: ArrayLike<number>;
  /** the full start code [noise | class] (2 zDim); by default upstream's: seeded 0.7 truncnorm(-2, 2) noise, zero class */
  initCode?: ArrayLike<number>;
  /** seed of the default init noise */
  seed?: number | bigint;
}

function backendOf(given: Backend | undefined, generator: { backend: Backend }): Backend {
  if (given && given !== generator.backend) throw new InputError('generator space: backend must be the backend the generator was loaded on');
  return generator.backend;
}

function checkBatch(batch: number | undefined, dflt: number): number {
  const b = batch ?? dflt;
  if (!Number.isInteger(b) || b < 1) throw new InputError(`generator space: batch must be a positive integer, got ${b}`);
  return b;
}

function vector(name: string, v: ArrayLike<number>, n: number): Float64Array {
  if (v.length !== n) throw new InputError(`${name} must have ${n} values, got ${v.length}`);
  const out = Float64Array.from(v);
  if (!out.every(Number.isFinite)) throw new InputError(`${name} has a value that is not finite`);
  return out;
}

/**
 * images(codes) in generator calls of at most `batch` rows: `render` maps (b, dim) codes to (b, C, H, W). Each call's
 * activations are disposed when it returns, unless the codes require gradients: then the graph is kept whole (one
 * call, no chunks) for the caller's backward pass and tidy scope.
 */
function chunked(codes: Tensor, batch: number, render: (c: Tensor) => Tensor): Tensor {
  const B = codes.shape[0];
  if (codes.requiresGrad) return render(codes);
  if (B <= batch) return tidy(() => render(codes));
  const parts: Tensor[] = [];
  try {
    for (let i = 0; i < B; i += batch) parts.push(tidy(() => render(codes.slice([[i, Math.min(B, i + batch)]]))));
    return concat(parts, 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}

function checkCodes(name: string, codes: Tensor, dim: number): void {
  if (codes.rank !== 2 || codes.shape[1] !== dim || codes.shape[0] < 1) {
    throw new ShapeError(`${name} space: codes must be (B, ${dim}) with B >= 1, got [${codes.shape.join(', ')}]`);
  }
}

/** DeePSim fc6 codes (4096) -> generator image -> the twin's screening preprocessing. */
export class Fc6Space implements ImageSpace {
  readonly name = 'fc6';
  readonly dim: number;
  private constructor(readonly generator: DeepSimFc6, readonly transform: TwinTransform, readonly batch: number, private readonly init: Float64Array) {
    this.dim = generator.codeDim;
  }

  static async create(o: Fc6SpaceOptions): Promise<Fc6Space> {
    const g = o.generator, dim = g.codeDim;
    const init = o.initCode === undefined ? new Float64Array(dim) : vector('fc6 space: initCode', o.initCode, dim);
    const batch = checkBatch(o.batch, FC6_BATCH);
    return new Fc6Space(g, TwinTransform.create(o.twinSpec.screening, DEEPSIM_IMAGE_SIZE, backendOf(o.backend, g)), batch, init);
  }

  initCode(): Float64Array { return this.init.slice(); }

  /** the generator's images (B, 3, 256, 256) in [0, 1], in chunks (for montages and saved images) */
  generated(codes: Tensor): Tensor {
    checkCodes(this.name, codes, this.dim);
    return chunked(codes, this.batch, (c) => this.generator.forward(c));
  }

  images(codes: Tensor): Tensor {
    checkCodes(this.name, codes, this.dim);
    return chunked(codes, this.batch, (c) => this.transform.apply(this.generator.forward(c)));
  }

  /** disposes the transform's constants; the generator belongs to the caller */
  dispose(): void { this.transform.dispose(); }
}

/** upstream's init noise: 0.7 x standard normals truncated to [-2, 2] (rejection), from Philox stream `seed` */
export function bigganInitNoise(n: number, seed: number | bigint = 0): Float64Array {
  const draws = new PhiloxDraws(BigInt(seed));
  const out = new Float64Array(n);
  for (let i = 0; i < n;) {
    const v = draws.normal(1)[0];
    if (Math.abs(v) <= BIGGAN_NOISE_BOUND) out[i++] = BIGGAN_INIT_NOISE_STD * v;
  }
  return out;
}

export type BigGANPart = 'full' | 'class' | 'noise';

/**
 * BigGAN-deep codes [noise | class embedding] (2 zDim = 256) -> generator at the truncation -> the twin's screening
 * preprocessing. With fixNoise the space is the class half (dim zDim), with fixClass the noise half.
 */
export class BigGANSpace implements ImageSpace {
  readonly name = 'biggan';
  readonly dim: number;
  /** which half the optimiser searches: 'full' (both), 'class' (noise fixed) or 'noise' (class fixed) */
  readonly part: BigGANPart;
  private fixedRow: Tensor | null = null;

  private constructor(
    readonly generator: BigGanDeep, readonly transform: TwinTransform, readonly batch: number, readonly truncation: number,
    part: BigGANPart, private readonly fixed: Float64Array | null, private readonly fullInit: Float64Array,
  ) {
    this.part = part;
    this.dim = part === 'full' ? generator.codeDim : generator.config.zDim;
  }

  static async create(o: BigGANSpaceOptions): Promise<BigGANSpace> {
    const g = o.generator, z = g.config.zDim;
    const truncation = o.truncation ?? BIGGAN_DEFAULT_TRUNCATION;
    truncationIndex(truncation, g.config.nStats); // InputError unless 0 < t <= 1
    if (o.fixNoise !== undefined && o.fixClass !== undefined) {
      throw new InputError('BigGAN space: give fixNoise or fixClass, not both (fixing both halves leaves nothing to search)');
    }
    const part: BigGANPart = o.fixNoise !== undefined ? 'class' : o.fixClass !== undefined ? 'noise' : 'full';
    const fixed = o.fixNoise !== undefined ? vector('BigGAN space: fixNoise', o.fixNoise, z)
      : o.fixClass !== undefined ? vector('BigGAN space: fixClass', o.fixClass, z) : null;
    let init: Float64Array;
    if (o.initCode !== undefined) init = vector('BigGAN space: initCode', o.initCode, 2 * z);
    else { init = new Float64Array(2 * z); init.set(bigganInitNoise(z, o.seed ?? 0), 0); }
    // the fixed half is part of every code, the start code included
    if (part === 'class') init.set(fixed!, 0);
    if (part === 'noise') init.set(fixed!, z);
    const batch = checkBatch(o.batch, BIGGAN_BATCH);
    return new BigGANSpace(g, TwinTransform.create(o.twinSpec.screening, g.config.outputDim, backendOf(o.backend, g)), batch, truncation, part, fixed, init);
  }

  /** the searched part of the start code (dim values) */
  initCode(): Float64Array {
    const z = this.generator.config.zDim;
    return this.part === 'full' ? this.fullInit.slice() : this.part === 'class' ? this.fullInit.slice(z) : this.fullInit.slice(0, z);
  }

  /** the full generator code [noise | class] (2 zDim) of one searched code (dim values), for saving */
  fullCode(code: ArrayLike<number>): Float64Array {
    const v = vector(`BigGAN space (${this.part}): code`, code, this.dim);
    if (this.part === 'full') return v;
    const z = this.generator.config.zDim, out = new Float64Array(2 * z);
    out.set(this.part === 'class' ? this.fixed! : v, 0);
    out.set(this.part === 'class' ? v : this.fixed!, z);
    return out;
  }

  /** full codes (B, 2 zDim) of searched codes (B, dim): the fixed half repeated on every row */
  fullCodes(codes: Tensor): Tensor {
    checkCodes(this.name, codes, this.dim);
    if (this.part === 'full') return codes.reshape(codes.shape);
    const fixedRow = this.fixedTensor(this.transform.backend).expand([codes.shape[0], this.generator.config.zDim]);
    return this.part === 'class' ? concat([fixedRow, codes], 1) : concat([codes, fixedRow], 1);
  }

  /** the generator's images (B, 3, 256, 256) in [0, 1], in chunks (for montages and saved images) */
  generated(codes: Tensor): Tensor {
    return this.render(codes, (img) => img);
  }

  images(codes: Tensor): Tensor {
    return this.render(codes, (img) => this.transform.apply(img));
  }

  private render(codes: Tensor, then: (img: Tensor) => Tensor): Tensor {
    checkCodes(this.name, codes, this.dim);
    return chunked(codes, this.batch, (c) => then(this.generator.imageFromCode(this.fullCodes(c), this.truncation)));
  }

  private fixedTensor(backend: Backend): Tensor {
    if (!this.fixedRow || this.fixedRow.isDisposed) {
      this.fixedRow = keep(Tensor.from(this.fixed!, [1, this.fixed!.length], { backend })); // owned, outside tidy scopes
      this.fixedRow.name = `biggan fixed ${this.part === 'class' ? 'noise' : 'class'} half`;
    }
    return this.fixedRow;
  }

  /** disposes the transform's constants and the fixed half; the generator belongs to the caller */
  dispose(): void {
    this.transform.dispose();
    this.fixedRow?.dispose();
    this.fixedRow = null;
  }
}
