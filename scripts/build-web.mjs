#!/usr/bin/env node
// Builds the browser files with esbuild (npm run build:web) into dist/web/:
//   dualneuron.js  the package entry (src/index.ts) as one ES module for browsers (no Node built-ins, no shims)
//   app.js         the example page's script (web/main.ts), which bundles the library itself
//   sw.js          the example page's service worker (web/sw.ts): the page opens offline once loaded
//   index.html     the example page (web/index.html)
// It fails if a bundle imports a Node built-in, and prints each bundle's size.
// Usage: node scripts/build-web.mjs [--out DIR]      (also importable: buildWeb({ out }))
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds into `out` (default dist/web); returns { file: bytes } of what it wrote. */
export async function buildWeb({ out = join(root, 'dist', 'web'), quiet = false } = {}) {
  mkdirSync(out, { recursive: true });
  const common = { bundle: true, platform: 'browser', format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
  await build({ ...common, entryPoints: [join(root, 'src/index.ts')], outfile: join(out, 'dualneuron.js') });
  await build({ ...common, entryPoints: [join(root, 'web/main.ts')], outfile: join(out, 'app.js') });
  await build({ ...common, entryPoints: [join(root, 'web/sw.ts')], outfile: join(out, 'sw.js') });
  copyFileSync(join(root, 'web/index.html'), join(out, 'index.html'));
  const sizes = {};
  for (const f of ['dualneuron.js', 'app.js', 'sw.js']) {
    const text = readFileSync(join(out, f), 'utf8');
    // a Node built-in left in a bundle would fail at load in a browser
    const bad = /\bfrom\s*["'](node:[\w/]+|fs|path|url|module|os|crypto|worker_threads|child_process)["']/.exec(text);
    if (bad) throw new Error(`build-web: ${f} imports the Node built-in '${bad[1]}'; something Node-only is reachable from the browser entry`);
    sizes[f] = statSync(join(out, f)).size;
  }
  if (!quiet) for (const [f, n] of Object.entries(sizes)) console.log(`${join(out, f)}  ${(n / 1024).toFixed(1)} KiB`);
  return sizes;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--out');
  buildWeb(i > 0 ? { out: resolve(process.argv[i + 1]) } : {}).catch((e) => { console.error(e.message); process.exit(1); });
}
