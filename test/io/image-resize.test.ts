// Pillow-exact resize (every mode) and torchvision CenterCrop / Resize(int) geometry, against PIL outputs recorded
// by tools/golden/image_fixtures.py. The resize inputs are regenerated here with the generator's integer hash.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { bilinearCoeffs, centerCropPIL, nearestIndices, resizeBilinearPIL, resizeShortSide } from '../../src/io/image/resize.js';
import { defaultPalette, type ImageMode, type RawImage } from '../../src/io/image/types.js';
import { fixture } from '../helpers/fixtures.js';

interface ResizeCase {
  mode: ImageMode; seed: number; smooth: boolean; in: [number, number]; out: [number, number];
  hash: number; sum: number; first: number[];
}
interface CropCase { in: [number, number]; crop: number; outFirst: [number, number]; srcFirst: [number, number]; nonzero: number }
const manifest = JSON.parse(readFileSync(join(fixture('images'), 'manifest.json'), 'utf8')) as {
  resizeCases: ResizeCase[]; cropCases: CropCase[];
};

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}

/** tools/golden/image_fixtures.py `hash_image`: noise in 0..255, optionally blended with a ramp. */
function hashImage(w: number, h: number, c: number, seed: number, smooth: boolean): Int32Array {
  const out = new Int32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        let v = (Math.imul(x, 73856093) ^ Math.imul(y, 19349663) ^ Math.imul(k, 83492791) ^ Math.imul(seed, 2654435761 | 0)) >>> 0;
        v = Math.imul(v ^ (v >>> 13), 1274126177) >>> 0;
        v = (v ^ (v >>> 16)) >>> 0;
        const noise = v >>> 24;
        let s = noise;
        if (smooth) {
          const ramp = (Math.floor((x * 255) / Math.max(w - 1, 1)) + Math.floor((y * 127) / Math.max(h - 1, 1))) % 256;
          s = Math.floor((ramp * 3 + noise) / 4);
        }
        out[(y * w + x) * c + k] = s;
      }
    }
  }
  return out;
}

/** The PIL input image of a resize case, built exactly as the generator builds it. */
function caseImage(rc: ResizeCase): RawImage {
  const [w, h] = rc.in;
  const n = w * h;
  switch (rc.mode) {
    case 'I': {
      const v = hashImage(w, h, 1, rc.seed, rc.smooth);
      return { width: w, height: h, mode: 'I', data: v.map((x) => (x * 257 + (x % 7) * 31) % 700) };
    }
    case '1': {
      const v = hashImage(w, h, 1, rc.seed, rc.smooth);
      return { width: w, height: h, mode: '1', data: Uint8Array.from(v, (x) => (x > 127 ? 255 : 0)) };
    }
    case 'P':
      return { width: w, height: h, mode: 'P', data: Uint8Array.from(hashImage(w, h, 1, rc.seed, rc.smooth)), palette: defaultPalette() };
    default: {
      const c = { L: 1, RGB: 3, RGBA: 4, LA: 2 }[rc.mode as 'L' | 'RGB' | 'RGBA' | 'LA'];
      const data = Uint8Array.from(hashImage(w, h, c, rc.seed, rc.smooth));
      if (rc.mode === 'RGBA' || rc.mode === 'LA') {
        for (let i = 0; i < n; i++) {
          const a = data[i * c + c - 1]!;
          data[i * c + c - 1] = a < 40 ? 0 : a > 215 ? 255 : a;
        }
      }
      return { width: w, height: h, mode: rc.mode, data };
    }
  }
}

const Resize = test;

for (const rc of manifest.resizeCases) {
  Resize(`PIL resize ${rc.mode} ${rc.in.join('x')} -> ${rc.out.join('x')} (seed ${rc.seed})`, () => {
    const out = resizeBilinearPIL(caseImage(rc), rc.out[0], rc.out[1]);
    assert.is(out.mode, rc.mode);
    assert.is(out.width, rc.out[0]);
    assert.is(out.height, rc.out[1]);
    const bytes = rc.mode === 'I' ? new Uint8Array(new Int32Array(out.data).buffer) : (out.data as Uint8Array);
    let sum = 0;
    for (let i = 0; i < out.data.length; i++) sum += out.data[i]!;
    assert.equal(Array.from(out.data.subarray(0, rc.first.length)), rc.first, 'first samples');
    assert.is(sum, rc.sum, 'sum of samples');
    assert.is(fnv1a(bytes), rc.hash, 'hash of samples');
  });
}

