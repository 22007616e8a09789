// Typed readers (issue 12, item 23): dataF32/dataI32/dataU32/dataBool return exactly the array type they name
// on both backends (the CPU oracle's float64 values are rounded to float32), and refuse a tensor of another
// dtype with a DTypeError instead of handing back a differently typed array.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, cpu, type Backend } from '../../src/tensor/index.js';
import { DTypeError } from '../../src/errors.js';
import { gpu } from '../helpers/backends.js';

const test = suite('tensor typed readers');

// 0.1 and 1/3 are not float32 numbers: Math.fround gives the float32 value a Float32Array must hold
const VALUES = [0.1, -1 / 3, 2.5, 1e-40, 16777217];
const F32 = VALUES.map(Math.fround);

async function backends(): Promise<[string, Backend][]> {
  return [['cpu', cpu()], ['webgpu', await gpu()]];
}

test('dataF32 returns a Float32Array of float32-rounded values on both backends', async () => {
  for (const [name, b] of await backends()) {
    const t = Tensor.from(Float64Array.from(VALUES), [5], { backend: b, dtype: 'f32' });
    const d = await t.dataF32();
    assert.ok(d instanceof Float32Array, `${name}: got ${d.constructor.name}`);
    // WebGPU flushes denormals only in arithmetic, not in uploads/readbacks, so 1e-40 survives as float32
    assert.equal(Array.from(d), F32, name);
    t.dispose();
  }
});

test('the CPU oracle still returns float64 from data(), but dataF32 gives a fresh Float32Array', async () => {
  const t = Tensor.from(Float64Array.from(VALUES), [5], { backend: cpu(), dtype: 'f32' });
  const raw = await t.data();
  assert.ok(raw instanceof Float64Array);
  assert.is(raw[0], 0.1);
  const d = await t.dataF32();
  d[0] = 42; // a fresh array: writing to it changes nothing in the tensor
  assert.is((await t.data())[0], 0.1);
  t.dispose();
});

test('dataI32, dataU32 and dataBool return their own array types', async () => {
  for (const [name, b] of await backends()) {
    const i = Tensor.from([-3, 0, 7], [3], { backend: b, dtype: 'i32' });
    const u = Tensor.from([0, 1, 4294967295], [3], { backend: b, dtype: 'u32' });
    const m = Tensor.from([0, 2, 1], [3], { backend: b, dtype: 'f32' }).gt(0.5);
    const di = await i.dataI32(), du = await u.dataU32(), dm = await m.dataBool();
    assert.ok(di instanceof Int32Array, `${name} i32`);
    assert.ok(du instanceof Uint32Array, `${name} u32`);
    assert.ok(dm instanceof Uint8Array, `${name} bool`);
    assert.equal(Array.from(di), [-3, 0, 7]);
    assert.equal(Array.from(du), [0, 1, 4294967295]);
    assert.equal(Array.from(dm), [0, 1, 1]);
    [i, u, m].forEach((t) => t.dispose());
  }
});

test('a reader for another dtype is a DTypeError that names the tensor, its dtype and the right reader', async () => {
  for (const [name, b] of await backends()) {
    const i = Tensor.from([1, 2], [2], { backend: b, dtype: 'i32' });
    const f = Tensor.from([1, 2], [2], { backend: b, dtype: 'f32' });
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => i.dataF32(), /dataF32\(\): tensor #\d+ \(shape \[2\]\) is i32, not f32.*dataI32\(\).*\.to\('f32'\)/],
      [() => f.dataI32(), /dataI32\(\).* is f32, not i32.*dataF32\(\)/],
      [() => f.dataU32(), /dataU32\(\).* is f32, not u32/],
      [() => i.dataBool(), /dataBool\(\).* is i32, not bool/],
    ];
    for (const [read, message] of cases) {
      try {
        await read();
        assert.unreachable(`${name}: no error`);
      } catch (e) {
        assert.instance(e, DTypeError, `${name}: ${String(e)}`);
        assert.match((e as Error).message, message);
      }
    }
    i.dispose(); f.dispose();
  }
});

test.run();
