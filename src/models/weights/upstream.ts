// The upstream data files (weights/upstream.json): which exist, where to download them, how to verify them, and
// where each one is stored in the weights cache.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TWINS, type TwinId } from '../twins/registry.js';

export interface UpstreamFile {
  /** path in the upstream repository, e.g. dualneuron/twins/V1GrayTaskDriven/v1_convnext_1.pth.tar */
  path: string;
  url: string;
  gitBlobSha1: string;
  size?: number;
  sha256?: string;
}

export interface UpstreamManifest { repository: string; commit: string; licence: string; files: UpstreamFile[] }

let cached: UpstreamManifest | null = null;

export function upstreamManifest(): UpstreamManifest {
  if (!cached) {
    const path = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../weights/upstream.json');
    cached = JSON.parse(readFileSync(path, 'utf8')) as UpstreamManifest;
  }
  return cached;
}

export type PullTarget = TwinId | 'priors' | 'all';
export const PULL_TARGETS: PullTarget[] = ['v1', 'v4', 'v4g', 'priors', 'all'];

/** Upstream folder of a file (V1GrayTaskDriven, ..., or 'priors'). */
export function folderOf(f: UpstreamFile): string {
  const m = /twins\/([^/]+)\//.exec(f.path);
  return m ? m[1] : 'priors';
}

export const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** The files a target needs: a twin's checkpoints, correlations and its aperture's mask; or the priors. */
export function filesFor(target: PullTarget): UpstreamFile[] {
  const all = upstreamManifest().files;
  if (target === 'all') return all;
  if (target === 'priors') return all.filter((f) => folderOf(f) === 'priors');
  const spec = TWINS[target];
  return all.filter((f) => folderOf(f) === spec.name || (folderOf(f) === spec.maskFrom && baseName(f.path) === 'mask.npy'));
}

/** Where a file lives in the weights cache (checkpoints become safetensors). */
export function storedPath(f: UpstreamFile): string {
  const folder = folderOf(f);
  const base = baseName(f.path);
  if (base.endsWith('.pth.tar')) {
    const spec = Object.values(TWINS).find((t) => t.name === folder);
    const k = spec ? spec.members.indexOf(base) + 1 : 0;
    return `${folder}/member_${k}.safetensors`;
  }
  return `${folder}/${base}`;
}

export interface Verification { ok: boolean; how: string; detail?: string }

/** Check bytes against the known sha256 (and size), or else the git blob sha1. */
export function verify(f: UpstreamFile, bytes: Uint8Array): Verification {
  if (f.size !== undefined && bytes.length !== f.size) return { ok: false, how: 'size', detail: `${bytes.length} bytes, expected ${f.size}` };
  if (f.sha256) {
    const got = sha256(bytes);
    return got === f.sha256 ? { ok: true, how: 'sha256' } : { ok: false, how: 'sha256', detail: `sha256 ${got}, expected ${f.sha256}` };
  }
  const got = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
  return got === f.gitBlobSha1 ? { ok: true, how: 'git blob sha1' } : { ok: false, how: 'git blob sha1', detail: `git blob sha1 ${got}, expected ${f.gitBlobSha1}` };
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
