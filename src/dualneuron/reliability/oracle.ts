// Reliability of recorded neurons over repeated presentations of the same images, in float64 on the host.
//
// Input: one neuron's responses grouped by image (`RepeatGroups`: for each image the values of the repeats that
// were recorded, NaN entries already dropped; uneven repeats are normal). Definitions (docs in the README section
// "Recorded data and oracle reliability"; tools/golden/oracle_reference.py implements them independently):
//
// - oracle (jackknife oracle correlation; Walker et al. 2019, neuralpredictors' oracle): over every image with
//   n >= 2 repeats and every repeat j, pair the response x_j with the mean of the other repeats
//   (S - x_j) / (n - 1); the Pearson correlation of all pairs, pooled over images and repeats.
// - super_oracle (the Allen notebook's `super_oracle`): per image with n >= 2 repeats draw one repeat at random,
//   pair it with the mean of the others; Pearson correlation over those images, multiplied by
//   (images used / all images of the data set): the notebook's penalty for neurons with few repeated images.
// - average_super_oracle: the notebook's `average_super_oracle`, the mean of super_oracle over `iterations`
//   independent draws (the notebook ran 50). Draws are seeded and counter-based (below), so a value does not
//   depend on the order neurons are processed in.
// - explainable variance fraction (Cadena et al. 2019): (total variance - noise variance) / total variance, with
//   total = variance (ddof 1) of every response on images with >= 2 repeats and noise = mean over those images
//   of the variance (ddof 1) of their repeats.
// - variance (the notebook's `Variance`, used for selection): variance (ddof 1) over images of the mean response
//   per image, over every image the neuron has a response to.
//
// A measure that is not defined (too few repeated images, constant responses) is null with a reason; it is never
// NaN. Where the notebook got NaN from a constant draw inside average_super_oracle (and NaN for the average), we
// average the iterations whose correlation is defined and report how many there were.
import { philox4x32, seedWords } from '../../tensor/random.js';

/** For one neuron: per image (in data-set order), the recorded repeat values (no NaN). */
export type RepeatGroups = readonly (readonly number[])[];

/** Pearson correlation in float64 (two-pass); null when either side is constant or fewer than 2 pairs. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = x.length;
  if (n < 2 || y.length !== n) return null;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += x[i]!; my += y[i]!; }
  mx /= n; my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx, dy = y[i]! - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  if (!(sxx > 0) || !(syy > 0)) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const v of xs) s += v;
  return s;
}

/** Sample variance (ddof 1); null for fewer than 2 values. */
export function variance1(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = sum(xs) / xs.length;
  let ss = 0;
  for (const v of xs) ss += (v - m) * (v - m);
  return ss / (xs.length - 1);
}

/** Jackknife oracle correlation (see the header). */
export function jackknifeOracle(groups: RepeatGroups): number | null {
  const x: number[] = [], loo: number[] = [];
  for (const g of groups) {
    const n = g.length;
    if (n < 2) continue;
    const s = sum(g);
    for (const v of g) { x.push(v); loo.push((s - v) / (n - 1)); }
  }
  return pearson(x, loo);
}

/** Which repeat (0..count-1) the super oracle draws for (iteration, neuron, image): Philox4x32-10 of the counter
 * [image, neuron, iteration, 0x0AC1E] under the seed's key, 53 bits of the first two words -> uniform u in [0, 1),
 * index floor(u * count). Counter-based, so any subset of neurons or iterations draws the same repeats. */
export function superOracleDraw(seed: bigint, iteration: number, neuron: number, image: number, count: number): number {
  const w = philox4x32([image >>> 0, neuron >>> 0, iteration >>> 0, 0x0ac1e], seedWords(seed));
  const u = ((w[0] >>> 5) * 67108864 + (w[1] >>> 6)) / 9007199254740992;
  return Math.floor(u * count);
}

/** One super_oracle draw (iteration `iteration` for neuron index `neuron`), as the notebook's `super_oracle`. */
export function superOracle(groups: RepeatGroups, totalImages: number, seed: bigint, iteration: number, neuron: number): number | null {
  const x: number[] = [], loo: number[] = [];
  groups.forEach((g, image) => {
    const n = g.length;
    if (n < 2) return;
    const k = superOracleDraw(seed, iteration, neuron, image, n);
    x.push(g[k]!);
    loo.push((sum(g) - g[k]!) / (n - 1));
  });
  const r = pearson(x, loo);
  return r === null ? null : r * (x.length / totalImages);
}

export interface AverageSuperOracle {
  /** the first draw (iteration 0): the notebook's single `super_oracle` */
  first: number | null;
  /** mean over the iterations whose correlation is defined */
  average: number | null;
  /** how many iterations were defined */
  defined: number;
}

export function averageSuperOracle(groups: RepeatGroups, totalImages: number, seed: bigint, iterations: number, neuron: number): AverageSuperOracle {
  let s = 0, defined = 0, first: number | null = null;
  for (let t = 0; t < iterations; t++) {
    const r = superOracle(groups, totalImages, seed, t, neuron);
    if (t === 0) first = r;
    if (r !== null) { s += r; defined++; }
  }
  return { first, average: defined > 0 ? s / defined : null, defined };
}

/** Fraction of explainable variance (see the header); null without 2 repeated images or with zero total variance. */
export function explainableVarianceFraction(groups: RepeatGroups): number | null {
  const all: number[] = [];
  let noise = 0, images = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    all.push(...g);
    noise += variance1(g as number[])!;
    images++;
  }
  if (images < 2) return null;
  const total = variance1(all);
  if (total === null || !(total > 0)) return null;
  return (total - noise / images) / total;
}

/** The notebook's `Variance`: variance (ddof 1) over images of each image's mean response. */
export function meanResponseVariance(groups: RepeatGroups): number | null {
  const means = groups.filter((g) => g.length > 0).map((g) => sum(g as number[]) / g.length);
  return variance1(means);
}
