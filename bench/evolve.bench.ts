// Evolution benchmark (issue 13, item 6): generations/s of CholeskyCMAES with a population of 40 in the DeePSim fc6
// space scored by the V1 twin (member 1, one neuron), the fc6 generator's images/s at the population's batch, and
// CholeskyCMAES's own ask + tell per generation at N = 4096, beside the same work in PyTorch + NumPy
// (bench/torch/evolve_bench.py: the fc6 network in torch, upstream-style NumPy CholeskyCMAES from
// tools/golden/evolve_reference.py, the V1 member from tools/golden/v1_twin.py) in the same run.
//
// One generation here: ask (40 codes) -> fc6 generator -> the twin's screening preprocessing for a 256 x 256 RGB
// image ('rendered' preset: centre crop 167, antialiased bilinear resize to 93, grey, ImageNet grey normalisation)
// -> aperture -> L2 norm 12 -> V1 member 1 -> the neuron's column -> tell, through the runner's own pieces
// (Fc6Space, whose TwinTransform is the screening preprocessing as tensor ops, and TwinObjective). The PyTorch side
// composes the same steps from torch ops.
// Weights: fc6 deterministic random (speed does not depend on them); the V1 twin from the weights cache, or
// imported from ../shared/upstream into a temporary cache when not installed. --quick divides the fc6 widths by 8
// (codes of 512) and times 2 generations; the full setting is the published network and 3 generations.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { tidy, noGrad, keep, randn, type Backend } from '../src/tensor/index.js';
import { config } from '../src/config.js';
import { DeepSimFc6, deepsimFc6Config, deepsimFc6Shapes } from '../src/models/deepsim-fc6.js';
import { loadTwin } from '../src/models/twins/load.js';
import { TWINS } from '../src/models/twins/registry.js';
import { isInstalled, loadMask, weightsHome } from '../src/models/weights/store.js';
import { importDir } from '../src/models/weights/import.js';
import { scaleMask } from '../src/dualneuron/input/pipeline.js';
import { Fc6Space } from '../src/dualneuron/evolve/generator-spaces.js';
import { TwinObjective } from '../src/dualneuron/evolve/objective.js';
import { CholeskyCMAES } from '../src/dualneuron/evolve/cholesky-cmaes.js';
import { timeIt, runTorch, printRows, repoRoot, type Row } from './harness.js';
import { detStateDict } from '../test/helpers/det-weights.js';

const POP = 40, NEURON = 3;

/** a weights cache holding the V1 twin: the user's, or a temporary import of the upstream files (null: neither) */
const upstreamDir = () => config().upstream ?? resolve(repoRoot, '../shared/upstream/dualneuron');

function v1Home(): { home: string; cleanup: () => void } | null {
  const home = weightsHome();
  if (isInstalled('v1', home)) return { home, cleanup: () => {} };
  const up = upstreamDir();
  if (!existsSync(join(up, 'V1GrayTaskDriven'))) return null;
  const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-bench-evolve-'));
  importDir(up, tmp, { targets: ['v1'] });
  return { home: tmp, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const scale = opts.quick ? 8 : 1, gens = opts.quick ? 2 : 3, cmaReps = opts.quick ? 3 : 10;
  const cfg = deepsimFc6Config(scale), N = cfg.codeDim;
  const upstream = upstreamDir();
  const w = v1Home();
  const torch = runTorch('evolve_bench', { scale, pop: POP, generations: gens, cma_reps: cmaReps, neuron: NEURON, upstream: w ? upstream : null });
  const rows: Row[] = [];
  const size = scale === 1 ? 'published fc6' : `fc6 widths / ${scale}, codes of ${N}`;

  // CholeskyCMAES alone at the published code length (host float64; the scores are random)
  {
    const opt = new CholeskyCMAES({ dimension: 4096, populationSize: POP, sigma0: 3, seed: 1 });
    opt.tell([0]); // generation 0: the init code
    const scores = Float64Array.from({ length: POP }, (_, i) => Math.sin(i * 7.1));
    opt.ask(); opt.tell(scores); // warm-up
    const t0 = performance.now();
    for (let r = 0; r < cmaReps; r++) { opt.ask(); opt.tell(scores); }
    rows.push({ name: 'CholeskyCMAES ask + tell, N 4096, pop 40', ours: cmaReps / ((performance.now() - t0) / 1000), unit: 'generations/s', torch: torch?.cma_gen_per_s ?? null, note: 'PyTorch column: NumPy' });
  }

  const g = new DeepSimFc6(cfg, { backend });
  g.loadStateDict(detStateDict(deepsimFc6Shapes(cfg)));
  {
    const z = keep(randn([POP, N], { backend }));
    const s = await timeIt(backend, () => noGrad(() => tidy(() => { g.forward(z); })), { warmup: 1, minSeconds: opts.quick ? 1 : 4, maxReps: opts.quick ? 2 : 4 });
    rows.push({ name: `fc6 generator, batch ${POP} (${size})`, ours: POP / s, unit: 'images/s', torch: torch?.fc6_images_per_s ?? null });
    z.dispose();
  }

  if (!w) {
    console.log('  (V1 weights not installed and ../shared/upstream not found: the generation rows are skipped)');
  } else {
    try {
      const spec = TWINS.v1;
      const { model } = loadTwin('v1', { members: [1], backend, weightsDir: w.home });
      const space = await Fc6Space.create({ generator: g, twinSpec: spec, backend });
      const objective = new TwinObjective({ model, neurons: spec.neurons, inputShape: spec.inputShape, aperture: scaleMask(loadMask('v1', w.home), 93), norm: spec.screening.norm, batch: POP + 1, backend });
      /** codes -> the neuron's responses, as one generation of `dualneuron evolve` scores them */
      const score = async (codes: Float64Array[]): Promise<Float64Array> => (await objective.evaluate([{ space, neuron: NEURON, codes }]))[0].clean;
      const opt = new CholeskyCMAES({ dimension: N, populationSize: POP, sigma0: 3, seed: 1 });
      opt.tell(await score(opt.ask())); // generation 0 (the init code) and pipeline compilation
      opt.tell(await score(opt.ask())); // one full generation as warm-up
      const t0 = performance.now();
      for (let k = 0; k < gens; k++) opt.tell(await score(opt.ask()));
      const rate = gens / ((performance.now() - t0) / 1000);
      rows.push({ name: `CholeskyCMAES pop ${POP}, fc6 + V1 member 1 (${size})`, ours: rate, unit: 'generations/s', torch: torch?.gen_per_s ?? null });
      objective.dispose(); space.dispose(); model.dispose();
    } finally {
      w.cleanup();
    }
  }
  g.dispose();
  printRows('evolution: CholeskyCMAES in the fc6 space scored by the V1 twin', rows);
}
