// The command-line face of synthesis objectives (units/objectives.ts) for `synthesize` and `poles`: which readout
// (the model's outputs, or --layer's channels at --location), which target (one neuron or channel, the mean of a
// set, a weight vector, a direction), and the modifiers (--contrast, --objective onehot, --diversity). Everything
// that needs no model is checked here, before any file is written; ranges and layer names are checked against the
// model (openReadout / checkObjective) before any optimisation.
import { Option } from 'commander';
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import type { ConfigValue } from '../result-config.js';
import type { ReadoutSpec } from '../units/readout.js';
import type { ObjectiveSpec } from '../units/objectives.js';
import { parseLocation } from '../units/unit.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';

export interface ObjectiveCli {
  neuron?: string; neurons?: string; channel?: string; channels?: string; layer?: string; location?: string; member?: string;
  objective?: 'unit' | 'mean' | 'onehot'; weights?: string; direction?: string; contrast?: string; contrastScale?: string;
  onehotWeight?: string; diversity?: string; diversityLayer?: string;
}

export interface ParsedObjective {
  readout: ReadoutSpec;
  spec: ObjectiveSpec;
  /** the jobs' indices (neurons or channels; [0] for a set, weights or a direction: one result, under neuron_0000) */
  indices: number[];
  /** the members to load, in order (the second one is the contrast's); undefined: the command's --members */
  members?: number[];
  diversity: { weight: number; layer: string } | null;
  /** one neuron of the model's outputs, nothing else: the command runs as it always did */
  plain: boolean;
}

export function objectiveOptions(command: 'synthesize' | 'poles'): Option[] {
  const one = command === 'synthesize';
  return [
    new Option('--layer <name>', `optimise units of this module, named as PyTorch prints it (dualneuron layers --model ... lists them), read at --location: ${one ? '--channel C, --channels LIST --objective mean, --weights or --direction' : '--channels LIST'}. An ensemble's unit is the mean over its members (or --member K)`),
    new Option('--location <loc>', 'with --layer: center (default), mean (over the map or tokens), h,w, or a token index'),
    ...(one ? [new Option('--channel <c>', 'with --layer: the channel to optimise (the unit)')] : []),
    new Option('--channels <list>', one ? 'with --layer and --objective mean: channels whose mean is optimised, e.g. 3,7,9' : 'with --layer: channels, e.g. 0-63; each is optimised on its own (written as neuron_NNNN)'),
    new Option('--member <k>', 'read the unit (or neuron) in member K alone instead of the mean over the ensemble (same as --members K)'),
    ...(one ? [
      new Option('--objective <kind>', 'unit (default): one neuron or channel; mean: the mean of --neurons / --channels; onehot: drive --neuron (or --channel) while holding every other unit of the readout at its baseline (its response to the blank image): y_i - w * mean_{j != i} (y_j - b_j)^2, w = --onehot-weight').choices(['unit', 'mean', 'onehot']),
      new Option('--weights <w.npy>', 'optimise sum_i w_i y_i over the readout (the model\'s outputs, or --layer\'s channels): a float vector, one value per unit'),
      new Option('--direction <d.npy>', 'with --layer: optimise the projection of the channel vector at --location onto this direction (a float vector, one value per channel; scaled to unit length)'),
    ] : [new Option('--objective <kind>', 'unit (default) or onehot: each neuron (channel) driven while every other unit of the readout is held at its baseline (see synthesize --help)').choices(['unit', 'onehot'])]),
    new Option('--onehot-weight <w>', 'with --objective onehot: the weight of the other units\' squared deviation from baseline (default 1)'),
    new Option('--contrast <u>', 'subtract a second term, weighted by --contrast-scale: a neuron N (with --layer: a channel C) of the same readout, to maximise one unit while holding another down; or member:K, the same objective read in member K (model A minus model B, A being --member J)'),
    new Option('--contrast-scale <s>', 'with --contrast: objective = first - s * second (default 1)'),
    new Option('--diversity <w>', 'lucid\'s diversity term across the seeds of each objective and pole (--seeds K >= 2): loss += w * sum_{i != j} cos(Gram_i, Gram_j) / K of --diversity-layer\'s activations; the seeds of one objective and pole are optimised together in one batch'),
    new Option('--diversity-layer <name>', 'with --diversity: the module whose Gram matrices are compared (default: --layer)'),
  ];
}

