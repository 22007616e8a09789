// No import cycles in the tensor layer (issue 12, item 24: tensor.ts and autograd.ts imported each other).
// Walks the TypeScript sources from every file under src/tensor, following relative imports and re-exports,
// type-only ones included (a type cycle is still two modules that cannot be understood one without the other),
// into whatever they reach (src/errors.ts, src/config.ts, shaders/), and fails on any cycle through src/tensor.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const test = suite('tensor import cycles');
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const tensorDir = join(repoRoot, 'src', 'tensor');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : name.endsWith('.ts') ? [p] : [];
  });
}

// `import ... from './x.js'`, `import type ...`, `export ... from`, `import './x.js'` and `import('./x.js')`
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|\n)\s*import\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

export function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  return [...src.matchAll(IMPORT)].map((m) => resolve(dirname(file), (m[1] ?? m[2] ?? m[3]).replace(/\.js$/, '.ts')));
}

/** Every cycle (as a list of files) found by a depth-first walk from `roots`. */
export function findCycles(roots: string[]): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'active');
    stack.push(f);
    for (const dep of importsOf(f)) {
      if (!statSync(dep, { throwIfNoEntry: false })?.isFile()) continue;
      const s = state.get(dep);
      if (s === 'active') cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const r of roots) if (!state.has(r)) visit(r);
  return cycles;
}

test('the import walker sees type-only imports, re-exports and dynamic imports', () => {
  const runtime = importsOf(join(tensorDir, 'runtime.ts')).map((f) => relative(tensorDir, f));
  assert.ok(runtime.includes('backend/backend.ts'), 'import type');
  assert.ok(runtime.includes('backend/webgpu/index.ts'), 'dynamic import');
  const index = importsOf(join(tensorDir, 'index.ts')).map((f) => relative(tensorDir, f));
  assert.ok(index.includes('ops/pool.ts'), 'export * from');
});

test('no import cycle reaches a file under src/tensor', () => {
  const files = tsFiles(tensorDir);
  assert.ok(files.length > 40, `found only ${files.length} files under ${tensorDir}`);
  const cycles = findCycles(files).filter((c) => c.some((f) => f.startsWith(tensorDir)));
  assert.equal(cycles.map((c) => c.map((f) => relative(repoRoot, f)).join(' -> ')), []);
});

test.run();
