// The Tensor: a strided view (shape, element strides, offset, dtype) of reference-counted backend storage.
// Views (reshape, permute, slice, expand, flip...) share storage; each tensor must be disposed once, by hand,
// by a `tidy` scope, or by its owner. Ops are attached as methods in methods.ts.
import { DisposedError, DTypeError, ShapeError } from '../errors.js';
import type { Backend, TensorData, View } from './backend/backend.js';
import { type DType, dtypeOfArray } from './dtype.js';
import { checkShape, contiguousStrides, fmt, isContiguous, numel } from './shape.js';
import { track } from './scope.js';
import { getBackend } from './runtime.js';

export class Storage {
  refs = 1;
  /** bumped by every in-place write (copy_, running statistics): caches derived from the data compare it */
  version = 0;
  constructor(readonly backend: Backend, readonly buf: View['buf']) {}
  retain(): this { this.refs++; return this; }
  release(): void {
    if (--this.refs === 0) this.backend.free(this.buf);
  }
}

let nextId = 1;
/** id the next tensor will get (ids only grow) */
export const peekNextTensorId = () => nextId;

/**
 * The tape entry autograd (autograd.ts) attaches to an op's output: its inputs and the VJP giving their
 * gradients (null where an input gets none) from the output's gradient. Declared here, not in autograd.ts,
 * so that the tensor module does not import autograd (autograd imports the tensor module, one way).
 */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  backward: (g: Tensor) => (Tensor | null | undefined)[];
}

