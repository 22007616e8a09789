// `dualneuron export h5` and `dualneuron import h5`: poles in the HDF5 layout upstream's generate_poles writes and
// its DualNeuronDataset reads (see ../h5/layout.ts), so Python pipelines built on upstream's files keep working.
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { readFileBytes, writeFileAtomic } from '../../io/atomic.js';
import { openH5 } from '../../io/hdf5.js';
import { Progress } from '../../util/progress.js';
import { exportPolesH5 } from '../h5/export.js';
import { checkUpstreamLayout, readResult, writeImportedResult } from '../h5/import.js';
import { openOutputFile, openOutputFolder } from '../output-folder.js';
import { finishRecord, startRecord } from '../run-record.js';
import { jobDir } from '../synthesis/poles.js';
import { parseTwin } from './predict.js';

const MODEL_HELP = 'twin the results belong to: v1, v4 or v4g (default: the one the results record; given, it must match)';
const NO_GPU = 'none (file conversion, no GPU work)';
const runJsonOf = (file: string) => file.replace(/\.h5$|\.hdf5$/i, '') + '.run.json';

export interface ExportH5Cli { poles: string; out: string; model?: string; progress?: boolean }

export async function runExportH5(o: ExportH5Cli): Promise<void> {
  const out = resolve(o.out), dir = resolve(o.poles);
  const model = o.model === undefined ? undefined : parseTwin(o.model);
  const lock = openOutputFile(out, 'export h5');
  try {
    const rec = startRecord('export h5', { ...o }, NO_GPU);
    let bar: Progress | null = null; // made on the first result, when the total is known
    const { bytes, summary } = await exportPolesH5(dir, { model, onResult: (k, n) => { if (o.progress !== false) (bar ??= new Progress({ total: n, unit: 'results', label: 'export h5' })).set(k); } });
    (bar as Progress | null)?.finish();
    writeFileAtomic(out, bytes);
    finishRecord(rec, runJsonOf(out), { model: summary.model, poles: dir, out, neurons: summary.neurons, seeds: summary.seeds, results: summary.results, bytes: summary.bytes, sha256: createHash('sha256').update(bytes).digest('hex'), layout: "upstream generate_poles (neuron_NNNN/seed_S/{least,most}/{image,alpha,activations})" });
    console.error(`wrote ${out}: ${summary.neurons.length} neurons x ${summary.seeds.length} seeds x 2 poles of ${summary.model} (${(summary.bytes / 2 ** 20).toFixed(2)} MiB), and ${runJsonOf(out)}`);
  } finally {
    lock.release();
  }
}

export interface ImportH5Cli { out: string; model?: string; overwrite?: boolean; progress?: boolean }

export async function runImportH5(file: string, o: ImportH5Cli): Promise<void> {
  const src = resolve(file), out = resolve(o.out);
  const model = o.model === undefined ? undefined : parseTwin(o.model);
  const bytes = readFileBytes(src, 'HDF5 file');
  const reader = await openH5(bytes, src);
  try {
    const f = checkUpstreamLayout(reader, src, model);
    const lock = openOutputFolder(out, 'import h5');
    try {
      const taken = f.entries.filter((e) => existsSync(join(jobDir(out, e), 'done.json')));
      if (taken.length && !o.overwrite) {
        const e = taken[0];
        throw new InputError(`${out} already holds ${taken.length} of the ${f.entries.length} results in ${src} (e.g. neuron ${e.neuron}, seed ${e.seed}, ${e.pole}); nothing was written. Rerun with --overwrite to replace them, or choose a new --out`);
      }
      const rec = startRecord('import h5', { file: src, ...o }, NO_GPU);
      const bar = o.progress === false ? null : new Progress({ total: f.entries.length, unit: 'results', label: 'import h5' });
      for (const e of f.entries) {
        writeImportedResult(out, e, readResult(reader, e, src, f.model));
        bar?.tick();
      }
      bar?.finish();
      finishRecord(rec, join(out, 'run.json'), {
        model: f.model, ...(f.members ? { members: f.members } : {}), source: src, sourceSha256: createHash('sha256').update(bytes).digest('hex'),
        neurons: f.neurons, seeds: f.seeds, results: f.entries.length, ...(f.run ? { origin: f.run } : {}),
      });
      console.error(`imported ${f.entries.length} results (${f.neurons.length} neurons x ${f.seeds.length} seeds x 2 poles of ${f.model}) into ${out}`);
    } finally {
      lock.release();
    }
  } finally {
    reader.close();
  }
}

export function registerH5(program: Command): void {
  const exp = program.command('export').description('write results in other tools\' formats');
  exp.command('h5')
    .description("a poles folder as one HDF5 file in upstream's layout (generate_poles / DualNeuronDataset): neuron_NNNN/seed_S/{least,most}/{image, alpha, activations} with attributes model, neuron_id, seed, weight, type; our model, members, seeds and run record as extra attributes")
    .requiredOption('--poles <dir>', 'poles folder, as `dualneuron poles --out DIR` writes it; every neuron needs the same seeds, each with both poles, all finished')
    .requiredOption('--out <file.h5>', "HDF5 file to write (upstream names it v1graytaskdriven_results.h5 / v4colortaskdriven_results.h5); a run record goes beside it as <file>.run.json")
    .option('--model <id>', MODEL_HELP)
    .option('--no-progress', 'no progress bar')
    .action(async (o: ExportH5Cli) => runExportH5(o));
  const imp = program.command('import').description('read results written by other tools');
  imp.command('h5')
    .description("an HDF5 file in upstream's layout (generate_poles, or `dualneuron export h5`) as a poles folder: image.npy, alpha.npy, activations.npy, preview.png, done.json per result, and run.json")
    .argument('<file.h5>', 'HDF5 file in upstream\'s layout')
    .requiredOption('--out <dir>', 'poles folder to write (neuron_NNNN/seed_SSSS/{least,most}/)')
    .option('--model <id>', 'twin the file holds: v1, v4 or v4g (default: its model attribute; given, it must match)')
    .option('--overwrite', 'replace results of the same neuron, seed and pole already in --out (refused otherwise)')
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, o: ImportH5Cli) => runImportH5(file, o));
}