for (const cc of manifest.cropCases) {
  Resize(`CenterCrop(${cc.crop}) of ${cc.in.join('x')} like torchvision`, () => {
    const [w, h] = cc.in;
    // Each pixel holds its index + 1, so the output shows which source pixel went where (0 = padding).
    const img: RawImage = { width: w, height: h, mode: 'I', data: Int32Array.from({ length: w * h }, (_, i) => i + 1) };
    const out = centerCropPIL(img, cc.crop);
    assert.is(out.width, cc.crop);
    assert.is(out.height, cc.crop);
    let nonzero = 0, first = -1;
    for (let i = 0; i < out.data.length; i++) {
      if (out.data[i] !== 0) { nonzero++; if (first < 0) first = i; }
    }
    assert.is(nonzero, cc.nonzero);
    assert.equal([first % cc.crop, Math.floor(first / cc.crop)], cc.outFirst, 'position of the first image pixel');
    const src = out.data[first]! - 1;
    assert.equal([src % w, Math.floor(src / w)], cc.srcFirst, 'source of the first image pixel');
  });
}

Resize('CenterCrop pads palette images with index 0 and RGBA with transparent black', () => {
  const pal = defaultPalette();
  pal.set([9, 8, 7], 0);
  const p = centerCropPIL({ width: 1, height: 1, mode: 'P', data: new Uint8Array([5]), palette: pal }, 3);
  assert.equal(Array.from(p.data), [0, 0, 0, 0, 5, 0, 0, 0, 0]);
  assert.is(p.palette, pal);
  const rgba = centerCropPIL({ width: 1, height: 1, mode: 'RGBA', data: new Uint8Array([1, 2, 3, 4]) }, [1, 2]);
  assert.equal(Array.from(rgba.data), [1, 2, 3, 4, 0, 0, 0, 0]); // [h, w] = [1, 2]: left pad (2-1)//2 = 0, right 1
});

Resize('Resize(256) output sizes follow torchvision (int(256 * long / short))', () => {
  const sizes: [number, number, number, number][] = [
    [500, 375, 341, 256], [375, 500, 256, 341], [300, 200, 384, 256], [120, 500, 256, 1066], [37, 53, 256, 366],
    [256, 256, 256, 256], [333, 256, 333, 256], [1, 3, 256, 768], [641, 427, 384, 256],
  ];
  for (const [w, h, ow, oh] of sizes) {
    const img: RawImage = { width: w, height: h, mode: 'L', data: new Uint8Array(w * h) };
    const out = resizeShortSide(img, 256);
    assert.equal([out.width, out.height], [ow, oh], `${w}x${h}`);
    if (ow === w && oh === h) assert.is(out, img, 'unchanged size returns the image itself');
  }
});

Resize('bilinear coefficients are normalised; NEAREST indices stay in range', () => {
  for (const [i, o] of [[7, 3], [3, 7], [500, 93], [93, 500], [256, 256], [1, 5], [5, 1]] as const) {
    const c = bilinearCoeffs(i, o);
    for (let k = 0; k < o; k++) {
      let s = 0;
      for (let j = 0; j < c.count[k]!; j++) s += c.weights[k * c.kmax + j]!;
      assert.ok(Math.abs(s - 1) < 1e-12, `${i}->${o}: weights of ${k} sum to ${s}`);
      assert.ok(c.start[k]! >= 0 && c.start[k]! + c.count[k]! <= i);
    }
    for (const v of nearestIndices(i, o)) assert.ok(v >= 0 && v < i);
  }
});

Resize('resize keeps the input untouched and rejects bad sizes', () => {
  const img: RawImage = { width: 2, height: 2, mode: 'RGBA', data: new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80, 1, 2, 3, 0, 4, 5, 6, 255]) };
  const copy = img.data.slice();
  const same = resizeBilinearPIL(img, 2, 2);
  assert.equal(Array.from(same.data), Array.from(copy));
  assert.is.not(same.data, img.data);
  resizeBilinearPIL(img, 5, 1);
  assert.equal(Array.from(img.data), Array.from(copy));
  assert.throws(() => resizeBilinearPIL(img, 0, 3), (e: unknown) => e instanceof InputError);
  assert.throws(() => centerCropPIL(img, 1.5), (e: unknown) => e instanceof InputError);
  assert.throws(() => resizeBilinearPIL({ ...img, data: new Uint8Array(3) }, 3, 3), (e: unknown) => e instanceof InputError);
});

Resize.run();
