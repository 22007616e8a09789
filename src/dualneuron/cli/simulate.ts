// `dualneuron simulate`: a population of model neurons with known features (a preferred Gabor subunit, a
// suppressive one, an elevated baseline) responding to rendered scenes with Poisson spikes over repeats, written
// as a recorded-data folder (DATA/dataset.json, responses.npy, images.npy) plus the ground truth in DATA/truth/
// (parameters, noiseless rates, the true MEI and LEI of every neuron). See simulate/run.ts.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { simulate, BELOW_BASELINE_FRACTION, type SimulateOptions } from '../simulate/run.js';
import { DEFAULT_POLE_OPTIONS } from '../simulate/poles.js';
import { defaultLr } from '../simulate/norm-constrained.js';
import { MAX_IMAGES } from './limits.js';
import { parseFloatStrict, parseIntStrict, parseSeed } from './parse.js';

/** Image side of the simulation: below 24 the Gabors are a few pixels wide; above 256 the host model gets slow. */
export const SIM_SIDE = { min: 24, max: 256 } as const;
export const MAX_SIM_NEURONS = 100_000;
export const MAX_SIM_REPEATS = 1000;
/** responses.npy elements (R x I x N float32): 512 MiB */
export const MAX_RESPONSES = 2 ** 27;
/** images.npy bytes (I x S x S uint8): 1 GiB */
export const MAX_IMAGE_BYTES = 2 ** 30;

interface Opts {
  neurons: string; images: string; repeats: string; minRepeats?: string; size: string; window: string; seed: string;
  dualFraction: string; steps: string; restarts: string; lr?: string; poleRange: string; contrastRange?: string; overwrite?: boolean; out: string;
}

function parseFraction(name: string, v: string): number {
  const x = parseFloatStrict(name, v);
  if (!(x >= 0 && x <= 1)) throw new InputError(`${name} must lie in [0, 1], got '${v}'`);
  return x;
}

/** `lo,hi`: two finite numbers that pass `ok`, else an InputError with `message`. */
function parseLoHi(v: string, ok: (lo: number, hi: number) => boolean, message: string): readonly [number, number] {
  const parts = v.split(','), [lo, hi] = parts.map((t) => Number(t.trim()));
  if (parts.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || !ok(lo, hi)) throw new InputError(message);
  return [lo, hi];
}

/** `lo,hi` (contrast units, lo < 0 < hi) or `none`. */
export function parsePoleRange(v: string): readonly [number, number] | null {
  if (v.trim().toLowerCase() === 'none') return null;
  return parseLoHi(v, (lo, hi) => lo < 0 && hi > 0, `--pole-range must be 'lo,hi' with lo < 0 < hi in contrast units (pixel / 255 - 0.5; the data's own range is -0.5,0.5), or 'none'; got '${v}'`);
}

/** `lo,hi` with 0 < lo <= hi <= 16, or undefined (scenes as rendered). */
export function parseContrastRange(v: string | undefined): readonly [number, number] | null {
  if (v === undefined) return null;
  return parseLoHi(v, (lo, hi) => lo > 0 && lo <= hi && hi <= 16, `--contrast-range must be 'lo,hi' with 0 < lo <= hi <= 16 (factors on each scene's contrast, e.g. 0.5,4), got '${v}'`);
}

/** Every option checked before any work. */
export function parseSimulateOptions(o: Opts): SimulateOptions {
  const neurons = parseIntStrict('--neurons', o.neurons, { min: 1, max: MAX_SIM_NEURONS });
  const images = parseIntStrict('--images', o.images, { min: 1, max: MAX_IMAGES });
  const repeats = parseIntStrict('--repeats', o.repeats, { min: 1, max: MAX_SIM_REPEATS });
  const minRepeats = o.minRepeats === undefined ? repeats : parseIntStrict('--min-repeats', o.minRepeats, { min: 1, max: repeats });
  const size = parseIntStrict('--size', o.size, SIM_SIDE);
  const window = parseFloatStrict('--window', o.window);
  if (!(window > 0 && window <= 1000)) throw new InputError(`--window must be a number of seconds in (0, 1000], got '${o.window}'`);
  const range = parsePoleRange(o.poleRange);
  const lr = o.lr === undefined ? defaultLr(range) : parseFloatStrict('--lr', o.lr);
  if (!(lr > 0)) throw new InputError(`--lr must be a positive number, got '${o.lr}'`);
  const opts: SimulateOptions = {
    neurons, images, repeats, minRepeats, size, window, seed: parseSeed('--seed', o.seed), dualFraction: parseFraction('--dual-fraction', o.dualFraction), contrastRange: parseContrastRange(o.contrastRange),
    poles: { steps: parseIntStrict('--steps', o.steps, { min: 1, max: 100_000 }), restarts: parseIntStrict('--restarts', o.restarts, { min: 1, max: 16 }), lr, range },
  };
  if (repeats * images * neurons > MAX_RESPONSES) {
    throw new InputError(`--repeats x --images x --neurons = ${(repeats * images * neurons).toLocaleString('en-US')} responses; one simulation writes at most ${MAX_RESPONSES.toLocaleString('en-US')} (512 MiB of float32). Use fewer, or several --seed values.`);
  }
  if (images * size * size > MAX_IMAGE_BYTES) {
    throw new InputError(`--images ${images} of ${size}x${size} make ${(images * size * size / 2 ** 20).toFixed(0)} MiB; at most ${MAX_IMAGE_BYTES / 2 ** 20} MiB. Use fewer images or a smaller --size.`);
  }
  return opts;
}

