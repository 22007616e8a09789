// The upstream screening preprocessing (EnsureRGB + Resize(256) for ImageNet, CenterCrop, Resize((s, s)),
// Grayscale) for the v1 and v4 presets, bit-exact against torchvision/PIL outputs for PNG and JPEG inputs
// (tools/golden/image_fixtures.py); ToTensor; PNG encoding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { decodeImage, readImage } from '../../src/io/image/decode.js';
import { encodePNG, writePNG } from '../../src/io/image/encode.js';
import {
  DATASET_PRESETS, MODEL_PRESETS, preprocessImage, preprocessToUint8, toFloatCHW,
} from '../../src/io/image/preprocess.js';
import { fixture } from '../helpers/fixtures.js';

interface Expected { file: string; width: number; height: number; mode: 'L' | 'RGB' }
interface ImageItem { name: string; file: string; kind: 'png' | 'jpeg'; pipelines: Record<string, Expected> }
const dir = fixture('images');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { images: ImageItem[] };

function run(item: ImageItem, key: string): { got: Uint8Array; want: Uint8Array } {
  const [model, dataset] = key.split('_') as ['v1' | 'v4', 'imagenet' | 'rendered'];
  const exp = item.pipelines[key]!;
  const img = readImage(join(dir, item.file));
  const got = preprocessToUint8(img, { ...MODEL_PRESETS[model], ...DATASET_PRESETS[dataset] });
  const ref = readImage(join(dir, exp.file));
  assert.is(ref.mode, exp.mode);
  const size = MODEL_PRESETS[model].size;
  assert.is(got.length, size * size * (MODEL_PRESETS[model].gray ? 1 : 3), `${item.name} ${key}: output length`);
  return { got, want: ref.data as Uint8Array };
}

function diffStats(got: Uint8Array, want: Uint8Array): { max: number; differ: number } {
  let max = 0, differ = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (d) differ++;
    if (d > max) max = d;
  }
  return { max, differ };
}

const Pre = test;

for (const item of manifest.images) {
  for (const key of Object.keys(item.pipelines)) {
    Pre(`${item.name} ${key}: bit-exact with torchvision/PIL`, () => {
      const { got, want } = run(item, key);
      const { max, differ } = diffStats(got, want);
      assert.ok(max === 0, `${differ} samples differ, by up to ${max}`);
    });
  }
}

Pre('presets and option checks', () => {
  assert.equal(MODEL_PRESETS.v1, { crop: 167, size: 93, gray: true });
  assert.equal(MODEL_PRESETS.v4, { crop: 236, size: 100, gray: false });
  assert.is(DATASET_PRESETS.imagenet.shortSide, 256);
  assert.is(DATASET_PRESETS.rendered.shortSide, null);
  const img = readImage(join(dir, 'inputs/l_37x53.png'));
  const noop = preprocessImage(img, { crop: null, size: null, gray: true });
  assert.is(noop.width, 37);
  assert.equal(noop.data, img.data);
  assert.throws(() => preprocessToUint8(img, { crop: 10, size: 0, gray: true }), (e: unknown) => e instanceof InputError);
  assert.throws(() => preprocessToUint8(img, { shortSide: -1, crop: 10, size: 5, gray: true }), (e: unknown) => e instanceof InputError);
});

Pre('toFloatCHW is ToTensor (HWC uint8 -> CHW / 255)', () => {
  const hwc = new Uint8Array([0, 51, 255, 102, 153, 204]); // 2 pixels x 3 channels
  const chw = toFloatCHW(hwc, 3);
  assert.equal(Array.from(chw), [0, 102, 51, 153, 255, 204].map((v) => Math.fround(v / 255)));
  assert.equal(Array.from(toFloatCHW(new Uint8Array([255, 0]), 1)), [1, 0]);
  assert.throws(() => toFloatCHW(new Uint8Array(5), 3), (e: unknown) => e instanceof InputError);
});

Pre('encodePNG / writePNG round-trip, atomically', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dn-image-'));
  try {
    for (const channels of [1, 2, 3, 4] as const) {
      const data = Uint8Array.from({ length: 7 * 5 * channels }, (_, i) => (i * 37) & 255);
      const bytes = encodePNG({ width: 7, height: 5, channels, data });
      const back = decodeImage(bytes, 'mem');
      assert.is(back.mode, ['L', 'LA', 'RGB', 'RGBA'][channels - 1]);
      assert.equal(back.data, data);
      const path = join(tmp, `out${channels}.png`);
      writePNG(path, { width: 7, height: 5, channels, data });
      assert.equal(readImage(path).data, data);
    }
    assert.equal(readdirSync(tmp).sort(), ['out1.png', 'out2.png', 'out3.png', 'out4.png'], 'no temporary files left');
    assert.throws(() => encodePNG({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) }), (e: unknown) => e instanceof InputError);
    const bad = join(tmp, 'no-such-dir', 'x.png');
    assert.throws(() => writePNG(bad, { width: 1, height: 1, channels: 1, data: new Uint8Array(1) }),
      (e: unknown) => e instanceof InputError && (e as Error).message.includes(bad));
    assert.not.ok(existsSync(bad));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

Pre.run();
