import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DTypeError, FormatError, InputError } from '../../src/errors.js';
import { hostArray } from '../../src/io/host-array.js';
import { encodeNpy, parseNpy, parseNpyHeader, readNpy, writeNpy } from '../../src/io/npy.js';
import { assertArray, assertThrowsWith, expected, ioFixture, readFixture, tempDir } from './io-helpers.js';

const test = suite('io/npy');

test('reads every np.save fixture exactly (all dtypes, big-endian, scalar, empty, v2/v3 headers)', () => {
  const exp = expected().npy as Record<string, Parameters<typeof assertArray>[1]>;
  assert.ok(Object.keys(exp).length >= 16);
  for (const [name, e] of Object.entries(exp)) assertArray(readNpy(ioFixture(name)), e, name);
});

test('header versions and data offsets', () => {
  assert.equal(parseNpyHeader(readFixture('v2.npy')).version, [2, 0]);
  assert.equal(parseNpyHeader(readFixture('v3.npy')).version, [3, 0]);
  const h = parseNpyHeader(readFixture('f4.npy'));
  assert.equal(h, { version: [1, 0], descr: '<f4', fortranOrder: false, shape: [2, 3], dataOffset: 128 });
});

test('little-endian data is a zero-copy view of the file bytes; big-endian is converted', () => {
  const bytes = readFixture('f8.npy');
  const a = parseNpy(bytes);
  assert.is(a.data.buffer, bytes.buffer);
  const be = parseNpy(readFixture('f4_be.npy'));
  assert.is(be.data[0], 1.5);
});

test('encodeNpy is byte-identical to np.save', () => {
  for (const name of expected().npy_identical as string[]) {
    const bytes = readFixture(name);
    const ours = encodeNpy(parseNpy(bytes, name));
    assert.is(ours.length, bytes.length, `${name}: length`);
    assert.ok(Buffer.compare(Buffer.from(ours), Buffer.from(bytes)) === 0, `${name}: bytes differ from np.save`);
  }
});

test('encodeNpy pads the header so data starts at a multiple of 64, switching to version 2.0 for huge headers', () => {
  const shape = Array.from({ length: 25000 }, () => 1); // a header over 65535 bytes
  const a = hostArray('u8', shape, new Uint8Array(1));
  const bytes = encodeNpy(a);
  const h = parseNpyHeader(bytes);
  assert.equal(h.version, [2, 0]);
  assert.is(h.dataOffset % 64, 0);
  assert.is(parseNpy(bytes).shape.length, 25000);
  assertThrowsWith(() => encodeNpy(hostArray('bf16', [1], new Uint16Array(1))), DTypeError, 'bfloat16');
});

test('writeNpy / readNpy round trip, atomically (no temp files left)', () => {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, 'x.npy');
    const a = hostArray('i64', [2, 2], new BigInt64Array([1n, -2n, 3n, 2n ** 62n]));
    writeNpy(p, a);
    writeNpy(p, a); // overwrite
    const b = readNpy(p);
    assert.equal(b.shape, [2, 2]);
    assert.equal(Array.from(b.data as BigInt64Array), [1n, -2n, 3n, 2n ** 62n]);
    assert.equal(readdirSync(dir), ['x.npy']);
  } finally {
    cleanup();
  }
});

test('rejects Fortran order, object arrays and unsupported dtypes, naming the file', () => {
  for (const [name, msg] of Object.entries(expected().npy_errors as Record<string, string>)) {
    const path = ioFixture(name);
    assertThrowsWith(() => readNpy(path), FormatError, path, msg);
  }
});

test('truncated data, truncated header, bad magic, bad header', () => {
  const { dir, cleanup } = tempDir();
  try {
    const bytes = readFixture('f4.npy');
    const p1 = join(dir, 'short.npy');
    writeFileSync(p1, bytes.subarray(0, bytes.length - 3));
    assertThrowsWith(() => readNpy(p1), FormatError, p1, 'truncated data', 'needs 24 bytes');
    const p2 = join(dir, 'header.npy');
    writeFileSync(p2, bytes.subarray(0, 40));
    assertThrowsWith(() => readNpy(p2), FormatError, p2, 'truncated header');
    const p3 = join(dir, 'magic.npy');
    writeFileSync(p3, Buffer.from('PK\x03\x04 definitely not numpy'));
    assertThrowsWith(() => readNpy(p3), FormatError, p3, 'bad magic');
    const bad = Uint8Array.from(bytes);
    bad.set(Buffer.from("{'descr': '<f4', 'fortran_order': Maybe"), 10);
    assertThrowsWith(() => parseNpy(bad, 'mem.npy'), FormatError, 'mem.npy');
    assertThrowsWith(() => readNpy(join(dir, 'missing.npy')), InputError, 'missing.npy', 'not found');
  } finally {
    cleanup();
  }
});

test.run();
