// Loading a twin without a file system (browsers, workers, Deno without --allow-read): from safetensors bytes
// the caller already holds (files the user picked), or fetched from a URL laid out like the weights cache that
// `dualneuron weights import` writes (manifest.json + <Twin folder>/member_K.safetensors + mask.npy, priors/).
// Fetched files are checked against the manifest's sha256 of the stored file, as the Node cache checks them; with a
// byte cache (weights-cache-web.ts) cached copies are checked the same way, and a bad copy is dropped and fetched.
import { FormatError, WeightsError } from '../../errors.js';
import type { WeightsByteCache } from './weights-cache-web.js';
import type { HostArray } from '../../io/host-array.js';
import { parseNpy } from '../../io/npy-format.js';
import { parseSafetensors } from '../../io/safetensors-format.js';
import { TWINS, type TwinId } from './registry.js';
import { assembleTwin, memberNumbers, type LoadedTwin, type TwinBuildOptions } from './assemble.js';

/** Where member k of a twin lives in the weights cache layout (relative path). */
export function memberPath(id: TwinId, k: number): string {
  return `${TWINS[id].name}/member_${k}.safetensors`;
}

/** Where a twin's aperture mask lives in the weights cache layout (relative path). */
export function maskPath(id: TwinId): string {
  return `${TWINS[id].maskFrom}/mask.npy`;
}

/**
 * Builds a twin from the bytes of its members' .safetensors files (as `dualneuron weights import` stores them).
 * `members` maps member numbers (1-based) to bytes; the twin gets exactly those members.
 */
export function loadTwinFromBytes(id: TwinId, members: ReadonlyMap<number, Uint8Array>, opts: Omit<TwinBuildOptions, 'members'> & { sha256?: Record<number, string> } = {}): LoadedTwin {
  const ids = memberNumbers(id, [...members.keys()].sort((a, b) => a - b));
  return assembleTwin(id, ids, (k) => {
    const source = memberPath(id, k);
    return { tensors: parseSafetensors(members.get(k)!, source).tensors, source, sha256: opts.sha256?.[k] ?? '' };
  }, opts);
}

interface ManifestEntry { sha256Stored?: string; sha256Original?: string }
interface Manifest { format?: number; files?: Record<string, ManifestEntry> }

export interface FetchOptions {
  /** the fetch to use (default globalThis.fetch): tests, caches, authenticated mirrors */
  fetch?: typeof fetch;
  /** called after each file with its path, its size and where it came from */
  onFile?: (path: string, bytes: number, from: 'network' | 'cache') => void;
  /**
   * keep fetched files here and read them from here first (browserWeightsCache()); the manifest is fetched anew
   * when the server answers and taken from the cache when it does not (offline)
   */
  cache?: WeightsByteCache;
}

const joinUrl = (base: string, path: string) => `${base.replace(/\/+$/, '')}/${path}`;

