// `dualneuron demo`: the first thing a new user runs. Gets the V1 twin (downloads it when online, else imports
// ../shared/upstream/dualneuron when present), synthesises the MEI and LEI of a few well-predicted neurons, and
// writes the poles figures and previews, printing where they are.
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, WeightsError } from '../../errors.js';
import { isInstalled, loadCorrelations, weightsHome } from '../../models/weights/store.js';
import { pull } from '../../models/weights/pull.js';
import { importDir } from '../../models/weights/import.js';
import { toFloat32, toFloat64 } from '../../io/host-array.js';
import { readNpy } from '../../io/npy.js';
import { imageRowsFigure } from '../plot/charts.js';
import { saveFigure } from '../plot/save.js';
import { toDisplay } from '../synthesis/outputs.js';
import { jobDir, readDone, type Job } from '../synthesis/poles.js';
import { runJobs, type SynthCli } from './synthesize.js';
import { weightsDirOption } from './weights.js';
import { config } from '../../config.js';
import { openOutputFolder } from '../output-folder.js';
import { parseIntStrict, parseSeed } from './parse.js';
import { TWINS } from '../../models/twins/registry.js';
import { init } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { finishRecord, startRecord } from '../run-record.js';
import { embeddedSimulation, embeddedTwinDir } from '../embedded-twin.js';
import { readTruth } from '../simulate/truth.js';
import { DEFAULT_RECOVERY, recoverPoles, recoverySteps, summariseRecovery } from '../simulate/recovery.js';
import { recoveryLines, writeRecovery } from '../simulate/recovery-outputs.js';
import { loadTrainedTwin } from '../train/trained-twin.js';

interface DemoOptions { out: string; neurons: string; steps?: string; seed: string; batch?: string; weightsDir?: string; overwrite?: boolean; twin: 'auto' | 'v1' | 'embedded' }

/**
 * The demo on the embedded twin: the MEI and LEI of its k best-predicted neurons (test correlation in twin.json),
 * synthesised at the simulation's norm and aperture and shown beside the true ones (simulate/recovery.ts).
 */
async function embeddedDemo(o: DemoOptions, k: number, seed: bigint, steps: number = DEFAULT_RECOVERY.steps): Promise<void> {
  const dir = embeddedTwinDir();
  if (!dir) throw new WeightsError('this installation has no embedded twin (weights/default-twin/twin.json and simulation/truth/ are missing); reinstall dualneuron, or get the V1 twin with `dualneuron weights pull v1 priors`');
  const backend = await init('webgpu');
  const record = startRecord('demo', { ...o, twin: 'embedded' }, backend.describe());
  const truth = readTruth(embeddedSimulation(dir));
  const { model, weightsSha256 } = loadTrainedTwin(dir, { backend });
  try {
    const N = model.spec.neurons;
    if (k > N) throw new InputError(`--neurons ${k}: the embedded twin has ${N} neurons; choose 1..${N}`);
    const corr = model.manifest.correlation.test_per_neuron.map((c) => c ?? -Infinity);
    const outputs = Array.from({ length: N }, (_, i) => i).sort((a, b) => corr[b] - corr[a] || a - b).slice(0, k);
    const index = new Map(truth.neurons.map((q, t) => [String(q.id), t]));
    const neurons = outputs.map((i) => index.get(String(model.neuronIds[i]))!);
    console.error(`twin: the embedded twin ${dir} (${N} neurons, trained by dualneuron on a simulated population; how it was made: ${join(dir, 'MADE.md')})`);
    console.error(`synthesising MEI and LEI of its neurons ${outputs.map((i) => model.neuronIds[i]).join(', ')} (the best predicted: test r = ${outputs.map((i) => corr[i].toFixed(2)).join(', ')}) and comparing them with the true ones`);
    const opts = { ...DEFAULT_RECOVERY, steps, seed, neurons };
    const pr = new Progress({ total: recoverySteps(neurons.length, opts), unit: 'step', label: 'MEI/LEI on the embedded twin' });
    const r = await recoverPoles(model, truth, { ...opts, onStep: (d) => pr.set(d) });
    pr.finish();
    const s = summariseRecovery(r.neurons);
    const files = writeRecovery(o.out, truth, r, s, 'Embedded twin: MEIs and LEIs beside the true ones', { twin: dir, data: embeddedSimulation(dir), norm: truth.norm });
    finishRecord(record, join(o.out, 'run.json'), { twin: 'embedded', model: dir, weightsSha256, neurons: neurons.map((t) => truth.neurons[t].id), result: s });
    for (const line of recoveryLines(s)) console.log(line);
    console.log(`\nDone (twin: embedded, ${dir}). Open:\n  ${files.join('\n  ')}`);
  } finally {
    model.dispose();
  }
}

/** The demo's default batch: all its runs when few, else batches of 8 (the default of synthesize and poles). */
const DEMO_BATCH = 8;

function localUpstream(): string | null {
  const pkgRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  // DUALNEURON_UPSTREAM, when set, is the only place looked at
  const set = config().upstream;
  for (const c of set ? [set] : [join(pkgRoot, '../shared/upstream/dualneuron'), resolve('../shared/upstream/dualneuron')]) {
    if (c && existsSync(join(c, 'V1GrayTaskDriven'))) return c;
  }
  return null;
}

