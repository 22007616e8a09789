// The seed of one synthesis run from the user's seed and the pole (its own file, free of Node modules, so the
// browser page derives exactly the CLI's runs: `dualneuron synthesize --seed S` and the page with seed S agree).
import { deriveSeed } from '../../tensor/random.js';

export type Pole = 'most' | 'least';

export const runSeedOf = (seed: bigint, pole: Pole) => deriveSeed(seed, pole === 'most' ? 1 : 0);
