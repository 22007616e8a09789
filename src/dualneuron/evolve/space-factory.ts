// The one place where `dualneuron evolve` turns a space name into an ImageSpace for a twin. Pixel and Fourier
// spaces use the parameterisations of the twin's synthesis recipes (`<twin>-pixel` and `<twin>`: same prior,
// value range and range function), so an evolved image is made exactly as a synthesised one. The generator
// spaces (fc6, BigGAN) are wired in here when they exist; until then they are refused before any work.
import { InputError } from '../../errors.js';
import type { Backend } from '../../tensor/index.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadPrior } from '../../models/weights/store.js';
import { RECIPES, defaultRecipe } from '../synthesis/recipes.js';
import { PixelParameterization } from '../synthesis/parameterization.js';
import { FourierParameterization } from '../synthesis/fourier.js';
import { ParameterizationSpace, type ImageSpace } from './spaces.js';

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

/** Refuses, before any work, a space that cannot be made here (generator spaces are not wired in yet). */
export function checkSpace(name: string, twin: TwinId, home: string): void {
  if (name === 'pixel') return;
  if (name === 'fourier') { fourierPrior(twin, home); return; }
  if (name === 'fc6' || name === 'biggan') {
    throw new InputError(`--spaces ${name}: the ${name === 'fc6' ? 'DeePSim fc6' : 'BigGAN-deep-256'} space is not wired into \`dualneuron evolve\` yet; use pixel or fourier`);
  }
  throw new InputError(`--spaces: unknown space '${name}'`);
}

/** The ImageSpace `name` for the twin: images (B, C, S, S) in the twin's model space, before aperture and norm. */
export async function makeSpace(name: string, ctx: SpaceContext): Promise<ImageSpace> {
  checkSpace(name, ctx.twin, ctx.home);
  const [C, S] = TWINS[ctx.twin].inputShape;
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
