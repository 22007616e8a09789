// The twin's screening preprocessing as tensor ops (evolve/twin-transform.ts) against the host screening path
// (src/io/image: PIL-exact centre crop and bilinear resize; src/dualneuron/input/pipeline.ts), for the V1 (gray, crop
// 167 -> 93) and V4 (RGB, crop 236 -> 100) geometries of 256 x 256 generator images, and a crop larger than the image
// (zero padding).
//
// Oracle 1, tight: the host's own crop and resize run on 32-bit integer ('I' mode) images holding v * 2^20. PIL
// resamples that mode with double weights and rounds to integers after each pass, so the host result is the exact
// float result within 2 x 0.5 / 2^20 ~ 1e-6; grey (PIL 'L' weights) and the ImageNet normalisation are applied on
// the host in float64. Tolerance 5e-6 in [0, 1] units: the rounding plus float32 matmuls (sums of < 256 terms).
//
// Oracle 2, the brief's end-to-end check: uint8 images through imageToInput (preset rendered: the exact code path of
// `screen`) against the tensor path plus finishForTwin on the same uint8 / 255 values. They differ only by the host's
// roundings, which we bound: each resize pass rounds to uint8 (error <= 1/2 level) with 22-bit fixed-point weights
// (error <= 255 * taps * 2^-23 <= 2.2e-4 levels for <= 7 taps); the vertical pass carries the horizontal error with
// weights summing to 1. So RGB: <= 1 + 3 * 2.2e-4 levels; gray adds convert('L')'s rounding (1/2 level) after
// weights summing to 1: <= 1.5 + 7e-4 levels. We allow (1 + 1e-3) / 255 and (1.5 + 1e-3) / 255 per pixel before
// normalisation (1e-3 covers the fixed-point terms and float32). After the aperture and the norm, the images are
// compared in L2 with the bound ||x/|x| - y/|y||| <= 2 ||x - y|| / |x| applied to the masked, normalised images.
// Gradients: the float64 CPU backend's VJP against central finite differences, WebGPU against the CPU.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, type Backend } from '../../src/tensor/index.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { gpu } from '../helpers/backends.js';
import { TWINS, type TwinSpec } from '../../src/models/twins/registry.js';
import type { RawImage } from '../../src/io/image/types.js';
import { imageToInput, makePipeline, toUint8, IMAGENET_MEAN, IMAGENET_STD } from '../../src/dualneuron/input/pipeline.js';
import { TwinTransform, centerCropStart, cropResizeMatrix, type ScreeningSpec } from '../../src/dualneuron/evolve/twin-transform.js';
import { hostReference, maxDiffUnits, smoothImages } from '../helpers/screening-oracle.js';
import { finishForTwin } from '../../src/dualneuron/evolve/spaces.js';
import { InputError, ShapeError } from '../../src/errors.js';

const test = suite('evolve twin transform vs the host screening preprocessing');
const S = 256;

const GEOMETRIES: [string, ScreeningSpec][] = [['V1 (gray, 167 -> 93)', TWINS.v1.screening], ['V4 (RGB, 236 -> 100)', TWINS.v4.screening]];

test('centre crop offsets are torchvision CenterCrop on PIL images (Python round, halves to even; padding)', () => {
  assert.is(centerCropStart(256, 167), 44); // (256 - 167) / 2 = 44.5 -> 44
  assert.is(centerCropStart(256, 236), 10);
  assert.is(centerCropStart(255, 166), 44); // 44.5 -> 44
  assert.is(centerCropStart(257, 166), 46); // 45.5 -> 46
  assert.is(centerCropStart(100, 121), -10); // padded 10 before, 11 after
  // each row of the crop + resize matrix holds PIL's weights, which sum to 1
  const m = cropResizeMatrix(256, 167, 93);
  for (let i = 0; i < 93; i++) {
    let s = 0;
    for (let j = 0; j < 256; j++) { s += m[i * 256 + j]; if (m[i * 256 + j] !== 0) assert.ok(j >= 44 && j < 44 + 167, `row ${i} reads column ${j} outside the crop`); }
    assert.ok(Math.abs(s - 1) < 1e-12, `row ${i} sums to ${s}`);
  }
  assert.throws(() => cropResizeMatrix(256, 0, 93), (e: unknown) => e instanceof InputError && /crop must be a positive integer/.test((e as Error).message));
});

for (const [label, sc] of GEOMETRIES) {
  test(`${label}: tensor path equals the host's crop and resize in double precision within 5e-6`, async () => {
    const b = await gpu(), B = 2;
    const imgs = smoothImages(B, S, 1);
    const tf = TwinTransform.create(sc, S, b);
    const x = Tensor.from(imgs, [B, 3, S, S], { backend: b });
    const y = tf.apply(x);
    assert.equal([...y.shape], [B, sc.gray ? 1 : 3, sc.size, sc.size]);
    const err = maxDiffUnits(await y.dataF32(), hostReference(imgs, B, S, sc), B, sc);
    assert.ok(err <= 5e-6, `max difference ${err} (image units)`);
    x.dispose(); y.dispose(); tf.dispose();
  });
}

test('crop larger than the image (zero padding) and crop without resize equal the host path within 5e-6', async () => {
  const b = await gpu(), n = 100;
  const imgs = smoothImages(1, n, 2);
  for (const sc of [{ crop: 121, size: 50, gray: true }, { crop: 64, size: 64, gray: false }]) {
    const tf = TwinTransform.create(sc, n, b);
    const x = Tensor.from(imgs, [1, 3, n, n], { backend: b });
    const y = tf.apply(x);
    const err = maxDiffUnits(await y.dataF32(), hostReference(imgs, 1, n, sc), 1, sc);
    assert.ok(err <= 5e-6, `crop ${sc.crop} size ${sc.size}: max difference ${err}`);
    x.dispose(); y.dispose(); tf.dispose();
  }
});

