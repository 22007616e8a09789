// `npm run bench [-- --quick] [names...]`: runs bench/*.bench.js and prints the adapter and every figure next
// to PyTorch CPU on the same machine. Names filter the bench files (e.g. `tensor`, `conv`).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { init, shutdownAll } from '../src/tensor/index.js';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const backend = await init('webgpu');
console.log(`# dualneuron benchmarks  ${new Date().toISOString()}`);
console.log(`adapter: ${backend.describe()}`);
console.log(`host: ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, node ${process.version}`);
const files = readdirSync(here).filter((f) => f.endsWith('.bench.js')).sort().filter((f) => names.length === 0 || names.some((n) => f.includes(n)));
for (const f of files) {
  const mod = (await import(join(here, f))) as { run: (b: typeof backend, o: { quick: boolean }) => Promise<void> };
  console.log(`\n# ${f.replace('.bench.js', '')}`);
  await mod.run(backend, { quick });
}
await shutdownAll();
