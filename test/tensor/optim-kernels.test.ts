// The fused optimiser kernels (`optim` family) on WebGPU against the float64 CPU oracle (whose trajectories are
// checked against PyTorch in test/nn/optim.test.ts): several steps, odd sizes, views at element offsets inside
// larger storage, every option; the optimisers on a non-contiguous parameter; argument errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu, adamUpdate_, sgdUpdate_, type Backend, type AdamStep, type SgdStep } from '../../src/tensor/index.js';
import { Adam, SGD } from '../../src/nn/optim.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import { gpu, assertClose, seededValues } from '../helpers/backends.js';

const test = suite('fused optimiser kernels');

/** n values at element offset `at` of a storage of n + at + 3 elements (a view, as parameters of a packed model) */
function viewAt(b: Backend, values: Float32Array, at: number): Tensor {
  const all = new Float32Array(values.length + at + 3).fill(7);
  all.set(values, at);
  return Tensor.from(all, [all.length], { backend: b }).slice([[at, at + values.length]]);
}

interface Case { n: number; steps: number; adam?: Omit<AdamStep, 'first' | 'stepSize' | 'invSqrtBc2'> & { lr: number }; sgd?: Omit<SgdStep, 'first'> }
const CASES: Case[] = [
  { n: 1, steps: 3, adam: { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0, maximize: false } },
  { n: 257, steps: 4, adam: { lr: 0.03, b1: 0.8, b2: 0.99, eps: 1e-6, weightDecay: 0.05, maximize: true } },
  { n: 1000, steps: 3, sgd: { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01, maximize: false } },
  { n: 333, steps: 3, sgd: { lr: 0.2, momentum: 0.7, dampening: 0.25, nesterov: false, weightDecay: 0, maximize: true } },
  { n: 65, steps: 2, sgd: { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.1, maximize: false } },
];

/** Run the case's steps on backend b; the gradients are fixed per step; returns p, and the state after the last step. */
async function runCase(b: Backend, c: Case, k: number): Promise<number[][]> {
  const p = viewAt(b, seededValues(c.n, 10 + k), 5);
  const s1 = viewAt(b, new Float32Array(c.n), 2), s2 = viewAt(b, new Float32Array(c.n), 9);
  for (let t = 1; t <= c.steps; t++) {
    tidy(() => {
      // a gradient at an offset too, and non-contiguous on even steps (the op makes it contiguous)
      const gv = seededValues(c.n, 100 * k + t);
      const g = t % 2 ? viewAt(b, gv, 3) : Tensor.from(gv, [1, c.n], { backend: b }).expand([2, c.n]).select(0, 1);
      if (c.adam) {
        const a = c.adam;
        adamUpdate_(p, g, s1, s2, { ...a, first: t === 1, stepSize: a.lr / (1 - a.b1 ** t), invSqrtBc2: 1 / Math.sqrt(1 - a.b2 ** t) });
      } else {
        sgdUpdate_(p, g, c.sgd!.momentum ? s1 : null, { ...c.sgd!, first: t === 1 });
      }
    });
  }
  const out = [Array.from(await p.data() as ArrayLike<number>), Array.from(await s1.data() as ArrayLike<number>), Array.from(await s2.data() as ArrayLike<number>)];
  p.dispose(); s1.dispose(); s2.dispose();
  return out;
}

CASES.forEach((c, k) => {
  test(`${c.adam ? 'adam' : 'sgd'} n=${c.n} (case ${k}): WebGPU = float64 oracle`, async () => {
    const want = await runCase(cpu(), c, k), got = await runCase(await gpu(), c, k);
    ['parameter', 'state 1', 'state 2'].forEach((what, j) => assertClose(got[j], want[j], { rtol: 2e-5, atol: 2e-6, what }));
    // the state of a plain SGD step is untouched
    if (c.sgd && !c.sgd.momentum) assert.ok(got[1].every((v) => v === 0), 'no momentum buffer written');
  });
});

