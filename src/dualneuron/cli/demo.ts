// `dualneuron demo`: the first thing a new user runs. Gets the V1 twin (downloads it when online, else imports
// ../shared/upstream/dualneuron when present), synthesises the MEI and LEI of a few well-predicted neurons, and
// writes the poles figures and previews, printing where they are.
import { Command } from 'commander';
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

/** The demo's default batch: all its runs when few, else batches of 8 (the default of synthesize and poles). */
const DEMO_BATCH = 8;

function localUpstream(): string | null {
  const pkgRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  for (const c of [config().upstream, join(pkgRoot, '../shared/upstream/dualneuron'), resolve('../shared/upstream/dualneuron')]) {
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
    .description('get the V1 twin and synthesise the MEI and LEI of a few well-predicted neurons; writes figures and previews')
    .option('--out <dir>', 'output folder', 'dualneuron-demo')
    .option('--neurons <k>', 'how many neurons (the best predicted ones; the V1 twin has 458)', '3')
    .option('--steps <n>', 'optimisation steps', '48')
    .option('--seed <s>', 'seed, 0..2^64-1', '0')
    .option('--batch <n>', 'runs optimised together (default: all of them, at most 8; fewer when the adapter\'s buffers hold fewer)')
    .option('--overwrite', 'recompute and replace results in --out that were made with other options')
    .addOption(weightsDirOption())
    .action(async (o: { out: string; neurons: string; steps: string; seed: string; batch?: string; weightsDir?: string; overwrite?: boolean }) => {
      // options first: a typo fails before anything is downloaded or imported
      const k = parseIntStrict('--neurons', o.neurons, { min: 1 });
      if (k > TWINS.v1.neurons) throw new InputError(`--neurons ${k}: the V1 twin has ${TWINS.v1.neurons} neurons; choose 1..${TWINS.v1.neurons}`);
      const seed = parseSeed('--seed', o.seed);
      parseIntStrict('--steps', o.steps);
      const batch = o.batch ?? String(Math.min(2 * k, DEMO_BATCH));
      parseIntStrict('--batch', batch, { min: 1 });
      const lock = openOutputFolder(o.out, 'demo');
      const home = weightsHome(o.weightsDir);
      await ensureV1(home);
      const corr = toFloat64(loadCorrelations('v1', home));
      const best = Array.from(corr.keys()).sort((a, b) => corr[b] - corr[a] || a - b).slice(0, k);
      console.error(`synthesising MEI and LEI of V1 neurons ${best.join(', ')} (the best predicted: r = ${best.map((i) => corr[i].toFixed(2)).join(', ')})`);
      const jobs: Job[] = best.flatMap((neuron) => (['least', 'most'] as const).map((pole) => ({ neuron, seed, pole })));
      const cli = { model: 'v1', steps: o.steps, centered: true, lrSchedule: true, blur: true, batch, weightsDir: o.weightsDir, out: o.out, saveAllSteps: true, overwrite: o.overwrite } as SynthCli;
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
