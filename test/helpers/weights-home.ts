// A weights cache for tests, imported once per process from the upstream files in ../shared (or
// $DUALNEURON_UPSTREAM) into a temporary folder. Only for tests registered with `withUpstream(test)`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDir } from '../../src/models/weights/import.js';
import { requireUpstream } from './upstream.js';

let home: string | undefined;

export function upstreamWeightsHome(): string {
  if (home !== undefined) return home;
  const up = requireUpstream();
  home = mkdtempSync(join(tmpdir(), 'dualneuron-test-weights-'));
  importDir(up, home, { targets: ['v1', 'priors'] });
  const dir = home;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return home;
}
