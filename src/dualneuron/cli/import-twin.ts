// `dualneuron import-twin STATE_DICT --out DIR`: a twin trained with neuralpredictors (Stacked2dCore +
// PointPyramid2d / FullGaussian2d, ELU+1 output) as a twin folder (README "Importing a twin trained with
// neuralpredictors").
import { Command } from 'commander';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { readFileBytes } from '../../io/atomic.js';
import { cpu } from '../../tensor/index.js';
import { openOutputFolder } from '../output-folder.js';
import { finishRecord, startRecord } from '../run-record.js';
import { parseImportConfig, type NpImportConfig } from '../import/np-config.js';
import { importTwin } from '../import/import-twin.js';
import { parseFloatStrict } from './parse.js';
import { parseImageSize } from './train.js';

interface Opts { out: string; config?: string; dataKey?: string; imageSize?: string; mean?: string; std?: string; neuronIds?: string; name?: string; overwrite?: boolean }

/** neuron ids from a .json list or a text file with one id per line */
function readNeuronIds(path: string): string[] {
  const text = new TextDecoder().decode(readFileBytes(path, '--neuron-ids file'));
  if (/\.json$/i.test(path)) {
    let v: unknown;
    try { v = JSON.parse(text); } catch (e) { throw new InputError(`${path}: not valid JSON (${(e as Error).message})`); }
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) throw new InputError(`${path}: expected a JSON list of neuron ids`);
    return v.map(String);
  }
  return text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

export function registerImportTwin(program: Command): void {
  program.command('import-twin')
    .description('make a twin folder (twin.json + member_1.safetensors) from a model trained with neuralpredictors: Stacked2dCore (or the Allen notebook\'s Stacked2dCore_pooling) + PointPyramid2d or FullGaussian2d readout, ELU+1 output')
    .argument('<STATE_DICT>', '.pt/.pth (torch.save of model.state_dict(), or of a checkpoint dict holding it under state_dict, model_state_dict or model) or .safetensors')
    .requiredOption('--out <dir>', 'output twin folder: twin.json, member_1.safetensors, run.json; use it as --model DIR')
    .option('--config <file.json>', 'neuralpredictors\' constructor arguments of the model: {"core": {...}, "core_class", "readout": {...}, "encoder": {"elu_offset"}, "input": {"size": [H, W], "mean", "std"}, "neuron_ids": [...], "data_key"}; what the shapes tell (channels, kernels, layers, skip, biases, batch norms, neurons, readout kind, scale_n, filter, gauss type) need not be given')
    .option('--data-key <key>', 'the readout to import from a multi-readout model (readout.<data_key>.*); required when it has several')
    .option('--image-size <HxW>', 'model input size in pixels (the size of the training images, e.g. 60x96); overrides input.size')
    .option('--mean <x>', 'mean of the input normalisation used in training (images in [0, 1]); overrides input.mean (default 0)')
    .option('--std <x>', 'std of the input normalisation; overrides input.std (default 1)')
    .option('--neuron-ids <file>', 'neuron ids in output order: a .json list or a text file with one id per line; overrides neuron_ids (default 0..N-1)')
    .option('--name <text>', 'the twin\'s name in twin.json')
    .option('--overwrite', 'replace a twin already in --out')
    .action(async (stateDict: string, o: Opts) => {
      let config: NpImportConfig = {};
      if (o.config) config = parseImportConfig(new TextDecoder().decode(readFileBytes(o.config, '--config file')), o.config);
      const size = o.imageSize !== undefined ? parseImageSize(o.imageSize) : undefined;
      const mean = o.mean !== undefined ? parseFloatStrict('--mean', o.mean) : undefined;
      const std = o.std !== undefined ? parseFloatStrict('--std', o.std) : undefined;
      if (std !== undefined && !(std > 0)) throw new InputError(`--std must be > 0, got '${o.std}'`);
      const neuronIds = o.neuronIds !== undefined ? readNeuronIds(o.neuronIds) : undefined;
      const bytes = readFileBytes(stateDict, 'state dict');
      const lock = openOutputFolder(o.out, 'import-twin');
      try {
        const record = startRecord('import-twin', { stateDict, ...o }, cpu().describe());
        const manifest = await importTwin({
          file: stateDict, bytes, config, out: o.out, dataKey: o.dataKey, size, mean, std, neuronIds, name: o.name, overwrite: o.overwrite,
          command: `dualneuron ${process.argv.slice(2).join(' ')}`,
        });
        finishRecord(record, join(o.out, 'run.json'), { source: manifest.imported.file, source_sha256: manifest.imported.sha256, state_dict_key: manifest.imported.state_dict_key, data_key: manifest.imported.data_key, members: manifest.members.map((m) => ({ file: m.file, sha256: m.sha256 })), notes: manifest.imported.notes });
        console.error(`wrote ${join(o.out, 'twin.json')} and ${join(o.out, 'member_1.safetensors')}; use it as --model ${o.out}`);
      } finally {
        lock.release();
      }
    });
}

