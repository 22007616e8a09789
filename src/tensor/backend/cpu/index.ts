// The CPU oracle's kernel table (one entry per family of ../kernels/families.ts: a missing family is a type
// error) and the one way to create the backend with it.
import type { KernelFamilies } from '../kernels/families.js';
import { CpuBackend } from './cpu-backend.js';
import { cpuConvKernels } from './conv.js';
import { cpuFftKernels } from './fft.js';
import { cpuImageKernels } from './image.js';
import { cpuNormKernels } from './norm.js';
import { cpuOptimKernels } from './optim.js';
import { cpuPoolKernels } from './pool.js';
import { cpuSamplingKernels } from './sampling.js';

export const CPU_KERNELS: KernelFamilies<CpuBackend> = {
  conv: cpuConvKernels,
  fft: cpuFftKernels,
  image: cpuImageKernels,
  norm: cpuNormKernels,
  optim: cpuOptimKernels,
  pool: cpuPoolKernels,
  sampling: cpuSamplingKernels,
};

export function createCpuBackend(): CpuBackend {
  return new CpuBackend(CPU_KERNELS);
}
