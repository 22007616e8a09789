// Poisson spike counts of the simulated population. Each neuron draws from its own Philox stream (seed,
// neuron), in the order repeat-major then image, so neuron n's counts do not depend on the population size;
// the number of repeats of each image (uneven repeats) comes from a stream of its own.
import { deriveSeed } from '../../tensor/random.js';
import { InputError } from '../../errors.js';
import { HostRng } from '../render/rng.js';
import { STREAM } from './params.js';

/** Means above this are split into a sum of independent Poisson draws (exp(-mean) stays far from underflow). */
const CHUNK = 200;

/**
 * One Poisson(mean) draw by inversion of the CDF (one uniform per CHUNK of the mean): exact up to float64
 * rounding of the probabilities.
 */
export function poisson(rng: HostRng, mean: number): number {
  if (!(mean >= 0) || !Number.isFinite(mean)) throw new InputError(`Poisson mean must be a finite number >= 0, got ${mean}`);
  let total = 0;
  for (let left = mean; left > 0; left -= CHUNK) {
    const m = Math.min(left, CHUNK);
    const u = rng.uniform();
    let k = 0, p = Math.exp(-m), cdf = p;
    while (u >= cdf) {
      k++;
      p *= m / k;
      cdf += p;
      if (p === 0 && cdf < u) break; // only float rounding can get here (cdf short of 1 by ~1e-16)
    }
    total += k;
  }
  return total;
}

/** Repeats of each image: R when minRepeats = R, else uniform in minRepeats..R. */
export function repeatsPerImage(seed: bigint, images: number, repeats: number, minRepeats: number): Int32Array {
  const out = new Int32Array(images).fill(repeats);
  if (minRepeats >= repeats) return out;
  const rng = new HostRng(deriveSeed(seed, STREAM.repeats));
  for (let i = 0; i < images; i++) out[i] = rng.int(minRepeats, repeats + 1);
  return out;
}

/**
 * Spike counts (R, I, N) as float32, NaN where an image has fewer than R repeats, from rates (I, N) in spikes/s
 * over a window of `window` s; repeatCounts[i] <= R.
 */
export function spikeCounts(seed: bigint, rates: Float64Array, images: number, neurons: number, repeatCounts: Int32Array, R: number, window: number): Float32Array {
  const out = new Float32Array(R * images * neurons).fill(NaN);
  for (let n = 0; n < neurons; n++) {
    const rng = new HostRng(deriveSeed(seed, STREAM.spikes, n));
    for (let r = 0; r < R; r++) for (let i = 0; i < images; i++) {
      if (r >= repeatCounts[i]) continue;
      out[(r * images + i) * neurons + n] = poisson(rng, rates[i * neurons + n] * window);
    }
  }
  return out;
}