/** A list of indices, e.g. 3,7,10-19 (order kept, duplicates dropped); ranges are checked against the model later. */
export function parseIndexList(flag: string, v: string): number[] {
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!m) throw new InputError(`${flag}: cannot read '${part}'; use e.g. 0-63 or 3,7,10-19 (decimal digits, no spaces)`);
    const a = parseIntStrict(flag, m[1]), b = parseIntStrict(flag, m[2] ?? m[1]);
    if (b < a) throw new InputError(`${flag}: range ${part} is empty`);
    if (b - a > 1e6) throw new InputError(`${flag}: range ${part} is too large`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return [...new Set(out)];
}

function readVector(flag: string, file: string): Float32Array {
  const a = readNpy(file);
  if (a.shape.length !== 1 || a.shape[0] < 1) throw new InputError(`${flag} ${file}: shape (${a.shape.join(', ')}); give a vector (one value per unit)`);
  const v = toFloat32(a);
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new InputError(`${flag} ${file}: value ${v[bad]} at index ${bad}; the values must be finite`);
  return v;
}

/** The objective options alone (and the .npy vectors they name), checked before the model is opened. */
export function parseObjective(o: ObjectiveCli, command: 'synthesize' | 'poles'): ParsedObjective {
  const layer = o.layer ?? null;
  if (layer === null) {
    for (const [v, flag] of [[o.channel, '--channel'], [o.channels, '--channels'], [o.location, '--location'], [o.direction, '--direction']] as const) {
      if (v !== undefined) throw new InputError(`${flag} needs --layer (the module whose channels it names)`);
    }
  } else if (o.neuron !== undefined || o.neurons !== undefined) {
    throw new InputError(`--layer ${layer} optimises channels of that module: give --channel${command === 'poles' ? 's LIST' : ' C'} instead of --neuron${command === 'poles' ? 's' : ''}`);
  }
  const kind = o.objective ?? 'unit';
  const float = (flag: string, v: string | undefined, dflt: number, min = 0) => {
    if (v === undefined) return dflt;
    const x = parseFloatStrict(flag, v);
    if (!(x >= min)) throw new InputError(`${flag} must be >= ${min}, got ${v}`);
    return x;
  };
  if (o.onehotWeight !== undefined && kind !== 'onehot') throw new InputError('--onehot-weight needs --objective onehot');
  if (o.contrastScale !== undefined && o.contrast === undefined) throw new InputError('--contrast-scale needs --contrast');
  if (o.diversityLayer !== undefined && o.diversity === undefined) throw new InputError('--diversity-layer needs --diversity');

  // the target and the job indices
  const given = [['--neuron', o.neuron], ['--neurons', o.neurons], ['--channel', o.channel], ['--channels', o.channels], ['--weights', o.weights], ['--direction', o.direction]].filter(([, v]) => v !== undefined).map(([f]) => f!);
  let spec: ObjectiveSpec['target'];
  let indices: number[];
  if (command === 'poles') {
    if (given.length !== 1) throw new InputError(given.length ? `give one of --neurons and --layer ... --channels, not ${given.join(' and ')}` : 'give --neurons LIST (or --layer NAME --channels LIST)');
    indices = parseIndexList(given[0], (o.neurons ?? o.channels)!);
    spec = { kind: 'unit' };
  } else {
    if (given.length !== 1) {
      const what = layer === null ? '--neuron N, --neurons LIST --objective mean, or --weights w.npy' : '--channel C, --channels LIST --objective mean, --weights w.npy or --direction d.npy';
      throw new InputError(given.length ? `give one objective: ${what}; got ${given.join(' and ')}` : `give an objective: ${what}`);
    }
    const flag = given[0];
    if ((flag === '--neurons' || flag === '--channels') !== (kind === 'mean')) {
      throw new InputError(kind === 'mean' ? `--objective mean takes a set: ${layer === null ? '--neurons' : '--channels'} LIST` : `${flag} names a set: add --objective mean (its mean is optimised), or give one with ${flag.slice(0, -1)}`);
    }
    if ((flag === '--weights' || flag === '--direction') && kind !== 'unit') throw new InputError(`${flag} is an objective of its own; leave --objective ${kind} out`);
    if (flag === '--neuron' || flag === '--channel') { indices = [parseIntStrict(flag, (o.neuron ?? o.channel)!)]; spec = { kind: 'unit' }; }
    else if (flag === '--neurons' || flag === '--channels') { indices = [0]; spec = { kind: 'mean', indices: parseIndexList(flag, (o.neurons ?? o.channels)!) }; }
    else {
      indices = [0];
      const v = readVector(flag, (o.weights ?? o.direction)!);
      if (flag === '--direction') {
        const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
        if (!(n > 0)) throw new InputError(`--direction ${o.direction} is zero: a direction needs a length`);
        for (let i = 0; i < v.length; i++) v[i] /= n;
      }
      spec = { kind: 'weights', weights: v, source: flag === '--direction' ? 'direction' : 'weights' };
    }
  }

  const member = o.member !== undefined ? parseIntStrict('--member', o.member, { min: 1 }) : undefined;
  let contrast: ObjectiveSpec['contrast'] = null;
  let members = member !== undefined ? [member] : undefined;
  if (o.contrast !== undefined) {
    const scale = float('--contrast-scale', o.contrastScale, 1);
    const m = /^member:([0-9]+)$/.exec(o.contrast);
    if (m) {
      if (member === undefined) throw new InputError(`--contrast ${o.contrast} compares two members: give the first with --member J`);
      const k = parseIntStrict('--contrast member', m[1], { min: 1 });
      if (k === member) throw new InputError(`--contrast ${o.contrast} is --member ${member} itself; contrast two different members`);
      members = [member, k];
      contrast = { kind: 'member', weight: scale };
    } else {
      if (!/^[0-9]+$/.test(o.contrast)) throw new InputError(`--contrast: '${o.contrast}' is neither a ${layer === null ? 'neuron' : 'channel'} index nor member:K`);
      contrast = { kind: 'unit', index: parseIntStrict('--contrast', o.contrast), weight: scale };
    }
  }
  const onehot = kind === 'onehot' ? { weight: float('--onehot-weight', o.onehotWeight, 1) } : null;
  let diversity: ParsedObjective['diversity'] = null;
  if (o.diversity !== undefined) {
    const dl = o.diversityLayer ?? layer;
    if (dl === null) throw new InputError('--diversity compares the images\' activations in a module: give --diversity-layer NAME (or --layer)');
    diversity = { weight: float('--diversity', o.diversity, 0), layer: dl };
  }
  const readout: ReadoutSpec = { layer, location: parseLocation(o.location ?? 'center'), perMember: contrast?.kind === 'member' };
  const plain = layer === null && spec.kind === 'unit' && !contrast && !onehot && !diversity && member === undefined;
  return { readout, spec: { target: spec, contrast, onehot }, indices, members, diversity, plain };
}

/** The objective as stored in done.json and run.json (null for the plain objective, so earlier results still match). */
export function objectiveConfig(p: ParsedObjective): ConfigValue {
  if (p.plain) return null;
  const t = p.spec.target;
  return {
    '--layer': p.readout.layer, '--location': p.readout.layer === null ? null : (p.readout.location as ConfigValue),
    target: t.kind === 'unit' ? 'unit' : t.kind === 'mean' ? { mean: t.indices } : { [t.source]: Array.from(t.weights) },
    '--contrast': p.spec.contrast ? { ...p.spec.contrast } : null, onehot: p.spec.onehot ? { ...p.spec.onehot } : null,
    '--diversity': p.diversity ? { ...p.diversity } : null, members: p.members ?? null,
  };
}
