// MEI masks (upstream estimate_mask / get_mean_mask) against the reference of tools/golden/mei_masks.py, made with
// the libraries upstream calls (scipy.ndimage, skimage.morphology, cv2): hulls equal, masks within 1e-5.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { readNpy } from '../../src/io/npy.js';
import { toFloat32, toFloat64 } from '../../src/io/host-array.js';
import { fixture } from '../helpers/fixtures.js';
import { estimateMask, maskHull, meanMask, type PlaneImage } from '../../src/dualneuron/analysis/mei-mask.js';
import { binaryClosing, convexHullImage, label8 } from '../../src/dualneuron/analysis/morphology.js';
import { fixedPointGaussianTaps, gaussianBlurU8 } from '../../src/dualneuron/analysis/cv-blur.js';
import { InputError } from '../../src/errors.js';

const test = suite('analysis: MEI masks vs scipy/skimage/cv2');
const dir = (f: string) => fixture('masks', f);
const TOL = 1e-5;

interface Case { set: 'gray' | 'rgb'; image?: number; z: number; offset?: number; mean_of?: number[]; offset_mean?: number }
const { cases } = JSON.parse(readFileSync(dir('cases.json'), 'utf8')) as { cases: Case[] };

function imagesOf(set: 'gray' | 'rgb'): PlaneImage[] {
  const a = readNpy(dir(`images_${set}.npy`));
  const [N, C, H, W] = a.shape;
  const d = toFloat32(a), per = C * H * W;
  return Array.from({ length: N }, (_, i) => ({ data: d.subarray(i * per, (i + 1) * per), channels: C, height: H, width: W }));
}
const sets = { gray: imagesOf('gray'), rgb: imagesOf('rgb') };

function unpackBits(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 8);
  for (let i = 0; i < out.length; i++) out[i] = (bytes[i >> 3] >> (7 - (i & 7))) & 1;
  return out;
}

test('estimate_mask: hulls equal skimage, masks within 1e-5 of scipy', () => {
  const want = toFloat64(readNpy(dir('estimate.npy')));
  const hulls = unpackBits(readNpy(dir('hull_bits.npy')).data as Uint8Array);
  const est = cases.filter((c) => c.image !== undefined);
  assert.ok(est.length >= 15, 'fixture has the estimate cases');
  for (const c of est) {
    const im = sets[c.set][c.image!];
    const n = im.height * im.width;
    const hull = maskHull(im, c.z);
    let diff = 0;
    for (let i = 0; i < n; i++) if (hull[i] !== hulls[c.offset! + i]) diff++;
    assert.is(diff, 0, `${c.set} image ${c.image} z ${c.z}: ${diff} hull pixels differ`);
    const got = estimateMask(im, c.z);
    let err = 0;
    for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(got[i] - want[c.offset! + i]));
    assert.ok(err < TOL, `${c.set} image ${c.image} z ${c.z}: max |error| ${err}`);
  }
});

test('get_mean_mask within 1e-5 of cv2.GaussianBlur of the uint8 mean', () => {
  const want = toFloat64(readNpy(dir('mean.npy')));
  const means = cases.filter((c) => c.mean_of !== undefined);
  assert.ok(means.length >= 4);
  let total = 0;
  for (const c of means) {
    const ims = c.mean_of!.map((i) => sets[c.set][i]);
    const { mask, masks } = meanMask(ims, c.z);
    assert.is(masks.length, ims.length);
    let err = 0;
    for (let i = 0; i < mask.length; i++) err = Math.max(err, Math.abs(mask[i] - want[c.offset_mean! + i]));
    assert.ok(err < TOL, `${c.set} mean of ${c.mean_of!.join(',')} z ${c.z}: max |error| ${err}`);
    total += mask.length;
  }
  assert.is(total, want.length, 'every mean mask compared');
});

test('OpenCV fixed-point taps and blur by hand', () => {
  // sigma 1, 5 taps: 256 * [0.0545, 0.2442, 0.4026, ...] = 13.95, 62.52 -> error diffusion 14, 62; centre 104
  assert.equal(fixedPointGaussianTaps(5, 1), [14, 62, 104, 62, 14]);
  // one lit pixel in a 5 x 5 plane spreads as the outer product of the taps, rounded from 16 fractional bits
  const x = new Uint8Array(25);
  x[12] = 255;
  const y = gaussianBlurU8(x, 5, 5, 5, 1);
  assert.is(y[12], Math.floor((255 * 104 * 104 + 32768) / 65536));
  // reflect-101: pixel (0, 0) sees the centre at offsets -2 (mirrored) and +2, tap 14 twice on each axis
  assert.is(y[0], Math.floor((255 * 28 * 28 + 32768) / 65536));
  // a lit corner is not repeated by reflect-101 (the edge sample is not mirrored): its neighbour sees it once
  const z = new Uint8Array(25);
  z[0] = 200;
  assert.is(gaussianBlurU8(z, 5, 5, 5, 1)[0], Math.floor((200 * 104 * 104 + 32768) / 65536));
  assert.is(gaussianBlurU8(z, 5, 5, 5, 1)[1], Math.floor((200 * 104 * 62 + 32768) / 65536));
});

test('morphology by hand: closing, 8-connected labels, hull with pixels on its border', () => {
  // closing fills a one-pixel hole and erodes at the border (scipy's border value 0)
  const H = 7, W = 7, m = new Uint8Array(H * W);
  for (let y = 1; y <= 5; y++) for (let x = 1; x <= 5; x++) m[y * W + x] = 1;
  m[3 * W + 3] = 0;
  const c = binaryClosing(m, H, W, 1);
  assert.is(c[3 * W + 3], 1, 'the hole closes');
  assert.is(c.reduce((a, b) => a + b, 0), 25, 'nothing else changes');
  const full = new Uint8Array(9).fill(1);
  assert.is(binaryClosing(full, 3, 3, 1)[0], 0, 'a corner touching the border erodes');
  // diagonal neighbours join in 8-connectivity; labels in raster order of the first pixel
  const d = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1]);
  const { labels, sizes } = label8(d, 4, 4);
  assert.equal(sizes, [0, 2, 3]);
  assert.is(labels[0], 1);
  assert.is(labels[11], 2);
  // pixels (0,0) and (1,2): the hull edge from (0.5, 0) to (1.5, 2) passes through pixel (1,1)'s centre
  const h = new Uint8Array(9);
  h[0] = 1; h[5] = 1;
  const hull = convexHullImage(h, 3, 3);
  assert.is(hull[4], 1, 'a centre on the hull border is inside (skimage includes borders)');
  assert.is(hull[2], 0);
  assert.is(hull[6], 0);
});

test('flat images and empty sets are refused with a clear error', () => {
  const flat: PlaneImage = { data: new Float32Array(16).fill(0.3), channels: 1, height: 4, width: 4 };
  assert.throws(() => estimateMask(flat), (e: unknown) => e instanceof InputError && /flat image/.test((e as Error).message));
  assert.throws(() => meanMask([]), (e: unknown) => e instanceof InputError && /at least one image/.test((e as Error).message));
  assert.throws(() => estimateMask({ data: new Float32Array(32), channels: 2, height: 4, width: 4 }), (e: unknown) => e instanceof InputError);
});

test.run();
