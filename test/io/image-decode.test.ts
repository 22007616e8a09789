// PNG/JPEG decoding and PIL's convert('RGB') / convert('L'), against fixtures made by PIL
// (tools/golden/image_fixtures.py). Both must be bit-exact (JPEG too: the decoder reproduces libjpeg's islow IDCT,
// fancy upsampling and colour tables).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { decodeImage, readImage, toL, toRGB } from '../../src/io/image/decode.js';
import type { RawImage } from '../../src/io/image/types.js';
import { fixture } from '../helpers/fixtures.js';

interface ImageItem {
  name: string; file: string; kind: 'png' | 'jpeg'; pilMode: string; width: number; height: number;
  rgbHash: number; lHash: number;
}
const dir = fixture('images');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
  images: ImageItem[]; bad: Record<string, string>; luma: { seed: number; width: number; hash: number; first: number[] };
};

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}

function throwsInput(fn: () => unknown, mustMention: string, label: string): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, InputError, `${label}: expected InputError, got ${(err as Error).name}: ${(err as Error).message}`);
    assert.ok((err as Error).message.includes(mustMention), `${label}: message should name ${mustMention}: ${(err as Error).message}`);
    return (err as Error).message;
  }
  assert.unreachable(`${label}: no error thrown`);
  return '';
}

const Decode = test;

for (const it of manifest.images) {
  Decode(`${it.name}: mode ${it.pilMode} ${it.width}x${it.height} like PIL`, () => {
    const img = readImage(join(dir, it.file));
    assert.is(img.mode, it.pilMode);
    assert.is(img.width, it.width);
    assert.is(img.height, it.height);
    assert.is(fnv1a(toRGB(img).data as Uint8Array), it.rgbHash, 'decode + convert("RGB") differs from PIL');
    assert.is(fnv1a(toL(img).data as Uint8Array), it.lHash, 'decode + convert("L") differs from PIL');
  });
}

Decode('PIL luma on arbitrary RGB triples', () => {
  const { seed, width, hash, first } = manifest.luma;
  const data = new Uint8Array(width * 3);
  for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[3 * x + c] = hashNoise(x, 0, c, seed);
  const l = toL({ width, height: 1, mode: 'RGB', data }).data as Uint8Array;
  assert.equal(Array.from(l.subarray(0, first.length)), first);
  assert.is(fnv1a(l), hash);
});

// Same integer hash as tools/golden/image_fixtures.py `hash_image` (noise part).
function hashNoise(x: number, y: number, c: number, seed: number): number {
  let v = (Math.imul(x, 73856093) ^ Math.imul(y, 19349663) ^ Math.imul(c, 83492791) ^ Math.imul(seed, 2654435761 | 0)) >>> 0;
  v = Math.imul(v ^ (v >>> 13), 1274126177) >>> 0;
  v = (v ^ (v >>> 16)) >>> 0;
  return v >>> 24;
}

Decode('conversions of every mode follow PIL', () => {
  const pal = new Uint8Array(768);
  for (let i = 0; i < 256; i++) { pal[3 * i] = i; pal[3 * i + 1] = 255 - i; pal[3 * i + 2] = (i * 7) & 255; }
  const cases: [RawImage, number[], number[]][] = [
    [{ width: 3, height: 1, mode: 'I', data: new Int32Array([-5, 100, 70000]) }, [0, 0, 0, 100, 100, 100, 255, 255, 255], [0, 100, 255]],
    [{ width: 2, height: 1, mode: 'LA', data: new Uint8Array([10, 0, 200, 99]) }, [10, 10, 10, 200, 200, 200], [10, 200]],
    [{ width: 2, height: 1, mode: 'RGBA', data: new Uint8Array([10, 20, 30, 0, 200, 100, 50, 128]) }, [10, 20, 30, 200, 100, 50], [18, 124]],
    [{ width: 2, height: 1, mode: '1', data: new Uint8Array([0, 255]) }, [0, 0, 0, 255, 255, 255], [0, 255]],
    [{ width: 2, height: 1, mode: 'P', data: new Uint8Array([3, 200]), palette: pal }, [3, 252, 21, 200, 55, 120], [
      (3 * 19595 + 252 * 38470 + 21 * 7471 + 0x8000) >> 16, (200 * 19595 + 55 * 38470 + 120 * 7471 + 0x8000) >> 16]],
  ];
  for (const [img, rgb, l] of cases) {
    assert.equal(Array.from(toRGB(img).data), rgb, `${img.mode} -> RGB`);
    assert.equal(Array.from(toL(img).data), l, `${img.mode} -> L`);
  }
});

Decode('a JPEG named .png is decoded by its content', () => {
  assert.is(manifest.bad['jpeg_named.png'], 'ok:JPEG');
  const img = readImage(join(dir, 'bad', 'jpeg_named.png'));
  assert.is(img.mode, 'L');
  assert.is(img.width, 37);
});

Decode('CMYK JPEG: a clear InputError (PIL would give mode CMYK)', () => {
  assert.is(manifest.bad['cmyk.jpg'], 'ok:JPEG');
  const path = join(dir, 'bad', 'cmyk.jpg');
  const msg = throwsInput(() => readImage(path), path, 'cmyk');
  assert.match(msg, /CMYK/);
});

for (const name of ['truncated.png', 'corrupt_crc.png', 'truncated.jpg', 'text.png']) {
  Decode(`${name}: InputError naming the path (PIL: ${manifest.bad[name]})`, () => {
    assert.ok(manifest.bad[name]!.startsWith('error:'), 'PIL itself rejects this file');
    const path = join(dir, 'bad', name);
    throwsInput(() => readImage(path), path, name);
  });
}

Decode('missing file, empty file and other formats give InputError naming the source', () => {
  const missing = join(dir, 'bad', 'no-such-image.png');
  throwsInput(() => readImage(missing), missing, 'missing');
  throwsInput(() => readImage(join(dir, 'bad')), join(dir, 'bad'), 'directory');
  throwsInput(() => decodeImage(new Uint8Array(0), 'empty.png'), 'empty.png', 'empty');
  const msg = throwsInput(() => decodeImage(new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), 'x.gif'), 'x.gif', 'gif');
  assert.match(msg, /GIF/);
  // Every prefix of a valid PNG and JPEG is rejected (never silently decoded as a partial image).
  for (const file of ['inputs/l_37x53.png', 'inputs/jpg_gray_37x53.jpg']) {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    for (const cut of [1, 3, 9, 20, 40, Math.floor(bytes.length / 3), bytes.length - 13, bytes.length - 2, bytes.length - 1]) {
      throwsInput(() => decodeImage(bytes.subarray(0, cut), `cut-${cut}`), `cut-${cut}`, `${file} cut at ${cut}`);
    }
  }
});

Decode('a JPEG that stops at (or right after) its SOI marker is called truncated, not an unsupported format', () => {
  for (const [bytes, why] of [[[0xff, 0xd8], 'ends right after'], [[0xff, 0xd8, 0x00, 0x11], 'no marker follows']] as const) {
    const msg = throwsInput(() => decodeImage(Uint8Array.from(bytes), 'soi.jpg'), 'soi.jpg', `${bytes.length} bytes`);
    assert.match(msg, /truncated or corrupt/);
    assert.ok(msg.includes(why), msg);
    assert.not.match(msg, /only PNG and JPEG are supported/);
  }
});

Decode.run();
