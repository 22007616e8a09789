import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError } from '../../src/errors.js';
import { crc32, openZip, readZip } from '../../src/io/zip.js';
import { assertThrowsWith, expected, readFixture } from './io-helpers.js';

const test = suite('io/zip');

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('reads deflated and stored entries, directories and an archive comment (Python zipfile)', () => {
  const want = expected().zip['deflate.zip'] as Record<string, string>;
  const entries = readZip(readFixture('deflate.zip'), 'deflate.zip');
  assert.equal([...entries.keys()], Object.keys(want));
  for (const [name, h] of Object.entries(want)) assert.is(hex(entries.get(name)!), h, name);
  const z = openZip(readFixture('deflate.zip'));
  assert.is(z.entries.get('a.txt')!.method, 8);
  assert.is(z.entries.get('stored.txt')!.method, 0);
});

test('reads a zip64 archive (zip64 end of central directory, locator and extra fields)', () => {
  const z = openZip(readFixture('zip64.zip'), 'zip64.zip');
  assert.equal(z.names(), ['hello64.txt']);
  assert.is(hex(z.read('hello64.txt')), expected().zip['zip64.zip']['hello64.txt']);
});

test('stored entries are zero-copy views', () => {
  const bytes = readFixture('deflate.zip');
  const z = openZip(bytes);
  assert.is(z.read('stored.txt').buffer, bytes.buffer);
});

test('crc32 matches zlib for the test vector', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.is(crc32(new Uint8Array(0)), 0);
});

test('CRC mismatch, truncation, missing entries and non-zip data are FormatErrors naming the source', () => {
  const bytes = Uint8Array.from(readFixture('deflate.zip'));
  const z0 = openZip(bytes);
  const e = z0.entries.get('stored.txt')!;
  const dataStart = e.localHeaderOffset + 30 + 'stored.txt'.length;
  bytes[dataStart] ^= 0xff;
  assertThrowsWith(() => openZip(bytes, 'x.zip').read('stored.txt'), FormatError, 'x.zip', "'stored.txt'", 'CRC-32 mismatch');
  assert.is(openZip(bytes, 'x.zip', { checkCrc: false }).read('stored.txt').length, e.size);
  const orig = readFixture('deflate.zip');
  assertThrowsWith(() => openZip(orig.subarray(0, orig.length - 30), 'cut.zip'), FormatError, 'cut.zip', 'truncated');
  assertThrowsWith(() => openZip(new TextEncoder().encode('hello world, not a zip at all'), 'n.zip'), FormatError, 'n.zip', 'not a zip');
  assertThrowsWith(() => openZip(orig, 'a.zip').read('nope'), FormatError, 'a.zip', "no entry 'nope'");
  // Deflated data that no longer inflates.
  const bad = Uint8Array.from(orig);
  const a = openZip(bad).entries.get('a.txt')!;
  bad.fill(0xff, a.localHeaderOffset + 30 + 5, a.localHeaderOffset + 30 + 5 + a.compressedSize);
  assertThrowsWith(() => openZip(bad, 'd.zip').read('a.txt'), FormatError, 'd.zip', "'a.txt'");
});

test.run();
