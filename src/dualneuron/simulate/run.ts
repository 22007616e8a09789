// `dualneuron simulate` as a library function: draws a population (params.ts), renders the stimuli (stimuli.ts),
// computes the noiseless rates (float64 host model), Poisson counts with repeats (spikes.ts) and the true
// MEI/LEI (poles.ts), and writes a DATA folder (recorded-data format, version 1) with DATA/truth/. dataset.json is
// written last: a folder that has it is complete.
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { writeNpy } from '../../io/npy.js';
import type { Backend } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { yieldToSignals } from '../output-folder.js';
import { APERTURE } from './gabor.js';
import { HostNeuron, baselineRate, type NeuronParams } from './neuron.js';
import { CALIBRATION_SCENES, RANGES, STREAM, calibrate, drawNeuron } from './params.js';
import { PopulationModel } from './population-model.js';
import { poleSteps, truePoles, type PoleOptions } from './poles.js';
import { repeatsPerImage, spikeCounts } from './spikes.js';
import { contrastImage, grayScene, scaleContrast, stimulusContrast } from './stimuli.js';

export interface SimulateOptions {
  neurons: number;
  images: number;
  repeats: number;
  /** fewest repeats of an image (uneven repeats when < repeats) */
  minRepeats: number;
  size: number;
  /** counting window, s */
  window: number;
  seed: bigint;
  dualFraction: number;
  /**
   * [lo, hi]: each stimulus's contrast scaled by a factor log-uniform in it (stimuli.ts scaleContrast); null: the
   * scenes as rendered. The calibration (gains, MEI norm) always uses the scenes as rendered.
   */
  contrastRange: readonly [number, number] | null;
  poles: Omit<PoleOptions, 'onStep'>;
}

/** An LEI is "below baseline" when its rate is at most this fraction of the baseline rate. */
export const BELOW_BASELINE_FRACTION = 0.8;
export const leiBelowBaseline = (leiRate: number, baseline: number) => leiRate <= BELOW_BASELINE_FRACTION * baseline;

export interface SimulateSummary { dual: number; belowBaseline: number; meiNorm: number; maxStationarity: number }

