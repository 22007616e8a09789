// `dualneuron oracle DATA --out DIR`: reliability of every recorded neuron (jackknife oracle, the Allen notebook's
// super_oracle and average_super_oracle, explainable variance) and the notebook's percentile selection.
// Writes oracle.csv, selected.json, oracle.svg (and .png when a rasteriser exists) and run.json.
import { Command, Option } from 'commander';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { formatCsv } from '../../io/csv.js';
import { loadRecorded } from '../recorded/load.js';
import { computeReliability, DEFAULT_RELIABILITY, SELECT_BY, type SelectBy } from '../reliability/table.js';
import { oracleFigure } from '../plot/oracle-figure.js';
import { saveFigure } from '../plot/save.js';
import { openOutputFolder } from '../output-folder.js';
import { finishRecord, startRecord } from '../run-record.js';
import { parseFloatStrict, parseIntStrict, parseSeed } from './parse.js';

interface Opts {
  out: string; images?: string; missingRows: 'nan' | 'zero'; responseUnit: 'spike_count' | 'rate';
  oraclePercentile: string; variancePercentile: string; selectBy: SelectBy; iterations: string; seed: string;
}

export const ORACLE_COLUMNS = [
  'neuron_index', 'neuron_id', 'repeats_min', 'repeats_max', 'images', 'repeated_images', 'oracle', 'super_oracle',
  'average_super_oracle', 'super_oracle_iterations', 'explainable_variance', 'variance', 'selected', 'skip',
] as const;

function percentile(name: string, v: string): number {
  const p = parseFloatStrict(name, v);
  if (!(p >= 0 && p <= 100)) throw new InputError(`${name} must be a percentile in 0..100, got '${v}'`);
  return p;
}

const HELP_AFTER = `
DATA is one of (README "Recorded data and oracle reliability"):
  a DATA folder        dataset.json + responses.npy float32 (R, I, N), NaN where an image has fewer repeats + images.npy
  a trial table        .csv or structured .npy with columns trial_id, neuron_id, image_id, spike_count (the Allen
                       notebook's oracle_df.csv); each image's trials in trial_id order are its repeats
  a responses matrix   .npy (R, I, N) or (I, N); ids are positions

Measures per neuron (oracle.csv), over images with 2 or more repeats:
  oracle                 jackknife: each repeat vs the mean of the other repeats of its image, pooled (Pearson)
  super_oracle           the notebook's: one random repeat per image vs the mean of the rest (Pearson), times
                         (images used / all images), penalising neurons with few repeated images
  average_super_oracle   the mean of super_oracle over --iterations draws (seeded; the notebook ran 50)
  explainable_variance   (total variance - mean within-image variance) / total variance
  variance               variance over images of the mean response (the notebook's Variance)
A neuron that cannot be scored (no responses, fewer than 2 repeated images, constant responses) gets empty
values and a reason in the skip column; it is never selected.
Selected (as the notebook): --select-by above its --oracle-percentile AND variance above its --variance-percentile
(strictly; percentiles by linear interpolation over the scored neurons, like pandas' quantile).`;

