// Kernel families beyond the core Backend interface (convolution, pooling, sampling, FFT, ...).
//
// A family is an interface of backend-level functions declared in src/tensor/backend/kernels/<family>.ts.
// Each backend registers its implementation once, by side effect, from
//   src/tensor/backend/webgpu/kernels/<family>.ts  -> registerKernels('webgpu', '<family>', impl)
//   src/tensor/backend/cpu/<family>.ts             -> registerKernels('cpu', '<family>', impl)
// (imported by webgpu/kernels/index.ts and cpu/index.ts), and the frontend op in src/tensor/ops/<family>.ts
// calls kernelsFor<Family>(tensor.backend, '<family>'). Implementations take the backend object as their first
// argument. This keeps each family in its own files while every GPUDevice call stays under backend/webgpu.
import { DeviceError } from '../../errors.js';
import type { Backend } from './backend.js';

const registry = new Map<string, Map<string, unknown>>();

export function registerKernels<K>(backendName: Backend['name'], family: string, impl: K): void {
  let m = registry.get(backendName);
  if (!m) registry.set(backendName, (m = new Map()));
  m.set(family, impl);
}

export function kernelsFor<K>(backend: Backend, family: string): K {
  const impl = registry.get(backend.name)?.get(family);
  if (!impl) throw new DeviceError(`the ${backend.name} backend has no '${family}' kernels registered (import src/tensor/index.js, which loads them)`);
  return impl as K;
}
