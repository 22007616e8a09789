// The WebGPU backend: turns the Backend interface into kernels (shaders/*.ts) dispatched by the Engine.
import type { Backend, BackendBuffer, MatmulArgs, MatmulKernel, MemoryInfo, Operand, RandomKind, ReduceOp, TensorData, View } from '../backend.js';
import { isScalarOperand } from '../backend.js';
import { type DType, wgslType } from '../../dtype.js';
import { type Shape, broadcastStrides, collapseDims, contiguousStrides, isContiguous, numel } from '../../shape.js';
import type { ElementwiseOp } from '../../ops/elementwise-table.js';
import { DeviceError } from '../../../errors.js';
import { config } from '../../../config.js';
import { Engine, type Kernel } from './engine.js';
import { acquireDevice, type AcquiredDevice } from './device.js';
import { OPERAND_NAMES, elementwiseLayout, elementwiseWGSL, WG, GRID_WG, type ElementwiseSpec, type OperandMode } from '../../../../shaders/elementwise.js';
import { grid1d } from '../../../../shaders/common.js';
import { reduceLayout, reduceWGSL, type ReduceSpec } from '../../../../shaders/reduce.js';
import { MATMUL_PARAMS, matmulNaiveWGSL, matmulTiledWGSL, matmulVec4WGSL, matmulVec4NTWGSL, vec4Grid, DEFAULT_TILE, MM_T } from '../../../../shaders/matmul.js';
import { assignLayout, assignWGSL, rampLayout, rampWGSL } from '../../../../shaders/copy.js';
import { randomLayout, randomWGSL } from '../../../../shaders/random.js';
import { INDEX_SELECT, gatherLayout, gatherWGSL, indexAddWGSL, indexSelectWGSL, scatterAddLayout, scatterAddWGSL } from '../../../../shaders/indexing.js';
import { seedWords } from '../../random.js';
import type { KernelFamilies } from '../kernels/families.js';

export class GpuBuffer implements BackendBuffer {
  released = false;
  constructor(readonly gpu: GPUBuffer, readonly size: number) {}
}


