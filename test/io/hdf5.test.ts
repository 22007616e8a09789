// src/io/hdf5.ts (h5wasm behind bytes in, bytes out): a file written by h5py (tools/golden/h5_poles.py) reads
// back with the values np.save recorded, and what we write reads back with its dtypes, shapes, attributes and
// compression. (That h5py opens what we write is checked in test/dualneuron/h5.test.ts.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError } from '../../src/errors.js';
import { readFileBytes } from '../../src/io/atomic.js';
import { readNpy } from '../../src/io/npy.js';
import { createH5, isHdf5, openH5, type H5Value } from '../../src/io/hdf5.js';
import { fixture } from '../helpers/fixtures.js';

const test = suite('io/hdf5');

async function rejects(p: Promise<unknown>, type: new (...a: never[]) => Error, ...parts: string[]): Promise<void> {
  let err: unknown = null;
  try { await p; } catch (e) { err = e; }
  assert.instance(err, type, `expected ${type.name}, got ${String(err)}`);
  for (const s of parts) assert.ok((err as Error).message.includes(s), `message ${JSON.stringify((err as Error).message)} should contain ${JSON.stringify(s)}`);
}

test('reads a file h5py wrote: groups in h5py key order, attributes typed as h5py stores them, gzip images equal to np.save', async () => {
  const r = await openH5(readFileBytes(fixture('h5', 'upstream_v1.h5')), 'upstream_v1.h5');
  try {
    assert.equal(r.keys('/'), ['neuron_0003', 'neuron_0010']);
    assert.equal(r.keys('neuron_0003'), ['seed_1234', 'seed_42']);
    assert.is(r.kind('neuron_0003/seed_42/most'), 'group');
    assert.is(r.kind('neuron_0003/seed_42/most/image'), 'dataset');
    assert.is(r.kind('neuron_0003/seed_42/nope'), 'missing');
    assert.is(r.kind('neuron_0003/seed_42/most/image/x'), 'missing');
    const a = r.attrs('neuron_0003/seed_42/least');
    assert.equal(a.model, { dtype: 'str', shape: [], data: ['V1GrayTaskDriven'] });
    assert.equal(a.type, { dtype: 'str', shape: [], data: ['least'] });
    assert.equal(a.neuron_id, { dtype: 'i64', shape: [], data: BigInt64Array.of(3n) });
    assert.equal(a.seed, { dtype: 'i64', shape: [], data: BigInt64Array.of(42n) });
    assert.equal(a.weight, { dtype: 'i64', shape: [], data: BigInt64Array.of(-1n) });
    assert.equal(r.info('neuron_0003/seed_42/least/image'), { dtype: 'f32', shape: [1, 93, 93] });
    assert.is(r.gzipLevel('neuron_0003/seed_42/least/image'), 4);
    assert.is(r.gzipLevel('neuron_0003/seed_42/least/activations'), null);
    // entry order of the expected stacks: neuron, seed numerically, least then most -> neuron 3, seed 42, least is 0
    const want = readNpy(fixture('h5', 'expected_images.npy')).data as Float32Array;
    const got = r.read('neuron_0003/seed_42/least/image');
    assert.is(got.dtype, 'f32');
    assert.equal(Array.from(got.data as Float32Array), Array.from(want.subarray(0, 93 * 93)));
    const acts = r.read('neuron_0010/seed_1234/most/activations');
    assert.is(acts.dtype, 'f64');
    const wantActs = readNpy(fixture('h5', 'expected_activations.npy'));
    const k = 2 * 2 + 2 * 1 + 1; // neuron 10 (second), seed 1234 (second), most
    assert.equal(Array.from(acts.data as Float64Array), Array.from((wantActs.data as Float64Array).subarray(k * 6, k * 6 + 6)));
  } finally {
    r.close();
  }
});

test('what we write reads back: dtypes, shapes, scalar and array attributes, u64, strings, gzip', async () => {
  const w = await createH5();
  const img: H5Value = { dtype: 'f32', shape: [2, 3, 4], data: Float32Array.from({ length: 24 }, (_, i) => i / 7 - 1) };
  w.group('/a/b', { name: { dtype: 'str', shape: [], data: ['héllo'] }, n: { dtype: 'i64', shape: [], data: BigInt64Array.of(-5n) }, big: { dtype: 'u64', shape: [2], data: BigUint64Array.of(2n ** 64n - 1n, 3n) } });
  w.dataset('/a/b/img', img, { gzip: 4 });
  w.dataset('/a/c/acts', { dtype: 'f64', shape: [3], data: Float64Array.of(0.1, NaN, -2) });
  w.dataset('/a/c/empty', { dtype: 'f64', shape: [0], data: new Float64Array(0) }, { gzip: 4 });
  w.group('/', { root: { dtype: 'f32', shape: [2], data: Float32Array.of(1.5, -0.25) } });
  const bytes = w.finish();
  assert.ok(isHdf5(bytes));
  const r = await openH5(bytes, 'mem');
  try {
    assert.equal(r.keys('/'), ['a']);
    assert.equal(r.keys('a'), ['b', 'c']);
    assert.equal(r.read('a/b/img'), img);
    assert.is(r.gzipLevel('a/b/img'), 4);
    const acts = r.read('a/c/acts').data as Float64Array;
    assert.is(acts[0], 0.1); assert.ok(Number.isNaN(acts[1])); assert.is(acts[2], -2);
    assert.equal(r.read('a/c/empty'), { dtype: 'f64', shape: [0], data: new Float64Array(0) });
    const at = r.attrs('a/b');
    assert.equal(at.name.data, ['héllo']);
    assert.equal(at.n, { dtype: 'i64', shape: [], data: BigInt64Array.of(-5n) });
    assert.equal(at.big, { dtype: 'u64', shape: [2], data: BigUint64Array.of(2n ** 64n - 1n, 3n) });
    assert.equal(r.attrs('/').root, { dtype: 'f32', shape: [2], data: Float32Array.of(1.5, -0.25) });
  } finally {
    r.close();
  }
});

test('refuses bytes that are not HDF5, and values whose count does not fit their shape', async () => {
  await rejects(openH5(new TextEncoder().encode('not an hdf5 file at all'), 'x.h5'), FormatError, 'x.h5 is not an HDF5 file');
  const w = await createH5();
  try {
    assert.throws(() => w.dataset('/x', { dtype: 'f32', shape: [2, 2], data: new Float32Array(3) }), /3 values for shape \[2, 2\]/);
  } finally {
    w.abort();
  }
});

test.run();