export interface CreateOptions { backend?: Backend; requiresGrad?: boolean }

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** set by ops when gradients flow through this tensor; set it on leaves you differentiate with respect to */
  requiresGrad = false;
  /** accumulated gradient of a leaf after backward(); owned by this tensor and disposed with it */
  grad: Tensor | null = null;
  node: GradNode | null = null;
  /** optional human name (parameters use their state-dict key) */
  name?: string;
  private storage: Storage | null;

  constructor(storage: Storage, shape: readonly number[], strides: readonly number[] | null, offset: number, dtype: DType) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(strides ? [...strides] : contiguousStrides(shape));
    this.offset = offset;
    this.dtype = dtype;
    track(this);
  }

  /** In-place writes so far to this tensor's storage (shared by its views). */
  get version(): number { return this.storage?.version ?? -1; }
  /** Record an in-place write (ops that write into existing storage call this). */
  bumpVersion(): void { if (this.storage) this.storage.version++; }

  /** A fresh tensor owning a new backend buffer. */
  static fromBuffer(backend: Backend, buf: View['buf'], shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(new Storage(backend, buf), shape, null, 0, dtype);
  }

  /** Copy host data into a new tensor. `dtype` defaults from the array type (Float32Array/Float64Array -> f32). */
  static from(data: ArrayLike<number>, shape?: readonly number[], opts: CreateOptions & { dtype?: DType } = {}): Tensor {
    const s = shape ?? [data.length];
    checkShape('Tensor.from', s);
    if (numel(s) !== data.length) throw new ShapeError(`Tensor.from: ${data.length} values cannot have shape ${fmt(s)} (${numel(s)} elements)`);
    const dtype = opts.dtype ?? dtypeOfArray(data);
    const backend = opts.backend ?? getBackend();
    const t = Tensor.fromBuffer(backend, backend.upload(data, dtype), s, dtype);
    if (opts.requiresGrad) t.requiresGrad_();
    return t;
  }

  get backend(): Backend { return this.alive('backend').backend; }
  get rank(): number { return this.shape.length; }
  get size(): number { return numel(this.shape); }
  get isDisposed(): boolean { return this.storage === null; }
  get isContiguous(): boolean { return isContiguous(this.shape, this.strides); }

  private alive(op: string): Storage {
    if (!this.storage) throw new DisposedError(`${op}: tensor #${this.id}${this.name ? ` '${this.name}'` : ''} (shape ${fmt(this.shape)}) was already disposed`);
    return this.storage;
  }

  /** What a backend kernel reads. Throws DisposedError naming `op` if the tensor is gone. */
  backendView(op: string): View {
    const s = this.alive(op);
    return { buf: s.buf, shape: this.shape, strides: this.strides, offset: this.offset, dtype: this.dtype };
  }

  /** A new tensor sharing this one's storage with another layout (no copy). */
  viewAs(shape: readonly number[], strides: readonly number[], offset: number, dtype: DType = this.dtype): Tensor {
    return new Tensor(this.alive('view').retain(), shape, strides, offset, dtype);
  }

  /** Same storage and layout, no gradient history. */
  detach(): Tensor {
    return this.viewAs(this.shape, this.strides, this.offset);
  }

  requiresGrad_(flag = true): this {
    if (flag && this.dtype !== 'f32') throw new DTypeError(`requiresGrad: only f32 tensors can require gradients, this one is ${this.dtype}`);
    this.requiresGrad = flag;
    return this;
  }

  dispose(): void {
    if (!this.storage) return;
    this.storage.release();
    this.storage = null;
    this.node = null;
    if (this.grad) { this.grad.dispose(); this.grad = null; }
  }

  /** Drop the accumulated gradient. */
  zeroGrad(): void {
    if (this.grad) { this.grad.dispose(); this.grad = null; }
  }

  /**
   * Values in row-major order: Float32Array (f32 on WebGPU), Float64Array (f32 on the CPU oracle), Int32Array,
   * Uint32Array (u32 and bool). Use dataF32() / dataI32() / dataU32() / dataBool() when you need one type.
   */
  async data(): Promise<TensorData> {
    const v = this.backendView('data');
    return this.alive('data').backend.read(v);
  }

  /**
   * The values of an f32 tensor as a Float32Array. The CPU oracle reads float64 values; they are rounded to
   * float32 into a fresh array here, so both backends return what the type says. DTypeError for other dtypes.
   */
  async dataF32(): Promise<Float32Array> {
    const d = await this.dataChecked('dataF32', 'f32', 'Float32Array');
    return d instanceof Float32Array ? d : Float32Array.from(d);
  }

  /** The values of an i32 tensor as an Int32Array (DTypeError for other dtypes). */
  async dataI32(): Promise<Int32Array> {
    const d = await this.dataChecked('dataI32', 'i32', 'Int32Array');
    return d instanceof Int32Array ? d : Int32Array.from(d);
  }

  /** The values of a u32 tensor as a Uint32Array (DTypeError for other dtypes). */
  async dataU32(): Promise<Uint32Array> {
    const d = await this.dataChecked('dataU32', 'u32', 'Uint32Array');
    return d instanceof Uint32Array ? d : Uint32Array.from(d);
  }

  /** The values of a bool tensor as a Uint8Array of 0/1 (DTypeError for other dtypes). */
  async dataBool(): Promise<Uint8Array> {
    return Uint8Array.from(await this.dataChecked('dataBool', 'bool', 'Uint8Array'), (v) => (v !== 0 ? 1 : 0));
  }

  private async dataChecked(reader: string, dtype: DType, arrayName: string): Promise<TensorData> {
    if (this.dtype !== dtype) {
      const other = { f32: 'dataF32', i32: 'dataI32', u32: 'dataU32', bool: 'dataBool' }[this.dtype];
      throw new DTypeError(`${reader}(): tensor #${this.id}${this.name ? ` '${this.name}'` : ''} (shape ${fmt(this.shape)}) is ${this.dtype}, not ${dtype}, so it has no ${arrayName}; read it with ${other}() or convert it first with .to('${dtype}')`);
    }
    return this.data();
  }

  /** Nested arrays of numbers, shaped like the tensor (a number for a scalar). */
  async array(): Promise<number | NestedArray> {
    const d = await this.data();
    const build = (dim: number, off: number): number | NestedArray => {
      if (dim === this.rank) return d[off];
      const stride = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ShapeError(`item(): the tensor has shape ${fmt(this.shape)}; item() needs exactly one element`);
    return (await this.data())[0];
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}${this.isDisposed ? ', disposed' : ''})`;
  }
}

export type NestedArray = (number | NestedArray)[];
