// The WebGPU engine: pipeline cache, kernel dispatch into a shared command encoder with deferred submission,
// a per-submission parameter arena, readback, and error reporting that names the kernel and prints its WGSL.
//
// Kernel binding convention (every shader in shaders/ follows it): group 0, binding 0 = the read-only u32
// parameter array `P`, then the read_write outputs, then the read-only inputs, in that order.
import { DeviceError } from '../../../errors.js';
import { BufferPool } from './pool.js';
import { config } from '../../../config.js';

export interface Binding { buffer: GPUBuffer; offset?: number; size?: number }

export interface Kernel {
  /** human-readable kernel family name, printed in errors */
  name: string;
  /** pipeline cache key: name plus every compile-time specialisation */
  key: string;
  /** builds the WGSL source (called only on a cache miss) */
  source: () => string;
  /** the whole grid; see `tileAt` for grids past the device's per-dimension limit */
  workgroups: readonly [number, number, number];
  /** u32 words for binding 0; must be non-empty and read by the shader */
  params: Uint32Array;
  /**
   * word index of the kernel's `tile` field (shaders/common.ts `tiledMain`): a grid with more workgroups in some
   * dimension than the device allows is then run as several dispatches, each with its first workgroup written
   * there. Kernels without it must fit their grid (1-D work folds into x and y with `grid1d`).
   */
  tileAt?: number;
  outputs: Binding[];
  inputs: Binding[];
}

const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x4 /* COPY_SRC */ | 0x8; /* COPY_DST */
const MAP_READ = 0x1, COPY_DST = 0x8;
const ARENA_BYTES = 1 << 20;
const PROFILE_QUERIES = 2048;

interface PipelineEntry { pipeline: GPUComputePipeline; name: string; source: string }

export class Engine {
  readonly pool: BufferPool;
  private readonly stagingPool: BufferPool;
  private readonly pipelines = new Map<string, PipelineEntry>();
  private readonly bySource = new Map<string, PipelineEntry>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly arenaCPU = new Uint32Array(ARENA_BYTES / 4);
  private arenaGPU: GPUBuffer;
  private spareArenas: GPUBuffer[] = [];
  private arenaUsed = 0; // words
  private readonly align: number; // words
  private batchKernels: string[] = [];
  private readonly errors: string[] = [];
  private readonly compileErrors: string[] = [];
  private readonly pendingChecks: Promise<void>[] = [];
  /** dispatches encoded since the last submit; submit when it reaches `flushThreshold` */
  flushThreshold = config().flushEvery;
  readonly syncKernels = config().syncKernels;
  dispatchCount = 0;
  submitCount = 0;
  /**
   * Workgroups per dimension of one dispatch of a kernel that can split its grid (`Kernel.tileAt`): the device's
   * limit; tests lower it to run the splitting on small tensors.
   */
  maxTileWorkgroups: number;
  // ---- profiling (timestamp queries around every dispatch; see startProfile)
  private profiling = false;
  private querySet: GPUQuerySet | null = null;
  private queryNames: string[] = [];
  private readonly profileTotals = new Map<string, { count: number; ns: number }>();
  private readonly profileReads: Promise<void>[] = [];

  constructor(readonly device: GPUDevice, readonly limits: GPUSupportedLimits) {
    this.pool = new BufferPool(device, STORAGE_USAGE, config().poolMB * 2 ** 20, 'tensor');
    this.stagingPool = new BufferPool(device, MAP_READ | COPY_DST, 256 * 2 ** 20, 'staging');
    this.align = Math.max(1, limits.minStorageBufferOffsetAlignment / 4);
    this.maxTileWorkgroups = limits.maxComputeWorkgroupsPerDimension;
    this.arenaGPU = this.newArena();
    device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => { this.errors.push(`WebGPU error: ${ev.error.message}`); };
    void device.lost?.then((info) => {
      if (info.reason !== 'destroyed') this.errors.push(`WebGPU device lost (${info.reason}): ${info.message}`);
    });
  }

  private newArena(): GPUBuffer {
    return this.device.createBuffer({ size: ARENA_BYTES, usage: 0x80 | 0x8, label: 'params-arena' });
  }

