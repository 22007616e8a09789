// Kernel-level GPU time of a ViT forward (and optionally backward to the input) from timestamp queries:
// `node dist/bench/profile-vit.js [batch] [width] [depth] [backward]` (default: B/16 width 768, 2 blocks, batch 1).
import { init, shutdownAll, tidy, rand, noGrad } from '../src/tensor/index.js';
import { VisionTransformer, VIT_B16_DINO } from '../src/models/vit.js';
import { printKernelProfile } from './harness.js';
import type { WebGPUBackend } from '../src/tensor/backend/webgpu/webgpu-backend.js';

const B = Number(process.argv[2] ?? 1), width = Number(process.argv[3] ?? 768), depth = Number(process.argv[4] ?? 2), bw = process.argv[5] === '1';
const b = (await init('webgpu')) as WebGPUBackend;
const m = new VisionTransformer({ ...VIT_B16_DINO, width, depth, heads: width / 64 }, b);
const step = () => tidy(() => {
  const x = rand([B, 3, 224, 224], { backend: b });
  if (bw) { x.requiresGrad_(); m.forward(x).sum().backward(); } else noGrad(() => m.forward(x));
  return undefined;
});
step(); await b.sync();
const t0 = performance.now();
step(); await b.sync();
console.log(`wall: ${(performance.now() - t0).toFixed(1)} ms for batch ${B}, width ${width}, ${depth} blocks${bw ? ', forward + backward' : ''}`);
await printKernelProfile(b, step);
m.dispose();
await shutdownAll();
