// Small output folders in the formats of `dualneuron poles`, `screen`, `analyze gabor` and `analyze rf`, for the
// tests of the figures that read them (analyze sheet, analyze trajectory).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { writePNG } from '../../src/io/image/index.js';
import { formatCsv } from '../../src/io/csv.js';

export const S = 93, HW = S * S;
const pad = (x: number) => String(x).padStart(4, '0');

/** A deterministic (1, S, S) pattern, distinct per k, values within about +-(0.2 + k / 10). */
export const pattern = (k: number) => Float32Array.from({ length: HW }, (_, i) => (0.2 + k / 10) * Math.sin(i * 0.013 * (k + 1) + k));
/** A trace of `steps + 1` values: rising for MEIs, falling for LEIs, offset by the seed. */
export const trace = (pole: 'most' | 'least', seed: number, steps: number) =>
  Float32Array.from({ length: steps + 1 }, (_, t) => (pole === 'most' ? 1 + 0.3 * t + 0.05 * seed : 0.5 - 0.1 * t - 0.05 * seed) + 0.02 * Math.sin(t));

/** neurons x seeds x poles with image.npy, alpha.npy, activations.npy, done.json (final = the trace's last); optional all-steps frames. */
export function polesFolder(dir: string, neurons: number[], seeds: number[], o: { steps?: number; frames?: boolean } = {}): void {
  const steps = o.steps ?? 6;
  for (const n of neurons) for (const s of seeds) for (const pole of ['most', 'least'] as const) {
    const d = join(dir, `neuron_${pad(n)}`, `seed_${pad(s)}`, pole);
    mkdirSync(d, { recursive: true });
    const k = n * 7 + s * 2 + (pole === 'most' ? 0 : 1);
    const tr = trace(pole, s, steps);
    writeNpy(join(d, 'image.npy'), { dtype: 'f32', shape: [1, S, S], data: pattern(k) });
    writeNpy(join(d, 'alpha.npy'), { dtype: 'f32', shape: [1, S, S], data: Float32Array.from(pattern(k + 50), Math.abs) });
    writeNpy(join(d, 'activations.npy'), { dtype: 'f32', shape: [steps + 1], data: tr });
    if (o.frames) {
      const all = new Float32Array((steps + 1) * HW);
      for (let t = 0; t <= steps; t++) all.set(pattern(k + 100 + t), t * HW);
      writeNpy(join(d, 'images_all_steps.npy'), { dtype: 'f32', shape: [steps + 1, 1, S, S], data: all });
    }
    writeFileSync(join(d, 'done.json'), JSON.stringify({ neuron: n, seed: s, pole, final: tr[steps], initial: tr[0], steps, configHash: 'h', config: { '--model': 'v1' } }));
  }
}

/** A screen of `count` gray PNG images (w x h, default 40 x 30) over units 0..units-1, responses i * (u + 1) ascending. */
export function screenFolder(dir: string, units: number, count: number, size: [number, number] = [40, 30]): string[] {
  mkdirSync(join(dir, 'imgs'), { recursive: true });
  const [w, h] = size;
  const paths = Array.from({ length: count }, (_, i) => {
    const p = join(dir, 'imgs', `im${i}.png`);
    writePNG(p, { width: w, height: h, channels: 1, data: Uint8Array.from({ length: w * h }, (_, j) => (j * (i + 3) + i * 17) % 256) });
    return p;
  });
  writeFileSync(join(dir, 'images.txt'), paths.map((p, i) => `${i}\t${p}\n`).join(''));
  for (const kind of ['responses', 'indices'] as const) mkdirSync(join(dir, `v1_ordered_${kind}`), { recursive: true });
  for (let u = 0; u < units; u++) {
    // image order differs per unit: indices reversed for odd units
    const idx = Array.from({ length: count }, (_, i) => (u % 2 ? count - 1 - i : i));
    writeNpy(join(dir, 'v1_ordered_responses', `${u}.npy`), { dtype: 'f32', shape: [count], data: Float32Array.from({ length: count }, (_, i) => i * (u + 1) - 3) });
    writeNpy(join(dir, 'v1_ordered_indices', `${u}.npy`), { dtype: 'i64', shape: [count], data: BigInt64Array.from(idx, BigInt) });
  }
  writeFileSync(join(dir, 'screen.json'), JSON.stringify({ config: { '--model': 'v1' } }));
  return paths;
}

/** analyze gabor's files for `neurons`: best_gabors.npy (pattern(200 + k)), grid.json, gabors.csv (best_response 2 + k). */
export function gaborFolder(dir: string, neurons: number[]): void {
  mkdirSync(dir, { recursive: true });
  const all = new Float32Array(neurons.length * HW);
  neurons.forEach((_, k) => all.set(pattern(200 + k), k * HW));
  writeNpy(join(dir, 'best_gabors.npy'), { dtype: 'f32', shape: [neurons.length, 1, S, S], data: all });
  writeFileSync(join(dir, 'grid.json'), JSON.stringify({ neurons }));
  writeFileSync(join(dir, 'gabors.csv'), formatCsv(['neuron', 'best_response'], neurons.map((n, k) => [n, 2 + k])));
}

/** analyze rf's files for `neurons`: maps |pattern(300 + k)|, fits centred at (40 + k, 50), readout (41, 49). */
export function rfFolder(dir: string, neurons: number[]): void {
  mkdirSync(dir, { recursive: true });
  const all = new Float32Array(neurons.length * HW);
  neurons.forEach((_, k) => all.set(Float32Array.from(pattern(300 + k), Math.abs), k * HW));
  writeNpy(join(dir, 'rf_maps.npy'), { dtype: 'f32', shape: [neurons.length, S, S], data: all });
  writeNpy(join(dir, 'neurons.npy'), { dtype: 'i64', shape: [neurons.length], data: BigInt64Array.from(neurons, BigInt) });
  writeFileSync(join(dir, 'rf.csv'), formatCsv(['neuron', 'rf_x', 'rf_y', 'sigma_major', 'sigma_minor', 'angle_deg', 'readout_x', 'readout_y'],
    neurons.map((n, k) => [n, 40 + k, 50, 6, 3, 30, 41, 49])));
}
