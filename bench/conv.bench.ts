// conv2d benchmarks: the ResNet50 layer shapes at a 100x100 input and ConvNeXt's depthwise 7x7, forward and
// input gradient, each with the naive kernel (one output per invocation), the kernel 'auto' picks, and PyTorch
// CPU (2 threads) in the same run. Figures are the best of several timed rounds on both sides, which keeps them
// comparable when other work shares the machine (the load average is printed first).
import os from 'node:os';
import { conv2d, keep, randn, tidy, kernelsFor, type Backend, type Tensor } from '../src/tensor/index.js';
import type { Conv2dGeometry, ConvKernel } from '../src/tensor/backend/kernels/conv.js';
import { printRows, runTorch, type Row } from './harness.js';

interface Case { name: string; x: number[]; w: number[]; stride: number; padding: number; groups: number; bias: boolean }

const CASES: Case[] = [
  { name: 'ResNet stem 7x7/2 3->64 100x100', x: [1, 3, 100, 100], w: [64, 3, 7, 7], stride: 2, padding: 3, groups: 1, bias: false },
  { name: 'layer1 1x1 64->64 25x25', x: [1, 64, 25, 25], w: [64, 64, 1, 1], stride: 1, padding: 0, groups: 1, bias: false },
  { name: 'layer1 3x3 64->64 25x25', x: [1, 64, 25, 25], w: [64, 64, 3, 3], stride: 1, padding: 1, groups: 1, bias: false },
  { name: 'layer1 1x1 64->256 25x25', x: [1, 64, 25, 25], w: [256, 64, 1, 1], stride: 1, padding: 0, groups: 1, bias: false },
  { name: 'layer2.0 3x3/2 128->128 25x25', x: [1, 128, 25, 25], w: [128, 128, 3, 3], stride: 2, padding: 1, groups: 1, bias: false },
  { name: 'layer2.0 1x1/2 256->512 25x25', x: [1, 256, 25, 25], w: [512, 256, 1, 1], stride: 2, padding: 0, groups: 1, bias: false },
  { name: 'layer3.0 3x3/2 256->256 13x13', x: [1, 256, 13, 13], w: [256, 256, 3, 3], stride: 2, padding: 1, groups: 1, bias: false },
  { name: 'layer3.0 1x1/2 512->1024 13x13', x: [1, 512, 13, 13], w: [1024, 512, 1, 1], stride: 2, padding: 0, groups: 1, bias: false },
  { name: 'ConvNeXt dw 7x7 40x23x23 b1', x: [1, 40, 23, 23], w: [40, 1, 7, 7], stride: 1, padding: 3, groups: 40, bias: true },
  { name: 'ConvNeXt dw 7x7 40x23x23 b16', x: [16, 40, 23, 23], w: [40, 1, 7, 7], stride: 1, padding: 3, groups: 40, bias: true },
];

const BACKWARD: Case[] = [
  CASES[0],
  CASES[2],
  CASES[6],
  { name: 'ConvNeXt down 2x2/2 40->80 23x23 b8', x: [8, 40, 23, 23], w: [80, 40, 2, 2], stride: 2, padding: 0, groups: 1, bias: false },
  { ...CASES[9], name: 'ConvNeXt dw 7x7 40x23x23 b16', bias: false },
];

function geometry(c: Case): Conv2dGeometry {
  const [N, C, H, W] = c.x, [O, , kH, kW] = c.w;
  const out = (n: number, k: number) => Math.floor((n + 2 * c.padding - k) / c.stride) + 1;
  return { N, C, H, W, O, OH: out(H, kH), OW: out(W, kW), kH, kW, sH: c.stride, sW: c.stride, pT: c.padding, pL: c.padding, dH: 1, dW: 1, groups: c.groups };
}

const flopOf = (c: Case) => { const g = geometry(c); return 2 * g.N * g.O * g.OH * g.OW * (g.C / g.groups) * g.kH * g.kW; };

/** Seconds per call: the best of `rounds` rounds of at least `minSeconds` / rounds each. */
async function bestTime(backend: Backend, fn: () => void, minSeconds: number, rounds = 5): Promise<number> {
  fn();
  await backend.sync();
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let reps = 0;
    const t0 = performance.now();
    while (reps < 200) {
      fn();
      reps++;
      if (reps % 2 === 0) {
        await backend.sync();
        if ((performance.now() - t0) / 1000 >= minSeconds / rounds) break;
      }
    }
    await backend.sync();
    best = Math.min(best, (performance.now() - t0) / 1000 / reps);
  }
  return best;
}

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const minSeconds = opts.quick ? 0.6 : 2;
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs (figures are best-of-rounds)`);
  const torch = runTorch('conv_bench', {
    cases: CASES.map((c) => ({ ...c, flop: flopOf(c) })),
    backward: BACKWARD.map((c) => ({ ...c, flop: flopOf(c) })),
    quick: opts.quick,
  });
  const rows: Row[] = [];
  for (const c of CASES) {
    const x = keep(randn(c.x, { backend })), w = keep(randn(c.w, { backend }));
    const b = c.bias ? keep(randn([c.w[0]], { backend })) : null;
    const is1x1 = c.w[2] === 1 && c.stride === 1 && c.groups === 1;
    const gf: Partial<Record<ConvKernel, number>> = {};
    for (const kernel of ['naive', 'auto', ...(is1x1 ? ['matmul' as const] : [])] as const) {
      const s = await bestTime(backend, () => tidy(() => { conv2d(x, w, b, { stride: c.stride, padding: c.padding, groups: c.groups, kernel }); }), minSeconds);
      gf[kernel] = flopOf(c) / s / 1e9;
    }
    const t = torch?.[c.name] ?? null;
    rows.push({ name: `${c.name} naive`, ours: gf.naive!, unit: 'GFLOP/s', torch: t });
    rows.push({ name: `${c.name} ours`, ours: gf.auto!, unit: 'GFLOP/s', torch: t, note: `${(gf.auto! / gf.naive!).toFixed(1)}x naive` });
    if (gf.matmul) rows.push({ name: `${c.name} matmul path`, ours: gf.matmul, unit: 'GFLOP/s', torch: t, note: `${(gf.matmul / gf.naive!).toFixed(1)}x naive; not chosen on CPU adapters` });
    [x, w, b].forEach((v) => v?.dispose());
  }
  printRows('conv2d forward (f32, NCHW)', rows);

  const k = kernelsFor(backend, 'conv');
  const brows: Row[] = [];
  for (const c of BACKWARD) {
    const g = geometry(c);
    const gy: Tensor = keep(randn([g.N, g.O, g.OH, g.OW], { backend })), w = keep(randn(c.w, { backend }));
    const gf: Partial<Record<ConvKernel, number>> = {};
    for (const kernel of ['naive', 'auto'] as const) {
      const s = await bestTime(backend, () => { backend.free(k.conv2dBackwardInput(backend, gy.backendView('bench'), w.backendView('bench'), null, g, kernel)); }, minSeconds);
      gf[kernel] = flopOf(c) / s / 1e9;
    }
    const t = torch?.[`bw:${c.name}`] ?? null;
    brows.push({ name: `${c.name} naive`, ours: gf.naive!, unit: 'GFLOP/s', torch: t });
    brows.push({ name: `${c.name} ours`, ours: gf.auto!, unit: 'GFLOP/s', torch: t, note: `${(gf.auto! / gf.naive!).toFixed(1)}x naive` });
    [gy, w].forEach((v) => v.dispose());
  }
  printRows('conv2d input gradient (d loss / d x, frozen weights)', brows);
}
