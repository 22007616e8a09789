// What kernels read and write: a backend buffer and a strided view of it (see backend.ts for the conventions).
// Kept apart from backend.ts so that the kernel-family interfaces (kernels/*.ts), which backend.ts names, can use
// them without importing backend.ts back.
import type { DType } from '../dtype.js';
import type { Shape } from '../shape.js';

export interface BackendBuffer {
  readonly size: number; // elements
}

export interface View {
  readonly buf: BackendBuffer;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}
