// Size-bucketed GPU buffer pool.
// A released buffer is parked as "pending" and becomes reusable only after the command buffer that may still
// read it has been submitted (queue order then guarantees later writes happen after those reads), as in
// ONNX Runtime's and tfjs's WebGPU buffer managers. Buckets are 2^k * {1, 1.25, 1.5, 1.75} bytes, >= 256.

const MIN_BUCKET = 256;

export function bucketBytes(bytes: number): number {
  if (bytes <= MIN_BUCKET) return MIN_BUCKET;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const b = p * f;
    if (b >= bytes) return b;
  }
  return 2 * p;
}

export class BufferPool {
  private readonly freeLists = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  bytesInUse = 0;
  bytesPooled = 0;
  peakBytesInUse = 0;
  liveBuffers = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    /** pooled bytes above this are destroyed at the next submit */
    private readonly maxPooledBytes: number,
    private readonly label: string,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = bucketBytes(bytes);
    const list = this.freeLists.get(size);
    let buf = list?.pop();
    if (buf) this.bytesPooled -= size;
    else buf = this.device.createBuffer({ size, usage: this.usage, label: `${this.label}:${size}` });
    this.bytesInUse += size;
    this.liveBuffers++;
    if (this.bytesInUse > this.peakBytesInUse) this.peakBytesInUse = this.bytesInUse;
    return buf;
  }

  release(buf: GPUBuffer): void {
    this.bytesInUse -= buf.size;
    this.liveBuffers--;
    this.pending.push(buf);
  }

  /** Called after a queue submit: pending buffers become reusable. */
  onSubmitted(): void {
    for (const buf of this.pending) {
      const size = buf.size;
      let list = this.freeLists.get(size);
      if (!list) this.freeLists.set(size, (list = []));
      list.push(buf);
      this.bytesPooled += size;
    }
    this.pending = [];
    if (this.bytesPooled > this.maxPooledBytes) this.trim(this.maxPooledBytes / 2);
  }

  /** Destroy pooled buffers, largest first, until at most `keepBytes` stay pooled. */
  trim(keepBytes = 0): void {
    const sizes = [...this.freeLists.keys()].sort((a, b) => b - a);
    for (const size of sizes) {
      const list = this.freeLists.get(size)!;
      while (list.length && this.bytesPooled > keepBytes) {
        list.pop()!.destroy();
        this.bytesPooled -= size;
      }
    }
  }

  get pendingCount(): number { return this.pending.length; }

  destroyAll(): void {
    this.onSubmitted();
    this.trim(0);
  }
}
