// A weights cache for tests, imported once per process from the upstream files in ../shared (or
// $DUALNEURON_UPSTREAM) into a temporary folder. Null (with a printed reason) when they are absent.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importDir } from '../../src/models/weights/import.js';
import { upstreamOrSkip } from './upstream.js';

let home: string | null | undefined;

export function upstreamWeightsHome(what: string): string | null {
  if (home !== undefined) {
    if (home === null) upstreamOrSkip(what);
    return home;
  }
  const up = upstreamOrSkip(what);
  if (!up) return (home = null);
  home = mkdtempSync(join(tmpdir(), 'dualneuron-test-weights-'));
  importDir(up, home, { targets: ['v1', 'priors'] });
  const dir = home;
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return home;
}
