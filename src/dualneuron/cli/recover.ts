// `dualneuron recover DATA --model DIR --out OUT`: synthesise the MEI and LEI of every neuron of a simulated
// population (`dualneuron simulate`) on a twin trained on its responses, and compare them with the truth
// (simulate/recovery.ts): recovery.csv, summary.json, mei.npy, lei.npy, recovery.svg, run.json.
import { Command } from 'commander';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { openOutputFolder } from '../output-folder.js';
import { finishRecord, startRecord } from '../run-record.js';
import { isTwinFolder } from '../train/manifest.js';
import { loadTrainedTwin } from '../train/trained-twin.js';
import { readTruth } from '../simulate/truth.js';
import { defaultLr } from '../simulate/norm-constrained.js';
import { DEFAULT_RECOVERY, recoverPoles, recoverySteps, summariseRecovery } from '../simulate/recovery.js';
import { recoveryLines, writeRecovery } from '../simulate/recovery-outputs.js';
import { parseFloatStrict, parseIntStrict, parseSeed } from './parse.js';
import { parseNeurons } from './synthesize.js';

interface Opts { model: string; out: string; steps: string; restarts: string; lr?: string; seed: string; batch: string; threshold: string; normScale: string; neurons?: string }

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
    .option('--lr <x>', `rate of the optimisation, cosine schedule to 0; default that of the truth's constraint: with a pixel range (truth/params.json mei.range), the first projected-gradient step as a fraction of the norm (${defaultLr([-1, 1])}); without, Adam's learning rate on free pixels of RMS 1 (${defaultLr(null)})`)
    .option('--seed <s>', 'seed of the noise starts, 0..2^64-1', '0')
    .option('--batch <n>', 'runs (neurons x 2 poles x restarts) optimised together; lower it if the adapter runs out of memory', String(DEFAULT_RECOVERY.batch))
    .option('--neurons <list>', 'simulated neurons to recover, by index: e.g. 0-9,15 (default: all)')
    .option('--norm-scale <f>', 'the images\' L2 norm as a fraction of the simulation\'s (truth/params.json mei.norm); only for a truth simulated with --pole-range=none, whose MEI/LEI shapes are the same at every norm (a twin\'s may not be, far outside the contrasts it was trained on)', '1')
    .option('--threshold <c>', 'cosine similarity that counts as recovered, in the summary', '0.8')
    .action(async (data: string, o: Opts) => {
      const restarts = parseIntStrict('--restarts', o.restarts, { min: 1, max: 16 });
      const opts = {
        steps: parseIntStrict('--steps', o.steps, { min: 1, max: 100_000 }), restarts, lr: o.lr === undefined ? undefined : parseFloatStrict('--lr', o.lr),
        seed: parseSeed('--seed', o.seed), batch: parseIntStrict('--batch', o.batch, { min: 2 * restarts }),
        normScale: parseFloatStrict('--norm-scale', o.normScale),
      };
      if (!(opts.normScale > 0)) throw new InputError(`--norm-scale must be a positive number, got '${o.normScale}'`);
      if (opts.lr !== undefined && !(opts.lr > 0)) throw new InputError(`--lr must be a positive number, got '${o.lr}'`);
      const threshold = parseFloatStrict('--threshold', o.threshold);
      if (!(threshold > -1 && threshold <= 1)) throw new InputError(`--threshold is a cosine similarity in (-1, 1], got '${o.threshold}'`);
      const truth = readTruth(data);
      if (truth.range && opts.normScale !== 1) throw new InputError(`--norm-scale ${o.normScale}: ${data}'s true MEI/LEI were found in the pixel range [${truth.range.join(', ')}], so their shapes depend on the norm and there is no truth at another one; simulate again with --pole-range=none to compare at other norms`);
      if (!isTwinFolder(o.model)) throw new InputError(`--model ${o.model} is not a trained twin folder (no twin.json); make one with dualneuron train ${data} --image-size SxS --out DIR`);
      const neurons = o.neurons === undefined ? undefined : parseNeurons(o.neurons, truth.neurons.length);
      const lock = openOutputFolder(o.out, 'recover');
      try {
        const backend = await init('webgpu');
        const record = startRecord('recover', { data, ...o }, backend.describe());
        const { model, weightsSha256 } = loadTrainedTwin(o.model, { backend });
        try {
          const N = neurons?.length ?? truth.neurons.length;
          const pr = new Progress({ total: recoverySteps(N, opts), unit: 'step', label: 'MEI/LEI on the twin' });
          const r = await recoverPoles(model, truth, { ...opts, neurons, onStep: (d) => pr.set(d) });
          pr.finish();
          const s = summariseRecovery(r.neurons, threshold);
          const files = writeRecovery(o.out, truth, r, s, `Recovery of the simulated features by ${o.model}`, { data, model: o.model, norm: truth.norm * opts.normScale });
          finishRecord(record, join(o.out, 'run.json'), { model: o.model, weightsSha256, result: s });
          for (const line of recoveryLines(s)) console.log(line);
          console.log(`wrote ${[...files, join(o.out, 'run.json')].join(', ')}`);
        } finally {
          model.dispose();
        }
      } finally {
        lock.release();
      }
    });
}
