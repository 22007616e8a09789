// A unit anywhere in a model: `--layer NAME --channel C [--location center|mean|h,w]`, with module names as PyTorch
// prints them (named_modules of the network; for an ensemble, of one member: the unit is read in every member and
// averaged, as the ensemble's own outputs are, unless one member is chosen). Everything that can be wrong with a
// unit (unknown layer: the nearest names are listed; channel out of range; a location outside the map) is found
// by `openUnit` on a one-image probe, before any work.
import { type Tensor, noGrad, tidy, zeros } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import { InputError } from '../../errors.js';
import { withForwardHooks } from '../../nn/hooks.js';
import { atLocation, type Location, type Screenable } from '../screening/extract.js';

export interface UnitSpec { layer: string; channel: number; location: Location }

/** An opened unit: x (B, C, H, W) model space -> (B) its value (averaged over the members). */
export interface Unit {
  spec: UnitSpec;
  /** the layer's output shape for one image, e.g. [1, 64, 56, 56] */
  layerShape: number[];
  /** how many members are averaged */
  members: number;
  run(x: Tensor): Tensor;
}

/** The members whose units are averaged: an ensemble's members (TwinEnsemble, TrainedTwin), else the model itself. */
export function membersOf(model: Module): Module[] {
  const m = (model as unknown as { members?: unknown }).members;
  return Array.isArray(m) && m.length > 0 && m.every((x) => typeof (x as Module)?.namedModules === 'function') ? (m as Module[]) : [model];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The `k` module names nearest to `name` (edit distance), for error messages. */
export function nearestNames(name: string, names: string[], k = 8): string[] {
  return names.filter(Boolean).map((n) => [n, editDistance(name, n)] as const).sort((a, b) => a[1] - b[1]).slice(0, k).map(([n]) => n);
}

/** The output of module `layer` of `m` for x (the rest of the forward pass runs too: a hook, as PyTorch's). */
export function layerOutput(m: Module, layer: string, x: Tensor): Tensor {
  let out: Tensor | null = null;
  withForwardHooks(m, [layer], (_, y) => { out = y; }, () => m.forward(x));
  if (!out) throw new InputError(`module '${layer}' is not called in this model's forward pass (PyTorch's hooks would not see it either); choose another --layer`);
  return out;
}

/** `value` as --location: center, mean, h,w (or a token index for (B, T, D) outputs). */
export function parseLocation(v: string): Location {
  if (v === 'center' || v === 'mean') return v;
  const p = v.split(',');
  const int = (s: string, what: string) => {
    if (!/^[0-9]+$/.test(s)) throw new InputError(`--location ${what}: '${s}' is not a non-negative integer; use center, mean, h,w or a token index`);
    return Number(s);
  };
  if (p.length === 1) return int(p[0], 'token');
  if (p.length === 2) return [int(p[0], 'h'), int(p[1], 'w')];
  throw new InputError(`--location must be center, mean, h,w or a token index; got '${v}'`);
}

/**
 * Checks that `layer` is a module of `model` (of its first member), called in its forward pass, with an output
 * that has channels, and that `location` lies on that output; returns the output shape for one image. Runs one
 * zero image: call it before any work.
 */
export function checkLayer(model: Module, layer: string, location: Location, inputShape: readonly number[]): number[] {
  const members = membersOf(model);
  const names = [...members[0].namedModules()].map(([n]) => n);
  if (!names.includes(layer) || layer === '') {
    throw new InputError(`--layer '${layer}': no such module${members.length > 1 ? ' in the ensemble\'s members' : ''}. Nearest names: ${nearestNames(layer, names).join(', ')} (dualneuron layers --model ... lists them all)`);
  }
  const layerShape = noGrad(() => tidy(() => {
    const probe = zeros([1, ...inputShape], { backend: model.backend });
    return [...layerOutput(members[0], layer, probe).shape];
  }));
  if (layerShape.length < 2 || layerShape.length > 4) throw new InputError(`--layer ${layer}: its output [${layerShape.join(', ')}] has no channels to choose from`);
  const loc = location;
  if (layerShape.length === 2 && loc !== 'center' && loc !== 'mean') throw new InputError(`--location: ${layer} has no spatial map (output [${layerShape.join(', ')}]); use center or leave it out`);
  if (layerShape.length === 4 && loc !== 'center' && loc !== 'mean') {
    const [h, w] = typeof loc === 'number' ? [loc, loc] : loc;
    const [, , H, W] = layerShape;
    if (h >= H || w >= W) throw new InputError(`--location ${h},${w} is outside the ${H}x${W} map of ${layer}`);
  }
  if (layerShape.length === 3 && typeof loc !== 'string') {
    const t = typeof loc === 'number' ? loc : loc[0];
    if (typeof loc !== 'number') throw new InputError(`--location: ${layer} outputs tokens (${layerShape[1]}); give a token index, center or mean`);
    if (t >= layerShape[1]) throw new InputError(`--location token ${t} is outside the ${layerShape[1]} tokens of ${layer}`);
  }
  return layerShape;
}

/** The number of channels of a layer output shape: D of tokens (B, T, D), else C of (B, C, ...). */
export const channelsOf = (layerShape: readonly number[]): number => (layerShape.length === 3 ? layerShape[2] : layerShape[1]);

/** Checks the unit against `model` on a zero image of `inputShape` and returns it ready to run. */
export function openUnit(model: Module, spec: UnitSpec, inputShape: readonly number[]): Unit {
  const members = membersOf(model);
  const layerShape = checkLayer(model, spec.layer, spec.location, inputShape);
  const C = channelsOf(layerShape);
  if (!Number.isInteger(spec.channel) || spec.channel < 0 || spec.channel >= C) throw new InputError(`--channel ${spec.channel} is out of range: ${spec.layer} has channels 0..${C - 1} (output [${layerShape.join(', ')}])`);
  const loc = spec.location;
  const one = (m: Module, x: Tensor): Tensor => {
    const a = layerOutput(m, spec.layer, x);
    // (B, T, D): atLocation picks the token, then D is the channel axis; (B, C, ...): the location after the channel
    return a.rank === 3 ? atLocation(a, loc).select(1, spec.channel) : atLocation(a.select(1, spec.channel).unsqueeze(1), loc).select(1, 0);
  };
  return {
    spec, layerShape, members: members.length,
    run: (x) => {
      let acc: Tensor | null = null;
      for (const m of members) { const y = one(m, x); acc = acc ? acc.add(y) : y; }
      return members.length === 1 ? acc! : acc!.mul(1 / members.length);
    },
  };
}

/**
 * `--layer` for screen: with a `channel` the one unit, averaged over the members;
 * without it, upstream's internal-layer screen of every channel at the location (screening/extract.ts).
 */
export function screenableOf(model: Module, layer: string | undefined, channel: number | undefined, loc: Location, inputShape: readonly number[], legacy: () => Screenable): Screenable {
  if (channel === undefined) return legacy();
  if (layer === undefined) throw new InputError('--channel needs --layer (the module whose unit it is)');
  const unit = openUnit(model, { layer, channel, location: loc }, inputShape);
  return { run: (x) => unit.run(x).unsqueeze(1), units: 1, layerName: `${layer}_channel${channel}` };
}
