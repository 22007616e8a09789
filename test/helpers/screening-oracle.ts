// Host oracles for the evolution spaces' screening preprocessing (evolve/twin-transform.ts): smooth test images and
// the host's own PIL-exact crop and resize run in double precision (32-bit integer 'I' images of v * 2^20; PIL rounds
// that mode to integers after each pass, so the result is the exact float result within ~1e-6), then PIL 'L' grey
// and the ImageNet normalisation in float64. See test/dualneuron/evolve-twin-transform.test.ts.
import * as assert from 'uvu/assert';
import { seededValues } from './backends.js';
import { centerCropPIL, resizeBilinearPIL } from '../../src/io/image/resize.js';
import type { RawImage } from '../../src/io/image/types.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../../src/dualneuron/input/pipeline.js';
import { PIL_LUMA, type ScreeningSpec } from '../../src/dualneuron/evolve/twin-transform.js';

/** B smooth RGB images (B, 3, n, n) in [0, 1]: per channel a sum of 5 seeded plane waves (periods 5-40 px), slightly clipped. */
export function smoothImages(B: number, n: number, seed: number): Float64Array {
  const out = new Float64Array(B * 3 * n * n);
  for (let p = 0; p < B * 3; p++) {
    const r = seededValues(20, seed * 97 + p + 1);
    const waves = Array.from({ length: 5 }, (_, k) => {
      const period = 5 + 35 * (0.5 + 0.5 * r[4 * k]), theta = Math.PI * r[4 * k + 1];
      return { kx: (2 * Math.PI / period) * Math.cos(theta), ky: (2 * Math.PI / period) * Math.sin(theta), ph: Math.PI * r[4 * k + 2], a: 0.5 + 0.5 * Math.abs(r[4 * k + 3]) };
    });
    const norm = waves.reduce((s, w) => s + w.a, 0);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let v = 0;
        for (const w of waves) v += w.a * Math.sin(w.kx * x + w.ky * y + w.ph);
        out[p * n * n + y * n + x] = Math.min(1, Math.max(0, 0.5 + 0.6 * v / norm));
      }
    }
  }
  return out;
}

/** Host crop + resize of each channel as an 'I' image of round(v * 2^20), then grey and normalisation in float64. */
export function hostReference(imgs: ArrayLike<number>, B: number, n: number, sc: ScreeningSpec): Float64Array {
  const SCALE = 2 ** 20, C = sc.gray ? 1 : 3, hw = sc.size * sc.size;
  const out = new Float64Array(B * C * hw);
  for (let b = 0; b < B; b++) {
    const chans: Float64Array[] = [];
    for (let c = 0; c < 3; c++) {
      const data = new Int32Array(n * n);
      for (let i = 0; i < n * n; i++) data[i] = Math.round(imgs[(b * 3 + c) * n * n + i] * SCALE);
      let im: RawImage = { width: n, height: n, mode: 'I', data };
      im = centerCropPIL(im, sc.crop);
      if (im.width !== sc.size) im = resizeBilinearPIL(im, sc.size, sc.size);
      chans.push(Float64Array.from(im.data as Int32Array, (v) => v / SCALE));
    }
    for (let i = 0; i < hw; i++) {
      if (sc.gray) {
        const g = PIL_LUMA[0] * chans[0][i] + PIL_LUMA[1] * chans[1][i] + PIL_LUMA[2] * chans[2][i];
        out[b * hw + i] = (g - 0.449) / 0.226;
      } else {
        for (let c = 0; c < 3; c++) out[(b * 3 + c) * hw + i] = (chans[c][i] - IMAGENET_MEAN[c]) / IMAGENET_STD[c];
      }
    }
  }
  return out;
}

/** max over elements of |got - want| after undoing the normalisation (so in [0, 1] image units) */
export function maxDiffUnits(got: ArrayLike<number>, want: ArrayLike<number>, B: number, sc: ScreeningSpec): number {
  const C = sc.gray ? 1 : 3, hw = sc.size * sc.size;
  assert.is(got.length, B * C * hw, 'output length');
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const c = Math.floor(i / hw) % C, std = sc.gray ? 0.226 : IMAGENET_STD[c];
    worst = Math.max(worst, Math.abs(got[i] - want[i]) * std);
  }
  return worst;
}

