// Child process of the SIGKILL resume test: a tiny-twin evolution run that checkpoints every generation.
// Usage: node evolve-runner-child.js OUT GENERATIONS
import { cpu } from '../../src/tensor/index.js';
import { tinyRun } from './evolve-runner-fixture.js';

const [out, generations] = process.argv.slice(2);
await tinyRun({ out, neurons: [1, 3], seeds: 2, generations: Number(generations), noise: 0.2, saveEvery: 0, handleSignals: true }, cpu());
