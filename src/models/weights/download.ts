// Downloading one URL: `download(url, sink, opts)` fetches it, turns a network failure or an HTTP error into a
// WeightsError that says what to do, counts the bytes on a progress bar and streams the body into a sink. Two
// sinks: `memorySink()` (the bytes) and `fileSink(dst)` (written to `<dst>.part`, renamed to `dst` when complete).
import { createHash } from 'node:crypto';
import { renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WeightsError } from '../../errors.js';
import { config } from '../../config.js';
import { ensureDir } from '../../io/atomic.js';
import type { Progress } from '../../util/progress.js';

/** Consumes a response body, chunk by chunk, into what the download returns. */
export type DownloadSink<T> = (chunks: AsyncIterable<Uint8Array>) => Promise<T>;

export interface DownloadOptions {
  /** Ticked with each chunk's size. */
  progress?: Progress;
  /** What to do without network, said after "Are you offline?" when the request cannot be made. */
  ifOffline: string;
}

/** What a fetch failure says: undici puts the system error (ECONNREFUSED, ENOTFOUND...) in `cause`. */
function reasonOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

export async function download<T>(url: string, sink: DownloadSink<T>, opts: DownloadOptions): Promise<T> {
  if (config().offline) throw new WeightsError(`not downloading ${url}: DUALNEURON_OFFLINE is set.\n${opts.ifOffline}`);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new WeightsError(`cannot download ${url}: ${reasonOf(e)}.\nAre you offline? ${opts.ifOffline}`);
  }
  if (!res.ok || !res.body) throw new WeightsError(`downloading ${url} failed: HTTP ${res.status} ${res.statusText}`);
  return sink(chunksOf(url, res.body, opts.progress));
}

async function* chunksOf(url: string, body: ReadableStream<Uint8Array>, progress?: Progress): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let done = false, n = 0;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (e) {
        done = true;
        throw new WeightsError(`downloading ${url} broke off after ${n} bytes (${reasonOf(e)}); try again`);
      }
      if (next.done) { done = true; return; }
      n += next.value.length;
      progress?.tick(next.value.length);
      yield next.value;
    }
  } finally {
    // The sink stopped early (it failed): drop the rest of the response rather than leave the connection open.
    if (!done) await reader.cancel().catch(() => {});
  }
}

/** The whole body in memory. */
export function memorySink(): DownloadSink<Uint8Array> {
  return async (chunks) => {
    const parts: Uint8Array[] = [];
    let n = 0;
    for await (const c of chunks) { parts.push(c); n += c.length; }
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of parts) { out.set(c, o); o += c.length; }
    return out;
  };
}

/**
 * The body written to `dst` (its folder created if needed) through `<dst>.part`, renamed to `dst` only once
 * complete: an interrupted or failed download leaves no file under `dst` and removes the partial one.
 * Returns the size and sha256 of what was written.
 */
export function fileSink(dst: string): DownloadSink<{ size: number; sha256: string }> {
  return async (chunks) => {
    ensureDir(dirname(dst));
    const tmp = `${dst}.part`;
    const out = await open(tmp, 'w');
    const h = createHash('sha256');
    let n = 0;
    try {
      for await (const c of chunks) {
        h.update(c);
        n += c.length;
        for (let o = 0; o < c.length;) o += (await out.write(c, o, c.length - o)).bytesWritten;
      }
      await out.sync();
    } catch (e) {
      await out.close().catch(() => {});
      rmSync(tmp, { force: true });
      throw e;
    }
    await out.close();
    renameSync(tmp, dst);
    return { size: n, sha256: h.digest('hex') };
  };
}
