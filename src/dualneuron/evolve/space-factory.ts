// The one place where `dualneuron evolve` turns a space name into an ImageSpace for a twin. Pixel and Fourier
// spaces use the parameterisations of the twin's synthesis recipes (`<twin>-pixel` and `<twin>`: same prior,
// value range and range function), so an evolved image is made exactly as a synthesised one. The generator
// spaces (fc6, BigGAN-deep-256 with its full [noise | class] code) load the installed generator, which the space
// then owns, and pass its images through the twin's screening preprocessing (generator-spaces.ts).
import { InputError, WeightsError } from '../../errors.js';
import type { Backend } from '../../tensor/index.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadPrior } from '../../models/weights/store.js';
import { RECIPES, defaultRecipe } from '../synthesis/recipes.js';
import { PixelParameterization } from '../synthesis/parameterization.js';
import { FourierParameterization } from '../synthesis/fourier.js';
import { ParameterizationSpace, type ImageSpace } from './spaces.js';
import { Fc6Space, BigGANSpace } from './generator-spaces.js';
import { generatorWeightsMissing } from './run-options.js';
import { loadDeepsimFc6, DEEPSIM_FC6_STORED } from '../../models/weights/deepsim-weights.js';
import { loadBiggan, BIGGAN_STORED } from '../../models/weights/biggan-weights.js';
import { readManifest } from '../../models/weights/store.js';

export interface SpaceContext {
  twin: TwinId;
  /** the weights cache (priors, generator weights) */
  home: string;
  backend: Backend;
}

/**
 * A fixed number per space name, part of every thread's optimiser and noise seed: a thread's draws depend on its
 * (neuron, seed, space) only, never on which other spaces or neurons share the run.
 */
export const SPACE_STREAM: Record<string, number> = { fc6: 0, biggan: 1, pixel: 2, fourier: 3 };

export function spaceStream(name: string): number {
  const s = SPACE_STREAM[name];
  if (s === undefined) throw new InputError(`no seed stream for the space '${name}'; known: ${Object.keys(SPACE_STREAM).join(', ')}`);
  return s;
}

/** The length of a code of `name` for the twin, known before any work (the --optimizer cma size check uses it). */
export function spaceDimension(name: string, twin: TwinId): number {
  const [C, S] = TWINS[twin].inputShape;
  if (name === 'pixel' || name === 'fourier') return C * S * S;
  if (name === 'fc6') return 4096;
  if (name === 'biggan') return 256;
  throw new InputError(`unknown space '${name}'`);
}

/** Refuses, before any work, a space that cannot be made here: missing priors or generator weights (naming `weights pull`). */
export function checkSpace(name: string, twin: TwinId, home: string): void {
  if (name === 'pixel') return;
  if (name === 'fourier') { fourierPrior(twin, home); return; }
  if (name === 'fc6' || name === 'biggan') {
    const missing = generatorWeightsMissing(name, home);
    if (missing) throw new WeightsError(`--spaces ${name}: ${missing}`);
    return;
  }
  throw new InputError(`--spaces: unknown space '${name}'`);
}

/** sha256 of the generator file a generator space was imported from ('' if the manifest lacks it); null for pixel and fourier */
export function generatorSha256(name: string, home: string): string | null {
  const stored = name === 'fc6' ? DEEPSIM_FC6_STORED : name === 'biggan' ? BIGGAN_STORED : null;
  return stored === null ? null : readManifest(home).files[stored]?.sha256Original ?? '';
}

/** The ImageSpace `name` for the twin: images (B, C, S, S) in the twin's model space, before aperture and norm. */
export async function makeSpace(name: string, ctx: SpaceContext): Promise<ImageSpace> {
  checkSpace(name, ctx.twin, ctx.home);
  const spec = TWINS[ctx.twin];
  const [C, S] = spec.inputShape;
  if (name === 'fc6') {
    const g = loadDeepsimFc6({ weightsDir: ctx.home, backend: ctx.backend }).model;
    return owning(await Fc6Space.create({ generator: g, twinSpec: spec, backend: ctx.backend }).catch(disposeAnd(g)), g);
  }
  if (name === 'biggan') {
    const g = loadBiggan({ weightsDir: ctx.home, backend: ctx.backend }).model;
    return owning(await BigGANSpace.create({ generator: g, twinSpec: spec, backend: ctx.backend }).catch(disposeAnd(g)), g);
  }
  if (name === 'pixel') {
    const r = RECIPES[defaultRecipe(ctx.twin, 'pixel')];
    return ParameterizationSpace.create(new PixelParameterization({ channels: C, size: S, initStd: r.initStd, valuesRange: r.valuesRange, blurGradient: false }), ctx.backend);
  }
  const r = RECIPES[defaultRecipe(ctx.twin, 'fourier')];
  const prior = fourierPrior(ctx.twin, ctx.home);
  return ParameterizationSpace.create(new FourierParameterization({ prior, size: S, valuesRange: r.valuesRange, rangeFn: r.rangeFn }), ctx.backend);
}

/** the natural magnitude prior of the twin's Fourier recipe (a WeightsError naming `weights pull` when absent) */
function fourierPrior(twin: TwinId, home: string) {
  const r = RECIPES[defaultRecipe(twin, 'fourier')];
  return loadPrior(TWINS[twin].inputShape[0] === 3 ? 'natural_rgb' : r.prior, home);
}

const disposeAnd = (g: { dispose(): void }) => (e: unknown): never => { g.dispose(); throw e; };

/** the space, made to dispose the generator it was given too (generator spaces leave their generator to the caller) */
function owning<T extends ImageSpace>(space: T, generator: { dispose(): void }): T {
  const own = space.dispose.bind(space);
  space.dispose = () => { own(); generator.dispose(); };
  return space;
}