async function getBytes(url: string, what: string, o: FetchOptions): Promise<Uint8Array> {
  const f = o.fetch ?? globalThis.fetch;
  if (!f) throw new WeightsError(`cannot fetch ${what}: this environment has no fetch()`);
  let res: Response;
  try {
    res = await f(url);
  } catch (e) {
    throw new WeightsError(`cannot fetch ${what} from ${url}: ${(e as Error).message}. Check the URL and that the server is reachable.`);
  }
  if (!res.ok) throw new WeightsError(`cannot fetch ${what} from ${url}: HTTP ${res.status} ${res.statusText}. Check that the weights folder holds this file (it is laid out like the cache of 'dualneuron weights import').`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Lower-case hex sha256 through WebCrypto (browsers, Deno, Node >= 19). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new WeightsError('cannot check weight files: this environment has no WebCrypto (crypto.subtle; browsers offer it only on https:// or localhost pages)');
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A weights folder served over HTTP(S) (or any URL fetch understands), with its manifest read once. */
export class WeightsUrl {
  private constructor(readonly base: string, private readonly manifest: Manifest, private readonly o: FetchOptions) {}

  static async open(base: string, o: FetchOptions = {}): Promise<WeightsUrl> {
    const url = joinUrl(base, 'manifest.json');
    let bytes: Uint8Array;
    try {
      bytes = await getBytes(url, 'the weights manifest (manifest.json)', o);
      await o.cache?.put(url, bytes);
    } catch (e) {
      const cached = await o.cache?.get(url);
      if (!cached) throw e;
      bytes = cached; // offline: the manifest of the last visit
    }
    const text = new TextDecoder().decode(bytes);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(text) as Manifest;
    } catch (e) {
      throw new WeightsError(`${url} is not valid JSON (${(e as Error).message}); serve the manifest.json that 'dualneuron weights import' wrote`);
    }
    if (typeof manifest !== 'object' || manifest === null || typeof manifest.files !== 'object' || manifest.files === null) {
      throw new WeightsError(`${url} is not a weights manifest: it has no "files" map; serve the manifest.json that 'dualneuron weights import' wrote`);
    }
    return new WeightsUrl(base, manifest, o);
  }

  /** The bytes of a file of the folder (relative path), checked against the manifest's sha256. */
  async file(path: string): Promise<Uint8Array> {
    const url = joinUrl(this.base, path);
    const entry = this.manifest.files![path];
    if (!entry?.sha256Stored) throw new WeightsError(`${path} is not listed in ${joinUrl(this.base, 'manifest.json')}; import the weights again with 'dualneuron weights import' and serve that folder`);
    const cache = this.o.cache;
    const cached = await cache?.get(url);
    if (cached) {
      if ((await sha256Hex(cached)) === entry.sha256Stored) {
        this.o.onFile?.(path, cached.length, 'cache');
        return cached;
      }
      await cache!.delete(url); // a damaged or stale copy: fetch the file again
    }
    const bytes = await getBytes(url, path, this.o);
    const got = await sha256Hex(bytes);
    if (got !== entry.sha256Stored) {
      throw new WeightsError(`${url} is corrupt or not the file the manifest lists: sha256 ${got}, expected ${entry.sha256Stored} (${bytes.length} bytes). Copy the weights folder again.`);
    }
    await cache?.put(url, bytes);
    this.o.onFile?.(path, bytes.length, 'network');
    return bytes;
  }

  /** sha256 of the original upstream checkpoint a stored file came from ('' if not recorded). */
  originalSha256(path: string): string {
    return this.manifest.files![path]?.sha256Original ?? '';
  }

  /** A .npy file of the folder (a mask, a prior), parsed. */
  async npy(path: string): Promise<HostArray> {
    return parseNpy(await this.file(path), joinUrl(this.base, path));
  }

  /** Fetches and builds a twin (all members by default), checking every file. */
  async twin(id: TwinId, opts: TwinBuildOptions = {}): Promise<LoadedTwin> {
    const ids = memberNumbers(id, opts.members);
    const bytes = new Map<number, Uint8Array>();
    const sha256: Record<number, string> = {};
    for (const k of ids) {
      const p = memberPath(id, k);
      bytes.set(k, await this.file(p));
      sha256[k] = this.originalSha256(p);
    }
    try {
      return loadTwinFromBytes(id, bytes, { ...opts, sha256 });
    } catch (e) {
      // parse errors name the relative path; say where it was served from
      if (e instanceof FormatError) throw new FormatError(`${e.message} (served from ${this.base})`);
      throw e;
    }
  }
}

/** Fetches twin `id` from a weights folder URL and builds it (see WeightsUrl for the layout and checks). */
export async function fetchTwin(id: TwinId, base: string, opts: TwinBuildOptions & FetchOptions = {}): Promise<LoadedTwin> {
  return (await WeightsUrl.open(base, opts)).twin(id, opts);
}
