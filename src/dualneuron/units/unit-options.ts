// The command-line face of units: the --layer/--channel/--location options and a model read through one unit as
// what `predict` runs (one output per image).
import { Option } from 'commander';
import type { Tensor, Backend } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { parseIntStrict } from '../cli/parse.js';
import { parseLocation, type Unit, type UnitSpec } from './unit.js';
import type { PredictableTwin } from '../predict.js';

export const unitOptions = (): Option[] => [
  new Option('--layer <name>', 'a module of the network, named as PyTorch prints it (dualneuron layers --model ... lists them); with --channel the output is that one unit. An ensemble\'s unit is the mean over its members (or --member K)'),
  new Option('--channel <c>', 'with --layer: the channel (the unit); for transformer tokens (B, T, D) the feature index d'),
  new Option('--location <loc>', 'with --layer: center (default), mean (over the map or the tokens), h,w, or a token index'),
];

/** --layer/--channel/--location as a unit (null when no --layer); the two go together. */
export function parseUnitOptions(o: { layer?: string; channel?: string; location?: string }): UnitSpec | null {
  if (o.layer === undefined) {
    if (o.channel !== undefined || o.location !== undefined) throw new InputError('--channel and --location need --layer (the module whose unit it is)');
    return null;
  }
  if (o.channel === undefined) throw new InputError(`--layer ${o.layer} needs --channel C (the unit in that module's output)`);
  return { layer: o.layer, channel: parseIntStrict('--channel', o.channel, { min: 0 }), location: parseLocation(o.location ?? 'center') };
}

/** The model read through `unit`, for predict(): (B, 1) per batch. */
export function unitAsPredictable(label: string, unit: Unit, inputShape: [number, number, number], backend: Backend): PredictableTwin {
  return { spec: { id: label, inputShape, neurons: 1 }, backend, forward: (x: Tensor) => unit.run(x).unsqueeze(1) };
}