/** a smooth aperture in [0, 1] (a Gaussian bump off centre), as the twins' masks are */
function aperture(size: number): Float32Array {
  const a = new Float32Array(size * size), c = size * 0.45, s = size * 0.2;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) a[y * size + x] = Math.exp(-((x - c) ** 2 + (y - c * 1.1) ** 2) / (2 * s * s));
  return a;
}

for (const [label, sc] of GEOMETRIES) {
  test(`${label}: uint8 images through imageToInput (preset rendered) vs tensor path + finishForTwin, within the host's rounding`, async () => {
    const b = await gpu(), B = 3;
    const spec: TwinSpec = sc.gray ? TWINS.v1 : TWINS.v4;
    const C = sc.gray ? 1 : 3, hw = sc.size * sc.size;
    const mask = aperture(sc.size);
    const pipe = makePipeline(spec, { dtype: 'f32', shape: [sc.size, sc.size], data: mask }, 'rendered');
    const u8 = Uint8Array.from(smoothImages(B, S, 3), (v) => Math.round(v * 255));
    const tf = TwinTransform.create(sc, S, b);
    const x = Tensor.from(Float32Array.from(u8, (v) => v / 255), [B, 3, S, S], { backend: b });
    const pre = tf.apply(x);
    const ap = Tensor.from(pipe.aperture, [1, 1, sc.size, sc.size], { backend: b });
    const fin = finishForTwin(pre, ap, pipe.norm);
    const [preV, finV] = [await pre.dataF32(), await fin.dataF32()];
    const tolLevels = sc.gray ? 1.5 + 1e-3 : 1 + 1e-3;
    let worstLevels = 0;
    for (let k = 0; k < B; k++) {
      const hwc = new Uint8Array(S * S * 3);
      for (let c = 0; c < 3; c++) for (let i = 0; i < S * S; i++) hwc[i * 3 + c] = u8[(k * 3 + c) * S * S + i];
      const img: RawImage = { width: S, height: S, mode: 'RGB', data: hwc };
      const hostU8 = toUint8(pipe, img); // (size, size, C) after crop, resize (and grey): uint8
      const hostIn = imageToInput(pipe, img); // the full host path: what `screen --preset rendered` feeds the twin
      // before normalisation: per pixel within the host's rounding
      const d = new Float64Array(C * hw), u = new Float64Array(C * hw);
      for (let c = 0; c < C; c++) {
        const mean = sc.gray ? 0.449 : IMAGENET_MEAN[c], std = sc.gray ? 0.226 : IMAGENET_STD[c];
        for (let i = 0; i < hw; i++) {
          const h = hostU8[i * C + c] / 255, t = preV[k * C * hw + c * hw + i] * std + mean;
          worstLevels = Math.max(worstLevels, Math.abs(h - t) * 255);
          d[c * hw + i] = pipe.aperture[i] * (h - t) / std;
          u[c * hw + i] = pipe.aperture[i] * (h - mean) / std;
        }
      }
      // after the aperture and the norm: ||x_host - x_tensor|| <= norm * 2 ||a (h - t) / s|| / ||a (h - m) / s|| (+ float32)
      const l2 = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, z) => s + z * z, 0));
      const diff = new Float64Array(C * hw);
      for (let i = 0; i < C * hw; i++) diff[i] = hostIn[i] - finV[k * C * hw + i];
      const bound = pipe.norm * (2 * l2(d) / l2(u) + 1e-5);
      assert.ok(l2(diff) <= bound, `image ${k}: ||host - tensor|| = ${l2(diff)} > ${bound}`);
      assert.ok(l2(diff) < 0.02 * pipe.norm, `image ${k}: ||host - tensor|| = ${l2(diff)} is not small against the norm ${pipe.norm}`);
    }
    assert.ok(worstLevels <= tolLevels, `largest difference before normalisation ${worstLevels} levels > ${tolLevels}`);
    for (const t of [x, pre, ap, fin]) t.dispose();
    tf.dispose();
  });
}

test('gradients to the images: float64 CPU VJP against central finite differences, WebGPU against the CPU (gray and RGB)', async () => {
  const b = await gpu();
  for (const sc of [{ crop: 11, size: 7, gray: true }, { crop: 13, size: 13, gray: false }, { crop: 18, size: 9, gray: false }]) {
    const tfs = new Map<Backend, TwinTransform>();
    const f = (x: Tensor) => {
      if (!tfs.has(x.backend)) tfs.set(x.backend, TwinTransform.create(sc, 16, x.backend));
      return tfs.get(x.backend)!.apply(x);
    };
    await gradcheck(`twin transform crop ${sc.crop} size ${sc.size}${sc.gray ? ' gray' : ''}`, f, [{ shape: [2, 3, 16, 16], lo: 0, hi: 1 }], b);
    for (const t of tfs.values()) t.dispose();
  }
});

test('wrong image shapes are refused', async () => {
  const b = await gpu();
  const tf = TwinTransform.create(TWINS.v1.screening, 64, b);
  const x = Tensor.from(new Float32Array(2 * 64 * 64), [1, 2, 64, 64], { backend: b });
  assert.throws(() => tf.apply(x), (e: unknown) => e instanceof ShapeError && /\(B, 3, 64, 64\)/.test((e as Error).message));
  x.dispose(); tf.dispose();
});

test.run();
