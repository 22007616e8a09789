// Sampling benchmarks: the twins' readout gridSample (V4: (16,1024,7,7) at (16,394,1,2); V1: (64,80,11,11) at
// (64,458,1,2)), the synthesis crops (roiAlign of 4 boxes from (1,3,110,110) to 100x100, aligned, adaptive) and
// the bicubic antialiased resize (4,3,236,236) -> 100x100, forward and forward+backward, beside PyTorch CPU.
import { randn, rand, tidy, keep, gridSample, roiAlign, interpolate, type Backend, type Tensor } from '../src/tensor/index.js';
import { timeIt, runTorch, printRows, type Row } from './harness.js';

/** the crops of the synthesis: 4 boxes of 20-25% of a 110-pixel padded image, jittered around the centre */
export const CROP_BOXES = [[0, 30.1, 28.7, 56.4, 55.2], [0, 40.5, 33.0, 63.3, 55.8], [0, 25.2, 41.9, 52.6, 69.3], [0, 44.8, 37.6, 68.9, 61.7]];

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const torch = runTorch('sampling_bench', { boxes: CROP_BOXES });
  const minSeconds = opts.quick ? 0.5 : 1.5;
  const ms = async (fn: () => void, maxReps = 200) => 1e3 * (await timeIt(backend, fn, { minSeconds, maxReps, warmup: 3 }));
  /** forward + backward of f at the inputs (gradients to those marked) with a fixed output gradient */
  const fwdBwd = (f: (...xs: Tensor[]) => Tensor, xs: Tensor[], grads: boolean[]) => {
    const xg = xs.map((x, k) => keep(grads[k] ? x.detach().requiresGrad_() : x.detach()));
    const g = keep(tidy(() => randn([...f(...xs).shape], { backend })));
    return {
      step: () => tidy(() => { xg.forEach((x) => x.zeroGrad()); f(...xg).backward(g); }),
      dispose: () => { xg.forEach((x) => x.dispose()); g.dispose(); },
    };
  };
  const note = 'ms per call, lower is better; ratio < 1 means we are faster';
  const rows: Row[] = [];

  for (const [name, shape, points] of [['V4 readout', [16, 1024, 7, 7], 394], ['V1 readout', [64, 80, 11, 11], 458]] as const) {
    const x = keep(randn([...shape], { backend }));
    const grid = keep(rand([shape[0], points, 1, 2], { backend, low: -1, high: 1 }));
    const f = (a: Tensor, g: Tensor) => gridSample(a, g, { alignCorners: true });
    const key = name.startsWith('V4') ? 'v4' : 'v1';
    rows.push({ name: `gridSample ${name} (${shape.join(',')}) at (${shape[0]},${points},1,2)`, ours: await ms(() => tidy(() => { f(x, grid); })),
      unit: 'ms', torch: torch?.[`grid_${key}`] ?? null, note });
    const fb = fwdBwd(f, [x, grid], [true, true]);
    rows.push({ name: '  forward+backward (x and grid)', ours: await ms(fb.step, 50), unit: 'ms', torch: torch?.[`grid_${key}_bw`] ?? null });
    fb.dispose();
    x.dispose(); grid.dispose();
  }

  {
    const x = keep(randn([1, 3, 110, 110], { backend }));
    const f = (a: Tensor) => roiAlign(a, CROP_BOXES, [100, 100], { aligned: true });
    rows.push({ name: 'roiAlign 4 boxes (1,3,110,110) -> 100x100', ours: await ms(() => tidy(() => { f(x); })), unit: 'ms', torch: torch?.roi ?? null });
    const fb = fwdBwd(f, [x], [true]);
    rows.push({ name: '  forward+backward', ours: await ms(fb.step, 50), unit: 'ms', torch: torch?.roi_bw ?? null });
    fb.dispose();
    x.dispose();
  }

  {
    const x = keep(randn([4, 3, 236, 236], { backend }));
    const f = (a: Tensor) => interpolate(a, { size: [100, 100], mode: 'bicubic', antialias: true });
    rows.push({ name: 'bicubic antialias (4,3,236,236) -> 100x100', ours: await ms(() => tidy(() => { f(x); })), unit: 'ms', torch: torch?.aa ?? null });
    const fb = fwdBwd(f, [x], [true]);
    rows.push({ name: '  forward+backward', ours: await ms(fb.step, 50), unit: 'ms', torch: torch?.aa_bw ?? null });
    fb.dispose();
    x.dispose();
  }
  printRows('sampling (f32)', rows);
}
