// Twin training speed (issue 14): images/s of the trainer's own step (src/dualneuron/train/trainer.ts trainStep:
// forward in train mode, Poisson loss summed and scaled by sqrt(training images / batch) as standard_trainer, plus
// the Laplace / group sparsity / feature L1 regularisers, backward, the global gradient norm read back, Adam) at
// batch 32 on the Allen notebook's model as `dualneuron train` builds it (buildTwinModel of stacked2dArchitecture:
// Stacked2dCore_pooling, 3 layers, input kernel 4, hidden kernel 3, SpatialTransformerPyramid2d scaleN 3, ELU+1) for
// 100 neurons on 60 x 96 gray images, with the train command's defaults (lr 0.005, feature L1 weight 1, no clipping).
// Each step uploads its batch from host arrays, as the trainer's epoch loop does. 64 channels (the notebook's) and
// 32. Beside it the same model, loss, regularisers and Adam in PyTorch (bench/torch/train_bench.py), in this run.
import { Tensor, type Backend } from '../src/tensor/index.js';
import { Adam } from '../src/nn/optim.js';
import { initializeEncoder } from '../src/models/encoder.js';
import { buildTwinModel, stacked2dArchitecture } from '../src/dualneuron/train/architecture.js';
import { trainStep } from '../src/dualneuron/train/trainer.js';
import { DEFAULT_TRAIN } from '../src/dualneuron/train/options.js';
import { runTorch, printRows, type Row } from './harness.js';

/** the bench's fixed sizes: shared with the PyTorch side through its JSON arguments */
export const TRAIN_BENCH = { batch: 32, neurons: 100, height: 60, width: 96, trainImages: 1024, featureReg: 1, lr: DEFAULT_TRAIN.lr };

/** a seeded batch on the host: images in [0, 1), Poisson-like integer counts 0..4 */
function hostBatch(seed: number, B: number): { x: Float32Array; y: Float32Array } {
  const { neurons: N, height: H, width: W } = TRAIN_BENCH;
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = new Float32Array(B * H * W).map(() => next());
  const y = new Float32Array(B * N).map(() => Math.floor(next() * 5));
  return { x, y };
}

/**
 * The bench's model and optimiser as `dualneuron train` builds them, and one trainer step on host batch i (two
 * seeded batches alternate); also used by bench/profile-train.ts.
 */
export function trainBenchStep(backend: Backend, channels: number, batch = TRAIN_BENCH.batch): { step: (i: number) => Promise<void>; dispose: () => void } {
  const { neurons: N, height: H, width: W } = TRAIN_BENCH, B = batch;
  const model = buildTwinModel(stacked2dArchitecture(N, [H, W], { hiddenChannels: channels }, { featureRegWeight: TRAIN_BENCH.featureReg }), backend);
  initializeEncoder(model, 0n);
  model.requiresGrad_(true).train();
  const adam = new Adam(model.parameters(), { lr: TRAIN_BENCH.lr });
  const batches = [hostBatch(1, B), hostBatch(2, B)];
  const opts = { loss: 'poisson' as const, reduction: 'sum' as const, scale: Math.sqrt(TRAIN_BENCH.trainImages / B), clip: 0 };
  const step = async (i: number) => {
    const b = batches[i % batches.length]!;
    const x = Tensor.from(b.x, [B, 1, H, W], { backend }), y = Tensor.from(b.y, [B, N], { backend });
    const r = await trainStep(model, adam, x, y, opts);
    x.dispose(); y.dispose();
    if (!Number.isFinite(r.loss)) throw new Error(`train bench: the loss became ${r.loss} at step ${i}`);
  };
  return { step, dispose: () => { adam.dispose(); model.dispose(); } };
}

/** seconds per trainer step after `warmup` untimed steps, over `steps` timed ones (each step reads its loss back) */
async function timeSteps(backend: Backend, channels: number, warmup: number, steps: number): Promise<number> {
  const { step, dispose } = trainBenchStep(backend, channels);
  try {
    for (let i = 0; i < warmup; i++) await step(i);
    await backend.sync();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step(warmup + i);
    await backend.sync();
    return (performance.now() - t0) / 1000 / steps;
  } finally {
    dispose();
  }
}

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  // a step of the notebook's model takes seconds on both sides on a 2-core CPU: few steps, each of 32 images
  const warmup = opts.quick ? 1 : 2, steps = opts.quick ? 2 : 5;
  const rows: Row[] = [];
  for (const channels of [64, 32]) {
    const torch = runTorch('train_bench', { ...TRAIN_BENCH, channels, warmup, steps });
    const s = await timeSteps(backend, channels, warmup, steps);
    rows.push({
      name: `training step, ${channels} channels${channels === 64 ? " (the notebook's)" : ''}, ${TRAIN_BENCH.neurons} neurons, batch ${TRAIN_BENCH.batch}`,
      ours: TRAIN_BENCH.batch / s, unit: 'images/s', torch: torch?.train ?? null,
      note: `${warmup} warm-up + ${steps} timed steps; ours ${(s * 1000).toFixed(0)} ms/step${torch?.train ? `, PyTorch ${(1000 * TRAIN_BENCH.batch / torch.train).toFixed(0)} ms/step on ${torch.threads} threads` : ''}`,
    });
  }
  printRows(`Twin training (trainer step: forward, Poisson + regularisers, backward, Adam; 1 x ${TRAIN_BENCH.height} x ${TRAIN_BENCH.width})`, rows);
}
