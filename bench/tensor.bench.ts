// Tensor runtime benchmarks (issue 2): matmul GFLOP/s naive vs tiled, elementwise and reduction GB/s,
// per-dispatch overhead, each beside PyTorch CPU on the same machine.
import { randn, tidy, matmul, type Backend, Tensor, keep } from '../src/tensor/index.js';
import { timeIt, runTorch, printRows, type Row } from './harness.js';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const sizes = opts.quick ? [256, 512] : [256, 512, 1024, 2048];
  const torch = runTorch('tensor_bench', { matmul: sizes, elementwise: 1 << 22, dispatch: 1000 });
  const rows: Row[] = [];
  for (const n of sizes) {
    const a = keep(randn([n, n], { backend })), b = keep(randn([n, n], { backend }));
    const flop = 2 * n ** 3;
    const per: Record<string, number> = {};
    for (const kernel of ['naive', 'tiled', 'auto'] as const) {
      if (kernel === 'naive' && n === 2048 && opts.quick) continue;
      const s = await timeIt(backend, () => tidy(() => { matmul(a, b, { kernel }); }), { minSeconds: 1.5, maxReps: n >= 1024 ? 4 : 50, warmup: 1 });
      per[kernel] = flop / s / 1e9;
      rows.push({ name: `matmul ${n} ${kernel === 'auto' ? 'fast path (vec4 on CPU adapters)' : kernel}`, ours: per[kernel], unit: 'GFLOP/s', torch: torch?.[`matmul${n}`] ?? null });
    }
    rows.push({ name: `matmul ${n} best/naive`, ours: Math.max(per.tiled, per.auto) / per.naive, unit: 'x' });
    a.dispose(); b.dispose();
  }
  printRows('matmul (square, f32)', rows);

  const n = 1 << 22;
  const x = keep(randn([n], { backend })), y = keep(randn([n], { backend }));
  const m = keep(x.reshape([n / 1024, 1024]));
  const bw: Row[] = [];
  const gbs = (bytes: number, s: number) => bytes / s / 1e9;
  bw.push({ name: 'add 4M (2 reads + 1 write)', ours: gbs(12 * n, await timeIt(backend, () => tidy(() => { x.add(y); }))), unit: 'GB/s', torch: torch?.add ?? null });
  bw.push({ name: 'gelu 4M', ours: gbs(8 * n, await timeIt(backend, () => tidy(() => { x.gelu(); }))), unit: 'GB/s', torch: torch?.gelu ?? null });
  bw.push({ name: 'sum 4M -> scalar', ours: gbs(4 * n, await timeIt(backend, () => tidy(() => { x.sum(); }))), unit: 'GB/s', torch: torch?.sum ?? null });
  bw.push({ name: 'row sums 4096 x 1024', ours: gbs(4 * n, await timeIt(backend, () => tidy(() => { m.sum(1); }))), unit: 'GB/s', torch: torch?.rowsum ?? null });
  printRows('elementwise and reductions', bw);
  [x, y, m].forEach((t) => t.dispose());

  const small = keep(Tensor.from(new Float32Array(16), [16], { backend }));
  const k = 1000;
  const s = await timeIt(backend, () => tidy(() => { let t = small; for (let i = 0; i < k; i++) t = t.add(1); }), { minSeconds: 2 });
  printRows('dispatch overhead (1000 chained adds on 16 elements)', [{ name: 'time per op', ours: (s / k) * 1e6, unit: 'us (lower is better)', torch: torch?.dispatch_us ?? null, note: 'ratio < 1 means we are faster' }]);
  small.dispose();
}
