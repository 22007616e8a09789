// The one way to create the WebGPU backend: the device, and the kernel table built from explicit imports.
import { WebGPUBackend } from './webgpu-backend.js';
import { WEBGPU_KERNELS } from './kernels/index.js';

export function createWebGPUBackend(gpu?: Parameters<typeof WebGPUBackend.create>[1]): Promise<WebGPUBackend> {
  return WebGPUBackend.create(WEBGPU_KERNELS, gpu);
}
