// The HDF5 layout of upstream's poles files (enigma-brain/dualneuron, synthesis/generate.py at e285b46):
// `generate_poles` writes one file per twin, `{v1graytaskdriven|v4colortaskdriven}_results.h5`, and
// `DualNeuronDataset.get_neuron_results(neuron_id, seed=None, activation_type='most')` reads it back.
//
//   /neuron_{id:04d}/seed_{seed}/{least|most}/      group (seed unpadded, e.g. seed_42; ids >= 10000 have 5+ digits)
//       image        float32 (C, H, W), gzip level 4   the final clean image (V1: (1, 93, 93))
//       alpha        float32 (C, H, W), gzip level 4   accumulated |d loss / d image| / max (gray: channel mean, C = 1)
//       activations  float64 (T,), not compressed      |objective| of the clean image after each of the T steps
//                                                       (pixel_ascending's list of Python floats; T = 128)
//     attributes (on the least/most group): model (str, the class name, e.g. 'V1GrayTaskDriven'),
//       neuron_id (int64), seed (int64), weight (int64: -1 least, +1 most), type (str: 'least' | 'most')
//   The root, neuron and seed groups carry no attributes upstream. `least` is written before `most`; a reader
//   listing the seeds of a neuron gets them in h5py's order, by name ('seed_1234' before 'seed_42').
//
// Upstream's V4 path does not write this: fourier_ascending returns a dict, which generate_poles unpacks into its
// keys, so image, alpha and activations hold the strings 'image', 'alpha' and 'activation'. We write V4 files as
// the V1 path does (image and alpha (3, 100, 100), activations float64 (T,)); `import h5` names that broken
// form when it meets it.
//
// What we add (ignored by DualNeuronDataset, which reads only the three datasets):
//   root attributes: dualneuron_model ('v1'), model (the upstream class), neurons (int64), seeds (int64, or
//     uint64 when a seed is >= 2^63), members (int64, when recorded), dualneuron_version, dualneuron_run (the
//     poles folder's run.json, JSON text, when present), dualneuron_source (the folder exported)
//   least/most attributes: dualneuron_activations (float32 (T+1,): our signed trace, with the value before the
//     first step) and dualneuron_done (the result's done.json, JSON text), so that `import h5` restores our
//     folder exactly.
import { TWINS, type TwinId } from '../../models/twins/registry.js';

export const POLES: readonly ['least', 'most'] = ['least', 'most'];
/** upstream's `weight` attribute of each pole */
export const POLE_WEIGHT = { least: -1, most: 1 } as const;
/** gzip level of image and alpha, as upstream */
export const GZIP_LEVEL = 4;

export const neuronGroup = (id: number) => `neuron_${String(id).padStart(4, '0')}`;
export const seedGroup = (seed: bigint) => `seed_${seed}`;
export const NEURON_GROUP = /^neuron_([0-9]{4,})$/;
export const SEED_GROUP = /^seed_([0-9]+)$/;

/** our twin id of an upstream class name (`model` attribute), or null */
export function twinOfUpstreamModel(name: string): TwinId | null {
  return (Object.values(TWINS).find((t) => t.name === name)?.id as TwinId | undefined) ?? null;
}

export const upstreamModelNames = () => Object.values(TWINS).map((t) => t.name);
