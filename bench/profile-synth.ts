// Kernel-level GPU time of V1 synthesis steps (Fourier default recipe): `node dist/bench/profile-synth.js [runs]`.
// PROFILE_STACKING=1|0 forces the stacked ensemble on or off (default: the model's 'auto', off on CPU adapters).
import { init, shutdownAll } from '../src/tensor/index.js';
import { loadTwin } from '../src/models/twins/load.js';
import { loadPrior, weightsHome } from '../src/models/weights/store.js';
import { FourierParameterization } from '../src/dualneuron/synthesis/fourier.js';
import { synthesize, type RunSpec } from '../src/dualneuron/synthesis/engine.js';
import { printKernelProfile } from './harness.js';
import type { WebGPUBackend } from '../src/tensor/backend/webgpu/webgpu-backend.js';

const K = Number(process.argv[2] ?? 4);
const b = (await init('webgpu')) as WebGPUBackend;
const { model } = loadTwin('v1', { backend: b });
if (process.env.PROFILE_STACKING) model.stacking = process.env.PROFILE_STACKING === '1';
console.log(`stacked ensemble: ${model.stacking} (adapter: ${b.isCpuAdapter ? 'CPU' : 'GPU'})`);
const param = new FourierParameterization({ prior: loadPrior('natural_gray', weightsHome()), valuesRange: [-2, 2], rangeFn: 'sigmoid' });
const runs: RunSpec[] = Array.from({ length: K }, (_, k) => ({ objective: { neuron: k }, pole: k % 2 ? 'least' : 'most', seed: BigInt(k) }));
const o = { steps: 2, optimizer: 'adam' as const, lr: 0.5, lrSchedule: true, etaMin: 0, momentum: 0.9, tvWeight: 1e-4, targetNorm: 12, saveAllSteps: false,
  transforms: { nbCrops: 4, boxSize: [1, 1] as [number, number], jitterStd: 0.05, oversample: 1, reflectPadFrac: 0.05, noise: 0.05, targetNorm: 12 } };
await synthesize(model, param, runs, { ...o, steps: 1 }, 458);
const t0 = performance.now();
await synthesize(model, param, runs, o, 458);
console.log(`wall ${((performance.now() - t0) / 2).toFixed(0)} ms per step for ${K} runs (4 crops, 5 members)`);
console.log('2 steps + setup:');
await printKernelProfile(b, () => synthesize(model, param, runs, o, 458), Number(process.env.PROFILE_TOP ?? 22));
await shutdownAll();
