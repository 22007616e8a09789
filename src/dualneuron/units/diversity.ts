// Lucid's diversity term across a batch of seeds (lucid.optvis.objectives.diversity): the activations of a layer
// for each image as a Gram matrix over its positions (C x C), L2-normalised, and the mean over images of the summed
// cosine similarity to every other image of its group: sum_i sum_{j != i} <G_i, G_j> / n. It is added to the loss
// (times its weight), so the images of a group (one objective and pole, several seeds) are pushed apart in style.
// Groups are the runs' `group`; a run without one is alone. With several crops per run, crop c of every run is
// compared with crop c of the others, and the crops' terms are averaged. An ensemble's term is the mean over its
// members of each member's term.
import { Tensor } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import type { RunSpec } from '../synthesis/engine.js';
import { checkLayer, layerOutput, membersOf } from './unit.js';

/** (B, C) per-image Gram matrices, flattened (B, C*C), of a (B, C, H, W), (B, T, D) or (B, C) activation. */
function grams(a: Tensor): Tensor {
  const B = a.shape[0];
  const f = a.rank === 4 ? a.reshape([B, a.shape[1], a.shape[2] * a.shape[3]]).transpose(1, 2) : a.rank === 3 ? a : a.unsqueeze(1); // (B, P, C)
  const g = f.transpose(1, 2).matmul(f); // (B, C, C)
  return g.reshape([B, g.shape[1] * g.shape[2]]);
}

/** The coupling term of the engine (SynthesisOptions.coupling) for `layer` of `model`, checked on a zero image. */
export function diversityTerm(model: Module, layer: string, weight: number, inputShape: readonly number[]): (crops: Tensor, runs: readonly RunSpec[], nc: number) => Tensor {
  checkLayer(model, layer, 'mean', inputShape);
  const members = membersOf(model);
  return (crops, runs, nc) => {
    const K = runs.length;
    const keys = runs.map((r, k) => (r.group === undefined ? `alone ${k}` : `group ${r.group}`));
    const groups = [...new Set(keys)];
    // M (G, K): which runs each group holds, each row divided by the group's size n
    const M = new Float32Array(groups.length * K);
    keys.forEach((key, k) => { const g = groups.indexOf(key); M[g * K + k] = 1 / keys.filter((x) => x === key).length; });
    const m = Tensor.from(M, [groups.length, K], { backend: crops.backend });
    const ones = Tensor.from(M.map((v) => (v > 0 ? 1 : 0)), [groups.length, K], { backend: crops.backend });
    let total: Tensor | null = null;
    for (const member of members) {
      let g = grams(layerOutput(member, layer, crops)); // (K * nc, CC)
      // lucid's tf.nn.l2_normalize: x / sqrt(max(sum x^2, 1e-10))
      g = g.div(g.square().sum(1, true).clamp(1e-10).sqrt());
      const CC = g.shape[1];
      const gk = g.reshape([K, nc * CC]);
      const S = ones.matmul(gk).reshape([groups.length, nc, CC]); // sum over each group's images, per crop
      const self = ones.matmul(g.square().sum(1).reshape([K, nc])); // (G, nc): sum_i <G_i, G_i>
      // sum_{i != j} <G_i, G_j> = |sum_i G_i|^2 - sum_i |G_i|^2, over n images: times 1/n (m's rows hold 1/n)
      const pairs = S.square().sum(2).sub(self); // (G, nc)
      const perGroup = pairs.mul(m.max(1, true)).mean(1); // times 1/n (the largest entry of a row of m), averaged over crops
      const t = perGroup.sum();
      total = total ? total.add(t) : t;
    }
    return total!.mul(weight / members.length);
  };
}
