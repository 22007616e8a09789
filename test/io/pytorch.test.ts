import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError, InputError } from '../../src/errors.js';
import { loadTorchArchive, readTorchCheckpoint, TorchTensor } from '../../src/io/pytorch.js';
import { openZip } from '../../src/io/zip.js';
import { assertArray, assertThrowsWith, expected, ioFixture, readFixture, tempDir } from './io-helpers.js';
import { deepKeyPickle, pTensor, stateDictPickle, torchArchive } from './torch-bytes.js';
import { zipBytes } from './zip-bytes.js';

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

const f32Bytes = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

test('the hand-built checkpoints read back (the builder used by the hostile-checkpoint tests is sound)', () => {
  const bytes = torchArchive(stateDictPickle([{ key: 'w', storage: '0', storageNumel: 6, size: [2, 3], stride: [3, 1] }]), { 0: f32Bytes([1, 2, 3, 4, 5, 6]) });
  const w = readTorchCheckpoint(bytes, 'built.pth').get('w')!;
  assert.equal([w.dtype, w.shape, Array.from(w.data as Float32Array)], ['f32', [2, 3], [1, 2, 3, 4, 5, 6]]);
});

test('a zero-stride view declaring more elements than its storage and the cap is refused, naming key, shape and storage', () => {
  // torch.zeros(1).expand(15000, 15000): one stored float, 225 million declared elements (900 MB if materialised)
  const bomb = torchArchive(stateDictPickle([{ key: 'w', storage: '0', storageNumel: 1, size: [15000, 15000], stride: [0, 0] }]), { 0: f32Bytes([0]) });
  assert.ok(bomb.length < 1500, `the hostile checkpoint is small (${bomb.length} bytes)`);
  assertThrowsWith(() => readTorchCheckpoint(bomb, 'bomb.pth'), FormatError,
    'bomb.pth', "tensor 'w'", '(15000, 15000)', '225000000 elements', 'stride (0, 0)', "storage '0' of 1 elements", 'maxExpandedElements');
  // the cap is an option: a small expanded view is refused under a cap below its size
  const small = torchArchive(stateDictPickle([{ key: 'pos', storage: '0', storageNumel: 3, size: [5, 3], stride: [0, 1] }]), { 0: f32Bytes([0, 1, 2]) });
  assertThrowsWith(() => readTorchCheckpoint(small, 's.pth', { maxExpandedElements: 10 }), FormatError, "tensor 'pos'", '(5, 3)', '15 elements');
});

test('small expanded views (stride 0) still load, materialised in C order', () => {
  // torch.arange(3.).expand(5, 3) and torch.tensor([[7.], [8.]]).expand(2, 4): values written out by hand
  const bytes = torchArchive(stateDictPickle([
    { key: 'rows', storage: '0', storageNumel: 3, size: [5, 3], stride: [0, 1] },
    { key: 'cols', storage: '1', storageNumel: 2, size: [2, 4], stride: [1, 0] },
  ]), { 0: f32Bytes([0, 1, 2]), 1: f32Bytes([7, 8]) });
  const sd = readTorchCheckpoint(bytes, 'ok.pth');
  assert.equal(sd.get('rows')!.shape, [5, 3]);
  assert.equal(Array.from(sd.get('rows')!.data as Float32Array), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
  assert.equal(sd.get('cols')!.shape, [2, 4]);
  assert.equal(Array.from(sd.get('cols')!.data as Float32Array), [7, 7, 7, 7, 8, 8, 8, 8]);
});

test('a checkpoint whose pickle nests 200,000 deep is a FormatError, not a stack overflow', () => {
  const N = 200_000;
  const pkl = deepKeyPickle(N);
  assertThrowsWith(() => readTorchCheckpoint(torchArchive(pkl), 'deep.pth'), FormatError, 'deep.pth', 'no tensors found', '[[[[');
  // a state dict with a tensor under such a key
  const tensorOps = pTensor({ key: '', storage: '0', storageNumel: 1, size: [1], stride: [1] });
  const withTensor = new Uint8Array(2 * N + 5 + tensorOps.length);
  withTensor.set(pkl.subarray(0, 3 + 2 * N));
  withTensor.set([...tensorOps, 0x73, 0x2e], 3 + 2 * N);
  assertThrowsWith(() => readTorchCheckpoint(torchArchive(withTensor, { 0: f32Bytes([1]) }), 'deepkey.pth'), FormatError, 'deepkey.pth', 'state dict key [[[[', 'is not a string');
  // a byteorder entry of a megabyte
  const sd = stateDictPickle([{ key: 'w', storage: '0', storageNumel: 1, size: [1], stride: [1] }]);
  const big = zipBytes([{ name: 'a/data.pkl', data: sd }, { name: 'a/data/0', data: f32Bytes([1]) }, { name: 'a/byteorder', data: new Uint8Array(2 ** 20).fill(0x6c) }]);
  assertThrowsWith(() => readTorchCheckpoint(big, 'order.pth'), FormatError, 'order.pth', 'unknown byteorder');
});

test.run();
