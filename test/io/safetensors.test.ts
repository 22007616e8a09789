import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError } from '../../src/errors.js';
import { hostArray } from '../../src/io/host-array.js';
import { encodeSafetensors, parseSafetensors, readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { assertArray, assertThrowsWith, expected, ioFixture, readFixture, tempDir } from './io-helpers.js';

const test = suite('io/safetensors');

/** A safetensors file with the given header object and `dataLen` zero bytes of data. */
function build(header: unknown, dataLen: number, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('reads the hand-written fixture exactly: every dtype, metadata, buffer order', () => {
  const exp = expected().safetensors;
  const st = readSafetensors(ioFixture(exp.file));
  assert.equal(st.metadata, exp.metadata);
  assert.equal([...st.tensors.keys()], exp.order);
  for (const [k, e] of Object.entries(exp.tensors)) assertArray(st.tensors.get(k), e as Parameters<typeof assertArray>[1], k);
});

test('tensors are zero-copy views of the file bytes', () => {
  const bytes = readFixture(expected().safetensors.file);
  const st = parseSafetensors(bytes);
  for (const [k, a] of st.tensors) assert.is(a.data.buffer, bytes.buffer, k);
});

test('encodeSafetensors reproduces the reference layout byte for byte', () => {
  const exp = expected().safetensors;
  const bytes = readFixture(exp.file);
  const st = parseSafetensors(bytes);
  // Insertion order must not matter: the writer sorts (widest dtype first, then name).
  const shuffled = new Map([...st.tensors].reverse());
  const ours = encodeSafetensors(shuffled, st.metadata);
  assert.ok(Buffer.compare(Buffer.from(ours), Buffer.from(bytes)) === 0, 'bytes differ from the reference writer');
  assert.is(new DataView(ours.buffer).getUint32(0, true) % 8, 0, 'header padded to 8 bytes');
});

test('write / read round trip (atomic) without metadata', () => {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, 'w.safetensors');
    writeSafetensors(p, {
      w: hostArray('f32', [2, 2], new Float32Array([1, 2, 3, 4])),
      '0': hostArray('i64', [1], new BigInt64Array([-5n])),
      b: hostArray('u8', [3], new Uint8Array([1, 2, 3])),
    });
    const st = readSafetensors(p);
    assert.equal(st.metadata, {});
    assert.equal([...st.tensors.keys()], ['0', 'w', 'b']);
    assert.equal(Array.from(st.tensors.get('w')!.data as Float32Array), [1, 2, 3, 4]);
    assert.is((st.tensors.get('0')!.data as BigInt64Array)[0], -5n);
    assert.equal(readdirSync(dir), ['w.safetensors']);
  } finally {
    cleanup();
  }
});

test('bad header size, JSON, dtype, offsets: FormatError naming the file and the key', () => {
  const src = 'model.safetensors';
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  parseSafetensors(build(ok, 8), src);
  const big = build(ok, 8);
  new DataView(big.buffer).setBigUint64(0, 1n << 40n, true);
  assertThrowsWith(() => parseSafetensors(big, src), FormatError, src, 'larger than the rest of the file');
  assertThrowsWith(() => parseSafetensors(new Uint8Array(5), src), FormatError, src, 'shorter than the 8-byte header');
  assertThrowsWith(() => parseSafetensors(build(null, 0, '{"a": [1,'), src), FormatError, src, 'not valid UTF-8 JSON');
  assertThrowsWith(() => parseSafetensors(build([1, 2], 0), src), FormatError, src, 'not an object');
  assertThrowsWith(
    () => parseSafetensors(build({ a: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, 2), src),
    FormatError, src, "tensor 'a'", 'unsupported dtype "F8_E4M3"',
  );
  assertThrowsWith(
    () => parseSafetensors(build({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), src),
    FormatError, src, "tensor 'w'", 'run past the end',
  );
  assertThrowsWith(
    () => parseSafetensors(build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), src),
    FormatError, src, "tensor 'w'", 'needs 12',
  );
  assertThrowsWith(
    () => parseSafetensors(build({ w: { dtype: 'F32', shape: [2], data_offsets: [8] } }, 8), src),
    FormatError, src, "tensor 'w'", 'data_offsets',
  );
  assertThrowsWith(
    () => parseSafetensors(build({ w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), src),
    FormatError, src, "tensor 'w'", 'shape',
  );
  assertThrowsWith(
    () => parseSafetensors(build({ x: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, y: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }, 3), src),
    FormatError, src, "tensor 'y'", 'overlaps',
  );
  assertThrowsWith(
    () => parseSafetensors(build({ x: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, y: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } }, 6), src),
    FormatError, src, "before tensor 'y'", 'belong to no tensor',
  );
  assertThrowsWith(() => parseSafetensors(build(ok, 12), src), FormatError, src, 'cover only 8');
  assertThrowsWith(
    () => parseSafetensors(build({ __metadata__: { n: 3 }, ...ok }, 8), src),
    FormatError, src, '__metadata__', '"n"',
  );
});

test('a shape whose element count overflows is a FormatError naming the file and the key', () => {
  const src = 'huge.safetensors';
  assertThrowsWith(
    () => parseSafetensors(build({ w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, 8), src),
    FormatError, src, "tensor 'w'", `[${2 ** 40},${2 ** 40}]`, 'too many elements',
  );
  // a count that fits in 2^53 but whose byte size does not
  assertThrowsWith(
    () => parseSafetensors(build({ w: { dtype: 'F64', shape: [2 ** 51], data_offsets: [0, 8] } }, 8), src),
    FormatError, src, "tensor 'w'", 'too many elements',
  );
});

test('a truncated file on disk names its path', () => {
  const { dir, cleanup } = tempDir();
  try {
    const bytes = readFixture(expected().safetensors.file);
    const p = join(dir, 'cut.safetensors');
    writeFileSync(p, bytes.subarray(0, bytes.length - 10));
    assertThrowsWith(() => readSafetensors(p), FormatError, p, 'run past the end');
    writeFileSync(p, bytes.subarray(0, 40));
    assertThrowsWith(() => readSafetensors(p), FormatError, p, 'larger than the rest of the file');
  } finally {
    cleanup();
  }
});

test.run();
