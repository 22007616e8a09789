// The narrow interface every backend implements. The tensor layer (Tensor, ops, autograd) only talks to this;
// every GPUDevice call lives under backend/webgpu, and backend/cpu is the plain float64 oracle.
//
// Conventions: a Buffer holds `size` 4-byte elements and has no dtype of its own; a View reads it with a shape,
// element strides (0 = broadcast, negative = flipped) and an element offset. Kernels write fresh contiguous
// buffers unless they say otherwise.
import type { DType } from '../dtype.js';
import type { Shape } from '../shape.js';
import type { ElementwiseOp } from '../ops/elementwise-table.js';
import type { BackendBuffer, View } from './view.js';
import type { KernelFamilies } from './kernels/families.js';

export type { BackendBuffer, View };

/** A constant operand of an elementwise op, in the given dtype. */
export interface ScalarOperand { readonly scalar: number; readonly dtype: DType }
export type Operand = View | ScalarOperand;
export const isScalarOperand = (o: Operand): o is ScalarOperand => (o as ScalarOperand).scalar !== undefined;

export type TensorData = Float32Array | Float64Array | Int32Array | Uint32Array;

export interface MemoryInfo {
  /** bytes held by live buffers (rounded to pool buckets on WebGPU) */
  bytesInUse: number;
  /** bytes held in the pool for reuse */
  bytesPooled: number;
  /** highest bytesInUse since start or the last resetPeak() */
  peakBytesInUse: number;
  /** live buffers */
  buffers: number;
}

/** sumsq: sum of squares (one pass for L2 norms) */
export type ReduceOp = 'sum' | 'sumsq' | 'max' | 'min' | 'argmax' | 'argmin';

export interface MatmulArgs {
  /** batch, M, K view of A (any strides); batch stride may be 0 for broadcast */
  a: View;
  /** batch, K, N view of B */
  b: View;
  /** kernel choice; 'auto' picks by adapter and layout, others are for tests and benchmarks */
  kernel?: MatmulKernel;
  /** optional (N) vector added to every row of the result in the kernel's epilogue */
  bias?: View | null;
}

/** naive: one output per invocation; tiled: workgroup-memory tiles; vec4 / vec4nt: register-blocked fast paths */
export type MatmulKernel = 'auto' | 'naive' | 'tiled' | 'vec4' | 'vec4nt';

export type RandomKind = 'uniform' | 'normal' | 'randint';

export interface Backend {
  readonly name: 'webgpu' | 'cpu';
  /** the kernel families beyond this interface (conv, pool, ...), each typed to this backend: see kernels/families.ts */
  readonly kernels: KernelFamilies<this>;
  /** one line describing the device, for run records and bench output */
  describe(): string;

  alloc(size: number): BackendBuffer;
  free(buf: BackendBuffer): void;
  upload(data: ArrayLike<number> & { length: number }, dtype: DType): BackendBuffer;
  /** values of the view in logical (row-major) order */
  read(v: View): Promise<TensorData>;
  /** submit pending work (WebGPU); no-op elsewhere */
  flush(): void;
  /** resolve when all submitted work has finished (for timing) */
  sync(): Promise<void>;
  memory(): MemoryInfo;
  resetPeak(): void;
  shutdown(): Promise<void>;

  /** n-ary elementwise op over broadcast views (or scalar constants), written contiguous with outShape */
  elementwise(op: ElementwiseOp, inputs: Operand[], outShape: Shape, outDType: DType, params: readonly number[]): BackendBuffer;
  /** reduce a view whose logical shape is [...outerDims, ...innerDims] over the last `innerRank` dims */
  reduce(op: ReduceOp, x: View, innerRank: number, outDType: DType): BackendBuffer;
  /** batched matmul: (batch,M,K) x (batch,K,N) -> contiguous (batch,M,N) */
  matmul(args: MatmulArgs): BackendBuffer;
  /** copy src into the region dst of an existing buffer (same shapes) */
  assign(dst: View, src: View): void;
  fill(size: number, value: number, dtype: DType): BackendBuffer;
  arange(size: number, start: number, step: number, dtype: DType): BackendBuffer;
  /**
   * Counter-based Philox4x32-10 random numbers in `seeds.length` independent rows of `rowSize` elements:
   * element j of row r uses key seeds[r] and counter block (offsetBlocks + j/4).
   */
  random(kind: RandomKind, rowSize: number, seeds: readonly bigint[], offsetBlocks: bigint, params: readonly number[], dtype: DType): BackendBuffer;
  /** out[..., j, ...] = x[..., idx[j], ...] along `dim` (idx is a 1-D i32 view); other dims as x */
  indexSelect(x: View, dim: number, idx: View): BackendBuffer;
  /** out = zeros(outShape) with out[..., idx[j], ...] += g[..., j, ...] along dim */
  indexAdd(g: View, dim: number, idx: View, outShape: Shape): BackendBuffer;
  /** torch.gather: out[i][j][k] = x[i][idx[i][j][k]][k] (dim=1) with idx the same rank as x */
  gather(x: View, dim: number, idx: View): BackendBuffer;
  /** inverse of gather: zeros(outShape) then out[...idx...] += g */
  scatterAdd(g: View, dim: number, idx: View, outShape: Shape): BackendBuffer;
}
