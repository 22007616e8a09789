// Small tmpfs mounts for tests of full and read-only file systems (ENOSPC, EROFS). Mounting needs root (or
// CAP_SYS_ADMIN); where it is not permitted, tests registered with `withTmpfs` are counted as skipped.
import { mkdirSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Test } from 'uvu';
import { runIf } from './skip.js';

let permitted: boolean | undefined;

function canMountTmpfs(): boolean {
  if (permitted !== undefined) return permitted;
  const dir = mkdtempSync(join(tmpdir(), 'dualneuron-tmpfs-probe-'));
  permitted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]).status === 0;
  if (permitted) spawnSync('umount', [dir]);
  rmdirSync(dir);
  return permitted;
}

/** Registers a test that mounts tmpfs: run where mounting is permitted, counted as skipped elsewhere. */
export function withTmpfs(test: Test) {
  return runIf(test, canMountTmpfs(), 'mounting a tmpfs is not permitted here (needs root)');
}

/** Mounts a tmpfs of `size` (e.g. '64k') at a new folder under `parent`, unmounted when the process exits. */
export function mountTmpfs(parent: string, size: string): string {
  const dir = mkdtempSync(join(parent, `mnt-${size}-`));
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount -t tmpfs ${dir} failed: ${(r.stderr || String(r.error)).trim()}`);
  process.on('exit', () => spawnSync('umount', ['-l', dir]));
  return dir;
}
