// Benchmark helpers: timing with warm-up, running the PyTorch counterpart on the same machine, printing a table
// of our figure, PyTorch's figure and the ratio.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/tensor/index.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Row {
  name: string;
  /** our figure (higher is better) */
  ours: number;
  unit: string;
  /** PyTorch CPU figure for the same work, same unit */
  torch?: number | null;
  note?: string;
}

/** Seconds per call of `fn` (which encodes GPU work), synchronising with the device around the timed loop. */
export async function timeIt(backend: Backend, fn: () => void, opts: { warmup?: number; minSeconds?: number; maxReps?: number } = {}): Promise<number> {
  for (let i = 0; i < (opts.warmup ?? 2); i++) fn();
  await backend.sync();
  const minS = opts.minSeconds ?? 1.5, maxReps = opts.maxReps ?? 1000;
  let reps = 0;
  const t0 = performance.now();
  while (reps < maxReps) {
    fn();
    reps++;
    if (reps % 4 === 0 || reps === 1) {
      await backend.sync();
      if ((performance.now() - t0) / 1000 >= minS) break;
    }
  }
  await backend.sync();
  return (performance.now() - t0) / 1000 / reps;
}

let torchInfo: { ok: boolean; why?: string } | null = null;

/** The Python that runs the baselines (DUALNEURON_TORCH_PYTHON; default Debian's /usr/bin/python3 with python3-torch). */
const torchPython = process.env.DUALNEURON_TORCH_PYTHON ?? '/usr/bin/python3';
/** Where the baselines run: DUALNEURON_TORCH_DEVICE=cuda puts them on the GPU (bench/torch/timing.py); default CPU. */
export const torchDevice = process.env.DUALNEURON_TORCH_DEVICE ?? 'cpu';

/**
 * Run bench/torch/<script>.py with the baseline Python; on the CPU with 2 threads, OpenBLAS single-threaded, glibc
 * malloc tuned as ../shared/docs/WEBGPU-ON-CPU.md advises. Returns its JSON output or null (with a reason).
 */
export function runTorch(script: string, args: Record<string, unknown>): Record<string, number> | null {
  if (!torchInfo) {
    const probe = existsSync(torchPython) || !torchPython.includes('/') ? spawnSync(torchPython, ['-c', 'import torch'], { encoding: 'utf8' }) : null;
    torchInfo = probe && probe.status === 0 ? { ok: true } : { ok: false, why: 'python3-torch not installed (bash scripts/setup.sh --with-python)' };
    if (!torchInfo.ok) console.log(`  PyTorch baseline unavailable: ${torchInfo.why}`);
  }
  if (!torchInfo.ok) return null;
  const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '2', MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '-1', MALLOC_MMAP_THRESHOLD_: '1073741824' };
  const r = spawnSync(torchPython, [resolve(repoRoot, 'bench/torch', `${script}.py`), JSON.stringify(args)], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) { console.log(`  PyTorch ${script} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`); return null; }
  const last = r.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, number>;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n## ${title}`);
  const w = Math.max(...rows.map((r) => r.name.length), 10);
  console.log(`${'case'.padEnd(w)}  ${'ours'.padStart(12)}  ${`PyTorch ${torchDevice === 'cpu' ? 'CPU' : 'GPU'}`.padStart(12)}  ${'ours/PyTorch'.padStart(12)}  unit`);
  for (const r of rows) {
    const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
    const ratio = r.torch ? (r.ours / r.torch).toFixed(3) : 'n/a';
    console.log(`${r.name.padEnd(w)}  ${fmt(r.ours).padStart(12)}  ${fmt(r.torch).padStart(12)}  ${ratio.padStart(12)}  ${r.unit}${r.note ? `  (${r.note})` : ''}`);
  }
}

/** Profiles the GPU work `fn` encodes (timestamp queries) and prints the top kernels by time; used by bench/profile*. */
export async function printKernelProfile(b: Backend, fn: () => unknown, top = 25): Promise<void> {
  const engine = (b as unknown as { engine: { startProfile(): void; stopProfile(): Promise<{ name: string; ms: number; count: number }[]> } }).engine;
  engine.startProfile();
  await fn();
  const rows = await engine.stopProfile();
  const total = rows.reduce((s, r) => s + r.ms, 0);
  console.log(`GPU time ${total.toFixed(1)} ms in ${rows.reduce((s, r) => s + r.count, 0)} dispatches`);
  for (const r of rows.slice(0, top)) console.log(`${r.ms.toFixed(2).padStart(9)} ms ${(100 * r.ms / total).toFixed(1).padStart(5)}%  x${String(r.count).padStart(4)}  ${r.name}`);
}
