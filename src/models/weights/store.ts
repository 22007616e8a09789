// The weights cache: ~/.cache/dualneuron (or $DUALNEURON_HOME, or an explicit folder) holding checkpoints as
// safetensors, masks/correlations/priors as .npy, and manifest.json recording where each came from.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { WeightsError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readSafetensors } from '../../io/safetensors.js';
import { readNpy } from '../../io/npy.js';
import type { HostArray } from '../../io/host-array.js';
import { TWINS, type TwinId } from '../twins/registry.js';
import { filesFor, storedPath, type PullTarget } from './upstream.js';
import { config } from '../../config.js';

export interface StoredEntry {
  /** upstream repository path, or the original file name */
  upstreamPath: string;
  /** URL or local path it was imported from */
  source: string;
  sha256Original: string;
  sizeOriginal: number;
  sha256Stored: string;
  licence: string;
  importedAt: string;
}

export interface WeightsManifest { format: 1; files: Record<string, StoredEntry> }

export function weightsHome(override?: string): string {
  return resolve(override ?? config().home ?? join(homedir(), '.cache', 'dualneuron'));
}

export function readManifest(home: string): WeightsManifest {
  const p = join(home, 'manifest.json');
  if (!existsSync(p)) return { format: 1, files: {} };
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as WeightsManifest;
  } catch (e) {
    throw new WeightsError(`${p} is not valid JSON (${(e as Error).message}); delete it and import the weights again`);
  }
}

export function writeManifest(home: string, m: WeightsManifest): void {
  writeFileAtomic(join(home, 'manifest.json'), JSON.stringify(m, null, 1) + '\n');
}

/** Stored files a target needs that are missing from the cache. */
export function missingFor(target: PullTarget, home: string): string[] {
  const m = readManifest(home);
  return filesFor(target).map(storedPath).filter((p) => !m.files[p] || !existsSync(join(home, p)));
}

export function isInstalled(target: PullTarget, home: string): boolean {
  return missingFor(target, home).length === 0;
}

function howToGet(id: PullTarget, home: string): string {
  return `Run:  dualneuron weights pull ${id}${home !== weightsHome() ? ` --weights-dir ${home}` : ''}\n` +
    `  or, with the upstream files at hand:  dualneuron weights import <folder containing ${id === 'priors' ? 'priors/' : `${TWINS[id as TwinId]?.name ?? 'V1GrayTaskDriven'}/`}>`;
}

export function requireInstalled(target: PullTarget, home: string): void {
  const missing = missingFor(target, home);
  if (missing.length) {
    const what = target === 'priors' ? 'The Fourier magnitude priors are' : `The ${target.toUpperCase()} twin's weights are`;
    throw new WeightsError(`${what} not installed in ${home} (missing ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}).\n${howToGet(target, home)}`);
  }
}

const memberFile = (id: TwinId, k: number) => `${TWINS[id].name}/member_${k}.safetensors`;

/** sha256 of member k's original upstream checkpoint, from the manifest (no file is read; '' if not recorded). */
export function memberSha256(id: TwinId, k: number, home: string): string {
  return readManifest(home).files[memberFile(id, k)]?.sha256Original ?? '';
}

/** State dict of member k (1-based) of a twin. */
export function loadMemberStateDict(id: TwinId, k: number, home: string): { tensors: Map<string, HostArray>; path: string; sha256: string } {
  const spec = TWINS[id];
  if (!Number.isInteger(k) || k < 1 || k > spec.members.length) throw new WeightsError(`the ${id} twin has members 1..${spec.members.length}; got ${k}`);
  requireInstalled(id, home);
  const path = join(home, memberFile(id, k));
  const st = readSafetensors(path);
  return { tensors: st.tensors, path, sha256: memberSha256(id, k, home) };
}

export function loadMask(id: TwinId, home: string): HostArray {
  requireInstalled(id, home);
  return readNpy(join(home, TWINS[id].maskFrom, 'mask.npy'));
}

export function loadCorrelations(id: TwinId, home: string): HostArray {
  requireInstalled(id, home);
  return readNpy(join(home, TWINS[id].name, 'correlations.npy'));
}

export function loadPrior(name: 'natural_gray' | 'natural_rgb', home: string): HostArray {
  requireInstalled('priors', home);
  return readNpy(join(home, 'priors', `${name}.npy`));
}

export interface InstalledRow { target: PullTarget; installed: boolean; files: number; bytes: number }

export function listInstalled(home: string): InstalledRow[] {
  return (['v1', 'v4', 'v4g', 'priors'] as PullTarget[]).map((target) => {
    const paths = filesFor(target).map(storedPath);
    const present = paths.filter((p) => existsSync(join(home, p)));
    return { target, installed: missingFor(target, home).length === 0, files: present.length, bytes: present.reduce((s, p) => s + statSync(join(home, p)).size, 0) };
  });
}
