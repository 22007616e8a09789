// FFT benchmarks at the synthesis sizes: fft2 of complex (k, 1, 93, 93) and (k, 3, 100, 100) batches, and the
// Fourier-parameterised image real(ifft2(polar(M, phi))) forward and forward+backward to phi, beside torch.fft on
// PyTorch CPU (2 threads). Figures: 2-D transforms per second (one per image and channel) and GFLOP/s counted
// as 5 N log2 N per transform (N = H W), the usual FFT convention.
import { randn, rand, tidy, keep, fft2, ifft2, polar, real, type Backend, type Tensor } from '../src/tensor/index.js';
import { runTorch, printRows, type Row } from './harness.js';

const CASES = [
  { C: 1, H: 93, W: 93 },
  { C: 3, H: 100, W: 100 },
];

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const batches = opts.quick ? [1, 16] : [1, 16, 128];
  const torch = runTorch('fft_bench', { cases: CASES, batches, min_s: opts.quick ? 0.5 : 1.5 });
  const minSeconds = opts.quick ? 0.5 : 1.5;
  // Seconds per call, synchronising after every call: at (128, 3, 100, 100) one call holds ~250 MB of buffers,
  // and timeIt's four unsynchronised calls made the pool trim and reallocate (fresh GPU memory is slow to touch
  // on CPU adapters), which measured allocation instead of transforms. A sync costs ~0.1 ms, small beside a call.
  const secs = async (fn: () => void) => {
    for (let i = 0; i < 2; i++) { fn(); await backend.sync(); }
    let reps = 0;
    const t0 = performance.now();
    while (reps < 500 && (performance.now() - t0) / 1000 < minSeconds) { fn(); await backend.sync(); reps++; }
    return (performance.now() - t0) / 1000 / reps;
  };
  const rows: Row[] = [];
  const gflops: Row[] = [];
  for (const { C, H, W } of CASES) {
    const flop = 5 * H * W * Math.log2(H * W);
    for (const k of batches) {
      const n = k * C;
      const tag = `${H}x${W} (${k},${C})`;
      const key = `${H}_${k}`;
      const z = keep(randn([k, C, H, W, 2], { backend }));
      const t1 = await secs(() => tidy(() => { fft2(z); }));
      rows.push({ name: `fft2 ${tag}`, ours: n / t1, unit: 'transforms/s', torch: torch ? n / torch[`fft2_${key}`] : null });
      gflops.push({ name: `fft2 ${tag}`, ours: (n * flop) / t1 / 1e9, unit: 'GFLOP/s', torch: torch ? (n * flop) / torch[`fft2_${key}`] / 1e9 : null });
      z.dispose();

      const M = keep(rand([C, H, W], { backend, low: 0.5, high: 2 }));
      const phi = keep(rand([k, C, H, W], { backend, low: -Math.PI, high: Math.PI }));
      const img = (p: Tensor) => real(ifft2(polar(M, p)));
      const t2 = await secs(() => tidy(() => { img(phi); }));
      rows.push({ name: `real(ifft2(polar(M, phi))) ${tag}`, ours: n / t2, unit: 'images/s', torch: torch ? n / torch[`synth_${key}`] : null });
      const pg = keep(phi.detach().requiresGrad_());
      const g = keep(randn([k, C, H, W], { backend }));
      const t3 = await secs(() => tidy(() => { pg.zeroGrad(); img(pg).backward(g); }));
      rows.push({ name: `  forward+backward to phi`, ours: n / t3, unit: 'images/s', torch: torch ? n / torch[`synth_bw_${key}`] : null });
      [M, phi, pg, g].forEach((t) => t.dispose());
    }
  }
  printRows('FFT (complex64 / f32 pairs), higher is better', rows);
  printRows('FFT throughput by 5 N log2 N', gflops);
}
