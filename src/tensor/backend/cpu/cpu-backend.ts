// The CPU reference backend: plain float64 loops, no cleverness. It is the oracle the WebGPU kernels are
// tested against (and a fallback for tiny work), not a production path.
import type { Backend, BackendBuffer, MatmulArgs, MemoryInfo, Operand, RandomKind, ReduceOp, TensorData, View } from '../backend.js';
import { isScalarOperand } from '../backend.js';
import type { DType } from '../../dtype.js';
import { type Shape, broadcastStrides, contiguousStrides, numel } from '../../shape.js';
import type { ElementwiseOp } from '../../ops/elementwise-table.js';
import { philoxBlock } from '../../random.js';
import type { KernelFamilies } from '../kernels/families.js';

export class CpuBuffer implements BackendBuffer {
  constructor(readonly data: Float64Array) {}
  get size(): number { return this.data.length; }
}

/** Calls fn(linearIndex, offsets) for every element of `shape` in row-major order. */
export function forEachIndex(shape: Shape, stridesList: (readonly number[])[], bases: number[], fn: (i: number, offs: number[]) => void): void {
  const n = numel(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  const offs = bases.slice();
  for (let i = 0; i < n; i++) {
    fn(i, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      stridesList.forEach((st, k) => { offs[k] += st[d]; });
      if (idx[d] < shape[d]) break;
      stridesList.forEach((st, k) => { offs[k] -= st[d] * shape[d]; });
      idx[d] = 0;
    }
  }
}

function castTo(v: number, d: DType): number {
  if (d === 'f32') return v;
  if (d === 'i32') return Number.isFinite(v) ? Math.trunc(v) | 0 : 0;
  if (d === 'bool') return v !== 0 ? 1 : 0;
  return Number.isFinite(v) ? Math.trunc(v) >>> 0 : 0;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  private inUse = 0;
  private peak = 0;
  private live = 0;

  /** `kernels`: the CPU kernel families (CPU_KERNELS; createCpuBackend() in ./index.ts passes them) */
  constructor(readonly kernels: KernelFamilies<CpuBackend>) {}

  describe(): string { return 'CPU float64 reference'; }

  alloc(size: number): CpuBuffer {
    this.inUse += size * 8;
    this.live++;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return new CpuBuffer(new Float64Array(size));
  }
  free(buf: BackendBuffer): void { this.inUse -= buf.size * 8; this.live--; }
  upload(data: ArrayLike<number>, dtype: DType): CpuBuffer {
    const b = this.alloc(data.length);
    for (let i = 0; i < data.length; i++) b.data[i] = castTo(data[i], dtype);
    return b;
  }
  async read(v: View): Promise<TensorData> {
    const out = new Float64Array(numel(v.shape));
    const src = (v.buf as CpuBuffer).data;
    forEachIndex(v.shape, [v.strides], [v.offset], (i, o) => { out[i] = src[o[0]]; });
    if (v.dtype === 'i32') return Int32Array.from(out);
    if (v.dtype === 'u32' || v.dtype === 'bool') return Uint32Array.from(out);
    return out;
  }
  flush(): void {}
  async sync(): Promise<void> {}
  memory(): MemoryInfo { return { bytesInUse: this.inUse, bytesPooled: 0, peakBytesInUse: this.peak, buffers: this.live }; }
  resetPeak(): void { this.peak = this.inUse; }
  async shutdown(): Promise<void> {}

  elementwise(op: ElementwiseOp, inputs: Operand[], outShape: Shape, outDType: DType, params: readonly number[]): CpuBuffer {
    const out = this.alloc(numel(outShape));
    const views = inputs.map((o) => (isScalarOperand(o) ? null : o));
    const consts = inputs.map((o) => (isScalarOperand(o) ? o.scalar : 0));
    const tv = views.filter((v): v is View => v !== null);
    const strides = tv.map((v) => broadcastStrides(v.shape, v.strides, outShape));
    const datas = tv.map((v) => (v.buf as CpuBuffer).data);
    const vals = [0, 0, 0];
    forEachIndex(outShape, strides, tv.map((v) => v.offset), (i, offs) => {
      let k = 0;
      for (let j = 0; j < inputs.length; j++) vals[j] = views[j] ? datas[k][offs[k++]] : consts[j];
      out.data[i] = castTo(op.f64(vals[0], vals[1], vals[2], params), outDType);
    });
    return out;
  }

  reduce(op: ReduceOp, x: View, innerRank: number, outDType: DType): CpuBuffer {
    const rank = x.shape.length;
    const outerShape = x.shape.slice(0, rank - innerRank), innerShape = x.shape.slice(rank - innerRank);
    const out = this.alloc(numel(outerShape));
    const src = (x.buf as CpuBuffer).data;
    const innerStrides = x.strides.slice(rank - innerRank);
    forEachIndex(outerShape, [x.strides.slice(0, rank - innerRank)], [x.offset], (r, ro) => {
      let acc = op === 'sum' || op === 'sumsq' ? 0 : op === 'max' || op === 'argmax' ? -Infinity : Infinity;
      let arg = -1;
      forEachIndex(innerShape, [innerStrides], [ro[0]], (j, io) => {
        const v = src[io[0]];
        if (op === 'sum') acc += v;
        else if (op === 'sumsq') acc += v * v;
        else if (op === 'max' || op === 'argmax') { if (v > acc || arg < 0) { acc = v; arg = j; } }
        else if (v < acc || arg < 0) { acc = v; arg = j; }
      });
      out.data[r] = castTo(op === 'argmax' || op === 'argmin' ? arg : acc, outDType);
    });
    return out;
  }

  matmul({ a, b, bias }: MatmulArgs): CpuBuffer {
    const [batch, M, K] = a.shape, N = b.shape[2];
    const out = this.alloc(batch * M * N);
    const A = (a.buf as CpuBuffer).data, B = (b.buf as CpuBuffer).data;
    for (let p = 0; p < batch; p++) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        acc += A[a.offset + p * a.strides[0] + m * a.strides[1] + k * a.strides[2]] * B[b.offset + p * b.strides[0] + k * b.strides[1] + n * b.strides[2]];
      }
      out.data[(p * M + m) * N + n] = acc + (bias ? (bias.buf as CpuBuffer).data[bias.offset + n * bias.strides[0]] : 0);
    }
    return out;
  }

  assign(dst: View, src: View): void {
    const d = (dst.buf as CpuBuffer).data, s = (src.buf as CpuBuffer).data;
    forEachIndex(dst.shape, [dst.strides, src.strides], [dst.offset, src.offset], (_i, o) => { d[o[0]] = s[o[1]]; });
  }

  fill(size: number, value: number, dtype: DType): CpuBuffer {
    const out = this.alloc(size);
    out.data.fill(castTo(value, dtype));
    return out;
  }

  arange(size: number, start: number, step: number, dtype: DType): CpuBuffer {
    const out = this.alloc(size);
    for (let i = 0; i < size; i++) out.data[i] = castTo(start + i * step, dtype);
    return out;
  }

  random(kind: RandomKind, rowSize: number, seeds: readonly bigint[], offsetBlocks: bigint, params: readonly number[]): CpuBuffer {
    const out = this.alloc(seeds.length * rowSize);
    const [p0, p1] = [params[0] ?? 0, params[1] ?? 1];
    const U = 2 ** -24;
    seeds.forEach((seed, r) => {
      for (let blk = 0; blk * 4 < rowSize; blk++) {
        const w = philoxBlock(seed, offsetBlocks + BigInt(blk));
        const vals = [0, 0, 0, 0];
        if (kind === 'uniform') for (let e = 0; e < 4; e++) vals[e] = p0 + (w[e] >>> 8) * U * (p1 - p0);
        else if (kind === 'normal') {
          for (let e = 0; e < 4; e += 2) {
            const u1 = ((w[e] >>> 8) + 1) * U, u2 = (w[e + 1] >>> 8) * U;
            const rad = Math.sqrt(-2 * Math.log(u1)), t = 2 * Math.PI * u2;
            vals[e] = p0 + p1 * rad * Math.cos(t);
            vals[e + 1] = p0 + p1 * rad * Math.sin(t);
          }
        } else for (let e = 0; e < 4; e++) vals[e] = p0 + (w[e] % (p1 - p0));
        for (let e = 0; e < 4 && blk * 4 + e < rowSize; e++) out.data[r * rowSize + blk * 4 + e] = vals[e];
      }
    });
    return out;
  }

  indexSelect(x: View, dim: number, idx: View): CpuBuffer {
    const O = numel(x.shape.slice(0, dim)), D = x.shape[dim], R = numel(x.shape.slice(dim + 1)), J = idx.shape[0];
    const out = this.alloc(O * J * R);
    const X = (x.buf as CpuBuffer).data, I = (idx.buf as CpuBuffer).data;
    for (let o = 0; o < O; o++) for (let j = 0; j < J; j++) for (let r = 0; r < R; r++) out.data[(o * J + j) * R + r] = X[x.offset + (o * D + I[idx.offset + j]) * R + r];
    return out;
  }

  indexAdd(g: View, dim: number, idx: View, outShape: Shape): CpuBuffer {
    const O = numel(outShape.slice(0, dim)), D = outShape[dim], R = numel(outShape.slice(dim + 1)), J = idx.shape[0];
    const out = this.alloc(O * D * R);
    const G = (g.buf as CpuBuffer).data, I = (idx.buf as CpuBuffer).data;
    for (let o = 0; o < O; o++) for (let j = 0; j < J; j++) for (let r = 0; r < R; r++) out.data[(o * D + I[idx.offset + j]) * R + r] += G[g.offset + (o * J + j) * R + r];
    return out;
  }

  gather(x: View, dim: number, idx: View): CpuBuffer {
    const out = this.alloc(numel(idx.shape));
    const X = (x.buf as CpuBuffer).data, I = (idx.buf as CpuBuffer).data;
    const xs = contiguousStrides(x.shape), is = contiguousStrides(idx.shape);
    for (let p = 0; p < out.size; p++) {
      let xo = x.offset;
      for (let d = 0; d < idx.shape.length; d++) {
        const c = Math.floor(p / is[d]) % idx.shape[d];
        xo += (d === dim ? I[idx.offset + p] : c) * xs[d];
      }
      out.data[p] = X[xo];
    }
    return out;
  }

  scatterAdd(g: View, dim: number, idx: View, outShape: Shape): CpuBuffer {
    const out = this.alloc(numel(outShape));
    const G = (g.buf as CpuBuffer).data, I = (idx.buf as CpuBuffer).data;
    const os = contiguousStrides(outShape), is = contiguousStrides(idx.shape);
    for (let p = 0; p < numel(idx.shape); p++) {
      let oo = 0;
      for (let d = 0; d < idx.shape.length; d++) {
        const c = Math.floor(p / is[d]) % idx.shape[d];
        oo += (d === dim ? I[idx.offset + p] : c) * os[d];
      }
      out.data[oo] += G[g.offset + p];
    }
    return out;
  }
}