export function registerSimulate(program: Command): void {
  program.command('simulate')
    .description('a simulated population of dual-feature model neurons (Gabor subunit + suppressive subunit + elevated baseline, Poisson spikes over repeats) responding to rendered scenes, with the true MEI/LEI of every neuron: a DATA folder for oracle/train/evaluate and its ground truth in DATA/truth/')
    .requiredOption('--neurons <n>', `number of model neurons (1..${MAX_SIM_NEURONS})`)
    .requiredOption('--images <n>', `number of stimuli: rendered scenes 0..n-1 of --seed (1..${MAX_IMAGES})`)
    .requiredOption('--repeats <r>', `repeats of each image (1..${MAX_SIM_REPEATS})`)
    .option('--min-repeats <m>', 'fewest repeats of an image: each image gets a uniform number in m..r (uneven repeats, NaN in responses.npy for the missing ones); default r (every image r times)')
    .option('--size <px>', `image side in pixels, ${SIM_SIDE.min}..${SIM_SIDE.max} (gray images)`, '64')
    .option('--window <s>', 'spike-counting window in seconds: counts are Poisson(rate x window)', '0.5')
    .option('--seed <s>', 'seed of everything (neurons, stimuli, spikes, MEI/LEI starts), 0..2^64-1; the stimuli are `dualneuron render --seed s --size px` in gray', '0')
    .option('--dual-fraction <p>', 'probability that a neuron is dual (a suppressive subunit strong enough to take its LEI far below baseline); the others get a subunit too weak to lower the rate by more than about 6%', '0.5')
    .option('--steps <n>', 'Adam steps of the true MEI/LEI optimisation', String(DEFAULT_POLE_OPTIONS.steps))
    .option('--restarts <k>', 'starts per neuron and pole, 1..16 (the subunit filter, then Gaussian noise); the best is kept', String(DEFAULT_POLE_OPTIONS.restarts))
    .option('--lr <x>', `rate of the MEI/LEI optimisation, cosine schedule to 0: with a pixel range, the first projected-gradient step as a fraction of the norm (default ${defaultLr([-1, 1])}); with --pole-range=none, Adam's learning rate on free pixels of RMS 1 (default ${defaultLr(null)})`)
    .option('--pole-range <lo,hi>', 'pixel range of the true MEI/LEI in contrast units (x = pixel / 255 - 0.5; the data\'s own range is -0.5,0.5): the poles are then the best images whose pixels lie in it (times the aperture) at L2 norm at most the MEI norm, images one could show; \'none\': the norm alone. Write it with = (--pole-range=-0.5,0.5), as it starts with a minus', DEFAULT_POLE_OPTIONS.range ? DEFAULT_POLE_OPTIONS.range.join(',') : 'none')
    .option('--contrast-range <lo,hi>', 'scale each stimulus\'s contrast about its mean by a factor drawn log-uniformly in [lo, hi] (0 < lo <= hi <= 16; rounded, clipped to 0..255; factors in truth/contrast.npy), so the data also show the high contrasts MEIs live at; default: the scenes as rendered')
    .option('--overwrite', 'replace a complete simulation already in --out')
    .requiredOption('--out <dir>', 'output folder DATA: dataset.json, responses.npy, images.npy, truth/, run.json')
    .action(async (o: Opts) => {
      const opts = parseSimulateOptions(o);
      if (existsSync(join(o.out, 'dataset.json')) && !o.overwrite) {
        throw new InputError(`${o.out} already holds a data set (dataset.json); give another --out, or --overwrite to replace it`);
      }
      const lock = openOutputFolder(o.out, 'simulate');
      try {
        const backend = await init('webgpu');
        const rec = startRecord('simulate', { ...opts, seed: opts.seed.toString() }, backend.describe());
        const s = await simulate(opts, o.out, backend);
        finishRecord(rec, join(o.out, 'run.json'), { dual: s.dual, leiBelowBaseline: s.belowBaseline, meiNorm: s.meiNorm, maxStationarity: s.maxStationarity });
        console.error(`wrote ${o.out}: ${opts.neurons} neurons x ${opts.images} images x ${opts.repeats} repeats; ${s.dual} dual by construction, ` +
          `${s.belowBaseline} with the LEI at or below ${BELOW_BASELINE_FRACTION} x baseline; largest MEI/LEI stationarity residual ${s.maxStationarity.toExponential(2)}`);
      } finally {
        lock.release();
      }
    });
}
