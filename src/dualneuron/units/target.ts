// A synthesis command's objective opened on its model: the readout (checked on a zero image), the objectives'
// ranges checked, the baseline a one-hot objective holds the others at (the readout of the blank, all-zero
// model-space image), and the diversity coupling. Everything here fails before any optimisation.
import { noGrad, tidy, zeros } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import { InputError } from '../../errors.js';
import type { Objective, SynthesisOptions } from '../synthesis/engine.js';
import { openReadout, type Readout, type ReadoutSpec } from './readout.js';
import { checkObjective, describeObjective, objectiveFor, type ObjectiveSpec } from './objectives.js';
import { diversityTerm } from './diversity.js';

export interface TargetSpec { readout: ReadoutSpec; spec: ObjectiveSpec; diversity: { weight: number; layer: string } | null }

export interface OpenedTarget {
  readout: Readout;
  objectiveOf(j: { neuron: number; pole: 'most' | 'least' }): Objective;
  coupling: SynthesisOptions['coupling'];
  /** for run records */
  description: Record<string, unknown>;
}

/** `indices`: the jobs' neurons (channels); `seedsPerGroup`: how many seeds each (index, pole) has (diversity needs 2+). */
export async function openTarget(model: Module, t: TargetSpec, inputShape: readonly number[], indices: readonly number[], seedsPerGroup: number): Promise<OpenedTarget> {
  const readout = openReadout(model, t.readout, inputShape);
  checkObjective(t.spec, readout, indices);
  let baseline: Float32Array | undefined;
  if (t.spec.onehot) {
    const y = noGrad(() => tidy(() => readout.forward(zeros([1, ...inputShape], { backend: model.backend }))));
    baseline = await y.dataF32();
    y.dispose();
  }
  let coupling: SynthesisOptions['coupling'] = null;
  if (t.diversity) {
    if (seedsPerGroup < 2) throw new InputError(`--diversity pushes the images of several seeds apart: give --seeds K with K >= 2 (got ${seedsPerGroup} seed)`);
    coupling = diversityTerm(model, t.diversity.layer, t.diversity.weight, inputShape);
  }
  return {
    readout, coupling,
    objectiveOf: (j) => objectiveFor(t.spec, readout, j.neuron, j.pole, baseline),
    description: { ...describeObjective(t.spec, readout), diversity: t.diversity, baseline: baseline ? Array.from(baseline) : undefined },
  };
}