  // ---------------------------------------------------------------- pipelines
  private pipelineFor(k: Kernel): GPUComputePipeline {
    const hit = this.pipelines.get(k.key);
    if (hit) return hit.pipeline;
    const source = k.source();
    const same = this.bySource.get(source);
    if (same) { this.pipelines.set(k.key, same); return same.pipeline; }
    const device = this.device;
    device.pushErrorScope('validation');
    const module = device.createShaderModule({ code: source, label: k.name });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: k.name });
    const check = Promise.all([device.popErrorScope(), module.getCompilationInfo?.()]).then(([err, info]) => {
      const msgs = (info?.messages ?? []).filter((m) => m.type === 'error').map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}`);
      if (err || msgs.length) this.compileErrors.push(formatKernelError(k.name, err?.message ?? 'compilation failed', msgs, source));
    });
    this.pendingChecks.push(check);
    const entry = { pipeline, name: k.name, source };
    this.pipelines.set(k.key, entry);
    this.bySource.set(source, entry);
    return pipeline;
  }

  get pipelineCount(): number { return this.bySource.size; }

  // ---------------------------------------------------------------- dispatch
  dispatch(k: Kernel): void {
    const [x, y, z] = k.workgroups;
    if (x === 0 || y === 0 || z === 0) return;
    const at = k.tileAt;
    const maxDim = at === undefined ? this.limits.maxComputeWorkgroupsPerDimension : this.maxTileWorkgroups;
    if (x <= maxDim && y <= maxDim && z <= maxDim) { this.encode(k, x, y, z, k.params); return; }
    if (at === undefined) {
      throw new DeviceError(`kernel ${k.name}: ${x}x${y}x${z} workgroups exceed the device limit of ${maxDim} per dimension, ` +
        'and this kernel cannot split its grid (an internal error: please report it with the shapes involved)');
    }
    for (let bz = 0; bz < z; bz += maxDim) {
      for (let by = 0; by < y; by += maxDim) {
        for (let bx = 0; bx < x; bx += maxDim) {
          const P = k.params.slice();
          P[at] = bx; P[at + 1] = by; P[at + 2] = bz;
          this.encode(k, Math.min(maxDim, x - bx), Math.min(maxDim, y - by), Math.min(maxDim, z - bz), P);
        }
      }
    }
  }

  private encode(k: Kernel, x: number, y: number, z: number, params: Uint32Array): void {
    const pipeline = this.pipelineFor(k);
    const words = Math.max(1, params.length);
    let paramsEntry: GPUBindGroupEntry;
    let ownParams: GPUBuffer | null = null;
    if (words > this.arenaCPU.length) {
      // parameters larger than the arena (one seed pair per row of a huge randomRows): a buffer of their own,
      // back in the pool once this batch is submitted
      ownParams = this.pool.acquire(words * 4);
      this.write(ownParams, 0, params);
      paramsEntry = { binding: 0, resource: { buffer: ownParams, offset: 0, size: words * 4 } };
    } else {
      if (this.arenaUsed + words > this.arenaCPU.length) this.flush();
      const offsetWords = this.arenaUsed;
      this.arenaCPU.set(params, offsetWords);
      this.arenaUsed = Math.ceil((offsetWords + words) / this.align) * this.align;
      paramsEntry = { binding: 0, resource: { buffer: this.arenaGPU, offset: offsetWords * 4, size: words * 4 } };
    }

    const entries: GPUBindGroupEntry[] = [paramsEntry];
    let b = 1;
    for (const bind of [...k.outputs, ...k.inputs]) {
      entries.push({ binding: b++, resource: { buffer: bind.buffer, offset: bind.offset ?? 0, size: bind.size ?? bind.buffer.size - (bind.offset ?? 0) } });
    }
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label: k.name });
    if (ownParams) this.pool.release(ownParams);
    if (this.profiling && this.querySet) {
      // one pass per dispatch, timestamped at its start and end
      const enc = this.ensureEncoderNoPass();
      const q = this.queryNames.length;
      const pass = enc.beginComputePass({ timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * q, endOfPassWriteIndex: 2 * q + 1 } });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(x, y, z);
      pass.end();
      this.queryNames.push(k.name);
      this.batchKernels.push(k.name);
      this.dispatchCount++;
      if (this.queryNames.length >= PROFILE_QUERIES / 2 || this.batchKernels.length >= this.flushThreshold) this.flush();
      return;
    }
    const pass = this.ensurePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.batchKernels.push(k.name);
    this.dispatchCount++;
    if (this.syncKernels || this.batchKernels.length >= this.flushThreshold) this.flush();
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'dualneuron' });
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private ensureEncoderNoPass(): GPUCommandEncoder {
    if (this.pass) { this.pass.end(); this.pass = null; }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'dualneuron' });
    return this.encoder;
  }

  copyBuffer(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    if (bytes === 0) return;
    this.ensureEncoderNoPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.batchKernels.push('copyBufferToBuffer');
  }

  /** Submit everything encoded so far. Buffers released before this call become reusable after it. */
  flush(): void {
    if (!this.encoder) { this.pool.onSubmitted(); return; }
    if (this.pass) { this.pass.end(); this.pass = null; }
    if (this.arenaUsed > 0) this.device.queue.writeBuffer(this.arenaGPU, 0, this.arenaCPU.buffer, 0, this.arenaUsed * 4);
    const readProfile = this.profiling && this.querySet && this.queryNames.length ? this.encodeProfileResolve() : null;
    const names = this.batchKernels;
    this.device.pushErrorScope('validation');
    this.device.queue.submit([this.encoder.finish()]);
    this.pendingChecks.push(this.device.popErrorScope().then((err) => {
      if (err) this.errors.push(`WebGPU validation error in a batch of kernels [${[...new Set(names)].join(', ')}]: ${err.message}`);
    }));
    this.encoder = null;
    this.batchKernels = [];
    this.arenaUsed = 0;
    this.submitCount++;
    this.pool.onSubmitted();
    this.stagingPool.onSubmitted();
    if (readProfile) this.profileReads.push(readProfile());
  }

  /** Record GPU time per kernel name until stopProfile() (needs the timestamp-query feature). */
  startProfile(): boolean {
    if (!this.device.features.has('timestamp-query')) return false;
    this.flush();
    this.querySet ??= this.device.createQuerySet({ type: 'timestamp', count: PROFILE_QUERIES });
    this.profiling = true;
    this.profileTotals.clear();
    return true;
  }

  /** Stop profiling; per kernel name: dispatches and total GPU milliseconds, slowest first. */
  async stopProfile(): Promise<{ name: string; count: number; ms: number }[]> {
    this.flush();
    this.profiling = false;
    await Promise.all(this.profileReads.splice(0));
    return [...this.profileTotals].map(([name, v]) => ({ name, count: v.count, ms: v.ns / 1e6 })).sort((a, b) => b.ms - a.ms);
  }

  private encodeProfileResolve(): () => Promise<void> {
    const n = this.queryNames.length;
    const names = this.queryNames;
    this.queryNames = [];
    const resolveBuf = this.device.createBuffer({ size: 16 * n, usage: 0x200 /* QUERY_RESOLVE */ | 0x4 /* COPY_SRC */ });
    const readBuf = this.device.createBuffer({ size: 16 * n, usage: 0x1 | 0x8 });
    this.encoder!.resolveQuerySet(this.querySet!, 0, 2 * n, resolveBuf, 0);
    this.encoder!.copyBufferToBuffer(resolveBuf, 0, readBuf, 0, 16 * n);
    return async () => {
      await readBuf.mapAsync(0x1);
      const t = new BigInt64Array(readBuf.getMappedRange().slice(0));
      readBuf.unmap();
      readBuf.destroy(); resolveBuf.destroy();
      names.forEach((name, i) => {
        const e = this.profileTotals.get(name) ?? { count: 0, ns: 0 };
        e.count++;
        e.ns += Number(t[2 * i + 1] - t[2 * i]);
        this.profileTotals.set(name, e);
      });
    };
  }

  /** Throw a DeviceError if any kernel failed to compile or validate since the last check. */
  async checkErrors(): Promise<void> {
    while (this.pendingChecks.length) await this.pendingChecks.shift();
    // a kernel that failed to compile makes every later use of it invalid too: report the cause only
    if (this.compileErrors.length) {
      const msg = this.compileErrors.splice(0).join('\n\n');
      this.errors.length = 0;
      throw new DeviceError(msg);
    }
    if (this.errors.length) {
      const all = this.errors.splice(0);
      throw new DeviceError(all.slice(0, 3).join('\n\n') + (all.length > 3 ? `\n(and ${all.length - 3} more errors)` : ''));
    }
  }

  /** Copy `bytes` from `src` at `offset` to the host. */
  async read(src: GPUBuffer, offset: number, bytes: number): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    const staging = this.stagingPool.acquire(bytes);
    this.copyBuffer(src, offset, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(0x1 /* READ */, 0, staging.size);
    } catch (e) {
      await this.checkErrors();
      throw new DeviceError(`reading back a buffer failed: ${(e as Error).message}`);
    }
    const copy = staging.getMappedRange(0, staging.size).slice(0, bytes);
    staging.unmap();
    this.stagingPool.release(staging);
    await this.checkErrors();
    return copy;
  }

  /** Resolve when all submitted work has finished on the GPU. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  write(dst: GPUBuffer, offset: number, data: ArrayBufferView): void {
    this.device.queue.writeBuffer(dst, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  destroy(): void {
    if (this.pass) { this.pass.end(); this.pass = null; }
    this.encoder = null;
    this.pool.destroyAll();
    this.stagingPool.destroyAll();
    this.arenaGPU.destroy();
    this.querySet?.destroy();
    for (const a of this.spareArenas) a.destroy();
    this.pipelines.clear();
    this.bySource.clear();
  }
}

function formatKernelError(name: string, message: string, lines: string[], source: string): string {
  const numbered = source.split('\n').map((l, i) => `${String(i + 1).padStart(4)}| ${l}`).join('\n');
  return `WGSL kernel '${name}' failed to compile: ${message}\n${lines.join('\n')}\n--- WGSL of '${name}' ---\n${numbered}`;
}
