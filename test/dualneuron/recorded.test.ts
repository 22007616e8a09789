// Recorded data in: the DATA folder, the notebook's trial table (CSV and structured .npy), a bare matrix, image
// folders and stacks, the split and the notebook's preprocessing; every bad input named.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError, InputError } from '../../src/errors.js';
import { parseNpyHeader, writeNpy } from '../../src/io/npy.js';
import { makePipeline, imageToInput } from '../../src/dualneuron/input/pipeline.js';
import { TWINS } from '../../src/models/twins/registry.js';
import { writePNG } from '../../src/io/image/index.js';
import { fixture } from '../helpers/fixtures.js';
import { loadRecorded, preprocessForTwin, preprocessNotebook, repeatGroups, splitImages, stackImage, type RecordedData } from '../../src/dualneuron/recorded/index.js';

const test = suite('dualneuron/recorded');
const tmp = () => mkdtempSync(join(tmpdir(), 'dn-recorded-'));

function throwsWith(fn: () => unknown, ...parts: string[]): void {
  try { fn(); } catch (e) {
    assert.ok(e instanceof InputError || e instanceof FormatError, `not a typed error: ${(e as Error).stack}`);
    for (const p of parts) assert.ok((e as Error).message.includes(p), `"${(e as Error).message}" lacks "${p}"`);
    return;
  }
  assert.unreachable('no error');
}

/** per neuron id, per image id: the recorded values in repeat order */
function byIds(d: RecordedData): Map<string, number[]> {
  const m = new Map<string, number[]>();
  d.neuronIds.forEach((nid, n) => repeatGroups(d.responses, n).forEach((g, i) => { if (g.length) m.set(`${nid}/${d.imageIds[i]}`, g); }));
  return m;
}

const folder = () => loadRecorded(fixture('oracle', 'data'));

test('DATA folder: ids, shapes, NaN for repeats not recorded, images', () => {
  const d = folder();
  const meta = JSON.parse(readFileSync(fixture('oracle', 'data', 'dataset.json'), 'utf8'));
  assert.equal(d.neuronIds, meta.neuron_ids);
  assert.equal(d.imageIds, meta.image_ids);
  assert.equal([d.responses.repeats, d.responses.images, d.responses.neurons], [7, 30, 14]);
  assert.ok(d.responses.data.some(Number.isNaN));
  assert.equal([d.images!.count, d.images!.height, d.images!.width, d.images!.channels], [30, 6, 8, 1]);
  assert.is(d.windowS, 0.25);
});

test('the trial table (CSV in the notebook column order, and structured .npy) gives the folder\'s responses', () => {
  const want = byIds(folder());
  for (const f of ['trials.csv', 'trials.npy']) {
    const d = loadRecorded(fixture('oracle', f));
    assert.is(d.layout, 'trial-table');
    const got = byIds(d);
    assert.is(got.size, want.size, f);
    for (const [k, v] of want) assert.equal(got.get(k), v, `${f} ${k}`);
    // ids sorted numerically; the neuron without any response has no rows, so it is absent
    assert.equal(d.neuronIds, [...d.neuronIds].sort((a, b) => Number(a) - Number(b)));
    assert.is(d.neuronIds.length, 13);
  }
});

test('missing (trial, neuron) rows: NaN by default, 0 with missingRows zero', () => {
  const dir = tmp();
  const f = join(dir, 't.csv');
  writeFileSync(f, 'trial_id,neuron_id,image_id,spike_count\n1,a,5,2\n1,b,5,1\n2,a,5,4\n3,a,6.0,0\n');
  const nan = loadRecorded(f), zero = loadRecorded(f, { missingRows: 'zero' });
  assert.equal(nan.imageIds, ['5', '6']);
  assert.equal(repeatGroups(nan.responses, 1), [[1], []]);
  assert.equal(repeatGroups(zero.responses, 1), [[1, 0], [0]]);
  assert.equal(repeatGroups(zero.responses, 0), [[2, 4], [0]]);
});

