// How well a trained twin predicts recorded data: per neuron the Pearson correlation of the twin's rate with the
// mean response over repeats, over the images of a split; the jackknife oracle of the same neuron on the same
// images (reliability/oracle.ts); and their ratio, the fraction of the oracle. Neurons are matched by id; images
// of the split are those the manifest lists for it (the split made at training), or every image with 'all'.
import { InputError } from '../../errors.js';
import { Tensor, noGrad, tidy } from '../../tensor/index.js';
import type { RecordedData } from '../recorded/types.js';
import { repeatGroups } from '../recorded/types.js';
import { jackknifeOracle } from '../reliability/oracle.js';
import { meanResponses } from './data.js';
import { perNeuronCorrelation } from './correlation.js';
import type { TrainedTwin } from './trained-twin.js';
import { median as medianOf } from '../../util/median.js';

export type EvalSplit = 'test' | 'validation' | 'train' | 'all';

export interface NeuronEvaluation {
  index: number; id: string; data_index: number; images: number;
  correlation: number | null; oracle: number | null; fraction_of_oracle: number | null; skip: string | null;
}

export interface Evaluation { split: EvalSplit; images: number[]; neurons: NeuronEvaluation[]; medianCorrelation: number | null; medianFraction: number | null }

/** the median, or null for no values */
export function median(xs: readonly number[]): number | null {
  return xs.length ? medianOf(xs) : null;
}

/** which images of the data form the split (by id, as the manifest recorded them) */
export function splitImagesOf(twin: TrainedTwin, rec: RecordedData, split: EvalSplit): number[] {
  if (split === 'all') return rec.imageIds.map((_, i) => i);
  const ids = new Set(split === 'test' ? twin.manifest.data.split.test_ids : split === 'validation' ? twin.manifest.data.split.validation_ids : twin.manifest.data.split.train_ids);
  const out = rec.imageIds.flatMap((id, i) => (ids.has(id) ? [i] : []));
  if (out.length < 2) {
    throw new InputError(`${rec.source}: ${out.length} of its images are ${split} images of the twin ${twin.dir} (it lists ${ids.size}); ` +
      'give the data the twin was trained on, or --split all for other data');
  }
  return out;
}

/** data neuron index of each twin neuron (by id); every twin neuron must be in the data */
export function matchNeurons(twin: TrainedTwin, rec: RecordedData): number[] {
  const at = new Map(rec.neuronIds.map((id, n) => [id, n]));
  const missing = twin.neuronIds.filter((id) => !at.has(id));
  if (missing.length) {
    throw new InputError(`${rec.source}: neuron id(s) ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` and ${missing.length - 8} more` : ''} of the twin ${twin.dir} ` +
      `are not in the data (it has ${rec.neuronIds.length} neurons: ${rec.neuronIds.slice(0, 5).join(', ')}${rec.neuronIds.length > 5 ? ', ...' : ''}); evaluate a twin on data of its own neurons`);
  }
  return twin.neuronIds.map((id) => at.get(id)!);
}

export async function evaluateTwin(twin: TrainedTwin, rec: RecordedData, split: EvalSplit, batch = 32): Promise<Evaluation> {
  if (!rec.images) throw new InputError(`${rec.source}: no images; a trial table or matrix needs --images`);
  const images = splitImagesOf(twin, rec, split);
  const dataIndex = matchNeurons(twin, rec);
  const N = twin.spec.neurons, [C, H, W] = twin.spec.inputShape;
  const pred = new Float32Array(images.length * N);
  for (let s = 0; s < images.length; s += batch) {
    const idx = images.slice(s, s + batch);
    const x = twin.inputsFromStack(rec.images, idx);
    const y = noGrad(() => tidy(() => twin.forward(Tensor.from(x, [idx.length, C, H, W], { backend: twin.backend }))));
    pred.set(await y.dataF32(), s * N);
    y.dispose();
  }
  const means = meanResponses(rec), DN = rec.responses.neurons;
  const neurons: NeuronEvaluation[] = dataIndex.map((dn, n) => {
    const keep = images.map((i, j) => ({ j, v: means[i * DN + dn]! })).filter((e) => !Number.isNaN(e.v));
    const p = keep.map((e) => pred[e.j * N + n]!), t = keep.map((e) => e.v);
    const corr = perNeuronCorrelation(p, t, keep.length, 1)[0] ?? null;
    const groups = repeatGroups(rec.responses, dn);
    const oracle = jackknifeOracle(images.map((i) => groups[i]!));
    let skip: string | null = null;
    if (corr === null) skip = keep.length < 2 ? 'fewer than 2 images with responses' : 'constant responses or predictions';
    else if (oracle === null) skip = 'no oracle (fewer than 2 images with 2+ repeats, or constant responses)';
    const frac = corr !== null && oracle !== null && oracle > 0 ? corr / oracle : null;
    if (skip === null && frac === null) skip = `oracle ${oracle!.toFixed(3)} <= 0: fraction undefined`;
    return { index: n, id: twin.neuronIds[n]!, data_index: dn, images: keep.length, correlation: corr, oracle, fraction_of_oracle: frac, skip };
  });
  return {
    split, images, neurons,
    medianCorrelation: median(neurons.flatMap((e) => (e.correlation === null ? [] : [e.correlation]))),
    medianFraction: median(neurons.flatMap((e) => (e.fraction_of_oracle === null ? [] : [e.fraction_of_oracle]))),
  };
}
