// `dualneuron evaluate --model DIR DATA [--split test]`: per-neuron correlation of a trained twin with the mean
// response over repeats, the jackknife oracle and the fraction of oracle; evaluate.csv, evaluate.json,
// evaluate.svg and run.json.
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { formatCsv } from '../../io/csv.js';
import { loadRecorded } from '../recorded/load.js';
import { openOutputFolder } from '../output-folder.js';
import { finishRecord, startRecord } from '../run-record.js';
import { saveFigure } from '../plot/save.js';
import { evaluateFigure } from '../plot/evaluate-figure.js';
import { isTwinFolder } from '../train/manifest.js';
import { loadTrainedTwin } from '../train/trained-twin.js';
import { evaluateTwin, type EvalSplit } from '../train/evaluate.js';

export const EVALUATE_COLUMNS = ['neuron_index', 'neuron_id', 'data_index', 'images', 'correlation', 'oracle', 'fraction_of_oracle', 'skip'] as const;

interface Opts { model: string; out: string; split: EvalSplit; images?: string; missingRows: 'nan' | 'zero'; responseUnit: 'spike_count' | 'rate' }

export function registerEvaluate(program: Command): void {
  program.command('evaluate')
    .description('test correlation of a trained twin per neuron, the jackknife oracle and the fraction of oracle (CSV, JSON, scatter SVG)')
    .argument('<DATA>', 'recorded data (a DATA folder, trial table or responses matrix) with the twin\'s neurons')
    .requiredOption('--model <dir>', 'a trained twin folder (twin.json, from dualneuron train)')
    .requiredOption('--out <dir>', 'output folder: evaluate.csv, evaluate.json, evaluate.svg, run.json')
    .addOption(new Option('--split <which>', 'images: the twin\'s test/validation/train images (by id, as split at training) or all').choices(['test', 'validation', 'train', 'all']).default('test'))
    .option('--images <path>', 'images for a trial table or matrix')
    .addOption(new Option('--missing-rows <how>', 'trial tables: a missing (trial, neuron) row is nan or zero').choices(['nan', 'zero']).default('nan'))
    .addOption(new Option('--response-unit <unit>', 'responses matrices: spike_count or rate').choices(['spike_count', 'rate']).default('spike_count'))
    .action(async (data: string, o: Opts) => {
      if (!isTwinFolder(o.model)) throw new InputError(`--model ${o.model} is not a trained twin folder (no twin.json); make one with dualneuron train`);
      const rec = loadRecorded(data, { images: o.images, missingRows: o.missingRows, responseUnit: o.responseUnit });
      const lock = openOutputFolder(o.out, 'evaluate');
      try {
        const backend = await init('webgpu');
        const record = startRecord('evaluate', { data, ...o }, backend.describe());
        const { model, weightsSha256 } = loadTrainedTwin(o.model, { backend });
        try {
          const e = await evaluateTwin(model, rec, o.split);
          const rows = e.neurons.map((n) => [n.index, n.id, n.data_index, n.images, n.correlation, n.oracle, n.fraction_of_oracle, n.skip ?? '']);
          writeFileAtomic(join(o.out, 'evaluate.csv'), formatCsv(EVALUATE_COLUMNS, rows));
          const summary = {
            model: o.model, data, split: o.split, images: e.images.length, neurons: e.neurons.length,
            median_correlation: e.medianCorrelation, median_fraction_of_oracle: e.medianFraction,
            mean_correlation: e.neurons.reduce((s, n) => s + (n.correlation ?? 0), 0) / Math.max(1, e.neurons.length),
            skipped: e.neurons.filter((n) => n.skip).map((n) => ({ id: n.id, skip: n.skip })), per_neuron: e.neurons,
          };
          writeFileAtomic(join(o.out, 'evaluate.json'), JSON.stringify(summary, null, 1) + '\n');
          const figs = saveFigure(evaluateFigure(e, 'Twin vs oracle'), join(o.out, 'evaluate'));
          finishRecord(record, join(o.out, 'run.json'), { model: o.model, weightsSha256, result: { median_correlation: e.medianCorrelation, median_fraction_of_oracle: e.medianFraction } });
          console.log(`${o.split} images: ${e.images.length}; median correlation ${e.medianCorrelation?.toFixed(4) ?? 'n/a'}, median fraction of oracle ${e.medianFraction?.toFixed(4) ?? 'n/a'} over ${e.neurons.length} neurons`);
          console.log(`wrote ${[join(o.out, 'evaluate.csv'), join(o.out, 'evaluate.json'), ...figs, join(o.out, 'run.json')].join(', ')}`);
        } finally {
          model.dispose();
        }
      } finally {
        lock.release();
      }
    });
}