test('bad tables are refused with the file, the line and what to do', () => {
  const dir = tmp();
  const bad = (name: string, body: string, ...parts: string[]) => {
    const f = join(dir, name);
    writeFileSync(f, body);
    throwsWith(() => loadRecorded(f), f, ...parts);
  };
  const H = 'trial_id,neuron_id,image_id,spike_count\n';
  bad('nan.csv', `${H}1,a,5,2\n2,a,5,NaN\n`, 'line 3', 'spike_count is NaN');
  bad('empty.csv', `${H}1,a,5,2\n2,a,5,\n`, 'line 3', 'spike_count is empty');
  bad('neg.csv', `${H}1,a,5,2\n2,a,5,-1\n`, 'line 3', 'negative');
  bad('text.csv', `${H}1,a,5,2\n2,a,5,two\n`, 'line 3', "'two' is not a number");
  bad('mixed.csv', `${H}1,7,5,2\n2,a,5,1\n`, 'neuron_id mixes numbers (line 2: 7) and text (line 3', 'one type');
  bad('dup.csv', `${H}1,a,5,2\n1,a,5,3\n`, 'appear twice (line 2 and line 3)');
  bad('twoimages.csv', `${H}1,a,5,2\n1,b,6,3\n`, 'trial 1 has image_id 5 (line 2) and 6 (line 3)');
  bad('nocol.csv', 'trial_id,unit_id,image_id,spike_count\n1,a,5,2\n', "no column 'neuron_id'");
  bad('noid.csv', `${H}1,,5,2\n`, 'line 2', 'neuron_id is empty');
  bad('table.txt', `${H}1,a,5,2\n`, 'unknown kind of file');
});

test('images for a table: stack by id (Allen template layout) or a folder by file name; mismatches named', () => {
  const dir = tmp();
  const table = join(dir, 't.csv');
  writeFileSync(table, 'trial_id,neuron_id,image_id,spike_count\n1,a,2,2\n2,a,0,1\n3,a,2,4\n');
  const stack = new Uint8Array(3 * 2 * 3).map((_, k) => k);
  writeNpy(join(dir, 'images.npy'), { dtype: 'u8', shape: [3, 2, 3], data: stack });
  const d = loadRecorded(table, { images: join(dir, 'images.npy') });
  assert.equal(d.imageIds, ['0', '2']);
  assert.equal(Array.from(d.images!.data), [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17]);
  writeFileSync(table, 'trial_id,neuron_id,image_id,spike_count\n1,a,-1,2\n2,a,0,1\n3,a,3,4\n');
  throwsWith(() => loadRecorded(table, { images: join(dir, 'images.npy') }), 'image id(s) -1, 3 have no image', 'ids 0..2', 'Drop those rows');
  // a folder: 7 -> 007.png; gray files stay gray unless one is colour; other files are ignored
  const imgs = join(dir, 'imgs');
  mkdirSync(imgs);
  writePNG(join(imgs, '007.png'), { width: 4, height: 3, channels: 1, data: new Uint8Array(12).fill(9) });
  writePNG(join(imgs, '8.png'), { width: 4, height: 3, channels: 3, data: new Uint8Array(36).fill(200) });
  writeFileSync(join(imgs, 'notes.txt'), 'not an image');
  writeFileSync(table, 'trial_id,neuron_id,image_id,spike_count\n1,a,7,2\n2,a,8,1\n');
  const f = loadRecorded(table, { images: imgs });
  assert.equal([f.images!.count, f.images!.height, f.images!.width, f.images!.channels], [2, 3, 4, 3]);
  assert.equal(Array.from(f.images!.data.subarray(0, 3)), [9, 9, 9]);
  assert.equal(Array.from(f.images!.data.subarray(36, 39)), [200, 200, 200]);
  writeFileSync(table, 'trial_id,neuron_id,image_id,spike_count\n1,a,7,2\n2,a,9,1\n');
  throwsWith(() => loadRecorded(table, { images: imgs }), 'no image file for image id(s) 9', imgs, '<id>.png');
  writePNG(join(imgs, '9.png'), { width: 5, height: 3, channels: 1, data: new Uint8Array(15) });
  throwsWith(() => loadRecorded(table, { images: imgs }), '9.png is 5x3', '007.png is 4x3', 'one size');
});

