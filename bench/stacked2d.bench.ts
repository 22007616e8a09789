// The Allen notebook's twin (issue 14): Stacked2dCore_pooling (64 channels) + SpatialTransformerPyramid2d + ELU+1 on
// 60 x 96 gray images for one neuron. A training step (train-mode forward with batch statistics, Poisson loss plus
// the Laplace / group sparsity / feature L1 regularisers, backward, Adam) and an eval-mode forward, in images/s at
// batch 32 (8 with --quick), beside the same model in PyTorch (bench/torch/stacked2d_bench.py). PyTorch 1.13 on the
// CPU spends over 80% of its training step in convolution_backward of the pyramid's depthwise (groups = 192)
// convolutions, which take its slow path (profiled with torch.autograd.profiler, batch 8: 5.0 of 6.1 s).
import { Tensor, Generator, tidy, noGrad, rand, keep, type Backend } from '../src/tensor/index.js';
import { Adam } from '../src/nn/optim.js';
import { notebookTwin, initializeEncoder } from '../src/models/encoder.js';
import { timeIt, runTorch, printRows, type Row } from './harness.js';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const B = opts.quick ? 8 : 32;
  const t = { warmup: 1, minSeconds: opts.quick ? 1 : 3, maxReps: opts.quick ? 2 : 20 };
  const torch = runTorch('stacked2d_bench', { batch: B, min_s: t.minSeconds, max_reps: t.maxReps });
  const model = notebookTwin({ neurons: 1, backend, readout: { featureRegWeight: 0.05 } });
  initializeEncoder(model, 0n);
  model.requiresGrad_(true).train();
  const adam = new Adam(model.parameters(), { lr: 1e-3 });
  const x = keep(rand([B, 1, 60, 96], { backend, generator: new Generator(1n) }));
  const y = keep(Tensor.from(Array.from({ length: B }, (_, i) => i % 4), [B, 1], { backend }));
  const train = await timeIt(backend, () => {
    tidy(() => {
      const r = model.forward(x);
      r.sub(y.mul(r.add(1e-12).log())).mean().add(model.regularizer()).backward();
    });
    adam.step(); adam.zeroGrad();
  }, t);
  model.eval();
  const ev = await timeIt(backend, () => noGrad(() => tidy(() => { model.forward(x); })), t);
  const rows: Row[] = [
    { name: `training step (forward, Poisson + regularisers, backward, Adam), batch ${B}`, ours: B / train, unit: 'images/s', torch: torch?.train ?? null },
    { name: `eval forward, batch ${B}`, ours: B / ev, unit: 'images/s', torch: torch?.eval ?? null },
  ];
  x.dispose(); y.dispose(); adam.dispose(); model.dispose();
  printRows("Allen notebook twin (Stacked2dCore_pooling 64 ch + pyramid readout, 1 x 60 x 96)", rows);
}
