// DeePSim fc6 generator benchmark (issue 13): codes (B, 4096) to [0, 1] RGB images 256 x 256 at batch 1 and 8
// (images/s), and image + backward to the codes (what gradient-based use of the generator pays), beside the same
// network in PyTorch (bench/torch/deepsim_bench.py). Weights are deterministic random (speed does not depend on them).
import { tidy, noGrad, keep, randn, type Backend } from '../src/tensor/index.js';
import { DEEPSIM_FC6, DeepSimFc6, deepsimFc6Shapes } from '../src/models/deepsim-fc6.js';
import { timeIt, runTorch, printRows, type Row } from './harness.js';
import { detStateDict } from '../test/helpers/det-weights.js';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const fwdBatches = opts.quick ? [1] : [1, 8], bwdBatches = [1];
  const torch = runTorch('deepsim_bench', { batches: fwdBatches, backward: bwdBatches });
  const g = new DeepSimFc6(DEEPSIM_FC6, { backend });
  g.loadStateDict(detStateDict(deepsimFc6Shapes()));
  const rows: Row[] = [];
  const t = { warmup: 1, minSeconds: opts.quick ? 1 : 4, maxReps: opts.quick ? 1 : 8 };
  for (const B of fwdBatches) {
    const z = keep(randn([B, 4096], { backend }));
    const s = await timeIt(backend, () => noGrad(() => tidy(() => { g.forward(z); })), t);
    rows.push({ name: `fc6 generator, batch ${B}`, ours: B / s, unit: 'images/s', torch: torch?.[`fwd_b${B}`] ?? null });
    z.dispose();
  }
  for (const B of bwdBatches) {
    const z = keep(randn([B, 4096], { backend })).requiresGrad_();
    const s = await timeIt(backend, () => tidy(() => { g.forward(z).sum().backward(); z.zeroGrad(); }), t);
    rows.push({ name: `fc6 generator + backward to the code, batch ${B}`, ours: B / s, unit: 'images/s', torch: torch?.[`fwdbwd_b${B}`] ?? null });
    z.dispose();
  }
  g.dispose();
  printRows('DeePSim fc6 generator (4096 -> 3 x 256 x 256)', rows);
}
