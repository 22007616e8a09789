// DreamSim-guided synthesis on the real V1 twin with a small random-weight embedder (a 2-block ViT with the
// deterministic weights of test/helpers/det-weights.ts): the axis runs from the embeddings of vertical to
// horizontal gratings; the guided run's projection onto it ends higher than the unguided run's from the same seed
// while the neuron's activation stays within 20%; a batch of guided runs gives each run's result alone.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, noGrad, interpolate } from '../../src/tensor/index.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { loadPrior } from '../../src/models/weights/store.js';
import { FourierParameterization } from '../../src/dualneuron/synthesis/fourier.js';
import { synthesize, type SynthesisOptions, type RunSpec } from '../../src/dualneuron/synthesis/engine.js';
import { DreamSim } from '../../src/models/dreamsim.js';
import { VisionTransformer, toVitKeys, vitLayoutShapes, type VitConfig } from '../../src/models/vit.js';
import { embedInputs, semanticAxis } from '../../src/dualneuron/dream/axis.js';
import { gpu } from '../helpers/backends.js';
import { detStateDict } from '../helpers/det-weights.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';

const test = suite('guided synthesis');

const TINY: VitConfig = { channels: 3, patchSize: 16, gridSize: 14, width: 48, depth: 2, heads: 4, mlpRatio: 4, act: 'gelu', eps: 1e-6, lnPre: false, projDim: null, output: 'cls' };

export async function tinyEmbedder(): Promise<DreamSim> {
  const g = await gpu();
  const m = new VisionTransformer(TINY, g);
  m.loadStateDict(toVitKeys(detStateDict(vitLayoutShapes(TINY, 'dino')), 'dino'));
  return new DreamSim('tiny', [{ name: 'tiny_dino', model: m, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }]);
}

function grating(vertical: boolean, period: number, phase: number): Float32Array {
  const S = 224, out = new Float32Array(3 * S * S);
  for (let c = 0; c < 3; c++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) out[(c * S + y) * S + x] = 0.5 + 0.5 * Math.sin((2 * Math.PI * (vertical ? x : y)) / period + phase);
  return out;
}

/** The projection the guidance acts on: the image min-max stretched, bilinear to 224, 3 channels, embedded. */
async function projection(model: DreamSim, img: Float32Array, axis: Float32Array): Promise<number> {
  const g = await gpu();
  const x = Tensor.from(img, [1, 1, 93, 93], { backend: g });
  const a = Tensor.from(axis, [axis.length], { backend: g });
  const p = noGrad(() => tidy(() => {
    let u = x.sub(x.min([1, 2, 3], true)).div(x.max([1, 2, 3], true).sub(x.min([1, 2, 3], true)).add(1e-8));
    u = interpolate(u, { size: [224, 224], mode: 'bilinear', alignCorners: false }).expand([1, 3, 224, 224]);
    return model.embed(u).matmul(a);
  }));
  const v = (await p.data())[0];
  [x, a, p].forEach((t) => t.dispose());
  return v;
}

withUpstream(test)('guidance raises the projection onto the axis and keeps the activation within 20% (single and batched)', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const { model } = loadTwin('v1', { members: [1], backend: g, weightsDir: home });
  const ds = await tinyEmbedder();
  const A = [0, 1, 2].map((i) => grating(false, 12 + 4 * i, i)), B = [0, 1, 2].map((i) => grating(true, 12 + 4 * i, i));
  const EA = await embedInputs(ds, A.length, (i) => A[i]), EB = await embedInputs(ds, B.length, (i) => B[i]);
  const axis = semanticAxis(EA, EB, ds.dim);
  const param = new FourierParameterization({ prior: loadPrior('natural_gray', home), valuesRange: [-2, 2], rangeFn: 'sigmoid' });
  const o: SynthesisOptions = {
    steps: 20, optimizer: 'adam', lr: 0.5, lrSchedule: true, etaMin: 0, momentum: 0.9, tvWeight: 1e-4, targetNorm: 12, saveAllSteps: false,
    transforms: { nbCrops: 2, boxSize: [0.9, 1], jitterStd: 0.05, oversample: 1, reflectPadFrac: 0.05, noise: 0.05, targetNorm: 12 },
  };
  const weight = 0.15;
  const runs: RunSpec[] = [{ objective: { neuron: 7 }, pole: 'most', seed: 5n }, { objective: { neuron: 20 }, pole: 'most', seed: 6n }];
  const plain = await synthesize(model, param, runs, o, 458);
  const guided = await synthesize(model, param, runs, { ...o, axis: { embed: (u) => ds.embed(u), axis, weight } }, 458);
  for (let k = 0; k < runs.length; k++) {
    const p0 = await projection(ds, plain[k].image, axis), p1 = await projection(ds, guided[k].image, axis);
    const a0 = plain[k].activations[o.steps], a1 = guided[k].activations[o.steps];
    console.log(`    run ${k}: projection ${p0.toFixed(4)} unguided -> ${p1.toFixed(4)} guided (weight ${weight}); activation ${a0.toFixed(3)} -> ${a1.toFixed(3)} (start ${plain[k].activations[0].toFixed(3)})`);
    assert.ok(p1 > p0, `run ${k}: the guided projection ${p1} is not above the unguided ${p0}`);
    assert.ok(Math.abs(a1 - a0) <= 0.2 * Math.abs(a0), `run ${k}: activation ${a1} is not within 20% of ${a0}`);
  }
  const [alone] = await synthesize(model, param, [runs[1]], { ...o, axis: { embed: (u) => ds.embed(u), axis, weight } }, 458);
  let e = 0;
  for (let i = 0; i < alone.activations.length; i++) e = Math.max(e, Math.abs(alone.activations[i] - guided[1].activations[i]) / Math.abs(alone.activations[i]));
  assert.ok(e < 1e-3, `batched vs alone with guidance differ by ${e}`);
  param.dispose(); ds.dispose(); model.dispose();
});

test.run();
