// Kernel-level GPU time of one twin training step (the trainer's trainStep on the notebook's model, as
// bench/train.bench.ts), from timestamp queries: `node dist/bench/profile-train.js [channels] [batch]` (default 64
// channels, batch 32, 100 neurons, 60 x 96).
import { init, shutdownAll } from '../src/tensor/index.js';
import { printKernelProfile } from './harness.js';
import { trainBenchStep, TRAIN_BENCH } from './train.bench.js';

const channels = Number(process.argv[2] ?? 64), B = Number(process.argv[3] ?? TRAIN_BENCH.batch);
const b = await init('webgpu');
const { step, dispose } = trainBenchStep(b, channels, B);
await step(0); await b.sync();
const t0 = performance.now();
await step(1); await b.sync();
console.log(`wall: ${(performance.now() - t0).toFixed(0)} ms for one training step, ${channels} channels, ${TRAIN_BENCH.neurons} neurons, batch ${B}`);
await printKernelProfile(b, () => step(2), 30);
dispose();
await shutdownAll();
