// Composed synthesis objectives over a readout (readout.ts: a model's outputs or a layer's channels), as the
// command line names them. Every one but the population objective is a fixed weighting of the readout:
//   unit        one neuron / channel (the job's index)                          e_i
//   mean        the mean of a set (--neurons 3,7,9 --objective mean)           (1/|S|) sum_{s in S} e_s
//   weights     a weight vector (--weights w.npy), or a unit-length direction in channel space (--direction)
//   contrast    minus `weight` times a second unit (maximise one unit while holding another down),
//               or the same objective read in a second member (model A minus model B: [v, -weight v] over the
//               members side by side)
// The one-hot population objective drives unit i and holds the others at their baseline b (their response to the
// blank, all-zero model-space image): y_i - weight * mean_{m != i} (y_m - b_m)^2 for the MEI; for the LEI the
// engine minimises y_i + weight * mean_{m != i} (y_m - b_m)^2, so the others are held at baseline either way.
import { Tensor } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import type { Objective } from '../synthesis/engine.js';
import type { Readout } from './readout.js';

export type Target =
  | { kind: 'unit' }
  | { kind: 'mean'; indices: number[] }
  | { kind: 'weights'; weights: Float32Array; source: 'weights' | 'direction' };

export type Contrast = { kind: 'unit'; index: number; weight: number } | { kind: 'member'; weight: number };

export interface ObjectiveSpec {
  target: Target;
  contrast?: Contrast | null;
  /** the one-hot population objective (with target 'unit'): the weight of the others' deviation from baseline */
  onehot?: { weight: number } | null;
}

/** What `units` is called in messages: neurons / logits / channels. */
const unitWord = (r: Readout) => (r.spec.layer === null ? 'outputs' : `channels of ${r.spec.layer}`);

/**
 * Every check that needs only the readout's size: indices in range, weight lengths, combinations that mean
 * nothing; `indices` are the job indices the target 'unit' will take. Call before any work.
 */
export function checkObjective(o: ObjectiveSpec, r: Readout, indices: readonly number[]): void {
  const U = r.units;
  const inRange = (what: string, i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= U) throw new InputError(`${what} ${i} is out of range: the readout has ${unitWord(r)} 0..${U - 1}`);
  };
  if (o.target.kind === 'unit') indices.forEach((i) => inRange(r.spec.layer === null ? '--neuron' : '--channel', i));
  if (o.target.kind === 'mean') {
    if (o.target.indices.length === 0) throw new InputError('--objective mean needs a non-empty --neurons list');
    o.target.indices.forEach((i) => inRange('--neurons:', i));
  }
  if (o.target.kind === 'weights' && o.target.weights.length !== U) {
    throw new InputError(`--${o.target.source} has ${o.target.weights.length} values; the readout has ${U} ${unitWord(r)} (one value each)`);
  }
  if (o.onehot) {
    if (o.target.kind !== 'unit') throw new InputError('--objective onehot drives one unit: give --neuron N (or --layer/--channel), not a set, weights or a direction');
    if (o.contrast) throw new InputError('--objective onehot already holds every other unit at its baseline; leave --contrast out');
    if (U < 2) throw new InputError('--objective onehot needs a readout of at least two units');
  }
  const c = o.contrast;
  if (c?.kind === 'unit') {
    inRange('--contrast', c.index);
    if (o.target.kind === 'unit' && indices.includes(c.index)) throw new InputError(`--contrast ${c.index} is the unit being optimised; contrast it with another unit`);
  }
  if (c?.kind === 'member' && !(r.spec.perMember && r.members === 2)) throw new InputError('--contrast member:K compares two members: the readout must hold the two members side by side');
  if (c && !(Number.isFinite(c.weight) && c.weight >= 0)) throw new InputError(`--contrast-weight must be a finite number >= 0, got ${c.weight}`);
  if (o.onehot && !(Number.isFinite(o.onehot.weight) && o.onehot.weight >= 0)) throw new InputError(`--onehot-weight must be a finite number >= 0, got ${o.onehot.weight}`);
}

/** The weighting of one member's units (length units) for unit index `i`. */
function baseVector(t: Target, U: number, i: number): Float32Array {
  if (t.kind === 'weights') return Float32Array.from(t.weights);
  const v = new Float32Array(U);
  if (t.kind === 'unit') v[i] = 1;
  else for (const s of t.indices) v[s] += 1 / t.indices.length;
  return v;
}

/**
 * The engine objective of the job with index `i` (a neuron or channel for target 'unit'; unused otherwise) and
 * pole `pole`. `baseline` (the readout of a blank image, length outputs) is needed by the one-hot objective only.
 */
export function objectiveFor(o: ObjectiveSpec, r: Readout, i: number, pole: 'most' | 'least', baseline?: Float32Array): Objective {
  const U = r.units;
  if (o.onehot) {
    if (!baseline || baseline.length !== r.outputs) throw new Error('the one-hot objective needs the readout\'s baseline');
    const sign = pole === 'most' ? -1 : 1, lambda = o.onehot.weight;
    const others = Float32Array.from({ length: U }, (_, m) => (m === i ? 0 : 1 / (U - 1)));
    const b = Float32Array.from(baseline);
    return {
      fn: (y: Tensor) => {
        const dev = y.sub(Tensor.from(b, [1, U], { backend: y.backend })).square().mul(Tensor.from(others, [1, U], { backend: y.backend })).sum(1);
        return y.select(1, i).add(dev.mul(sign * lambda));
      },
    };
  }
  const v = baseVector(o.target, U, i);
  const c = o.contrast;
  if (c?.kind === 'unit') v[c.index] -= c.weight;
  if (c?.kind === 'member') {
    const w = new Float32Array(2 * U);
    w.set(v, 0);
    w.set(v.map((x) => -c.weight * x), U);
    return { weights: w };
  }
  if (r.spec.perMember && r.members > 1) throw new Error('a per-member readout needs a member contrast');
  return o.target.kind === 'unit' && !c ? { neuron: i } : { weights: v };
}

/** A short description of the objective for run records and messages. */
export function describeObjective(o: ObjectiveSpec, r: Readout): Record<string, unknown> {
  const t = o.target;
  return {
    readout: r.spec.layer === null ? 'model outputs' : { layer: r.spec.layer, location: r.spec.location, channels: r.units },
    target: t.kind === 'unit' ? 'unit' : t.kind === 'mean' ? { mean: t.indices } : { [t.source]: Array.from(t.weights) },
    contrast: o.contrast ?? null, onehot: o.onehot ?? null, membersAveraged: r.spec.perMember ? 1 : r.members,
  };
}