export function registerOracle(program: Command): void {
  program.command('oracle')
    .description('reliability of recorded neurons over repeated images (jackknife oracle, the Allen notebook\'s super_oracle and average_super_oracle, explainable variance) and the notebook\'s percentile selection')
    .argument('<DATA>', 'a DATA folder, a trial table (.csv or structured .npy) or a responses matrix (.npy)')
    .requiredOption('--out <dir>', 'output folder: oracle.csv, selected.json, oracle.svg, run.json')
    .option('--images <path>', 'images for a trial table or matrix: a folder of <image_id>.png/.jpg files, or an images.npy stack (image id k = image k); checked against the ids, not needed for the oracle')
    .addOption(new Option('--missing-rows <how>', 'trial tables: a (trial, neuron) pair without a row is not recorded (nan), or a zero count (zero: tables that list only trials with spikes)').choices(['nan', 'zero']).default('nan'))
    .addOption(new Option('--response-unit <unit>', 'responses matrices: spike_count (must be >= 0) or rate').choices(['spike_count', 'rate']).default('spike_count'))
    .option('--oracle-percentile <p>', 'select neurons whose --select-by measure is above this percentile (0..100) of all scored neurons (notebook: 60)', String(DEFAULT_RELIABILITY.oraclePercentile))
    .option('--variance-percentile <p>', 'and whose variance of mean responses is above this percentile (0..100) (notebook: 50)', String(DEFAULT_RELIABILITY.variancePercentile))
    .addOption(new Option('--select-by <measure>', 'the oracle the percentile applies to (notebook: average_super_oracle)').choices([...SELECT_BY]).default(DEFAULT_RELIABILITY.selectBy))
    .option('--iterations <n>', 'draws averaged by average_super_oracle (notebook: 50)', String(DEFAULT_RELIABILITY.iterations))
    .option('--seed <s>', 'seed of the super_oracle draws (0..2^64-1); the same seed gives the same values', '0')
    .addHelpText('after', HELP_AFTER)
    .action((data: string, o: Opts) => {
      const oraclePercentile = percentile('--oracle-percentile', o.oraclePercentile);
      const variancePercentile = percentile('--variance-percentile', o.variancePercentile);
      const iterations = parseIntStrict('--iterations', o.iterations, { min: 1, max: 100000 });
      const seed = parseSeed('--seed', o.seed);
      const rec = loadRecorded(data, { images: o.images, loadImages: false, missingRows: o.missingRows, responseUnit: o.responseUnit });
      const lock = openOutputFolder(o.out, 'oracle');
      try {
        const options = { iterations, seed, oraclePercentile, variancePercentile, selectBy: o.selectBy };
        const record = startRecord('oracle', { data, ...o, seed: seed.toString() }, 'none (host computation in float64)');
        const { repeats: R, images: I, neurons: N } = rec.responses;
        console.log(`data: ${data} (${rec.layout}): ${N} neurons, ${I} images, up to ${R} repeats`);
        const r = computeReliability(rec.responses, rec.neuronIds, options);
        const rows = r.neurons.map((n) => [n.index, n.id, n.repeatsMin, n.repeatsMax, n.images, n.repeatedImages, n.oracle, n.superOracle,
          n.averageSuperOracle, n.superOracleIterations, n.explainableVariance, n.variance, n.selected, n.skip ?? '']);
        writeFileAtomic(join(o.out, 'oracle.csv'), formatCsv(ORACLE_COLUMNS, rows));
        const selected = r.neurons.filter((n) => n.selected);
        const skipped = r.neurons.filter((n) => n.skip !== null);
        const summary = {
          select_by: o.selectBy, oracle_percentile: oraclePercentile, variance_percentile: variancePercentile,
          oracle_threshold: r.oracleThreshold, variance_threshold: r.varianceThreshold, iterations, seed: seed.toString(),
          neurons: N, scored: N - skipped.length, skipped: skipped.length, count: selected.length,
          selected_ids: selected.map((n) => n.id), selected_indices: selected.map((n) => n.index),
        };
        writeFileAtomic(join(o.out, 'selected.json'), JSON.stringify(summary, null, 1) + '\n');
        const figures = saveFigure(oracleFigure(r, 'Oracle reliability'), join(o.out, 'oracle'));
        finishRecord(record, join(o.out, 'run.json'), {
          data: { source: rec.source, layout: rec.layout, repeats: R, images: I, neurons: N, origin: rec.origin },
          result: { oracle_threshold: r.oracleThreshold, variance_threshold: r.varianceThreshold, selected: selected.length, skipped: skipped.length },
        });
        const fmt = (v: number | null) => (v === null ? 'none' : v.toPrecision(4));
        console.log(`selected ${selected.length} of ${N} neurons: ${o.selectBy} > ${fmt(r.oracleThreshold)} (p${oraclePercentile}) and variance > ${fmt(r.varianceThreshold)} (p${variancePercentile})`);
        if (skipped.length) {
          console.log(`skipped ${skipped.length} neuron(s) (not scored, not selected):`);
          for (const n of skipped.slice(0, 10)) console.log(`  ${n.id}: ${n.skip}`);
          if (skipped.length > 10) console.log(`  ... and ${skipped.length - 10} more (skip column of oracle.csv)`);
        }
        console.log(`wrote ${[join(o.out, 'oracle.csv'), join(o.out, 'selected.json'), ...figures, join(o.out, 'run.json')].join(', ')}`);
      } finally {
        lock.release();
      }
    });
}
