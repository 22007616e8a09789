// The two ByteSources under the zip reader: bytes in memory (zero-copy views) and a file read by offsets through
// a descriptor. The oracle for every range is the same range of the whole file as node:fs reads it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../src/errors.js';
import { fileSource, memorySource } from '../../src/io/byte-source.js';
import { assertThrowsWith, ioFixture } from './io-helpers.js';

const test = suite('io/byte-source');

const RANGES: [number, number][] = [[0, 0], [0, 4], [7, 13], [30, 1], [50, 0]];

test('memorySource reads ranges as zero-copy views of the bytes', () => {
  const whole = new Uint8Array(readFileSync(ioFixture('deflate.zip')));
  const src = memorySource(whole);
  assert.is(src.size, whole.length);
  for (const [o, n] of [...RANGES, [whole.length - 22, 22] as [number, number]]) {
    const got = src.read(o, n);
    assert.equal([...got], [...whole.subarray(o, o + n)], `[${o}, ${o + n})`);
    assert.is(got.buffer, whole.buffer);
  }
  src.close();
});

test('fileSource reads ranges of a file into fresh, aligned buffers', () => {
  const path = ioFixture('deflate.zip');
  const whole = readFileSync(path);
  const src = fileSource(path);
  try {
    assert.is(src.size, whole.length);
    for (const [o, n] of [...RANGES, [whole.length - 22, 22] as [number, number], [0, whole.length] as [number, number]]) {
      const got = src.read(o, n);
      assert.equal([...got], [...whole.subarray(o, o + n)], `[${o}, ${o + n})`);
      assert.is(got.byteOffset, 0);
      assert.is(got.length, n);
    }
  } finally { src.close(); }
});

test('fileSource: a file that shrinks after it is opened gives a FormatError naming the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-bytes-'));
  try {
    const path = join(dir, 'f.bin');
    writeFileSync(path, new Uint8Array(100).fill(7));
    const src = fileSource(path);
    truncateSync(path, 10);
    assert.equal([...src.read(0, 10)], new Array(10).fill(7));
    assertThrowsWith(() => src.read(5, 50), FormatError, path, 'short read at offset 10');
    src.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
