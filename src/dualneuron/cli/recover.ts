// `dualneuron recover DATA --model DIR --out OUT`: synthesise the MEI and LEI of every neuron of a simulated
// population (`dualneuron simulate`) on a twin trained on its responses, and compare them with the truth
// (simulate/recovery.ts): recovery.csv, summary.json, mei.npy, lei.npy, recovery.svg, run.json.
import { Command } from 'commander';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { formatCsv } from '../../io/csv.js';
import { writeNpy } from '../../io/npy.js';
import { Progress } from '../../util/progress.js';
import { openOutputFolder } from '../output-folder.js';
import { finishRecord, startRecord } from '../run-record.js';
import { imageRowsFigure } from '../plot/charts.js';
import { saveFigure } from '../plot/save.js';
import { toDisplay } from '../synthesis/outputs.js';
import { isTwinFolder } from '../train/manifest.js';
import { loadTrainedTwin } from '../train/trained-twin.js';
import { readTruth } from '../simulate/truth.js';
import { DEFAULT_RECOVERY, recoverPoles, recoverySteps, summariseRecovery } from '../simulate/recovery.js';
import { parseFloatStrict, parseIntStrict, parseSeed } from './parse.js';
import { parseNeurons } from './synthesize.js';

export const RECOVERY_COLUMNS = ['neuron', 'id', 'dual', 'true_lei_below_baseline', 'mei_cosine', 'lei_cosine', 'mei_drive_ratio', 'lei_drive_ratio',
  'twin_baseline', 'twin_mei_rate', 'twin_lei_rate', 'twin_lei_below_baseline'] as const;

/** neurons drawn in the figure */
const FIGURE_NEURONS = 12;

interface Opts { model: string; out: string; steps: string; restarts: string; lr: string; seed: string; batch: string; threshold: string; normScale: string; neurons?: string }

