// How the frontend ops reach a kernel family of a tensor's backend (the families and the per-backend tables are
// described in kernels/families.ts).
import type { Backend } from './backend.js';
import type { KernelFamilies, KernelFamily } from './kernels/families.js';

/** The `family` kernels of `backend`; call them with that same backend as first argument. */
export function kernelsFor<F extends KernelFamily>(backend: Backend, family: F): KernelFamilies<Backend>[F] {
  return backend.kernels[family];
}
