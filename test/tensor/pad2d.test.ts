// Reflect / replicate padding of the last two dims through the `image` family's pad2d kernels (pad()'s fast path):
// WebGPU against the float64 oracle (whose backward is a scatter, the adjoint written the other way round), against
// pad() of a 3-D-padded tensor (the concat path) on the same values, and gradcheck; odd sizes, pads up to size - 1,
// size-1 dims (replicate), strided inputs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu, type Backend } from '../../src/tensor/index.js';
import { ShapeError } from '../../src/errors.js';
import { gpu, seededValues, assertClose } from '../helpers/backends.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';

const test = suite('pad2d');
type Mode = 'reflect' | 'replicate';
const CASES: [string, number[], number[], Mode][] = [
  ['reflect (N, C, H, W)', [2, 3, 5, 7], [2, 3, 1, 4], 'reflect'],
  ['reflect pads size - 1', [1, 2, 4, 3], [2, 2, 3, 3], 'reflect'],
  ['reflect one side only, 2-D', [6, 5], [0, 4, 0, 0], 'reflect'],
  ['replicate (N, C, H, W)', [2, 2, 3, 4], [3, 1, 0, 5], 'replicate'],
  ['replicate size-1 dims', [2, 1, 1], [2, 3, 4, 1], 'replicate'],
];

/** value and input gradient of sum(pad(x) * w) on a backend */
async function run(b: Backend, shape: number[], pads: number[], mode: Mode, strided: boolean): Promise<[Float32Array, Float32Array]> {
  const n = shape.reduce((p, q) => p * q, 1);
  const base = Tensor.from(seededValues(n, 5, -2, 2), strided ? [...shape.slice(0, -2), shape[shape.length - 1]!, shape[shape.length - 2]!] : shape, { backend: b }).requiresGrad_();
  const x = strided ? base.transpose(-1, -2) : base;
  const out = tidy(() => {
    const y = x.pad(pads, mode);
    const w = Tensor.from(seededValues(y.size, 6), y.shape, { backend: b });
    y.mul(w).sum().backward();
    return y.detach();
  });
  const r: [Float32Array, Float32Array] = [Float32Array.from(await out.data()), Float32Array.from(await base.grad!.data())];
  out.dispose(); base.dispose();
  return r;
}

for (const [name, shape, pads, mode] of CASES) {
  for (const strided of [false, true]) {
    test(`${name}${strided ? ', strided input' : ''}: WebGPU vs the oracle, value and gradient`, async () => {
      const [yg, gg] = await run(await gpu(), shape, pads, mode, strided);
      const [yc, gc] = await run(cpu(), shape, pads, mode, strided);
      assertClose(yg, yc, { rtol: 0, atol: 0, what: `${name} values` });
      assertClose(gg, gc, { rtol: 1e-6, atol: 1e-6, what: `${name} gradients` });
    });
  }
}

test('the same numbers as the concat path (padding a third dim by 0 and 1, then dropping it)', async () => {
  for (const b of [await gpu(), cpu()]) {
    for (const mode of ['reflect', 'replicate'] as const) {
      const x = Tensor.from(seededValues(2 * 5 * 6, 9), [2, 5, 6], { backend: b }).requiresGrad_();
      const fast = tidy(() => x.pad([2, 1, 3, 2], mode).detach());
      // padding dim 0 too takes the general path; its rows 1..2 are the fast path's result
      const slow = tidy(() => x.pad([2, 1, 3, 2, 1, 0], mode).slice([[1, 3]]).detach());
      assertClose(await fast.data(), await slow.data(), { rtol: 0, atol: 0, what: `${b.name} ${mode}` });
      [x, fast, slow].forEach((t) => t.dispose());
    }
  }
});

const I = (shape: number[]): GradInput => ({ shape, lo: -1, hi: 1 });
test('gradcheck reflect and replicate', async () => {
  await gradcheck('pad2d reflect', (x) => x.pad([2, 1, 1, 2], 'reflect'), [I([1, 2, 3, 4])], await gpu());
  await gradcheck('pad2d replicate', (x) => x.pad([1, 3, 2, 0], 'replicate'), [I([2, 1, 2, 3])], await gpu());
});

test('errors: reflect padding as large as the dim, an empty dim', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(12, 1), [1, 3, 4], { backend: g });
  assert.throws(() => x.pad([4, 0], 'reflect'), (e: Error) => e instanceof ShapeError && /smaller than the size 4/.test(e.message));
  const e = Tensor.from(new Float32Array(0), [1, 0, 4], { backend: g });
  assert.throws(() => e.pad([0, 0, 1, 1], 'replicate'), (er: Error) => er instanceof ShapeError && /empty dim/.test(er.message));
  [x, e].forEach((t) => t.dispose());
});

test.run();