async function ensureV1(home: string): Promise<void> {
  if (isInstalled('v1', home) && isInstalled('priors', home)) return;
  try {
    await pull(['v1', 'priors'], home);
    return;
  } catch (e) {
    const local = localUpstream();
    if (!local) {
      throw new WeightsError(`${(e as Error).message}\n\nThe demo needs the V1 twin. Either connect to the internet (it downloads 1.9 MB from ` +
        'github.com/enigma-brain/dualneuron), or put the upstream files in a folder and run `dualneuron weights import <folder>`, ' +
        'or set DUALNEURON_UPSTREAM to a folder laid out like ../shared/upstream/dualneuron.');
    }
    console.error(`offline; importing the V1 twin from ${local}`);
    importDir(local, home, { targets: ['v1', 'priors'], log: (s) => console.error(s) });
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('get the V1 twin and synthesise the MEI and LEI of a few well-predicted neurons; writes figures and previews. Offline without the V1 twin it uses the embedded twin (--twin) and shows its MEIs/LEIs beside the known true ones')
    .option('--out <dir>', 'output folder', 'dualneuron-demo')
    .option('--neurons <k>', 'how many neurons (the best predicted ones; the V1 twin has 458)', '3')
    .option('--steps <n>', 'optimisation steps (default: 48 on the V1 twin; 200 on the embedded twin, whose MEIs/LEIs start from noise and are compared with the true ones)')
    .option('--seed <s>', 'seed, 0..2^64-1', '0')
    .option('--batch <n>', 'runs optimised together (default: all of them, at most 8; fewer when the adapter\'s buffers hold fewer)')
    .option('--overwrite', 'recompute and replace results in --out that were made with other options')
    .addOption(new Option('--twin <which>', 'v1: the V1 twin (downloaded, or imported from ../shared/upstream or DUALNEURON_UPSTREAM); embedded: the small twin shipped in ' +
      'weights/default-twin (trained by dualneuron on a simulated population whose true MEIs/LEIs are known); auto: v1 when it can be had, else embedded').choices(['auto', 'v1', 'embedded']).default('auto'))
    .addOption(weightsDirOption())
    .action(async (o: DemoOptions) => {
      // options first: a typo fails before anything is downloaded or imported
      const k = parseIntStrict('--neurons', o.neurons, { min: 1 });
      if (o.twin !== 'embedded' && k > TWINS.v1.neurons) throw new InputError(`--neurons ${k}: the V1 twin has ${TWINS.v1.neurons} neurons; choose 1..${TWINS.v1.neurons}`);
      const seed = parseSeed('--seed', o.seed);
      const steps = o.steps === undefined ? undefined : parseIntStrict('--steps', o.steps, { min: 1 });
      const batch = o.batch ?? String(Math.min(2 * k, DEMO_BATCH));
      parseIntStrict('--batch', batch, { min: 1 });
      const lock = openOutputFolder(o.out, 'demo');
      const home = weightsHome(o.weightsDir);
      if (o.twin === 'embedded') { await embeddedDemo(o, k, seed, steps); lock.release(); return; }
      try {
        await ensureV1(home);
      } catch (e) {
        if (o.twin === 'v1' || !(e instanceof WeightsError)) throw e;
        console.error(`${e.message}\n\nThe V1 twin cannot be had here, so the demo uses the embedded twin instead (--twin v1 makes this an error).`);
        await embeddedDemo(o, k, seed, steps);
        lock.release();
        return;
      }
      console.error('twin: the V1 twin (V1GrayTaskDriven, Franke, Karantzas et al. 2025)');
      const corr = toFloat64(loadCorrelations('v1', home));
      const best = Array.from(corr.keys()).sort((a, b) => corr[b] - corr[a] || a - b).slice(0, k);
      console.error(`synthesising MEI and LEI of V1 neurons ${best.join(', ')} (the best predicted: r = ${best.map((i) => corr[i].toFixed(2)).join(', ')})`);
      const jobs: Job[] = best.flatMap((neuron) => (['least', 'most'] as const).map((pole) => ({ neuron, seed, pole })));
      const cli = { model: 'v1', steps: o.steps ?? '48', centered: true, lrSchedule: true, blur: true, batch, weightsDir: o.weightsDir, out: o.out, saveAllSteps: true, overwrite: o.overwrite } as SynthCli;
      await runJobs(cli, jobs, 'demo', { neurons: best });
      // one overview figure: a row per neuron, LEI and MEI with their final responses
      const rows = best.map((neuron) => ({
        name: `neuron ${neuron}`,
        images: (['least', 'most'] as const).map((pole) => {
          const d = jobDir(resolve(o.out), { neuron, seed, pole });
          const img = toFloat32(readNpy(join(d, 'image.npy')));
          return { image: { width: 93, height: 93, channels: 1 as const, data: toDisplay(img, 1, 93) }, label: `${pole === 'most' ? 'MEI' : 'LEI'} ${readDone(resolve(o.out), { neuron, seed, pole })!.final.toFixed(3)}` };
        }),
      }));
      const files = saveFigure(imageRowsFigure('V1 twin: least (LEI) and most (MEI) exciting inputs', rows, 140), join(resolve(o.out), 'overview'));
      console.log(`\nDone. Open:\n  ${files.join('\n  ')}`);
      for (const n of best) console.log(`  ${join(resolve(o.out), `neuron_${String(n).padStart(4, '0')}`, `seed_${String(seed).padStart(4, '0')}`)}/poles.svg, {least,most}/preview.png, trajectory.png`);
      lock.release();
    });
}
