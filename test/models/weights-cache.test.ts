// WeightsUrl with a byte cache (the browser page keeps weights in the Cache API through browserWeightsCache; here
// an in-memory store with the same three methods): cached copies are used only when they pass the manifest's
// sha256 (node:crypto is the oracle of the manifest), a damaged copy is dropped and fetched again, fetched files
// are stored, and the manifest comes from the cache only when the server does not answer. The Cache API itself is
// exercised in headless Chromium (test/web/page.test.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { encodeNpy } from '../../src/io/npy-format.js';
import { WeightsUrl } from '../../src/models/twins/load-bytes.js';
import type { WeightsByteCache } from '../../src/models/twins/weights-cache-web.js';
import { browserWeightsCache } from '../../src/models/twins/weights-cache-web.js';
import { WeightsError } from '../../src/errors.js';

const test = suite('weights byte cache');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function memoryCache(): WeightsByteCache & { store: Map<string, Uint8Array> } {
  const store = new Map<string, Uint8Array>();
  return { store, get: async (u) => store.get(u) ?? null, put: async (u, b) => { store.set(u, b.slice()); }, delete: async (u) => { store.delete(u); } };
}

/** A folder served by a fetch that counts requests; `down` makes every request fail as a network error. */
function server(files: Record<string, Uint8Array | string>) {
  const asked: string[] = [];
  const s = {
    asked, down: false,
    fetch: (async (input: string | URL | Request) => {
      if (s.down) throw new TypeError('Failed to fetch');
      const path = String(input).replace(/^mem:\/\/w\//, '');
      asked.push(path);
      const body = files[path];
      if (body === undefined) return new Response('not found', { status: 404, statusText: 'Not Found' });
      return new Response(typeof body === 'string' ? body : (body as Uint8Array<ArrayBuffer>));
    }) as typeof fetch,
  };
  return s;
}

const npy = encodeNpy({ dtype: 'f32', shape: [3], data: Float32Array.from([1, 2, 3]) });
const manifest = JSON.stringify({ format: 1, files: { 'priors/p.npy': { sha256Stored: sha(npy) } } });

test('the second read comes from the cache; a damaged cached copy is fetched again; offline from the cache', async () => {
  const srv = server({ 'manifest.json': manifest, 'priors/p.npy': npy });
  const cache = memoryCache();
  const from: string[] = [];
  const open = () => WeightsUrl.open('mem://w/', { fetch: srv.fetch, cache, onFile: (_p, _n, f) => from.push(f) });
  assert.equal(Array.from((await (await open()).npy('priors/p.npy')).data as Float32Array), [1, 2, 3]);
  assert.equal(srv.asked, ['manifest.json', 'priors/p.npy']);
  assert.ok(cache.store.has('mem://w/priors/p.npy') && cache.store.has('mem://w/manifest.json'));
  srv.asked.length = 0;
  await (await open()).npy('priors/p.npy');
  assert.equal(srv.asked, ['manifest.json'], 'the file itself is not fetched again');
  // a damaged cached copy: dropped, fetched, stored again
  const bad = npy.slice(); bad[bad.length - 1] ^= 1;
  cache.store.set('mem://w/priors/p.npy', bad);
  srv.asked.length = 0;
  await (await open()).npy('priors/p.npy');
  assert.equal(srv.asked, ['manifest.json', 'priors/p.npy']);
  assert.equal(sha(cache.store.get('mem://w/priors/p.npy')!), sha(npy));
  // offline: manifest and file from the cache
  srv.down = true;
  await (await open()).npy('priors/p.npy');
  assert.equal(from, ['network', 'cache', 'network', 'cache']);
});

test('a corrupt download is not cached; offline without a cached manifest is the fetch error', async () => {
  const bad = npy.slice(); bad[0] ^= 1;
  const srv = server({ 'manifest.json': manifest, 'priors/p.npy': bad });
  const cache = memoryCache();
  await (await WeightsUrl.open('mem://w/', { fetch: srv.fetch, cache })).npy('priors/p.npy').then(() => assert.unreachable('corrupt file accepted'), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'is corrupt');
  });
  assert.not.ok(cache.store.has('mem://w/priors/p.npy'));
  srv.down = true;
  await WeightsUrl.open('mem://x/', { fetch: srv.fetch, cache }).then(() => assert.unreachable(), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'Failed to fetch');
  });
});

test('browserWeightsCache: a round trip where the host has the Cache API (Deno), a clear error where not (Node 20)', async () => {
  if ('caches' in globalThis) {
    const c = await browserWeightsCache('dualneuron-test');
    await c.put('https://example.org/w/p.npy', npy);
    assert.equal(Array.from((await c.get('https://example.org/w/p.npy'))!), Array.from(npy));
    await c.delete('https://example.org/w/p.npy');
    assert.is(await c.get('https://example.org/w/p.npy'), null);
    return;
  }
  await browserWeightsCache().then(() => assert.unreachable(), (e) => {
    assert.instance(e, WeightsError);
    assert.match(e.message, 'no Cache API');
  });
});

test.run();
