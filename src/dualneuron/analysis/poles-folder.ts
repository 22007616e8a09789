// Reading a poles folder (written by `dualneuron poles` / `synthesize`: DIR/neuron_NNNN/seed_SSSS/{most,least}/
// image.npy + done.json) for analyses: which neurons and seeds it holds, the options its results were made with
// (done.json's config: model, members, centering, norm, aperture), and each result's image. Refuses folders with
// missing seeds or poles, results made with different options, and images of the wrong shape.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, FormatError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import type { ConfigValue, ResultConfig } from '../result-config.js';
import { jobDir, type Done, type Pole } from '../synthesis/poles.js';

export interface PolesFolder {
  dir: string;
  neurons: number[];
  /** the seeds every neuron has, as folder numbers (decimal strings) */
  seeds: string[];
  /** the options of the results (identical for all; null when done.json has none: an older version) */
  config: ResultConfig | null;
}

const NEURON = /^neuron_([0-9]+)$/, SEED = /^seed_([0-9]+)$/;

export function readPolesFolder(dir: string, o: { neurons?: number[] } = {}): PolesFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`--poles ${dir}: no such folder`);
  const found = readdirSync(dir).map((n) => NEURON.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  if (!found.length) throw new InputError(`--poles ${dir} holds no neuron_NNNN folders: it is not a poles folder (make one with dualneuron poles --out ${dir})`);
  const neurons = o.neurons ?? found;
  const absent = neurons.filter((n) => !found.includes(n));
  if (absent.length) throw new InputError(`--poles ${dir} has no results for neuron${absent.length > 1 ? 's' : ''} ${absent.slice(0, 10).join(', ')}${absent.length > 10 ? ', ...' : ''}; it holds ${found[0]}..${found[found.length - 1]} (${found.length} neurons)`);
  let seeds: string[] | null = null, config: ResultConfig | null = null, hash: string | undefined, first = '';
  for (const n of neurons) {
    const nd = join(dir, `neuron_${String(n).padStart(4, '0')}`);
    const mine = readdirSync(nd).map((s) => SEED.exec(s)).filter((m): m is RegExpExecArray => m !== null).map((m) => m[1]).sort((a, b) => Number(a) - Number(b));
    if (seeds === null) seeds = mine;
    const missing = seeds.filter((s) => !mine.includes(s)), extra = mine.filter((s) => !seeds!.includes(s));
    if (missing.length || extra.length || !mine.length) {
      throw new InputError(`--poles ${dir}: neuron ${n} has seeds ${mine.map(Number).join(', ') || '(none)'} but neuron ${neurons[0]} has ${seeds.map(Number).join(', ') || '(none)'}; ` +
        'every neuron needs the same seeds (finish the run: dualneuron poles resumes it with the same options and --out)');
    }
    for (const s of mine) for (const pole of ['most', 'least'] as Pole[]) {
      const d = join(nd, `seed_${s}`, pole);
      if (!existsSync(join(d, 'done.json')) || !existsSync(join(d, 'image.npy'))) {
        throw new InputError(`--poles ${dir}: neuron ${n}, seed ${Number(s)} has no finished ${pole === 'most' ? 'MEI' : 'LEI'} (${join(d, 'done.json')} missing); finish the run (dualneuron poles resumes it)`);
      }
      const done = JSON.parse(readFileSync(join(d, 'done.json'), 'utf8')) as Done;
      if (!first) { first = d; config = done.config ?? null; hash = done.configHash; }
      else if (done.configHash !== hash) throw new InputError(`--poles ${dir}: ${d} was made with other options than ${first} (config hashes differ); analyse results of one run`);
    }
  }
  return { dir, neurons, seeds: seeds!, config };
}

/** A config value by option name, or undefined. */
export const configValue = (p: PolesFolder, key: string): ConfigValue | undefined => p.config?.[key];

/** The image (C, S, S) of one result. */
export function poleImage(p: PolesFolder, neuron: number, seed: string, pole: Pole, shape: readonly number[]): Float32Array {
  const path = join(jobDir(p.dir, { neuron, seed: BigInt(seed), pole }), 'image.npy');
  const a = readNpy(path);
  if (a.shape.join(',') !== shape.join(',')) throw new FormatError(`${path}: shape (${a.shape.join(', ')}), expected (${shape.join(', ')}) for this model`);
  return toFloat32(a);
}