test('DATA folder errors name the file, the key and the shape', () => {
  const fresh = () => { const d = join(tmp(), 'DATA'); cpSync(fixture('oracle', 'data'), d, { recursive: true }); return d; };
  const meta = () => JSON.parse(readFileSync(fixture('oracle', 'data', 'dataset.json'), 'utf8'));
  let d = fresh();
  writeFileSync(join(d, 'dataset.json'), JSON.stringify({ ...meta(), repeats: 6 }));
  throwsWith(() => loadRecorded(d), 'responses.npy: shape (7, 30, 14)', '(6, 30, 14)');
  d = fresh();
  writeFileSync(join(d, 'dataset.json'), JSON.stringify({ ...meta(), image_shape: [8, 6] }));
  throwsWith(() => loadRecorded(d), 'images.npy: images have shape (6, 8) each', 'image_shape [8, 6]');
  d = fresh();
  writeFileSync(join(d, 'dataset.json'), JSON.stringify({ ...meta(), neuron_ids: meta().neuron_ids.slice(1) }));
  throwsWith(() => loadRecorded(d), 'dataset.json', '"neuron_ids" has 13 ids but the data have 14');
  d = fresh();
  const ids = meta().image_ids; ids[3] = ids[0];
  writeFileSync(join(d, 'dataset.json'), JSON.stringify({ ...meta(), image_ids: ids }));
  throwsWith(() => loadRecorded(d), `lists id ${ids[0]} twice (entries 0 and 3)`);
  d = fresh();
  writeFileSync(join(d, 'dataset.json'), JSON.stringify({ ...meta(), neuron_ids: [1, ...meta().neuron_ids.slice(1)] }));
  throwsWith(() => loadRecorded(d), '"neuron_ids" mixes strings and numbers');
  d = fresh();
  const r = new Float32Array(7 * 30 * 14).fill(1); r[5] = -2;
  writeNpy(join(d, 'responses.npy'), { dtype: 'f32', shape: [7, 30, 14], data: r });
  throwsWith(() => loadRecorded(d), 'responses.npy: spike count [repeat 0, image 0', 'neuron 5', 'negative (-2)', '"response_unit": "rate"');
  r[5] = Infinity;
  writeNpy(join(d, 'responses.npy'), { dtype: 'f32', shape: [7, 30, 14], data: r });
  throwsWith(() => loadRecorded(d), 'is Infinity', 'finite');
  d = fresh();
  writeNpy(join(d, 'images.npy'), { dtype: 'f32', shape: [30, 6, 8], data: new Float32Array(30 * 48) });
  throwsWith(() => loadRecorded(d), 'images.npy: images must be uint8');
  d = fresh();
  writeNpy(join(d, 'images.npy'), { dtype: 'u8', shape: [29, 6, 8], data: new Uint8Array(29 * 48) });
  throwsWith(() => loadRecorded(d), '29 images but the responses have 30');
  d = fresh();
  writeFileSync(join(d, 'dataset.json'), JSON.stringify({ ...meta(), format: 'other' }));
  throwsWith(() => loadRecorded(d), '"format" is "other"');
  throwsWith(() => loadRecorded(tmp()), 'without', 'dataset.json');
  throwsWith(() => loadRecorded(fixture('oracle', 'data'), { images: 'x.npy' }), 'drop --images');
});

test('a bare matrix (R, I, N) or (I, N): positional ids, images by position', () => {
  const d = loadRecorded(fixture('oracle', 'data', 'responses.npy'), { images: fixture('oracle', 'data', 'images.npy') });
  assert.is(d.layout, 'matrix');
  assert.equal(d.neuronIds.slice(0, 3), ['0', '1', '2']);
  assert.equal(Array.from(d.responses.data.slice(0, 50)), Array.from(folder().responses.data.slice(0, 50)));
  const dir = tmp();
  writeNpy(join(dir, 'm.npy'), { dtype: 'f32', shape: [5, 2], data: new Float32Array(10).fill(1) });
  const m = loadRecorded(join(dir, 'm.npy'));
  assert.equal([m.responses.repeats, m.responses.images, m.responses.neurons], [1, 5, 2]);
  throwsWith(() => loadRecorded(join(dir, 'm.npy'), { images: fixture('oracle', 'data', 'images.npy') }), 'holds 30 images', 'has 5 images');
  writeNpy(join(dir, 'v.npy'), { dtype: 'f32', shape: [5], data: new Float32Array(5) });
  throwsWith(() => loadRecorded(join(dir, 'v.npy')), '(repeats, images, neurons) or (images, neurons)');
});

