import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError, InputError } from '../../src/errors.js';
import { loadTorchArchive, readTorchCheckpoint, TorchTensor } from '../../src/io/pytorch.js';
import { openZip } from '../../src/io/zip.js';
import { assertArray, assertThrowsWith, expected, ioFixture, readFixture, tempDir } from './io-helpers.js';

const test = suite('io/pytorch');

type Exp = Record<string, Parameters<typeof assertArray>[1]>;

function checkFile(name: string): Map<string, unknown> {
  const want = expected().torch[name] as Exp;
  const got = readTorchCheckpoint(ioFixture(name));
  assert.equal([...got.keys()], Object.keys(want), `${name}: keys in file order`);
  for (const [k, e] of Object.entries(want)) assertArray(got.get(k), e, `${name}:${k}`);
  return got;
}

test('state dict with every storage type, views at offsets and strides, a Parameter, scalar and empty tensors', () => {
  const got = checkFile('torch_state.pth');
  const scalar = got.get('scalar') as { dtype: string; shape: number[]; data: BigInt64Array };
  assert.equal([scalar.dtype, scalar.shape, scalar.data.length, scalar.data[0]], ['i64', [], 1, 7n]);
});

test('nn.Module state_dict (OrderedDict with _metadata, num_batches_tracked)', () => {
  checkFile('torch_module.pth');
});

test('checkpoint wrapping the state dict under "state_dict" (protocol 4, other entries skipped)', () => {
  checkFile('torch_nested.pth');
});

test('contiguous tensors are zero-copy views; bytes and path give the same result', () => {
  const bytes = readFixture('torch_module.pth');
  const a = readTorchCheckpoint(bytes, 'torch_module.pth');
  for (const [k, v] of a) assert.is(v.data.buffer, bytes.buffer, k);
  const root = loadTorchArchive(bytes) as Map<string, unknown>;
  assert.ok([...root.values()].every((v) => v instanceof TorchTensor));
  const params = loadTorchArchive(readFixture('torch_state.pth')) as Map<string, TorchTensor>;
  assert.ok(params.get('param')!.isParameter);
  assert.not.ok(params.get('f32')!.isParameter);
});

test('legacy format and unsupported globals are rejected with a clear message naming the file', () => {
  for (const [name, msg] of Object.entries(expected().torch_errors as Record<string, string>)) {
    const path = ioFixture(name);
    assertThrowsWith(() => readTorchCheckpoint(path), FormatError, path, msg);
  }
  const p = ioFixture('torch_numpy.pth');
  assertThrowsWith(() => readTorchCheckpoint(p), FormatError, `${p}/torch_numpy/data.pkl`, 'only PyTorch state dicts are supported');
});

test('truncated, corrupt and non-checkpoint files are FormatErrors naming the file', () => {
  const { dir, cleanup } = tempDir();
  try {
    const bytes = readFixture('torch_state.pth');
    const cut = join(dir, 'cut.pth');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    assertThrowsWith(() => readTorchCheckpoint(cut), FormatError, cut, 'truncated');
    // Flip a byte inside a storage: caught by the CRC check.
    const z = openZip(bytes);
    const ent = z.entries.get('torch_state/data/0')!;
    const data = z.read('torch_state/data/0');
    const corrupt = Uint8Array.from(bytes);
    corrupt[data.byteOffset - bytes.byteOffset] ^= 0x40;
    assertThrowsWith(() => readTorchCheckpoint(corrupt, 'bad.pth'), FormatError, 'bad.pth', "'torch_state/data/0'", 'CRC');
    assert.ok(ent.size > 0);
    const npy = readFixture('f4.npy');
    assertThrowsWith(() => readTorchCheckpoint(npy, 'x.pth'), FormatError, 'x.pth', '.npy');
    assertThrowsWith(() => readTorchCheckpoint(new Uint8Array([1, 2, 3, 4, 5]), 'y.pth'), FormatError, 'y.pth', 'not a PyTorch checkpoint');
    assertThrowsWith(() => readTorchCheckpoint(readFixture('deflate.zip'), 'z.pth'), FormatError, 'z.pth', 'no data.pkl');
    assertThrowsWith(() => readTorchCheckpoint(join(dir, 'missing.pth')), InputError, 'missing.pth');
  } finally {
    cleanup();
  }
});

test.run();
