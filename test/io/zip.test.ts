import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError } from '../../src/errors.js';
import { crc32, openZip, openZipFile, readZip } from '../../src/io/zip.js';
import { assertThrowsWith, expected, ioFixture, readFixture } from './io-helpers.js';
import { zipBytes } from './zip-bytes.js';

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

test('reads the same archives from disk by offsets (openZipFile): every entry, aligned, as Python zipfile wrote them', () => {
  for (const file of ['deflate.zip', 'zip64.zip']) {
    const want = expected().zip[file] as Record<string, string>;
    const z = openZipFile(ioFixture(file));
    try {
      assert.equal(z.names(), Object.keys(want), file);
      for (const [name, h] of Object.entries(want)) {
        const got = z.read(name);
        assert.is(hex(got), h, `${file}:${name}`);
        assert.is(got.byteOffset % 8, 0, `${file}:${name} is 8-byte aligned`);
      }
    } finally { z.close(); }
  }
  const z = openZipFile(ioFixture('deflate.zip'));
  assert.is(z.entries.get('a.txt')!.method, 8);
  assert.is(z.entries.get('stored.txt')!.method, 0);
  assertThrowsWith(() => z.read('nope'), FormatError, ioFixture('deflate.zip'), "no entry 'nope'");
  z.close();
});

test('on disk, CRC mismatch, truncation and non-zip files are FormatErrors naming the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dn-zip-'));
  try {
    const orig = readFixture('deflate.zip');
    const e = openZip(orig).entries.get('stored.txt')!;
    const flipped = Uint8Array.from(orig);
    flipped[e.localHeaderOffset + 30 + 'stored.txt'.length] ^= 0xff;
    const crcPath = join(dir, 'crc.zip'), cutPath = join(dir, 'cut.zip'), notPath = join(dir, 'not.zip');
    writeFileSync(crcPath, flipped);
    writeFileSync(cutPath, orig.subarray(0, orig.length - 30));
    writeFileSync(notPath, 'hello world, not a zip at all');
    const z = openZipFile(crcPath);
    assertThrowsWith(() => z.read('stored.txt'), FormatError, crcPath, "'stored.txt'", 'CRC-32 mismatch');
    z.close();
    assertThrowsWith(() => openZipFile(cutPath), FormatError, cutPath, 'truncated', 'again');
    assertThrowsWith(() => openZipFile(notPath), FormatError, notPath, 'not a zip');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the hand-built test archives read back (the builder used by the hostile-archive tests is sound)', () => {
  const text = new TextEncoder().encode('dualneuron '.repeat(50));
  const z = openZip(zipBytes([{ name: 'd.txt', data: text, method: 8 }, { name: 's.bin', data: Uint8Array.of(1, 2, 3) }]), 'built.zip');
  assert.equal(z.names(), ['d.txt', 's.bin']);
  assert.equal(z.read('d.txt'), text);
  assert.equal(z.read('s.bin'), Uint8Array.of(1, 2, 3));
});

test('a deflated entry that inflates past its declared size is refused at the declared size (zip bomb)', () => {
  // 64 MiB of zeros deflate to about 64 KiB; the headers declare 1000 bytes.
  const bomb = zipBytes([{ name: 'bomb.bin', data: new Uint8Array(64 * 2 ** 20), method: 8, declaredSize: 1000 }]);
  assert.ok(bomb.length < 200_000, `the hostile archive is small (${bomb.length} bytes)`);
  const msg = assertThrowsWith(() => openZip(bomb, 'bomb.zip').read('bomb.bin'), FormatError, 'bomb.zip', "'bomb.bin'", 'more than its declared 1000 bytes');
  // inflation stopped at the declared size: no "inflated to 67108864 bytes" (the whole stream)
  assert.not.ok(msg.includes('67108864'), msg);
  // the same from disk
  const dir = mkdtempSync(join(tmpdir(), 'dn-zip-'));
  try {
    const p = join(dir, 'bomb.zip');
    writeFileSync(p, bomb);
    const z = openZipFile(p);
    try { assertThrowsWith(() => z.read('bomb.bin'), FormatError, p, "'bomb.bin'", 'more than its declared 1000 bytes'); } finally { z.close(); }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('declared sizes are capped: above maxEntryBytes, or more than deflate can encode from the compressed bytes', () => {
  const data = new Uint8Array(4096).fill(7);
  const ok = zipBytes([{ name: 'big.bin', data, method: 8 }, { name: 'st.bin', data }]);
  assert.is(openZip(ok).read('big.bin').length, 4096);
  // a cap below the entry's size: the message names the member, its declared size, the cap and the option
  assertThrowsWith(() => openZip(ok, 'cap.zip', { maxEntryBytes: 4000 }).read('big.bin'), FormatError,
    'cap.zip', "'big.bin'", 'declares 4096 bytes', 'limit of 4000 bytes', 'maxEntryBytes');
  assertThrowsWith(() => openZip(ok, 'cap.zip', { maxEntryBytes: 4000 }).read('st.bin'), FormatError, "'st.bin'", 'declares 4096 bytes');
  // the default cap (2 GiB): a 3 GiB declared size is refused before any allocation
  const huge = zipBytes([{ name: 'huge.bin', data, method: 8, declaredSize: 3 * 2 ** 30 }]);
  assertThrowsWith(() => openZip(huge, 'huge.zip').read('huge.bin'), FormatError, "'huge.bin'", `declares ${3 * 2 ** 30} bytes`, 'limit of 2147483648 bytes');
  // under the cap, but more than ~1032x the compressed bytes: no deflate stream can hold that much
  const liar = zipBytes([{ name: 'liar.bin', data, method: 8, declaredSize: 2 ** 30 }]);
  assertThrowsWith(() => openZip(liar, 'liar.zip').read('liar.bin'), FormatError, "'liar.bin'", `declares ${2 ** 30} bytes`, 'more than deflate can encode');
});

test.run();
