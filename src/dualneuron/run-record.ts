// run.json: what produced a set of outputs (command, options, model, weights sha256, version, adapter, seed,
// timings), written next to them so any result can be traced and reproduced.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { writeFileAtomic } from '../io/atomic.js';

export function packageVersion(): string {
  try {
    const p = resolve(dirname(fileURLToPath(import.meta.url)), '../../../package.json');
    return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
  } catch { return 'unknown'; }
}

export interface RunRecord {
  command: string;
  argv: string[];
  options: Record<string, unknown>;
  version: string;
  adapter: string;
  host: string;
  startedAt: string;
  finishedAt?: string;
  wallSeconds?: number;
  [k: string]: unknown;
}

export function startRecord(command: string, options: Record<string, unknown>, adapter: string): RunRecord {
  return {
    command, argv: process.argv.slice(2), options, version: packageVersion(), adapter,
    host: `${os.hostname()} (${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, node ${process.version})`,
    startedAt: new Date().toISOString(),
  };
}

export function finishRecord(r: RunRecord, path: string, extra: Record<string, unknown> = {}): void {
  const end = new Date();
  Object.assign(r, extra, { finishedAt: end.toISOString(), wallSeconds: (end.getTime() - new Date(r.startedAt).getTime()) / 1000 });
  writeFileAtomic(path, JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1) + '\n');
}
