// A byte cache for fetched weight files in the browser's Cache API (persistent, per origin), so a page loads its
// twin offline after the first visit. It only stores and returns bytes: WeightsUrl checks every file it returns,
// cached or fetched, against the manifest's sha256 (as the Node cache checks its files), and drops a cached copy
// that fails the check.
import { WeightsError } from '../../errors.js';

/** Where WeightsUrl keeps fetched files (keyed by URL); any store with these three methods will do. */
export interface WeightsByteCache {
  get(url: string): Promise<Uint8Array | null>;
  put(url: string, bytes: Uint8Array): Promise<void>;
  delete(url: string): Promise<void>;
}

/** The Cache API store `name` (default 'dualneuron-weights'); throws when this host has no Cache API. */
export async function browserWeightsCache(name = 'dualneuron-weights'): Promise<WeightsByteCache> {
  const storage = (globalThis as { caches?: CacheStorage }).caches;
  if (!storage) throw new WeightsError('this environment has no Cache API (globalThis.caches; browsers offer it only on https:// or localhost pages): load without the cache');
  const cache = await storage.open(name);
  return {
    async get(url) {
      const res = await cache.match(url);
      return res ? new Uint8Array(await res.arrayBuffer()) : null;
    },
    async put(url, bytes) {
      await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } }));
    },
    async delete(url) {
      await cache.delete(url);
    },
  };
}