export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly engine: Engine;

  private constructor(private readonly acquired: AcquiredDevice, readonly kernels: KernelFamilies<WebGPUBackend>) {
    this.engine = new Engine(acquired.device, acquired.device.limits);
  }

  /** `kernels`: the WebGPU kernel families (createWebGPUBackend() in ./index.ts passes WEBGPU_KERNELS) */
  static async create(kernels: KernelFamilies<WebGPUBackend>, gpu?: Parameters<typeof acquireDevice>[0]): Promise<WebGPUBackend> {
    return new WebGPUBackend(await acquireDevice(gpu), kernels);
  }

  get device(): GPUDevice { return this.acquired.device; }
  get limits(): GPUSupportedLimits { return this.acquired.device.limits; }
  get adapterInfo() { return this.acquired.adapterInfo; }
  /** a software (CPU) adapter such as Mesa's lavapipe: kernels choose CPU-friendly shapes of work */
  get isCpuAdapter(): boolean { return this.acquired.adapterInfo.architecture === 'software' || this.acquired.adapterInfo.isFallback; }

  describe(): string {
    const i = this.acquired.adapterInfo;
    const name = i.description || i.device || 'unknown adapter';
    return `WebGPU: ${name} (vendor ${i.vendor || '?'}, ${i.architecture || '?'}${i.isFallback ? ', fallback' : ''})`;
  }

  // ---------------------------------------------------------------- memory
  alloc(size: number): GpuBuffer {
    const bytes = Math.max(4, size * 4);
    const max = this.limits.maxStorageBufferBindingSize;
    if (bytes > max) {
      throw new DeviceError(`a tensor of ${size} elements (${(bytes / 2 ** 20).toFixed(1)} MiB) exceeds this device's ${(max / 2 ** 20).toFixed(0)} MiB storage binding limit; use a smaller batch`);
    }
    return new GpuBuffer(this.engine.pool.acquire(bytes), size);
  }

  free(buf: BackendBuffer): void {
    const b = buf as GpuBuffer;
    if (b.released) return;
    b.released = true;
    this.engine.pool.release(b.gpu);
  }

  upload(data: ArrayLike<number>, dtype: DType): GpuBuffer {
    const n = data.length;
    const buf = this.alloc(n);
    if (n === 0) return buf;
    let arr: Float32Array | Int32Array | Uint32Array;
    if (dtype === 'f32') arr = data instanceof Float32Array ? data : Float32Array.from(data);
    else if (dtype === 'i32') arr = data instanceof Int32Array ? data : Int32Array.from(data);
    else arr = data instanceof Uint32Array ? data : Uint32Array.from(data);
    this.engine.write(buf.gpu, 0, arr);
    return buf;
  }

  async read(v: View): Promise<TensorData> {
    const n = numel(v.shape);
    let src = v.buf as GpuBuffer;
    let offset = v.offset;
    let temp: GpuBuffer | null = null;
    if (n > 0 && !isContiguous(v.shape, v.strides)) {
      temp = this.alloc(n);
      this.assign({ buf: temp, shape: v.shape, strides: contiguousStrides(v.shape), offset: 0, dtype: v.dtype }, v);
      src = temp;
      offset = 0;
    }
    const bytes = await this.engine.read(src.gpu, offset * 4, n * 4);
    if (temp) this.free(temp);
    if (v.dtype === 'f32') return new Float32Array(bytes);
    if (v.dtype === 'i32') return new Int32Array(bytes);
    return new Uint32Array(bytes);
  }

  flush(): void { this.engine.flush(); }

  memory(): MemoryInfo {
    const p = this.engine.pool;
    return { bytesInUse: p.bytesInUse, bytesPooled: p.bytesPooled, peakBytesInUse: p.peakBytesInUse, buffers: p.liveBuffers };
  }

  resetPeak(): void { this.engine.pool.peakBytesInUse = this.engine.pool.bytesInUse; }

  async sync(): Promise<void> { await this.engine.sync(); }

  async shutdown(): Promise<void> {
    try { await this.engine.sync(); } catch { /* the device may already be lost */ }
    this.engine.destroy();
    this.acquired.release();
  }

  /** Encode one kernel (see engine.ts for the binding convention). Used by every kernel family. */
  dispatch(k: Omit<Kernel, 'outputs' | 'inputs'> & { outputs: GpuBuffer[]; inputs: GpuBuffer[] }): void {
    this.engine.dispatch({ ...k, outputs: k.outputs.map((b) => ({ buffer: b.gpu })), inputs: k.inputs.map((b) => ({ buffer: b.gpu })) });
  }

  // ---------------------------------------------------------------- elementwise
  elementwise(op: ElementwiseOp, inputs: Operand[], outShape: Shape, outDType: DType, params: readonly number[]): GpuBuffer {
    const n = numel(outShape);
    const out = this.alloc(n);
    if (n === 0) return out;
    const views = inputs.filter((o): o is View => !isScalarOperand(o));
    const stridesList = [contiguousStrides(outShape), ...views.map((v) => broadcastStrides(v.shape, v.strides, outShape))];
    const col = collapseDims(outShape, stridesList);
    const rank = col.shape.length;
    const outStr = col.strides[0];
    let vi = 0;
    const operands = inputs.map((o) => {
      if (isScalarOperand(o)) return { mode: 'scalar' as OperandMode, type: wgslType(o.dtype), o, strides: [] as number[] };
      const st = col.strides[1 + vi++];
      const mode: OperandMode = st.every((s, d) => s === outStr[d]) ? 'contig' : 'strided';
      return { mode, type: wgslType(o.dtype), o, strides: st };
    });
    const allContig = operands.every((x) => x.mode !== 'strided');
    // grid layout: rank <= 3 and the last dim fills most of a 64-wide workgroup (the engine tiles grids past its limit)
    const gridOk = !allContig && rank <= 3 && col.shape[rank - 1] >= 32;
    const layout = allContig ? (n >= 4096 ? 'unroll4' : 'linear') : gridOk ? 'grid' : 'linear';
    const spec: ElementwiseSpec = {
      rank,
      operands: operands.map(({ mode, type }) => ({ mode, type })),
      outType: wgslType(outDType),
      expr: op.wgsl({ t: operands.find((x) => x.mode !== 'scalar')?.type ?? operands[0]?.type ?? 'f32', o: wgslType(outDType) }),
      nParams: params.length,
      layout,
    };
    const L = elementwiseLayout(spec);
    const values: Parameters<typeof L.pack>[0] = { n, shape: col.shape, p: params };
    operands.forEach((x, j) => {
      const name = OPERAND_NAMES[j];
      if (x.mode === 'scalar') values[name] = (x.o as { scalar: number }).scalar;
      else values[name] = x.mode === 'strided' ? [(x.o as View).offset, ...x.strides] : (x.o as View).offset;
    });
    const P = L.pack(values);
    const key = `ew:${op.name}:${spec.outType}:${rank}:${spec.operands.map((o) => `${o.mode}-${o.type}`).join(',')}:${spec.nParams}:${layout}`;
    const workgroups: [number, number, number] = layout === 'grid'
      ? [Math.ceil(col.shape[rank - 1] / GRID_WG), rank >= 2 ? col.shape[rank - 2] : 1, rank >= 3 ? col.shape[0] : 1]
      : grid1d(layout === 'unroll4' ? Math.ceil(n / 4) : n, WG);
    this.dispatch({ name: `elementwise(${op.name})`, key, source: () => elementwiseWGSL(spec), workgroups, params: P, tileAt: layout === 'grid' ? L.at('tile') : undefined,
      outputs: [out], inputs: views.map((v) => v.buf as GpuBuffer) });
    return out;
  }

  // ---------------------------------------------------------------- reductions
  reduce(op: ReduceOp, x: View, innerRank: number, outDType: DType): GpuBuffer {
    const rank = x.shape.length;
    const outerShape = x.shape.slice(0, rank - innerRank), innerShape = x.shape.slice(rank - innerRank);
    const outer = numel(outerShape), inner = numel(innerShape);
    if (outer === 0) return this.alloc(0);
    if (inner === 0) throw new DeviceError(`reduce(${op}): cannot reduce over an empty axis`);
    const co = collapseDims(outerShape, [x.strides.slice(0, rank - innerRank)]);
    const ci = collapseDims(innerShape, [x.strides.slice(rank - innerRank)]);
    // one invocation per row whenever there are enough rows on a CPU adapter (workgroup barriers are costly
    // there: 12x faster for 4096 rows of 1024); on GPUs only for short rows
    const mode = this.isCpuAdapter ? (outer >= 256 || (inner <= 256 && outer >= 64) ? 'row' : 'wg') : (inner <= 64 ? 'row' : 'wg');
    const spec: ReduceSpec = { op, inType: wgslType(x.dtype), outType: wgslType(outDType), outerRank: co.shape.length, innerRank: ci.shape.length, mode };
    const L = reduceLayout(spec);
    // few long rows (a whole-tensor sum, a norm): split each row into segments so that the work spreads over many
    // workgroups (one workgroup per row used one core of the GPU: 4 GB/s for a 4M-element sum on an H200), then
    // reduce the partial results
    const isArg = op === 'argmax' || op === 'argmin';
    // (CPU adapters: a few long segments, as each workgroup's barriers cost much there)
    const segments = mode === 'wg' && !isArg && outer < 256 && inner >= 32768 ? Math.min(Math.ceil(inner / 8192), this.isCpuAdapter ? 8 : 1024) : 1;
    const segLen = Math.ceil(inner / segments);
    const P = L.pack({ outer, inner, outerShape: co.shape, innerShape: ci.shape, offset: x.offset, outerStrides: co.strides[0], innerStrides: ci.strides[0],
      segments, segLen });
    // (with segments: one partial result per segment)
    const target = this.alloc(outer * segments);
    const workgroups = mode === 'row' ? grid1d(outer, 64) : grid1d(outer * segments, 1);
    this.dispatch({ name: `reduce(${op})`, key: `red:${op}:${spec.inType}:${spec.outType}:${spec.outerRank}:${spec.innerRank}:${mode}`,
      source: () => reduceWGSL(spec), workgroups, params: P, outputs: [target], inputs: [x.buf as GpuBuffer] });
    if (segments === 1) return target;
    // partial sums of squares add as sums; the partial results already have the output type
    const partial: View = { buf: target, shape: [outer, segments], strides: [segments, 1], offset: 0, dtype: outDType };
    const merged = this.reduce(op === 'sumsq' ? 'sum' : op, partial, 1, outDType);
    this.free(target);
    return merged;
  }

  // ---------------------------------------------------------------- matmul
  matmul({ a, b, kernel, bias }: MatmulArgs): GpuBuffer {
    const [batch, M, K] = a.shape, N = b.shape[2];
    const out = this.alloc(batch * M * N);
    if (batch * M * N === 0) return out;
    if (K === 0 && !bias) { this.fillInto(out, batch * M * N, 0, 'f32'); return out; }
    const P = MATMUL_PARAMS.pack({ M, N, K, batch, offA: a.offset, sA: a.strides, offB: b.offset, sB: b.strides, offBias: bias?.offset ?? 0 });
    const tileAt = MATMUL_PARAMS.at('tile');
    const kind = this.matmulKind(a, b, K, N, kernel ?? 'auto');
    const hb = Boolean(bias);
    const bufs = [a.buf as GpuBuffer, b.buf as GpuBuffer, ...(bias ? [bias.buf as GpuBuffer] : [])];
    const sfx = hb ? ':bias' : '';
    if (kind === 'vec4') {
      this.dispatch({ name: 'matmul(vec4)', key: `mm:vec4${sfx}`, source: () => matmulVec4WGSL(4, hb), workgroups: vec4Grid(M, N, batch), params: P, tileAt, outputs: [out], inputs: bufs });
      return out;
    }
    if (kind === 'vec4nt') {
      this.dispatch({ name: 'matmul(vec4nt)', key: `mm:vec4nt${sfx}`, source: () => matmulVec4NTWGSL(4, 4, hb),
        workgroups: [Math.ceil(N / 4 / 8), Math.ceil(M / 4 / 8), batch], params: P, tileAt, outputs: [out], inputs: bufs });
      return out;
    }
    const useNaive = kind === 'naive';
    const t = DEFAULT_TILE;
    const workgroups: [number, number, number] = useNaive
      ? [Math.ceil(N / 16), Math.ceil(M / 16), batch]
      : [Math.ceil(N / (MM_T * t.RN)), Math.ceil(M / (MM_T * t.RM)), batch];
    this.dispatch({ name: useNaive ? 'matmul(naive)' : 'matmul(tiled)', key: useNaive ? `mm:naive${sfx}` : `mm:tiled:${t.RM}:${t.RN}:${t.BK}${sfx}`,
      source: () => (useNaive ? matmulNaiveWGSL(hb) : matmulTiledWGSL(t, hb)), workgroups, params: P, tileAt, outputs: [out], inputs: bufs });
    return out;
  }

  /**
   * Which matmul kernel: on CPU adapters (lavapipe) the register-blocked vec4 kernels beat workgroup-memory
   * tiling by 2-3x when the layout allows them; elsewhere, and for arbitrary strides, the tiled kernel.
   * DUALNEURON_MATMUL=tiled|vec4|naive overrides the choice (benchmarks).
   */
  private matmulKind(a: View, b: View, K: number, N: number, requested: MatmulKernel): Exclude<MatmulKernel, 'auto'> {
    const forced = requested !== 'auto' ? requested : config().matmul;
    if (forced === 'naive' || forced === 'tiled') return forced;
    if (!this.isCpuAdapter && forced === 'auto') return 'tiled';
    const aligned = (...v: number[]) => v.every((x) => x >= 0 && x % 4 === 0);
    if (a.strides[2] === 1 && K % 4 === 0 && aligned(a.offset, a.strides[0], a.strides[1])) {
      const nn = b.strides[2] === 1 && N % 4 === 0 && aligned(b.offset, b.strides[0], b.strides[1]);
      const nt = b.strides[1] === 1 && aligned(b.offset, b.strides[0], b.strides[2]);
      if (nn && forced !== 'vec4nt') return 'vec4';
      if (nt && forced !== 'vec4') return 'vec4nt';
    }
    return 'tiled'; // the requested fast path cannot read this layout
  }

  // ---------------------------------------------------------------- data movement
  assign(dst: View, src: View): void {
    const n = numel(dst.shape);
    if (n === 0) return;
    const col = collapseDims(dst.shape, [dst.strides, src.strides]);
    const rank = col.shape.length;
    const P = assignLayout(rank).pack({ n, shape: col.shape, dstOffset: dst.offset, dstStrides: col.strides[0], srcOffset: src.offset, srcStrides: col.strides[1] });
    const type = wgslType(dst.dtype);
    this.dispatch({ name: 'assign', key: `assign:${type}:${rank}`, source: () => assignWGSL(type, rank), workgroups: grid1d(n, 256), params: P,
      outputs: [dst.buf as GpuBuffer], inputs: [src.buf as GpuBuffer] });
  }

  private fillInto(out: GpuBuffer, size: number, value: number, dtype: DType, step = 0): void {
    if (size === 0) return;
    const type = wgslType(dtype);
    const P = rampLayout(type).pack({ n: size, start: value, step });
    this.dispatch({ name: 'ramp', key: `ramp:${type}`, source: () => rampWGSL(type), workgroups: grid1d(size, 256), params: P, outputs: [out], inputs: [] });
  }

  fill(size: number, value: number, dtype: DType): GpuBuffer {
    const out = this.alloc(size);
    this.fillInto(out, size, value, dtype);
    return out;
  }

  arange(size: number, start: number, step: number, dtype: DType): GpuBuffer {
    const out = this.alloc(size);
    this.fillInto(out, size, start, dtype, step);
    return out;
  }

  random(kind: RandomKind, rowSize: number, seeds: readonly bigint[], offsetBlocks: bigint, params: readonly number[], _dtype: DType): GpuBuffer {
    // f32 only: the Backend interface passes the dtype for backends that produce others
    const rows = seeds.length;
    const out = this.alloc(rows * rowSize);
    if (rows * rowSize === 0) return out;
    const off = BigInt.asUintN(64, offsetBlocks);
    const bpr = Math.ceil(rowSize / 4);
    const P = randomLayout(rows).pack({ rows, rowSize, blocksPerRow: bpr, offLo: Number(off & 0xffffffffn), offHi: Number(off >> 32n),
      p0: params[0] ?? 0, p1: params[1] ?? 1, seeds: seeds.flatMap((sd) => seedWords(sd)) });
    this.dispatch({ name: `random(${kind})`, key: `rand:${kind}`, source: () => randomWGSL(kind), workgroups: grid1d(rows * bpr, 64), params: P, outputs: [out], inputs: [] });
    return out;
  }

  indexSelect(x: View, dim: number, idx: View): GpuBuffer {
    const O = numel(x.shape.slice(0, dim)), D = x.shape[dim], R = numel(x.shape.slice(dim + 1)), J = idx.shape[0];
    const n = O * J * R;
    const out = this.alloc(n);
    if (n === 0) return out;
    const type = wgslType(x.dtype);
    this.dispatch({ name: 'indexSelect', key: `isel:${type}`, source: () => indexSelectWGSL(type), workgroups: grid1d(n, 256),
      params: INDEX_SELECT.pack({ n, O, D, R, J }), outputs: [out], inputs: [x.buf as GpuBuffer, idx.buf as GpuBuffer] });
    return out;
  }

  indexAdd(g: View, dim: number, idx: View, outShape: Shape): GpuBuffer {
    const O = numel(outShape.slice(0, dim)), D = outShape[dim], R = numel(outShape.slice(dim + 1)), J = idx.shape[0];
    const n = O * D * R;
    const out = this.alloc(n);
    if (n === 0) return out;
    const type = wgslType(g.dtype);
    this.dispatch({ name: 'indexAdd', key: `iadd:${type}`, source: () => indexAddWGSL(type), workgroups: grid1d(n, 256),
      params: INDEX_SELECT.pack({ n, O, D, R, J }), outputs: [out], inputs: [g.buf as GpuBuffer, idx.buf as GpuBuffer] });
    return out;
  }

  gather(x: View, dim: number, idx: View): GpuBuffer {
    const n = numel(idx.shape);
    const out = this.alloc(n);
    if (n === 0) return out;
    const rank = x.shape.length;
    const type = wgslType(x.dtype);
    const P = gatherLayout(rank).pack({ n, idxShape: idx.shape, xStrides: contiguousStrides(x.shape) });
    this.dispatch({ name: 'gather', key: `gather:${type}:${rank}:${dim}`, source: () => gatherWGSL(type, rank, dim), workgroups: grid1d(n, 256),
      params: P, outputs: [out], inputs: [x.buf as GpuBuffer, idx.buf as GpuBuffer] });
    return out;
  }

  scatterAdd(g: View, dim: number, idx: View, outShape: Shape): GpuBuffer {
    const n = numel(outShape);
    const out = this.alloc(n);
    if (n === 0) return out;
    const rank = outShape.length;
    const type = wgslType(g.dtype);
    const P = scatterAddLayout(rank).pack({ n, outShape, idxShape: idx.shape });
    this.dispatch({ name: 'scatterAdd', key: `scat:${type}:${rank}:${dim}`, source: () => scatterAddWGSL(type, rank, dim), workgroups: grid1d(n, 256),
      params: P, outputs: [out], inputs: [g.buf as GpuBuffer, idx.buf as GpuBuffer] });
    return out;
  }
}