test('split by image: disjoint, complete, seeded, sizes from the fractions', () => {
  const a = splitImages(118, { seed: 3n, validation: 0.1, test: 0.2 });
  assert.equal([a.train.length, a.validation.length, a.test.length], [82, 12, 24]);
  const all = [...a.train, ...a.validation, ...a.test].sort((x, y) => x - y);
  assert.equal(all, Array.from({ length: 118 }, (_, k) => k));
  assert.equal(splitImages(118, { seed: 3n, validation: 0.1, test: 0.2 }), a);
  assert.not.equal(splitImages(118, { seed: 4n, validation: 0.1, test: 0.2 }).test, a.test);
  throwsWith(() => splitImages(3, { seed: 0n, validation: 0.5, test: 0.4 }), 'at least 1 training image');
});

// tools/golden/image_fixtures.py `hash_image` (as test/io/image-resize.test.ts): the PIL resize cases' inputs
function hashImage(w: number, h: number, seed: number, smooth: boolean): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = (Math.imul(x, 73856093) ^ Math.imul(y, 19349663) ^ Math.imul(seed, 2654435761 | 0)) >>> 0;
      v = Math.imul(v ^ (v >>> 13), 1274126177) >>> 0;
      v = (v ^ (v >>> 16)) >>> 0;
      const noise = v >>> 24;
      out[y * w + x] = smooth ? Math.floor((((Math.floor((x * 255) / Math.max(w - 1, 1)) + Math.floor((y * 127) / Math.max(h - 1, 1))) % 256) * 3 + noise) / 4) : noise;
    }
  }
  return out;
}

test('notebook preprocessing (L, PIL bilinear resize, /255) reproduces PIL on the recorded resize cases', () => {
  const manifest = JSON.parse(readFileSync(fixture('images', 'manifest.json'), 'utf8')) as {
    resizeCases: { mode: string; seed: number; smooth: boolean; in: [number, number]; out: [number, number]; sum: number; first: number[] }[];
  };
  const cases = manifest.resizeCases.filter((c) => c.mode === 'L');
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    const [w, h] = c.in, [ow, oh] = c.out;
    const x = preprocessNotebook({ count: 1, height: h, width: w, channels: 1, data: hashImage(w, h, c.seed, c.smooth) }, [oh, ow]);
    assert.equal(x.shape, [1, 1, oh, ow]);
    const bytes = Array.from(x.data, (v) => Math.round(v * 255));
    assert.equal(bytes.slice(0, c.first.length), c.first, `${w}x${h} -> ${ow}x${oh}`);
    assert.is(bytes.reduce((s, v) => s + v, 0), c.sum, `${w}x${h} -> ${ow}x${oh} sum`);
  }
});

test('structured .npy header: field offsets as NumPy packs them (itemsize 68); plain readers still refuse records', () => {
  const bytes = new Uint8Array(readFileSync(fixture('oracle', 'trials.npy')));
  const h = parseNpyHeader(bytes, 'trials.npy', { structured: true });
  assert.equal(h.fields!.map((f) => [f.name, f.offset, f.size]), [['trial_id', 0, 8], ['neuron_id', 8, 48], ['spike_count', 56, 8], ['image_id', 64, 4]]);
  assert.equal(h.shape, [1199]);
  throwsWith(() => parseNpyHeader(bytes, 'trials.npy'), 'structured (record) dtypes are not supported');
});

test('twin preprocessing stacks the screening pipeline of each chosen image', () => {
  const spec = TWINS.v1;
  const S = spec.screening.size;
  const mask = { dtype: 'f32' as const, shape: [S, S], data: new Float32Array(S * S).map((_, k) => (k % S) / S) };
  const pipe = makePipeline(spec, mask, 'rendered');
  const d = folder();
  const x = preprocessForTwin(d.images!, pipe, [4, 1]);
  const [C, H, W] = spec.inputShape;
  assert.equal(x.shape, [2, C, H, W]);
  assert.equal(Array.from(x.data.subarray(0, C * H * W)), Array.from(imageToInput(pipe, stackImage(d.images!, 4))));
  assert.equal(Array.from(x.data.subarray(C * H * W)), Array.from(imageToInput(pipe, stackImage(d.images!, 1))));
  assert.not.equal(Array.from(x.data.subarray(0, 20)), Array.from(x.data.subarray(C * H * W, C * H * W + 20)));
});

test.run();