export async function simulate(o: SimulateOptions, out: string, backend: Backend, log: (s: string) => void = (s) => console.error(s)): Promise<SimulateSummary> {
  const { neurons: N, images: I, repeats: R, size: S } = o, P = S * S;
  const t = join(out, 'truth');
  ensureDir(t); // before any work: a folder that cannot be made fails now, not after the optimisation
  const cal = calibrate(o.seed, S);
  const params: NeuronParams[] = Array.from({ length: N }, (_, n) => drawNeuron(n, o.seed, o.dualFraction, cal));
  const hosts = params.map((p) => new HostNeuron(p, S));
  log(`population: ${N} neurons (${params.filter((p) => p.dual).length} dual by construction), ${S}x${S} gray, MEI/LEI norm ${cal.norm.toFixed(4)} (median of ${CALIBRATION_SCENES} calibration scenes)`);

  // stimuli and noiseless rates (float64)
  const images = new Uint8Array(I * P), rates = new Float64Array(I * N), factors = new Float64Array(I).fill(1);
  const pr = new Progress({ total: I, unit: 'img', label: 'stimuli and rates' });
  for (let i = 0; i < I; i++) {
    let g = grayScene(i, S, o.seed);
    if (o.contrastRange) g = scaleContrast(g, (factors[i] = stimulusContrast(o.seed, STREAM.contrast, i, o.contrastRange)));
    images.set(g, i * P);
    const x = contrastImage(g);
    for (let n = 0; n < N; n++) rates[i * N + n] = hosts[n].rate(x);
    pr.tick();
    if (i % 32 === 31) await yieldToSignals();
  }
  pr.finish();

  // spikes
  const reps = repeatsPerImage(o.seed, I, R, o.minRepeats);
  const counts = spikeCounts(o.seed, rates, I, N, reps, R, o.window);
  await yieldToSignals();

  // true MEI / LEI
  const model = new PopulationModel(params, S, backend);
  const pp = new Progress({ total: poleSteps(N, S, o.poles.restarts, o.poles.steps), unit: 'step', label: 'true MEI/LEI' });
  let poles;
  try {
    poles = await truePoles(model, hosts, cal, o.seed, { ...o.poles, onStep: (d) => pp.set(d) });
  } finally {
    model.dispose();
  }
  pp.finish();
  const baseline = Float64Array.from(params, baselineRate);
  const below = Uint8Array.from(params, (_, n) => (leiBelowBaseline(poles.leiRate[n], baseline[n]) ? 1 : 0));

  // files: truth first, dataset.json last
  writeNpy(join(out, 'images.npy'), { dtype: 'u8', shape: [I, S, S], data: images });
  writeNpy(join(out, 'responses.npy'), { dtype: 'f32', shape: [R, I, N], data: counts });
  writeNpy(join(t, 'rates.npy'), { dtype: 'f64', shape: [I, N], data: rates });
  writeNpy(join(t, 'repeats.npy'), { dtype: 'i32', shape: [I], data: reps });
  writeNpy(join(t, 'contrast.npy'), { dtype: 'f64', shape: [I], data: factors });
  writeNpy(join(t, 'mei.npy'), { dtype: 'f32', shape: [N, S, S], data: poles.mei });
  writeNpy(join(t, 'lei.npy'), { dtype: 'f32', shape: [N, S, S], data: poles.lei });
  writeNpy(join(t, 'aperture.npy'), { dtype: 'f32', shape: [S, S], data: Float32Array.from(cal.aperture) });
  writeNpy(join(t, 'mei_rate.npy'), { dtype: 'f64', shape: [N], data: poles.meiRate });
  writeNpy(join(t, 'lei_rate.npy'), { dtype: 'f64', shape: [N], data: poles.leiRate });
  writeNpy(join(t, 'baseline.npy'), { dtype: 'f64', shape: [N], data: baseline });
  writeNpy(join(t, 'lei_below_baseline.npy'), { dtype: 'bool', shape: [N], data: below });
  const neuronsOut = params.map((p, n) => ({
    ...p, baseline_rate: baseline[n], mei_rate: poles.meiRate[n], lei_rate: poles.leiRate[n], lei_below_baseline: below[n] === 1,
    mei_stationarity: poles.meiStationarity[n], lei_stationarity: poles.leiStationarity[n], mei_restart: poles.meiRestart[n], lei_restart: poles.leiRestart[n],
  }));
  writeFileAtomic(join(t, 'params.json'), JSON.stringify({
    format: 'dualneuron-simulated-truth', version: 1, seed: o.seed.toString(), size: S,
    input: 'x = pixel / 255 - 0.5 of the gray image (row-major S x S); images.npy holds the pixels',
    model: {
      subunit: 'c = g_cos . x, q = g_sin . x, S = kappa (c^2 + q^2) + (1 - kappa) relu(c)^2 (g: zero-mean unit-norm Gabor quadrature pair, src/dualneuron/simulate/gabor.ts)',
      gabor: 'envelope exp(-((i - y)^2 + (j - x)^2) / (2 sigma^2)), carrier cos / sin(2 pi frequency ((j - x) cos(orientation) + (i - y) sin(orientation)) + phase); row i, column j; minus (sum g / sum envelope) x envelope; divided by its L2 norm',
      drive: 'u = baseline_drive + exc_gain S_e - sup_gain S_s (subtractive: a homogeneous quadratic form in x, so MEI/LEI shapes do not depend on the norm)',
      rate: 'rate_scale * softplus(u), spikes/s; baseline_rate = rate_scale * softplus(baseline_drive) is the rate to a blank image',
      spikes: `Poisson(rate x window_s) per repeat; repeats of image i in truth/repeats.npy`,
    },
    mei: {
      norm: cal.norm, norm_rule: `median over ${CALIBRATION_SCENES} calibration scenes of |a (x - mean_a(x))|`,
      aperture: { file: 'aperture.npy', radius: APERTURE.radius, edge: APERTURE.edge, rule: '1 within radius x S of the centre, raised-cosine edge of width edge x S, 0 beyond' },
      range: o.poles.range,
      constraint: o.poles.range ? 'x = a z with range[0] <= z <= range[1] and |x| <= norm (a stimulus in the range seen through the aperture, L2 norm at most norm)' : 'x = norm (a v) / |a v| over free pixels v',
      objective: 'the drive u (MEI: max, LEI: min); the same images as the rate, which is increasing in u, but defined where the rate underflows',
      optimiser: { name: o.poles.range ? 'projected gradient: x <- P(x + lr norm s_t g / |g|), P the Euclidean projection onto the constraint set' : 'adam on v', schedule: 'cosine to 0', ...o.poles, restart_0: 'the subunit filter through the aperture (MEI: excitatory cos; LEI: suppressive cos orthogonalised against the excitatory pair seen through the aperture)', others: 'Gaussian noise' },
      below_baseline: `lei_rate <= ${BELOW_BASELINE_FRACTION} x baseline_rate`,
      stationarity: '|x| |t| / max(|u - baseline_drive|, baseline_drive) with t = a (g - lambda x) over the pixels inside the range (plus, on clipped pixels, its part pointing back into the range), g the float64 drive gradient (negated for the LEI), lambda = (g . x) / |x|^2 over the unclipped pixels: the drive change available to first order along the constraint surface, relative; 0 at a constrained optimum',
    },
    population: { dual_fraction: o.dualFraction, calibration_scenes: CALIBRATION_SCENES, ranges: RANGES },
    stimuli: {
      scenes: 'dualneuron render --seed seed --size size, PIL gray',
      contrast_range: o.contrastRange,
      contrast: o.contrastRange ? 'image i = clip(round(m + f_i (g - m)), 0, 255), m its mean, f_i (truth/contrast.npy) log-uniform in contrast_range' : 'as rendered (truth/contrast.npy: all 1)',
    },
    neurons: neuronsOut,
  }, null, 1) + '\n');
  const csvHead = 'neuron,dual,baseline_rate,mei_rate,lei_rate,lei_below_baseline,mei_stationarity,lei_stationarity';
  writeFileAtomic(join(t, 'neurons.csv'), [csvHead, ...neuronsOut.map((r) => [r.id, r.dual ? 1 : 0, r.baseline_rate, r.mei_rate, r.lei_rate, r.lei_below_baseline ? 1 : 0, r.mei_stationarity, r.lei_stationarity].join(','))].join('\n') + '\n');
  writeFileAtomic(join(out, 'dataset.json'), JSON.stringify({
    format: 'dualneuron-recorded', version: 1, images: I, neurons: N, repeats: R, image_shape: [S, S],
    neuron_ids: params.map((p) => p.id), image_ids: Array.from({ length: I }, (_, i) => i),
    response_unit: 'spike_count', window_s: o.window,
    source: `dualneuron simulate --neurons ${N} --images ${I} --repeats ${R} --min-repeats ${o.minRepeats} --size ${S} --window ${o.window} --seed ${o.seed} --dual-fraction ${o.dualFraction} --steps ${o.poles.steps} --restarts ${o.poles.restarts} --lr ${o.poles.lr} --pole-range=${o.poles.range ? o.poles.range.join(',') : 'none'}${o.contrastRange ? ` --contrast-range ${o.contrastRange.join(',')}` : ''}`,
  }, null, 1) + '\n');
  return {
    dual: params.filter((p) => p.dual).length, belowBaseline: below.reduce((s, v) => s + v, 0), meiNorm: cal.norm,
    maxStationarity: [...poles.meiStationarity, ...poles.leiStationarity].reduce((m, v) => Math.max(m, v), 0),
  };
}
