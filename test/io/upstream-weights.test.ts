// The real upstream V1 checkpoints, mask and prior (outside the repository; skipped when absent), checked against
// values printed by torch.load / np.load in tools/golden/io_fixtures.py.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toFloat64 } from '../../src/io/host-array.js';
import { readNpy } from '../../src/io/npy.js';
import { readTorchCheckpoint } from '../../src/io/pytorch.js';
import { requireUpstream, withUpstream } from '../helpers/upstream.js';
import { type Json, ioFixture } from './io-helpers.js';

const test = suite('io/upstream-weights');
const want: Json = JSON.parse(readFileSync(ioFixture('upstream_expected.json'), 'utf8'));

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

withUpstream(test)('all five V1 ConvNeXt checkpoints: keys, shapes, dtypes and values match torch.load', () => {
  const up = requireUpstream();
  const keys = want.v1[0].keys as Record<string, { dtype: string; shape: number[] }>;
  for (const rec of want.v1) {
    const sd = readTorchCheckpoint(join(up, 'V1GrayTaskDriven', rec.file));
    assert.is(sd.size, rec.nkeys, rec.file);
    assert.is(sd.size, 37);
    assert.equal([...sd.keys()], Object.keys(keys), `${rec.file}: key order`);
    for (const [k, info] of Object.entries(keys)) {
      const a = sd.get(k)!;
      assert.is(a.dtype, info.dtype, `${rec.file}:${k}`);
      assert.equal(a.shape, info.shape, `${rec.file}:${k}`);
    }
    for (const [k, v] of Object.entries(rec.values as Record<string, Json>)) {
      const a = sd.get(k)!;
      assert.equal(a.shape, v.shape, k);
      if (a.dtype === 'i64') {
        const d = a.data as BigInt64Array;
        assert.equal(Array.from(d.subarray(0, 4), String), v.first, `${rec.file}:${k}`);
        assert.is(String(d[d.length - 1]), v.last);
        continue;
      }
      const f = toFloat64(a);
      assert.equal(Array.from(f.subarray(0, 4)), v.first, `${rec.file}:${k} first values`);
      assert.is(f[f.length - 1], v.last, `${rec.file}:${k} last value`);
      assert.ok(Math.abs(sum(f) - v.sum) <= 1e-9 * Math.max(1, Math.abs(v.sum)), `${rec.file}:${k} sum ${sum(f)} vs ${v.sum}`);
    }
  }
  const nbt = readTorchCheckpoint(join(up, 'V1GrayTaskDriven', 'v1_convnext_1.pth.tar')).get('core.features.OutBatchNorm.num_batches_tracked')!;
  assert.equal([nbt.dtype, nbt.shape, nbt.data.length], ['i64', [], 1]);
});

withUpstream(test)('mask.npy (float64 93x93) and priors/natural_rgb.npy (float32 3x100x100)', () => {
  const up = requireUpstream();
  for (const key of ['mask', 'natural_rgb']) {
    const w = want[key];
    const a = readNpy(join(up, w.path));
    assert.is(a.dtype, w.dtype, key);
    assert.equal(a.shape, w.shape, key);
    const f = toFloat64(a);
    for (const [i, v] of w.at as [number, number][]) assert.is(f[i], v, `${key}[${i}]`);
    assert.ok(Math.abs(sum(f) - w.sum) <= 1e-9 * Math.abs(w.sum), `${key} sum`);
  }
  assert.equal(readNpy(join(up, 'V1GrayTaskDriven', 'mask.npy')).shape, [93, 93]);
  assert.equal(readNpy(join(up, 'priors', 'natural_rgb.npy')).shape, [3, 100, 100]);
});

test.run();