test('the first step ignores whatever the fresh state storage holds', async () => {
  for (const b of [cpu(), await gpu()]) {
    const p = Tensor.from([1, -2, 3], [3], { backend: b }), g = Tensor.from([0.5, 0.5, -1], [3], { backend: b });
    const m = Tensor.from([NaN, 1e30, -4], [3], { backend: b }), v = Tensor.from([NaN, 5, 6], [3], { backend: b });
    adamUpdate_(p, g, m, v, { b1: 0.9, b2: 0.999, eps: 1e-8, stepSize: 0.1 / 0.1, invSqrtBc2: 1 / Math.sqrt(0.001), weightDecay: 0, maximize: false, first: true });
    // first Adam step: p -= lr * sign(g) (up to eps)
    assertClose(await p.data() as ArrayLike<number>, [0.9, -2.1, 3.1], { rtol: 1e-6, what: `${b.name} p` });
    assertClose(await m.data() as ArrayLike<number>, [0.05, 0.05, -0.1], { rtol: 1e-6, what: `${b.name} m` });
    const buf = Tensor.from([NaN, NaN, NaN], [3], { backend: b });
    sgdUpdate_(p, g, buf, { lr: 1, momentum: 0.9, dampening: 0.5, nesterov: false, weightDecay: 0, maximize: false, first: true });
    assertClose(await buf.data() as ArrayLike<number>, [0.5, 0.5, -1], { rtol: 1e-7, what: `${b.name} buf = g` });
    assertClose(await p.data() as ArrayLike<number>, [0.4, -2.6, 4.1], { rtol: 1e-6, what: `${b.name} p after sgd` });
    for (const t of [p, g, m, v, buf]) t.dispose();
  }
});

test('optimisers update a non-contiguous parameter through a copy (as the unfused ops did)', async () => {
  const run = async (b: Backend, kind: 'adam' | 'sgd') => {
    const p = Tensor.from(seededValues(12, 3), [3, 4], { backend: b }).transpose(0, 1).requiresGrad_();
    const opt = kind === 'adam' ? new Adam([p], { lr: 0.1, weightDecay: 0.02 }) : new SGD([p], { lr: 0.1, momentum: 0.9 });
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      tidy(() => p.mul(p).mul(Tensor.from(seededValues(12, 40 + s), [4, 3], { backend: b })).sum().backward());
      opt.step();
    }
    const out = Array.from(await p.data() as ArrayLike<number>);
    opt.dispose(); p.dispose();
    return out;
  };
  for (const kind of ['adam', 'sgd'] as const) assertClose(await run(await gpu(), kind), await run(cpu(), kind), { rtol: 1e-5, atol: 1e-6, what: kind });
});

test('argument errors name the operand', async () => {
  const b = await gpu();
  const p = Tensor.from([1, 2, 3], [3], { backend: b }), g3 = Tensor.from([1, 2, 3], [3], { backend: b });
  const g2 = Tensor.from([1, 2], [2], { backend: b }), gi = Tensor.from([1, 2, 3], [3], { backend: b, dtype: 'i32' });
  const s: SgdStep = { lr: 1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false, first: false };
  assert.throws(() => sgdUpdate_(p, g2, null, s), (e: unknown) => e instanceof ShapeError && /gradient has shape \[2\]/.test((e as Error).message));
  assert.throws(() => sgdUpdate_(p, gi, null, s), (e: unknown) => e instanceof DTypeError && /gradient must be f32/.test((e as Error).message));
  const q = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], { backend: b }).transpose(0, 1);
  const gq = Tensor.from([1, 2, 3, 4, 5, 6], [3, 2], { backend: b });
  assert.throws(() => sgdUpdate_(q, gq, null, s), (e: unknown) => e instanceof ShapeError && /must be contiguous/.test((e as Error).message));
  for (const t of [p, g3, g2, gi, q, gq]) t.dispose();
});

test.run();
