// A static file server on 127.0.0.1 (an ephemeral port) for page tests: each URL prefix maps to a folder or to
// a function giving the bytes. Only GET; 404 for anything else.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.map': 'application/json' };

export type Route = string | ((path: string) => Uint8Array | null);

export async function serve(routes: Record<string, Route>): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    for (const [prefix, route] of Object.entries(routes)) {
      if (!path.startsWith(prefix)) continue;
      const rel = normalize(path.slice(prefix.length) || 'index.html');
      if (rel.startsWith('..')) break;
      let body: Uint8Array | null = null;
      if (typeof route === 'function') body = route(rel);
      else if (existsSync(join(route, rel)) && statSync(join(route, rel)).isFile()) body = readFileSync(join(route, rel));
      if (!body) break;
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' });
      res.end(body);
      return;
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, close: () => new Promise((ok) => server.close(() => ok())) };
}
