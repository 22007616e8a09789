// APNG writer: chunk structure and every frame's pixels decode back exactly (first frame with fast-png,
// later frames by inflating their fdAT data).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { inflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import { encodeAPNG } from '../../src/io/image/index.js';
import { crc32 } from '../../src/io/zip.js';

const test = suite('apng');

function chunks(b: Uint8Array): { type: string; data: Uint8Array }[] {
  const out = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 8; o < b.length;) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...b.subarray(o + 4, o + 8));
    const data = b.subarray(o + 8, o + 8 + len);
    assert.is(dv.getUint32(o + 8 + len), crc32(b.subarray(o + 4, o + 8 + len)) >>> 0, `${type} crc`);
    out.push({ type, data });
    o += 12 + len;
  }
  return out;
}

test('frames round-trip and chunks are well formed', () => {
  const w = 7, h = 5;
  for (const c of [1, 3] as const) {
    const frames = Array.from({ length: 4 }, (_, k) => Uint8Array.from({ length: w * h * c }, (_, i) => (i * 13 + k * 51) % 256));
    const png = encodeAPNG({ width: w, height: h, channels: c, frames, delayMs: 80 });
    const first = decode(png);
    assert.equal([...first.data], [...frames[0]]);
    const cs = chunks(png);
    assert.equal(cs.map((x) => x.type), ['IHDR', 'acTL', 'fcTL', 'IDAT', 'fcTL', 'fdAT', 'fcTL', 'fdAT', 'fcTL', 'fdAT', 'IEND']);
    const actl = new DataView(cs[1].data.buffer, cs[1].data.byteOffset);
    assert.is(actl.getUint32(0), 4);
    const seqs = cs.filter((x) => x.type === 'fcTL' || x.type === 'fdAT').map((x) => new DataView(x.data.buffer, x.data.byteOffset).getUint32(0));
    assert.equal(seqs, [0, 1, 2, 3, 4, 5, 6]);
    cs.filter((x) => x.type === 'fdAT').forEach((x, k) => {
      const raw = inflateSync(x.data.subarray(4));
      const px: number[] = [];
      for (let y = 0; y < h; y++) { assert.is(raw[y * (1 + w * c)], 0); px.push(...raw.subarray(y * (1 + w * c) + 1, (y + 1) * (1 + w * c))); }
      assert.equal(px, [...frames[k + 1]]);
    });
  }
});

test.run();
