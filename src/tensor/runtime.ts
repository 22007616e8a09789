// Which backend new tensors go to, and releasing devices so Node can exit.
import { DeviceError } from '../errors.js';
import type { Backend, MemoryInfo } from './backend/backend.js';
import type { CpuBackend } from './backend/cpu/cpu-backend.js';
import { createCpuBackend } from './backend/cpu/index.js';

let current: Backend | null = null;
let cpuSingleton: CpuBackend | null = null;
const live = new Set<Backend>();
let webgpuPromise: Promise<Backend> | null = null;

export function cpu(): CpuBackend {
  if (!cpuSingleton) { cpuSingleton = createCpuBackend(); live.add(cpuSingleton); }
  return cpuSingleton;
}

/** The shared WebGPU backend (created on first call; one device per process). */
export function webgpu(gpu?: unknown): Promise<Backend> {
  if (!webgpuPromise) {
    webgpuPromise = import('./backend/webgpu/index.js')
      .then((m) => m.createWebGPUBackend(gpu as Parameters<typeof m.createWebGPUBackend>[0]))
      .then((b) => { live.add(b); return b; });
    webgpuPromise.catch(() => { webgpuPromise = null; });
  }
  return webgpuPromise;
}

/** Select the default backend: 'webgpu' (default) or 'cpu' (the float64 oracle). */
export async function init(kind: 'webgpu' | 'cpu' = 'webgpu', opts: { gpu?: unknown } = {}): Promise<Backend> {
  current = kind === 'cpu' ? cpu() : await webgpu(opts.gpu);
  return current;
}

export function setBackend(b: Backend): void { current = b; }

export function getBackend(): Backend {
  if (!current) throw new DeviceError('No backend selected: call `await init()` (WebGPU) or `await init("cpu")` first');
  return current;
}

export function hasBackend(): boolean { return current !== null; }

/** Memory counters of a backend (default: the current one). */
export function memory(b: Backend = getBackend()): MemoryInfo { return b.memory(); }

/** Release every device so the process can exit. */
export async function shutdownAll(): Promise<void> {
  for (const b of live) await b.shutdown();
  live.clear();
  current = null;
  cpuSingleton = null;
  webgpuPromise = null;
}
