// What synthesis objectives are written over: a model read as a vector of units per image. Either the model's own
// outputs (a twin's neurons, a classifier's logits) or the channels of one of its modules at a location (a unit
// is one of them: --layer NAME --channel C). An ensemble's readout is the mean over its members, as its outputs
// are; `perMember` puts the members side by side instead (member-major), for objectives that compare members
// ("model A minus model B").
import { type Tensor, concat, noGrad, tidy, zeros } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import type { Backend } from '../../tensor/index.js';
import { atLocation, type Location } from '../screening/extract.js';
import { channelsOf, checkLayer, layerOutput, membersOf } from './unit.js';

export interface ReadoutSpec {
  /** null: the model's outputs */
  layer: string | null;
  location: Location;
  perMember?: boolean;
}

export interface Readout {
  spec: ReadoutSpec;
  readonly backend: Backend;
  /** x (B, C, H, W) model space -> (B, outputs) */
  forward(x: Tensor): Tensor;
  /** units of one member (neurons, logits or channels) */
  units: number;
  /** members averaged (or side by side with perMember) */
  members: number;
  /** values per image: units, or members * units with perMember */
  outputs: number;
  /** the layer's output shape for one image (null: the model's outputs) */
  layerShape: number[] | null;
}

/** Checks the layer and location on a zero image (before any work) and returns the readout. */
export function openReadout(model: Module, spec: ReadoutSpec, inputShape: readonly number[]): Readout {
  const members = membersOf(model);
  const layerShape = spec.layer === null ? null : checkLayer(model, spec.layer, spec.location, inputShape);
  const one = (m: Module, x: Tensor): Tensor => (spec.layer === null ? m.forward(x) : atLocation(layerOutput(m, spec.layer, x), spec.location));
  const units = layerShape ? channelsOf(layerShape) : noGrad(() => tidy(() => one(members[0], zeros([1, ...inputShape], { backend: model.backend })).shape[1]));
  const forward = (x: Tensor): Tensor => {
    if (spec.perMember) return members.length === 1 ? one(members[0], x) : concat(members.map((m) => one(m, x)), 1);
    // the model's own forward is its members' mean (and checks its input)
    if (spec.layer === null) return model.forward(x);
    let acc: Tensor | null = null;
    for (const m of members) { const y = one(m, x); acc = acc ? acc.add(y) : y; }
    return members.length === 1 ? acc! : acc!.mul(1 / members.length);
  };
  return { spec, backend: model.backend, forward, units, members: members.length, outputs: spec.perMember ? units * members.length : units, layerShape };
}
