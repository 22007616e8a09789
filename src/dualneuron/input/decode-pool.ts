// A pool of decode workers (decode-worker.ts) returning model-space inputs in request order. With `workers: 0`
// it decodes on the calling thread (tests, tiny jobs).
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import { readImageRef } from './tar-images.js';
import { imageToInput, type InputPipeline } from './pipeline.js';

/** Decode threads when not told: one core left for the main thread, at most 4. */
export const defaultWorkers = () => Math.max(1, Math.min(4, os.availableParallelism() - 1));

export type Decoded = { data: Float32Array } | { error: string };

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (d: Decoded) => void>();
  private nextId = 0;
  private rr = 0;

  constructor(private readonly pipe: InputPipeline, workers = defaultWorkers()) {
    for (let i = 0; i < workers; i++) {
      const w = new Worker(new URL('./decode-worker.js', import.meta.url), { workerData: pipe });
      w.on('message', (m: { id: number; data?: Float32Array; error?: string }) => {
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        done?.(m.error !== undefined ? { error: m.error } : { data: m.data! });
      });
      w.on('error', (e) => { for (const [, f] of this.pending) f({ error: `decode worker failed: ${e.message}` }); this.pending.clear(); });
      this.workers.push(w);
    }
  }

  decode(path: string): Promise<Decoded> {
    if (this.workers.length === 0) {
      try { return Promise.resolve({ data: imageToInput(this.pipe, readImageRef(path)) }); } catch (e) { return Promise.resolve({ error: (e as Error).message }); }
    }
    const id = this.nextId++;
    const w = this.workers[this.rr++ % this.workers.length];
    return new Promise((res) => { this.pending.set(id, res); w.postMessage({ id, path }); });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
