// Loading without a file system: WeightsUrl / fetchTwin over a fetch that serves a weights folder, and
// loadTwinFromBytes. Oracles: node:crypto's sha256 (the manifest checks), the Node loader loadTwin on the same
// files (the twin must give identical outputs), and damaged bytes / missing files (clear errors naming the file).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '../../src/io/npy-format.js';
import { WeightsUrl, fetchTwin, loadTwinFromBytes, memberPath, sha256Hex } from '../../src/models/twins/load-bytes.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { noGrad, tidy, Tensor } from '../../src/tensor/index.js';
import { FormatError, WeightsError } from '../../src/errors.js';
import { gpu, seededValues } from '../helpers/backends.js';
import { withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';

const test = suite('twins from bytes and URLs');

/** A fetch answering from an in-memory folder (404 for anything else). */
function fakeFetch(files: Record<string, Uint8Array | string>): typeof fetch {
  return (async (input: string | URL | Request) => {
    const path = String(input).replace(/^mem:\/\/w\//, '');
    const body = files[path];
    if (body === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
    return new Response(typeof body === 'string' ? body : (body as Uint8Array<ArrayBuffer>));
  }) as typeof fetch;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('sha256Hex equals node:crypto', async () => {
  for (const n of [0, 1, 55, 56, 64, 1000]) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
    assert.is(await sha256Hex(b), sha(b));
  }
});

test('a .npy of the folder is checked against the manifest and parsed', async () => {
  const npy = encodeNpy({ dtype: 'f32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
  const manifest = JSON.stringify({ format: 1, files: { 'priors/p.npy': { sha256Stored: sha(npy) }, 'priors/q.npy': { sha256Stored: sha(npy) } } });
  const bad = npy.slice(); bad[bad.length - 1] ^= 1;
  const w = await WeightsUrl.open('mem://w/', { fetch: fakeFetch({ 'manifest.json': manifest, 'priors/p.npy': npy, 'priors/q.npy': bad }) });
  const a = await w.npy('priors/p.npy');
  assert.equal(a.shape, [2, 3]);
  assert.equal(Array.from(a.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  await w.npy('priors/q.npy').then(() => assert.unreachable('corrupt file accepted'), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'mem://w/priors/q.npy is corrupt');
    assert.match(e.message, sha(npy));
  });
  await w.npy('priors/r.npy').then(() => assert.unreachable('unlisted file accepted'), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'priors/r.npy is not listed');
  });
});

test('a missing or malformed manifest is a WeightsError naming the URL', async () => {
  await WeightsUrl.open('mem://w', { fetch: fakeFetch({}) }).then(() => assert.unreachable(), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'mem://w/manifest.json: HTTP 404');
  });
  await WeightsUrl.open('mem://w', { fetch: fakeFetch({ 'manifest.json': '{"format": 1' }) }).then(() => assert.unreachable(), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'mem://w/manifest.json is not valid JSON');
  });
  await WeightsUrl.open('mem://w', { fetch: fakeFetch({ 'manifest.json': '[]' }) }).then(() => assert.unreachable(), (e) => {
    assert.match(e.message, 'no "files" map');
  });
});

withUpstream(test)('fetchTwin and loadTwinFromBytes give the Node loader\'s outputs; bad bytes name the file', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const files: Record<string, Uint8Array> = { 'manifest.json': readFileSync(join(home, 'manifest.json')) };
  for (const k of [2, 4]) files[memberPath('v1', k)] = readFileSync(join(home, memberPath('v1', k)));
  const x = Tensor.from(seededValues(2 * 93 * 93, 7), [2, 1, 93, 93], { backend: g });
  const run = async (m: { forward(t: Tensor): Tensor }) => { const y = noGrad(() => tidy(() => m.forward(x))); const d = await y.data(); y.dispose(); return Array.from(d); };

  const want = loadTwin('v1', { members: [2, 4], backend: g, weightsDir: home });
  const fetched = await fetchTwin('v1', 'mem://w', { members: [2, 4], backend: g, fetch: fakeFetch(files) });
  const fromBytes = loadTwinFromBytes('v1', new Map([[2, files[memberPath('v1', 2)]], [4, files[memberPath('v1', 4)]]]), { backend: g });
  const y = await run(want.model);
  assert.equal(await run(fetched.model), y);
  assert.equal(await run(fromBytes.model), y);
  assert.equal(fetched.weightsSha256, want.weightsSha256);
  assert.equal(fetched.model.memberIds, [2, 4]);
  for (const t of [want, fetched, fromBytes]) t.model.dispose();
  x.dispose();

  const cut = files[memberPath('v1', 2)].slice(0, 5000);
  assert.throws(() => loadTwinFromBytes('v1', new Map([[2, cut]]), { backend: g }), (e: Error) => e instanceof FormatError && e.message.includes('V1GrayTaskDriven/member_2.safetensors'));
  await fetchTwin('v1', 'mem://w', { members: [3], backend: g, fetch: fakeFetch(files) }).then(() => assert.unreachable(), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'V1GrayTaskDriven/member_3.safetensors');
  });
  assert.throws(() => loadTwinFromBytes('v1', new Map([[6, cut]]), { backend: g }), /members 1\.\.5; got 6/);
});

test.run();
