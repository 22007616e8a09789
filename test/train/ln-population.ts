// A known linear-nonlinear population for training tests, written as a DATA folder: I random smooth gray images
// of h x w; neuron n has a Gabor filter g_n (its own position, orientation and phase) and rate
// softplus(a * <g_n, x> + b) spikes; responses are Poisson counts over R repeats (some repeats missing as NaN).
// The true rates are returned, so a test knows the best correlation a twin can reach.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';

export interface LnPopulation { dir: string; rates: Float64Array; images: number; neurons: number }

function poisson(rng: HostRng, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0, p = 1;
  for (;;) { p *= rng.uniform(); if (p <= l) return k; k++; }
}

export function writeLnPopulation(dir: string, o: { images: number; neurons: number; repeats: number; h: number; w: number; seed: bigint; missing?: number }): LnPopulation {
  const { images: I, neurons: N, repeats: R, h, w } = o;
  const rng = new HostRng(o.seed);
  // images: white noise blurred by a 3x3 box, rescaled to 0..255
  const imgs = new Uint8Array(I * h * w);
  const z = new Float64Array(h * w);
  const pix = new Float64Array(I * h * w);
  for (let i = 0; i < I; i++) {
    for (let p = 0; p < h * w; p++) z[p] = rng.normal();
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0, c = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) { s += z[yy * w + xx]!; c++; }
      }
      const v = Math.max(0, Math.min(255, Math.round(128 + 90 * (s / c))));
      imgs[(i * h + y) * w + x] = v;
      pix[(i * h + y) * w + x] = v / 255 - 0.5;
    }
  }
  const rates = new Float64Array(I * N);
  for (let n = 0; n < N; n++) {
    const cy = rng.range(h * 0.3, h * 0.7), cx = rng.range(w * 0.3, w * 0.7), th = rng.range(0, Math.PI), ph = rng.range(0, 2 * Math.PI);
    const sigma = 2.5, f = 0.25;
    const g = new Float64Array(h * w);
    let norm = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const dy = y - cy, dx = x - cx, u = dx * Math.cos(th) + dy * Math.sin(th);
      const v = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) * Math.cos(2 * Math.PI * f * u + ph);
      g[y * w + x] = v; norm += v * v;
    }
    norm = Math.sqrt(norm);
    const drive = new Float64Array(I);
    for (let i = 0; i < I; i++) { let s = 0; for (let p = 0; p < h * w; p++) s += g[p]! * pix[i * h * w + p]!; drive[i] = s / norm; }
    let sd = 0; for (const d of drive) sd += d * d; sd = Math.sqrt(sd / I);
    for (let i = 0; i < I; i++) rates[i * N + n] = Math.log1p(Math.exp(2.5 * drive[i]! / sd - 0.5)) * 3;
  }
  const resp = new Float32Array(R * I * N);
  for (let r = 0; r < R; r++) for (let i = 0; i < I; i++) for (let n = 0; n < N; n++) {
    resp[(r * I + i) * N + n] = r > 0 && o.missing && rng.uniform() < o.missing ? NaN : poisson(rng, rates[i * N + n]!);
  }
  mkdirSync(dir, { recursive: true });
  writeNpy(join(dir, 'responses.npy'), { dtype: 'f32', shape: [R, I, N], data: resp });
  writeNpy(join(dir, 'images.npy'), { dtype: 'u8', shape: [I, h, w], data: imgs });
  writeFileSync(join(dir, 'dataset.json'), JSON.stringify({
    format: 'dualneuron-recorded', version: 1, images: I, neurons: N, repeats: R, image_shape: [h, w],
    neuron_ids: Array.from({ length: N }, (_, n) => `n${n}`), image_ids: Array.from({ length: I }, (_, i) => i),
    response_unit: 'spike_count', window_s: null, source: 'test/train/ln-population.ts',
  }));
  return { dir, rates, images: I, neurons: N };
}
