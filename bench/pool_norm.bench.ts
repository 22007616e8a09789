// Pooling and normalisation benchmarks: maxPool2d 3x3/2 pad 1 (ResNet stem), channels-first LayerNorm (ConvNeXt
// V1 twin sizes) and eval-mode BatchNorm (ResNet layer1 sizes), forward and forward+backward, beside PyTorch CPU.
import { randn, rand, tidy, keep, maxPool2d, layerNorm2d, batchNorm, type Backend, type Tensor } from '../src/tensor/index.js';
import { timeIt, runTorch, printRows, type Row } from './harness.js';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const batches = [1, 16];
  const torch = runTorch('pool_norm_bench', { maxpool: batches });
  const minSeconds = opts.quick ? 0.5 : 1.5;
  const ms = async (fn: () => void, maxReps = 200) => 1e3 * (await timeIt(backend, fn, { minSeconds, maxReps, warmup: 4 }));
  /** forward + backward of f at x with a fixed output gradient */
  const fwdBwd = (f: (x: Tensor) => Tensor, x: Tensor) => {
    const xg = keep(x.detach().requiresGrad_());
    const g = keep(tidy(() => randn([...f(x).shape], { backend })));
    return { step: () => tidy(() => { xg.zeroGrad(); f(xg).backward(g); }), dispose: () => { xg.dispose(); g.dispose(); } };
  };
  const note = 'ms per call, lower is better; ratio < 1 means we are faster';
  const rows: Row[] = [];

  for (const n of batches) {
    const x = keep(randn([n, 64, 50, 50], { backend }));
    const f = (t: Tensor) => maxPool2d(t, { kernelSize: 3, stride: 2, padding: 1 });
    rows.push({ name: `maxPool2d 3x3/2 pad 1 (${n},64,50,50)`, ours: await ms(() => tidy(() => { f(x); })), unit: 'ms', torch: torch?.[`maxpool${n}`] ?? null, note });
    const fb = fwdBwd(f, x);
    rows.push({ name: `  forward+backward`, ours: await ms(fb.step), unit: 'ms', torch: torch?.[`maxpool${n}_bw`] ?? null });
    fb.dispose();
    x.dispose();
  }

  {
    const x = keep(randn([16, 40, 23, 23], { backend }));
    const w = keep(randn([40], { backend })), b = keep(randn([40], { backend }));
    const f = (t: Tensor) => layerNorm2d(t, w, b, 1e-6);
    rows.push({ name: 'layerNorm2d (16,40,23,23)', ours: await ms(() => tidy(() => { f(x); })), unit: 'ms', torch: torch?.ln2d ?? null,
      note: `PyTorch: HF ConvNextLayerNorm ops; F.layer_norm on a permuted view ${torch?.ln2d_native?.toFixed(2) ?? 'n/a'} ms` });
    const fb = fwdBwd(f, x);
    rows.push({ name: '  forward+backward (input grad)', ours: await ms(fb.step), unit: 'ms', torch: torch?.ln2d_bw ?? null });
    fb.dispose();
    [x, w, b].forEach((t) => t.dispose());
  }

  {
    const x = keep(randn([16, 256, 25, 25], { backend }));
    const rm = keep(randn([256], { backend })), rv = keep(rand([256], { backend, low: 0.5, high: 1.5 }));
    const w = keep(randn([256], { backend })), b = keep(randn([256], { backend }));
    rows.push({ name: 'batchNorm eval (16,256,25,25)', ours: await ms(() => tidy(() => { batchNorm(x, rm, rv, w, b, { training: false }); })), unit: 'ms', torch: torch?.bn_eval ?? null });
    [x, rm, rv, w, b].forEach((t) => t.dispose());
  }
  printRows('pooling and normalisation (f32)', rows);
}
