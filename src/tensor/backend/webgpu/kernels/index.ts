// The WebGPU kernel table: one entry per family of ../../kernels/families.ts (a missing family is a type error).
import type { KernelFamilies } from '../../kernels/families.js';
import type { WebGPUBackend } from '../webgpu-backend.js';
import { webgpuConvKernels } from './conv.js';
import { webgpuFftKernels } from './fft.js';
import { webgpuImageKernels } from './image.js';
import { webgpuNormKernels } from './norm.js';
import { webgpuOptimKernels } from './optim.js';
import { webgpuPoolKernels } from './pool.js';
import { webgpuSamplingKernels } from './sampling.js';

export const WEBGPU_KERNELS: KernelFamilies<WebGPUBackend> = {
  conv: webgpuConvKernels,
  fft: webgpuFftKernels,
  image: webgpuImageKernels,
  norm: webgpuNormKernels,
  optim: webgpuOptimKernels,
  pool: webgpuPoolKernels,
  sampling: webgpuSamplingKernels,
};
