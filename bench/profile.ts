// Kernel-level GPU time of one V1 synthesis step (forward + backward of the ensemble on a batch of crops), from
// timestamp queries: `node dist/bench/profile.js [batch] [members]`. Needs the V1 weights in the cache.
import { init, shutdownAll, tidy, randn } from '../src/tensor/index.js';
import { loadTwin } from '../src/models/twins/load.js';
import { printKernelProfile } from './harness.js';
import type { WebGPUBackend } from '../src/tensor/backend/webgpu/webgpu-backend.js';

const B = Number(process.argv[2] ?? 8), members = Number(process.argv[3] ?? 5);
const b = (await init('webgpu')) as WebGPUBackend;
const { model } = loadTwin('v1', { members: Array.from({ length: members }, (_, i) => i + 1), backend: b });
const step = () => tidy(() => {
  const x = randn([B, 1, 93, 93], { backend: b }).requiresGrad_();
  model.forward(x).select(1, 3).sum().backward();
  return undefined;
});
step(); await b.sync();
const t0 = performance.now();
step(); await b.sync();
console.log(`wall: ${(performance.now() - t0).toFixed(1)} ms for batch ${B}, ${members} members (forward + backward to the input)`);
await printKernelProfile(b, step);
model.dispose();
await shutdownAll();
