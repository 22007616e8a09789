// Synthesis benchmarks (issue 7): optimisation steps/s for one V1 neuron (4 crops, 5 members) and neuron-poles
// per minute (MEI + LEI of one neuron, 128 steps) for a batched population run, beside the PyTorch version run
// sequentially (as upstream generate_poles) and batched, on the same machine.
import { type Backend } from '../src/tensor/index.js';
import { loadTwin } from '../src/models/twins/load.js';
import { isInstalled, loadPrior, weightsHome } from '../src/models/weights/store.js';
import { FourierParameterization } from '../src/dualneuron/synthesis/fourier.js';
import { synthesize, type RunSpec, type SynthesisOptions } from '../src/dualneuron/synthesis/engine.js';
import { RECIPES } from '../src/dualneuron/synthesis/recipes.js';
import { runTorch, printRows, repoRoot, type Row } from './harness.js';
import { resolve } from 'node:path';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const home = weightsHome();
  if (!isInstalled('v1', home) || !isInstalled('priors', home)) { console.log('  (V1 weights or priors not installed)'); return; }
  const K = opts.quick ? 4 : 20;
  const upstream = process.env.DUALNEURON_UPSTREAM ?? resolve(repoRoot, '../shared/upstream/dualneuron');
  const torch = runTorch('synthesis_bench', { upstream, batch: K });
  const r = RECIPES.v1;
  const { model } = loadTwin('v1', { backend });
  const param = new FourierParameterization({ prior: loadPrior('natural_gray', home), valuesRange: r.valuesRange, rangeFn: r.rangeFn });
  const steps = opts.quick ? 3 : 6;
  const o: SynthesisOptions = { steps, optimizer: 'adam', lr: r.lr, lrSchedule: true, etaMin: 0, momentum: 0.9, tvWeight: r.tvWeight, targetNorm: r.targetNorm, saveAllSteps: false,
    transforms: { nbCrops: 4, boxSize: [1, 1], jitterStd: 0.05, oversample: 1, reflectPadFrac: 0.05, noise: 0.05, targetNorm: 12 } };
  const time = async (runs: RunSpec[]) => {
    await synthesize(model, param, runs, { ...o, steps: 1 }, 458); // warm-up (pipelines)
    const t0 = performance.now();
    await synthesize(model, param, runs, o, 458);
    return steps / ((performance.now() - t0) / 1000);
  };
  const single = await time([{ objective: { neuron: 3 }, pole: 'most', seed: 1n }]);
  const runs: RunSpec[] = Array.from({ length: K }, (_, k) => ({ objective: { neuron: k % 458 }, pole: k % 2 ? 'least' : 'most', seed: BigInt(k) }));
  const batched = await time(runs);
  const rows: Row[] = [
    { name: 'one neuron, 4 crops, 5 members', ours: single, unit: 'steps/s', torch: torch?.steps_per_s_single ?? null },
    { name: `neuron-poles/min, sequential runs (upstream style)`, ours: single / 128 * 60 / 2, unit: 'poles/min', torch: torch?.neuron_poles_per_min_sequential ?? null },
    { name: `neuron-poles/min, ${K} runs batched`, ours: batched * K / 128 * 60 / 2, unit: 'poles/min', torch: torch?.neuron_poles_per_min_batched ?? null },
  ];
  printRows('synthesis (V1, Fourier default recipe; a neuron-pole = MEI + LEI, 128 steps each)', rows);
  param.dispose();
  model.dispose();
}
