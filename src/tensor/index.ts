// Public API of the tensor layer.
import './methods.js';
import './backend/cpu/index.js';
import './backend/webgpu/kernels/index.js';
export { Tensor, Storage, type NestedArray, type CreateOptions } from './tensor.js';
export type { DType } from './dtype.js';
export { tidy, keep } from './scope.js';
export { noGrad, grad, valueAndGrad, backward, isGradEnabled } from './autograd.js';
export { init, cpu, webgpu, getBackend, setBackend, memory, shutdownAll, hasBackend } from './runtime.js';
export { Generator, manualSeed, defaultGenerator, deriveSeed } from './random.js';
export { zeros, ones, full, arange, linspace, eye, tensor, rand, randn, randint } from './ops/creation.js';
export { elementwise, unary, binary, where } from './ops/elementwise.js';
export { sum, mean, max, min, argmax, argmin, variance, std, norm, logsumexp, softmax, logSoftmax } from './ops/reduce.js';
export { reshape, permute, transpose, slice, select, expand, squeeze, unsqueeze, flip, contiguous, concat, stack, split, pad, indexSelect, gather, to } from './ops/shape-ops.js';
export { matmul, linear } from './ops/matmul.js';
export type { Backend, MemoryInfo, TensorData } from './backend/backend.js';
export { registerKernels, kernelsFor } from './backend/registry.js';
export * from './ops/pool.js';
export * from './ops/norm.js';
