// Model benchmarks (issue 4): V1 ensemble forward images/s (batch 1, 64), forward + backward to the input
// steps/s (batch 4), the V4 trunk (ResNet-50 to layer3.0) forward at batch 1 and 16, beside PyTorch CPU.
import { tidy, noGrad, randn, keep, type Backend } from '../src/tensor/index.js';
import { loadTwin } from '../src/models/twins/load.js';
import { resnet50 } from '../src/models/resnet.js';
import { isInstalled, weightsHome } from '../src/models/weights/store.js';
import { timeIt, runTorch, printRows, repoRoot, type Row } from './harness.js';
import { resolve } from 'node:path';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const upstream = process.env.DUALNEURON_UPSTREAM ?? resolve(repoRoot, '../shared/upstream/dualneuron');
  const torch = runTorch('models_bench', { upstream });
  const rows: Row[] = [];
  if (isInstalled('v1', weightsHome())) {
    const { model } = loadTwin('v1', { backend });
    for (const B of opts.quick ? [1, 16] : [1, 64]) {
      const x = keep(randn([B, 1, 93, 93], { backend, std: 0.13 }));
      const s = await timeIt(backend, () => noGrad(() => tidy(() => { model.forward(x); })), { minSeconds: 2 });
      rows.push({ name: `V1 ensemble forward, batch ${B}`, ours: B / s, unit: 'images/s', torch: torch?.[`v1_fwd_b${B}`] ?? null });
      x.dispose();
    }
    const x = keep(randn([4, 1, 93, 93], { backend, std: 0.13 })).requiresGrad_();
    const s = await timeIt(backend, () => tidy(() => { model.forward(x).select(1, 3).sum().backward(); x.zeroGrad(); }), { minSeconds: 2 });
    rows.push({ name: 'V1 ensemble forward+backward to input, batch 4', ours: 1 / s, unit: 'steps/s', torch: torch?.v1_fwdbwd_b4_steps ?? null });
    x.dispose();
    model.dispose();
  } else console.log('  (V1 weights not installed: dualneuron weights import ../shared/upstream/dualneuron)');
  const trunk = resnet50({ backend, truncateAfter: 'layer3.0' }).eval();
  for (const B of [1, 16]) {
    const x = keep(randn([B, 3, 100, 100], { backend }));
    const s = await timeIt(backend, () => noGrad(() => tidy(() => { trunk.forward(x); })), { minSeconds: 2, maxReps: 20 });
    rows.push({ name: `V4 trunk (ResNet-50 to layer3.0) forward, batch ${B}`, ours: B / s, unit: 'images/s', torch: torch?.[`v4_trunk_b${B}`] ?? null });
    x.dispose();
  }
  trunk.dispose();
  printRows('twins', rows);
}