export function registerRecover(program: Command): void {
  program.command('recover')
    .description('synthesise the MEI and LEI of every neuron of a simulated population (dualneuron simulate) on a twin trained on its responses, ' +
      'at the simulation\'s norm and aperture, and compare them with the true ones: cosine similarity inside the aperture, the true drive they reach, ' +
      'and the "LEI below baseline" labels')
    .argument('<DATA>', 'a DATA folder written by dualneuron simulate (with truth/)')
    .requiredOption('--model <dir>', 'a twin trained on DATA (twin.json, from dualneuron train --image-size SxS with S the simulation\'s --size)')
    .requiredOption('--out <dir>', 'output folder: recovery.csv, summary.json, mei.npy, lei.npy, recovery.svg, run.json')
    .option('--steps <n>', 'Adam steps per neuron and pole (cosine schedule to 0)', String(DEFAULT_RECOVERY.steps))
    .option('--restarts <k>', 'noise starts per neuron and pole, 1..16; the one the twin rates best is kept', String(DEFAULT_RECOVERY.restarts))
    .option('--lr <x>', 'Adam learning rate on the free pixels (starts have RMS 1)', String(DEFAULT_RECOVERY.lr))
    .option('--seed <s>', 'seed of the noise starts, 0..2^64-1', '0')
    .option('--batch <n>', 'runs (neurons x 2 poles x restarts) optimised together; lower it if the adapter runs out of memory', String(DEFAULT_RECOVERY.batch))
    .option('--neurons <list>', 'simulated neurons to recover, by index: e.g. 0-9,15 (default: all)')
    .option('--norm-scale <f>', 'the images\' L2 norm as a fraction of the simulation\'s (truth/params.json mei.norm); the true MEI/LEI shapes are the same at every norm, a twin\'s may not be far outside the contrasts it was trained on', '1')
    .option('--threshold <c>', 'cosine similarity that counts as recovered, in the summary', '0.8')
    .action(async (data: string, o: Opts) => {
      const restarts = parseIntStrict('--restarts', o.restarts, { min: 1, max: 16 });
      const opts = {
        steps: parseIntStrict('--steps', o.steps, { min: 1, max: 100_000 }), restarts, lr: parseFloatStrict('--lr', o.lr),
        seed: parseSeed('--seed', o.seed), batch: parseIntStrict('--batch', o.batch, { min: 2 * restarts }),
        normScale: parseFloatStrict('--norm-scale', o.normScale),
      };
      if (!(opts.normScale > 0)) throw new InputError(`--norm-scale must be a positive number, got '${o.normScale}'`);
      if (!(opts.lr > 0)) throw new InputError(`--lr must be a positive number, got '${o.lr}'`);
      const threshold = parseFloatStrict('--threshold', o.threshold);
      if (!(threshold > -1 && threshold <= 1)) throw new InputError(`--threshold is a cosine similarity in (-1, 1], got '${o.threshold}'`);
      if (!isTwinFolder(o.model)) throw new InputError(`--model ${o.model} is not a trained twin folder (no twin.json); make one with dualneuron train ${data} --image-size SxS --out DIR`);
      const truth = readTruth(data);
      const neurons = o.neurons === undefined ? undefined : parseNeurons(o.neurons, truth.neurons.length);
      const lock = openOutputFolder(o.out, 'recover');
      try {
        const backend = await init('webgpu');
        const record = startRecord('recover', { data, ...o }, backend.describe());
        const { model, weightsSha256 } = loadTrainedTwin(o.model, { backend });
        try {
          const N = neurons?.length ?? truth.neurons.length, S = truth.size;
          const pr = new Progress({ total: recoverySteps(N, opts), unit: 'step', label: 'MEI/LEI on the twin' });
          const r = await recoverPoles(model, truth, { ...opts, neurons, onStep: (d) => pr.set(d) });
          pr.finish();
          const s = summariseRecovery(r.neurons, threshold);
          writeNpy(join(o.out, 'mei.npy'), { dtype: 'f32', shape: [N, S, S], data: r.mei });
          writeNpy(join(o.out, 'lei.npy'), { dtype: 'f32', shape: [N, S, S], data: r.lei });
          writeFileAtomic(join(o.out, 'recovery.csv'), formatCsv(RECOVERY_COLUMNS, r.neurons.map((q) => [
            q.neuron, q.id, q.dual ? 1 : 0, q.trueBelowBaseline ? 1 : 0, q.meiCosine, q.leiCosine, q.meiDriveRatio, q.leiDriveRatio,
            q.twinBaseline, q.twinMeiRate, q.twinLeiRate, q.twinBelowBaseline ? 1 : 0])));
          writeFileAtomic(join(o.out, 'summary.json'), JSON.stringify({
            data, model: o.model, images: 'contrast units x = pixel / 255 - 0.5, at the simulation\'s norm inside its aperture (truth/params.json mei)', ...s,
          }, null, 1) + '\n');
          const P = S * S, shown = r.neurons.slice(0, FIGURE_NEURONS).map((q, k) => ({ ...q, k }));
          const cell = (img: Float32Array, n: number, label: string) => ({ image: { width: S, height: S, channels: 1 as const, data: toDisplay(img.slice(n * P, (n + 1) * P), 1, S) }, label });
          const figs = saveFigure(imageRowsFigure(`Recovery of the simulated features by ${o.model}`, [
            { name: 'true MEI', images: shown.map((q) => cell(truth.mei, q.neuron, `neuron ${q.id}`)) },
            { name: 'twin MEI', images: shown.map((q) => cell(r.mei, q.k, `cos ${q.meiCosine.toFixed(2)}`)) },
            { name: 'true LEI', images: shown.map((q) => cell(truth.lei, q.neuron, q.trueBelowBaseline ? 'below baseline' : 'flat')) },
            { name: 'twin LEI', images: shown.map((q) => cell(r.lei, q.k, `cos ${q.leiCosine.toFixed(2)}`)) },
          ], 64), join(o.out, 'recovery'));
          finishRecord(record, join(o.out, 'run.json'), { model: o.model, weightsSha256, result: s });
          const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
          console.log(`MEI: median cosine ${s.mei.medianCosine.toFixed(3)}, ${pct(s.mei.fractionAtLeast)} of ${N} neurons >= ${threshold}`);
          console.log(`LEI (the ${s.leiBelowBaselineNeurons.count} neurons whose true LEI is below baseline): median cosine ${s.leiBelowBaselineNeurons.medianCosine.toFixed(3)}, ` +
            `${pct(s.leiBelowBaselineNeurons.fractionAtLeast)} >= ${threshold}; all neurons: median ${s.lei.medianCosine.toFixed(3)}`);
          console.log(`"LEI below baseline": ${pct(s.labels.truthFraction)} in the truth, ${pct(s.labels.twinFraction)} on the twin; the labels agree for ${pct(s.labels.agreement)}`);
          console.log(`wrote ${[join(o.out, 'recovery.csv'), join(o.out, 'summary.json'), join(o.out, 'mei.npy'), join(o.out, 'lei.npy'), ...figs, join(o.out, 'run.json')].join(', ')}`);
        } finally {
          model.dispose();
        }
      } finally {
        lock.release();
      }
    });
}
