import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DTypeError, ShapeError } from '../../src/errors.js';
import {
  bf16BitsToNumber, contiguousStrides, f16BitsToNumber, hostArray, hostArrayFromBytes, numberToBf16Bits, numberToF16Bits,
  numel, toFloat32, toFloat64,
} from '../../src/io/host-array.js';
import { assertThrowsWith, expected } from './io-helpers.js';

const test = suite('io/host-array');

test('numel and strides', () => {
  assert.is(numel([]), 1);
  assert.is(numel([2, 3, 4]), 24);
  assert.is(numel([5, 0, 2]), 0);
  assert.equal(contiguousStrides([2, 3, 4]), [12, 4, 1]);
  assert.equal(contiguousStrides([]), []);
  assertThrowsWith(() => numel([2, -1]), ShapeError, '[2, -1]');
  assertThrowsWith(() => numel([1.5]), ShapeError);
});

test('hostArray validates data kind and length', () => {
  const a = hostArray('f32', [2, 2], new Float32Array(4));
  assert.equal(a.shape, [2, 2]);
  assertThrowsWith(() => hostArray('f32', [3], new Float32Array(4)), ShapeError, 'needs 3');
  assertThrowsWith(() => hostArray('f32', [4], new Float64Array(4)), DTypeError, 'Float32Array');
  assertThrowsWith(() => hostArray('i64', [1], new Int32Array(1)), DTypeError, 'BigInt64Array');
  assertThrowsWith(() => hostArray('f16', [1], new Float32Array(1)), DTypeError, 'Uint16Array');
  hostArray('bool', [2], new Uint8Array(2));
  hostArray('bf16', [], new Uint16Array(1));
});

test('f16 decoding is exact and encoding round-trips every bit pattern', () => {
  assert.is(f16BitsToNumber(0x3c00), 1);
  assert.is(f16BitsToNumber(0x7bff), 65504);
  assert.is(f16BitsToNumber(0x0001), 2 ** -24);
  assert.is(f16BitsToNumber(0x7c00), Infinity);
  assert.ok(Object.is(f16BitsToNumber(0x8000), -0));
  assert.ok(Number.isNaN(f16BitsToNumber(0x7e00)));
  for (let b = 0; b < 0x10000; b++) {
    const v = f16BitsToNumber(b);
    if (Number.isNaN(v)) continue;
    if (numberToF16Bits(v) !== b) assert.unreachable(`f16 bits ${b.toString(16)} -> ${v} -> ${numberToF16Bits(v).toString(16)}`);
  }
});

test('f16/bf16 rounding matches NumPy and torch (round to nearest even)', () => {
  // The values tools/golden/io_fixtures.py stored with np.float16 and torch.bfloat16.
  const f16 = expected().npy['f2.npy'];
  [1.0, -2.5, 65504, 6e-8, -0.0, Infinity, 0.1].forEach((x, i) => assert.is(numberToF16Bits(x), f16.bits[i], `f16(${x})`));
  const bf16 = expected().safetensors.tensors.bhalf;
  [1.0, -3.140625, 1e30, -0.0, 1 / 3].forEach((x, i) => assert.is(numberToBf16Bits(x), bf16.bits[i], `bf16(${x})`));
  assert.is(numberToF16Bits(65520), 0x7c00); // halfway to the next binade rounds up to infinity
  assert.is(numberToF16Bits(2 ** -25), 0); // tie between 0 and the smallest subnormal: even is 0
  assert.is(numberToF16Bits(3 * 2 ** -25), 2);
  assert.is(numberToF16Bits(2 ** -14 - 2 ** -25), 0x0400); // rounds up from the subnormal range into the normals
  assert.is(bf16BitsToNumber(0x3f80), 1);
  assert.is(bf16BitsToNumber(0xc049), -3.140625);
});

test('toFloat32 / toFloat64 convert every dtype', () => {
  const cases: [Parameters<typeof hostArray>, number[]][] = [
    [['f16', [3], new Uint16Array([0x3c00, 0xc100, 0x0001])], [1, -2.5, 2 ** -24]],
    [['bf16', [2], new Uint16Array([0x3f80, 0xc049])], [1, -3.140625]],
    [['f64', [2], new Float64Array([0.1, -3])], [0.1, -3]],
    [['i64', [3], new BigInt64Array([5n, -(2n ** 40n), 0n])], [5, -(2 ** 40), 0]],
    [['i32', [2], new Int32Array([-7, 2 ** 31 - 1])], [-7, 2 ** 31 - 1]],
    [['i16', [1], new Int16Array([-300])], [-300]],
    [['i8', [1], new Int8Array([-128])], [-128]],
    [['u8', [2], new Uint8Array([0, 255])], [0, 255]],
    [['bool', [2], new Uint8Array([1, 0])], [1, 0]],
  ];
  for (const [args, want] of cases) {
    const a = hostArray(...args);
    assert.equal(Array.from(toFloat64(a)), want, `${a.dtype} f64`);
    assert.equal(Array.from(toFloat32(a)), want.map(Math.fround), `${a.dtype} f32`);
  }
});

test('hostArrayFromBytes: aligned little-endian is a view, otherwise a copy', () => {
  const buf = new Uint8Array(12);
  new DataView(buf.buffer).setFloat32(4, 1.5, true);
  const view = hostArrayFromBytes('f32', [2], buf.subarray(4));
  assert.is(view.data.buffer, buf.buffer);
  assert.is(view.data[0], 1.5);
  const unaligned = hostArrayFromBytes('f32', [1], buf.subarray(3));
  assert.is.not(unaligned.data.buffer, buf.buffer);
  const be = new Uint8Array(8);
  new DataView(be.buffer).setFloat64(0, -0.3, false);
  assert.is(hostArrayFromBytes('f64', [], be, { littleEndian: false }).data[0], -0.3);
  assertThrowsWith(() => hostArrayFromBytes('f64', [2], be), ShapeError, 'need 16 bytes');
});

test.run();
