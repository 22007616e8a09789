// The example page's service worker: keeps the page's own files (index.html, app.js) in the Cache API so that the
// page opens offline once it has been loaded (the twin's weights are cached by the page itself, sha256-checked,
// through browserWeightsCache). A cached copy is answered at once and refreshed from the server in the background
// (stale-while-revalidate), so an updated page shows on the next visit. Nothing else is intercepted.
export {}; // a module (its names stay local)

const CACHE = 'dualneuron-page';
const FILES = ['index.html', 'app.js'];

// the few ServiceWorkerGlobalScope members used here (the project compiles against the DOM library)
interface FetchEventLike extends Event { request: Request; respondWith(r: Promise<Response>): void; waitUntil(p: Promise<unknown>): void }
interface ExtendableEventLike extends Event { waitUntil(p: Promise<unknown>): void }
const sw = self as unknown as {
  registration: { scope: string };
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', f: (e: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', f: (e: FetchEventLike) => void): void;
};

/** the page file a request asks for ('' is the folder itself, answered with index.html), or null */
function pageFile(req: Request): string | null {
  if (req.method !== 'GET') return null;
  const url = new URL(req.url), scope = new URL(sw.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  const rel = url.pathname.slice(scope.pathname.length);
  if (rel === '') return 'index.html';
  return FILES.includes(rel) ? rel : null;
}

sw.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => sw.skipWaiting()));
});
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));
sw.addEventListener('fetch', (e) => {
  const file = pageFile(e.request);
  if (!file) return;
  const key = new URL(file, sw.registration.scope).href;
  e.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const cached = await cache.match(key);
    const fresh = fetch(e.request).then(async (res) => {
      if (res.ok) await cache.put(key, res.clone());
      return res;
    });
    if (!cached) return fresh;
    e.waitUntil(fresh.catch(() => undefined)); // offline or the server gone: the cached copy stands
    return cached;
  })());
});
