// The embedded default twin (issue 14 item 7): a small twin trained by `dualneuron train` on a population that
// `dualneuron simulate` made, committed under weights/default-twin/ with the true MEIs/LEIs of its neurons
// (weights/default-twin/simulation/truth/) and the exact commands that made it (weights/default-twin/MADE.md).
// The demo uses it when the V1 twin is neither installed nor downloadable nor importable, so a fresh offline
// machine still runs the demo end to end.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** weights/default-twin of the package (dist/src/dualneuron/ -> the package root), or null when it is absent. */
export function embeddedTwinDir(): string | null {
  const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'weights', 'default-twin');
  return existsSync(join(dir, 'twin.json')) && existsSync(join(dir, 'simulation', 'truth', 'params.json')) ? dir : null;
}

/** The simulation the embedded twin was trained on (a DATA folder holding only truth/: readTruth reads it). */
export const embeddedSimulation = (twinDir: string) => join(twinDir, 'simulation');
