// What a screen measures: a twin's neurons, or the units of any named internal module (as upstream's
// ActivationExtractor), read at a location ('center', 'mean' or a pixel / token).
import { Tensor } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import { InputError, ShapeError } from '../../errors.js';

export type Location = 'center' | 'mean' | [number, number] | number;

export interface Screenable {
  /** (B, C, H, W) model-space input -> (B, units) */
  run(x: Tensor): Tensor;
  units: number;
  /** used in output folder names (upstream: <model>_<layer>_<dataset>_ordered_...) */
  layerName: string;
}

/** Thrown inside forward once the target module has produced its output, to skip the rest of the model. */
class Captured extends Error { constructor(readonly value: Tensor) { super('captured'); } }

/** Reduce a 4-D (B,C,H,W), 3-D (B,T,C) or 2-D (B,U) activation to (B, units) at `location`. */
export function atLocation(a: Tensor, loc: Location): Tensor {
  if (a.rank === 2) return a;
  if (a.rank === 4) {
    const [, , H, W] = a.shape;
    if (loc === 'mean') return a.mean([2, 3]);
    const [h, w] = loc === 'center' ? [Math.floor(H / 2), Math.floor(W / 2)] : typeof loc === 'number' ? [loc, loc] : loc;
    if (h < 0 || h >= H || w < 0 || w >= W) throw new ShapeError(`location (${h}, ${w}) is outside the ${H}x${W} activation map`);
    return a.select(3, w).select(2, h);
  }
  if (a.rank === 3) {
    const [, T] = a.shape;
    if (loc === 'mean') return a.mean(1);
    const t = loc === 'center' ? Math.floor(T / 2) : typeof loc === 'number' ? loc : loc[0];
    if (t < 0 || t >= T) throw new ShapeError(`token ${t} is outside the ${T} tokens`);
    return a.select(1, t);
  }
  throw new ShapeError(`cannot screen an activation of shape [${a.shape.join(', ')}]`);
}

/** Screen the output of module `layer` of `model` (the whole model when layer is null). */
export function layerScreen(model: Module, layer: string | null, loc: Location, probe: Tensor): Screenable {
  let target: Module | null = null;
  if (layer) {
    const names = [...model.namedModules()].map(([n]) => n);
    if (!names.includes(layer)) {
      throw new InputError(`no module named '${layer}' in this model. Some of its modules:\n  ${names.filter(Boolean).slice(0, 60).join('\n  ')}`);
    }
    target = model.getSubmodule(layer);
  }
  const run = (x: Tensor): Tensor => {
    if (!target) return atLocation(model.forward(x), loc);
    const t = target;
    const orig = t.forward;
    t.forward = (...args: Tensor[]) => { throw new Captured(orig.apply(t, args)); };
    try {
      model.forward(x);
      throw new InputError(`module '${layer}' was not called during the forward pass`);
    } catch (e) {
      if (e instanceof Captured) return atLocation(e.value, loc);
      throw e;
    } finally {
      t.forward = orig;
    }
  };
  const units = run(probe).shape[1];
  return { run, units, layerName: layer ?? 'None' };
}
