// The kernel families beyond the core Backend interface (convolution, pooling, sampling, FFT, ...).
//
// A family is an interface of backend-level functions declared in src/tensor/backend/kernels/<family>.ts, generic
// in the backend B its functions take as first argument. Every backend holds one table, `backend.kernels`, typed
// KernelFamilies<ThatBackend>: its implementations are typed to their own backend class (no casts), and a family
// missing from a backend's table is a type error. The tables are plain objects built from explicit imports:
//   src/tensor/backend/webgpu/kernels/index.ts  (WEBGPU_KERNELS, from webgpu/kernels/<family>.ts)
//   src/tensor/backend/cpu/index.ts             (CPU_KERNELS, from cpu/<family>.ts)
// and handed to the backend when it is created; nothing registers itself by being imported. The frontend op in
// src/tensor/ops/<family>.ts calls kernelsFor(tensor.backend, '<family>').
import type { ConvKernels } from './conv.js';
import type { FftKernels } from './fft.js';
import type { ImageKernels } from './image.js';
import type { NormKernels } from './norm.js';
import type { OptimKernels } from './optim.js';
import type { PoolKernels } from './pool.js';
import type { SamplingKernels } from './sampling.js';

export interface KernelFamilies<B> {
  readonly conv: ConvKernels<B>;
  readonly fft: FftKernels<B>;
  readonly image: ImageKernels<B>;
  readonly norm: NormKernels<B>;
  readonly optim: OptimKernels<B>;
  readonly pool: PoolKernels<B>;
  readonly sampling: SamplingKernels<B>;
}

export type KernelFamily = keyof KernelFamilies<unknown>;

// a Record over KernelFamily, so that this runtime list cannot miss a family either
const FAMILIES: Readonly<Record<KernelFamily, true>> = { conv: true, fft: true, image: true, norm: true, optim: true, pool: true, sampling: true };
/** Every family name, for checks at run time (tests, a backend written in plain JavaScript). */
export const KERNEL_FAMILIES = Object.keys(FAMILIES) as readonly KernelFamily[];
