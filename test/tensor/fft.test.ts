// The fft family: every transform against the float64 oracle (plain O(n^2) DFT) for sizes 1..20, 31, 32, 64, 93,
// 97, 100, 128, rectangular 2-D shapes, batch dims and all norms; forced multi-pass and Bluestein plans; round
// trips; finite-difference gradient checks of every VJP; PyTorch fixtures (tools/golden/fft.py); memory.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  Tensor, tidy, cpu, memory, fft, ifft, rfft, irfft, fft2, ifft2, rfft2, irfft2, polar, real, fftCacheInfo, fftClearCache,
  type Backend, type FftNorm,
} from '../../src/tensor/index.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import { bluesteinLength, overridePlanRules, planRules, radicesOf } from '../../src/tensor/backend/webgpu/kernels/fft.js';
import { readNpy } from '../../src/io/npy.js';
import { gpu, seededValues, assertClose } from '../helpers/backends.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';
import { fixture } from '../helpers/fixtures.js';

const isShapeError = (e: unknown) => e instanceof ShapeError;
const isDTypeError = (e: unknown) => e instanceof DTypeError;
const test = suite('fft');
const NORMS: FftNorm[] = ['backward', 'ortho', 'forward'];
const SIZES = [...Array.from({ length: 20 }, (_, i) => i + 1), 31, 32, 64, 93, 97, 100, 128];

/** Max |a - b| / max |b|, asserting it is within rtol (elementwise: |a - b| <= rtol (|b| + max |b|)). */
function assertSpectrum(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, what: string): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  assertClose(got, want, { rtol, atol: rtol * Math.max(scale, 1e-30), what });
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  return scale > 0 ? err / scale : err;
}

/** f on the same values on the GPU and on the float64 oracle, compared (shape too). */
async function vsOracle(g: Backend, what: string, f: (x: Tensor) => Tensor, shape: number[], seed: number, rtol = 2e-5): Promise<number> {
  const vals = seededValues(shape.reduce((p, q) => p * q, 1), seed);
  const [a, b] = tidy(() => [f(Tensor.from(vals, shape, { backend: g })), f(Tensor.from(vals, shape, { backend: cpu() }))]);
  assert.equal([...a.shape], [...b.shape], `${what}: shape`);
  const e = assertSpectrum(await a.data(), await b.data(), rtol, what);
  a.dispose(); b.dispose();
  return e;
}

// ------------------------------------------------------------------ plans
test('plans: radices up to 16 (odd primes up to 31 alone), Bluestein beyond', () => {
  const rules = planRules();
  for (let n = 1; n <= 128; n++) {
    const r = radicesOf(n, rules);
    const big = [37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127].some((p) => n % p === 0);
    if (big) { assert.is(r, null, `n=${n} needs Bluestein`); continue; }
    assert.ok(r, `n=${n} has a plan`);
    assert.is(r!.reduce((p, q) => p * q, 1), n, `n=${n}: product of radices`);
    for (const R of r!) assert.ok(R <= 16 || (R <= 31 && radicesOf(R, rules)!.length === 1), `n=${n}: radix ${R}`);
  }
  assert.equal(radicesOf(93, rules), [31, 3]);
  assert.equal(radicesOf(100, rules), [10, 10]);
  assert.equal(radicesOf(128, rules), [16, 8]);
  const M = bluesteinLength(97, rules);
  assert.ok(M >= 193 && radicesOf(M, rules) !== null, `Bluestein length ${M} for 97`);
});

// ------------------------------------------------------------------ against the oracle
test('1-D fft, ifft, rfft, irfft match the float64 oracle for n = 1..20, 31, 32, 64, 93, 97, 100, 128', async () => {
  const g = await gpu();
  let k = 0;
  for (const n of SIZES) {
    const norm = NORMS[k++ % 3];
    await vsOracle(g, `fft n=${n} ${norm}`, (z) => fft(z, { norm }), [2, n, 2], n);
    await vsOracle(g, `ifft n=${n} ${norm}`, (z) => ifft(z, { norm }), [1, n, 2], n + 1);
    await vsOracle(g, `rfft n=${n} ${norm}`, (x) => rfft(x, { norm }), [3, n], n + 2);
    await vsOracle(g, `irfft n=${n} ${norm}`, (z) => irfft(z, { n, norm }), [2, Math.floor(n / 2) + 1, 2], n + 3);
  }
});

test('1-D options: dim, n (crop and zero-pad), strided and odd-offset inputs', async () => {
  const g = await gpu();
  await vsOracle(g, 'fft dim 0', (z) => fft(z, { dim: 0 }), [12, 3, 2], 1);
  await vsOracle(g, 'ifft dim 1 of 3 dims', (z) => ifft(z, { dim: 1, norm: 'ortho' }), [2, 9, 5, 2], 2);
  await vsOracle(g, 'fft n pad', (z) => fft(z, { n: 11 }), [2, 7, 2], 3);
  await vsOracle(g, 'fft n crop', (z) => fft(z, { n: 5 }), [2, 9, 2], 4);
  await vsOracle(g, 'rfft dim 0 n pad', (x) => rfft(x, { dim: 0, n: 10 }), [7, 4], 5);
  await vsOracle(g, 'irfft odd n, wide input', (z) => irfft(z, { n: 7 }), [2, 6, 2], 6);
  await vsOracle(g, 'irfft n pad', (z) => irfft(z, { n: 16 }), [2, 3, 2], 7);
  await vsOracle(g, 'fft of a transposed view', (z) => fft(z.permute([1, 0, 2])), [6, 5, 2], 8);
  // a complex view at an odd element offset is copied first
  await vsOracle(g, 'fft at odd offset', (x) => fft(x.slice([[1, 15]]).reshape([7, 2])), [16], 9);
  await vsOracle(g, 'rfft at odd offset', (x) => rfft(x.slice([[3, 13]])), [16], 10);
});

const SHAPES_2D: number[][] = [[1, 1], [2, 1, 1], [1, 5], [7, 1], [2, 3, 5], [3, 4, 4], [1, 2, 7, 6], [2, 16, 9], [1, 31, 6], [2, 20, 13], [1, 12, 32], [1, 97, 12], [1, 64, 18]];

test('2-D fft2, ifft2, rfft2, irfft2 match the oracle: rectangular, batch dims, all norms', async () => {
  const g = await gpu();
  let k = 0;
  for (const s of SHAPES_2D) {
    const norm = NORMS[k++ % 3];
    const [H, W] = s.slice(-2);
    await vsOracle(g, `fft2 ${s} ${norm}`, (z) => fft2(z, { norm }), [...s, 2], k);
    await vsOracle(g, `ifft2 ${s} ${norm}`, (z) => ifft2(z, { norm }), [...s, 2], k + 50);
    await vsOracle(g, `rfft2 ${s} ${norm}`, (x) => rfft2(x, { norm }), s, k + 100);
    if (W > 1) await vsOracle(g, `irfft2 ${s} ${norm}`, (z) => irfft2(z, { norm }), [...s, 2], k + 150);
    await vsOracle(g, `irfft2 ${s} size [${H + 1}, ${2 * W - 1}]`, (z) => irfft2(z, { size: [H + 1, 2 * W - 1], norm }), [...s, 2], k + 200);
  }
});

test('2-D at the synthesis sizes 93x93, 100x100 and 128x128 (x3 channels) match the oracle', async () => {
  const g = await gpu();
  await vsOracle(g, 'fft2 93x93', (z) => fft2(z), [1, 1, 93, 93, 2], 1);
  await vsOracle(g, 'ifft2 100x100 x3', (z) => ifft2(z), [1, 3, 100, 100, 2], 2);
  await vsOracle(g, 'rfft2 128x128', (x) => rfft2(x, { norm: 'ortho' }), [1, 128, 128], 3);
  await vsOracle(g, 'irfft2 97x49 -> 97x97', (z) => irfft2(z, { size: [97, 97] }), [1, 97, 49, 2], 4);
});

test('round trips: ifft2(fft2(z)), irfft2(rfft2(x)), irfft(rfft(x)) for every norm', async () => {
  const g = await gpu();
  for (const norm of NORMS) {
    for (const [H, W] of [[93, 93], [100, 100], [7, 10], [5, 9]]) {
      const z = Tensor.from(seededValues(2 * H * W * 2, H + W), [2, H, W, 2], { backend: g });
      const x = Tensor.from(seededValues(3 * H * W, H * W), [3, H, W], { backend: g });
      const [zz, xx] = tidy(() => [ifft2(fft2(z, { norm }), { norm }), irfft2(rfft2(x, { norm }), { size: [H, W], norm })]);
      assertClose(await zz.data(), await z.data(), { rtol: 1e-5, atol: 1e-5, what: `ifft2(fft2) ${H}x${W} ${norm}` });
      assertClose(await xx.data(), await x.data(), { rtol: 1e-5, atol: 1e-5, what: `irfft2(rfft2) ${H}x${W} ${norm}` });
      [z, x, zz, xx].forEach((t) => t.dispose());
    }
  }
  const x = Tensor.from(seededValues(2 * 97, 5), [2, 97], { backend: g });
  const y = tidy(() => irfft(rfft(x), { n: 97 }));
  assertClose(await y.data(), await x.data(), { rtol: 1e-5, atol: 1e-5, what: 'irfft(rfft) 97' });
  x.dispose(); y.dispose();
});

test('forced plans: many small passes, and Bluestein for 11, 13, 31, 93 (radix-16 and radix-4 convolutions)', async () => {
  const g = await gpu();
  try {
    for (const rules of [{ maxRadix: 4, maxPrime: 31 }, { maxRadix: 16, maxPrime: 7 }, { maxRadix: 4, maxPrime: 7 }]) {
      overridePlanRules(rules);
      fftClearCache(g);
      for (const n of [11, 13, 16, 31, 64, 93, 97, 100, 128]) {
        await vsOracle(g, `fft n=${n} ${JSON.stringify(rules)}`, (z) => fft(z, { norm: 'ortho' }), [2, n, 2], n);
        await vsOracle(g, `irfft n=${n} ${JSON.stringify(rules)}`, (z) => irfft(z, { n }), [1, Math.floor(n / 2) + 1, 2], n + 1);
      }
      await vsOracle(g, `rfft2 31x93 ${JSON.stringify(rules)}`, (x) => rfft2(x), [1, 31, 93], 7);
      await vsOracle(g, `ifft2 13x11 ${JSON.stringify(rules)}`, (z) => ifft2(z), [2, 13, 11, 2], 8);
      await gradcheck(`fft2 with ${JSON.stringify(rules)}`, (z) => fft2(z), [{ shape: [1, 11, 3, 2] }], g);
    }
  } finally {
    overridePlanRules(null);
    fftClearCache(g);
  }
});

// ------------------------------------------------------------------ gradients
const I = (shape: number[], lo = -1, hi = 1): GradInput => ({ shape, lo, hi });
const GRAD_CASES: [string, (...xs: Tensor[]) => Tensor, GradInput[]][] = [
  ['fft2', (z) => fft2(z), [I([1, 3, 4, 2])]],
  ['fft2 forward norm', (z) => fft2(z, { norm: 'forward' }), [I([3, 2, 2])]],
  ['ifft2 ortho', (z) => ifft2(z, { norm: 'ortho' }), [I([2, 3, 5, 2])]],
  ['ifft2', (z) => ifft2(z), [I([1, 4, 3, 2])]],
  ['rfft2 even W', (x) => rfft2(x), [I([2, 3, 4])]],
  ['rfft2 odd W ortho', (x) => rfft2(x, { norm: 'ortho' }), [I([1, 3, 5])]],
  ['irfft2 default size', (z) => irfft2(z), [I([1, 3, 3, 2])]],
  ['irfft2 odd W', (z) => irfft2(z, { size: [3, 5] }), [I([2, 3, 3, 2])]],
  ['irfft2 H pad, narrow input', (z) => irfft2(z, { size: [4, 6], norm: 'ortho' }), [I([2, 3, 2])]],
  ['irfft2 H crop, wide input', (z) => irfft2(z, { size: [2, 3], norm: 'forward' }), [I([3, 4, 2])]],
  ['fft n pad', (z) => fft(z, { n: 7 }), [I([2, 5, 2])]],
  ['ifft n crop dim 0', (z) => ifft(z, { n: 3, dim: 0 }), [I([5, 2, 2])]],
  ['rfft n crop', (x) => rfft(x, { n: 4 }), [I([3, 6])]],
  ['irfft odd n', (z) => irfft(z, { n: 5 }), [I([2, 4, 2])]],
  ['irfft even n', (z) => irfft(z, { n: 6, norm: 'ortho' }), [I([2, 4, 2])]],
  ['synthesis real(ifft2(polar(M, phi))) 6x7, to phi', (phi) => real(ifft2(polar(Tensor.from(seededValues(42, 3, 0.5, 2), [6, 7], { backend: phi.backend }), phi))), [I([2, 1, 6, 7], -3, 3)]],
  ['synthesis, to M and phi', (m, phi) => real(ifft2(polar(m, phi))).square(), [I([1, 6, 7], 0.5, 2), I([2, 1, 6, 7], -3, 3)]],
];
for (const [name, f, specs] of GRAD_CASES) test(`gradcheck: ${name}`, async () => { await gradcheck(name, f, specs, await gpu()); });

test('the phase gradient is -Im(S * ifft2(G)) (spec 3.1)', async () => {
  const g = await gpu();
  const M = Tensor.from(seededValues(5 * 6, 1, 0.5, 2), [5, 6], { backend: g });
  const phi = Tensor.from(seededValues(5 * 6, 2, -3, 3), [5, 6], { backend: g }).requiresGrad_();
  const G = Tensor.from(seededValues(5 * 6, 3), [5, 6], { backend: g });
  tidy(() => real(ifft2(polar(M, phi))).backward(G));
  const want = tidy(() => {
    const S = polar(M, phi.detach());
    const U = ifft2(polar(G, G.zerosLike())); // ifft2 of the real G
    const [sr, si, ur, ui] = [S.select(-1, 0), S.select(-1, 1), U.select(-1, 0), U.select(-1, 1)];
    return sr.mul(ui).add(si.mul(ur)).neg();
  });
  assertClose(await phi.grad!.data(), await want.data(), { rtol: 1e-4, atol: 1e-6, what: 'dL/dphi' });
  [M, phi, G, want].forEach((t) => t.dispose());
});

// ------------------------------------------------------------------ PyTorch fixtures
interface FixtureCase {
  name: string; op: string; seed: number; shape: number[]; args: { norm: FftNorm; n?: number; size?: [number, number] };
  checksum: number; outShape: number[]; out: [number, number]; wSeed?: number; grads?: [number, number][];
  extra?: { seed: number; shape: number[] }[]; series?: [number, number]; seedBase?: number; norm?: FftNorm;
}

/** The fixture generator's hashed inputs (tools/golden/fft.py hval): values k / 2^23 - 1, exact in f32. */
function hashValues(seed: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(seed, 0x9e3779b1) + Math.imul(i, 0x85ebca77) + 0x165667b1) >>> 0;
    h ^= h >>> 15; h = Math.imul(h, 0x2c1b3c6d) >>> 0;
    h ^= h >>> 12; h = Math.imul(h, 0x297a2d39) >>> 0;
    h ^= h >>> 15;
    out[i] = (h >>> 8) / 2 ** 23 - 1;
  }
  return out;
}

const FIX = JSON.parse(readFileSync(fixture('fft', 'cases.json'), 'utf8')) as { cases: FixtureCase[] };
let fixData: Float32Array | null = null;
const fixSlice = ([off, len]: [number, number]) => (fixData ??= readNpy(fixture('fft', 'data.npy')).data as Float32Array).subarray(off, off + len);

type OpFn = (x: Tensor, extra: Tensor[], c: { norm: FftNorm; n?: number; size?: [number, number] }) => Tensor;
const FIX_OPS: Record<string, OpFn> = {
  fft: (z, _e, a) => fft(z, { norm: a.norm }),
  rfft: (x, _e, a) => rfft(x, { norm: a.norm }),
  irfft: (z, _e, a) => irfft(z, { n: a.n, norm: a.norm }),
  fft2: (z, _e, a) => fft2(z, { norm: a.norm }),
  ifft2: (z, _e, a) => ifft2(z, { norm: a.norm }),
  rfft2: (x, _e, a) => rfft2(x, { norm: a.norm }),
  irfft2: (z, _e, a) => irfft2(z, { size: a.size, norm: a.norm }),
  synth: (phi, [m]) => real(ifft2(polar(m.mul(0.75).add(1.25), phi.mul(Math.PI)))),
};

/** Runs one fixture case on backend b; returns max |err| / max |ref| of the output and of the gradient. */
async function runFixture(b: Backend, c: FixtureCase, shape: number[], seed: number, args: FixtureCase['args'], out: Float32Array, grad: Float32Array | null, tol: number): Promise<[number, number]> {
  const n = shape.reduce((p, q) => p * q, 1);
  const x = Tensor.from(hashValues(seed, n), shape, { backend: b });
  if (grad) x.requiresGrad_();
  const extra = (c.extra ?? []).map((e) => Tensor.from(hashValues(e.seed, e.shape.reduce((p, q) => p * q, 1)), e.shape, { backend: b }));
  const y = tidy(() => {
    const r = FIX_OPS[c.op](x, extra, args);
    if (grad) r.mul(Tensor.from(hashValues(c.wSeed!, r.size), r.shape, { backend: b })).sum().backward();
    return r.detach();
  });
  const eOut = assertSpectrum(await y.data(), out, tol, `${c.name} (${b.name}) output`);
  const eGrad = grad ? assertSpectrum(await x.grad!.data(), grad, tol, `${c.name} (${b.name}) gradient`) : 0;
  [x, y, ...extra].forEach((t) => t.dispose());
  return [eOut, eGrad];
}

test('PyTorch fixtures: inputs regenerate exactly', () => {
  for (const c of FIX.cases) {
    if (c.series) continue;
    const sum = [c, ...(c.extra ?? [])].reduce((s, e) => s + hashValues(e.seed, e.shape.reduce((p, q) => p * q, 1)).reduce((a, v) => a + v, 0), 0);
    assert.ok(Math.abs(sum - c.checksum) <= 1e-9 * Math.max(1, Math.abs(c.checksum)), `${c.name}: input checksum ${sum} vs ${c.checksum}`);
  }
});

const worst = new Map<string, number>();
for (const c of FIX.cases) {
  test(`PyTorch fixture: ${c.name}`, async () => {
    const g = await gpu();
    if (c.series) {
      // one fixture entry per op for n = 1..128, outputs concatenated in order of n
      let off = c.out[0];
      for (let n = c.series[0]; n <= c.series[1]; n++) {
        const shape = c.op === 'fft' ? [n, 2] : c.op === 'rfft' ? [n] : [Math.floor(n / 2) + 1, 2];
        const len = c.op === 'fft' ? 2 * n : c.op === 'rfft' ? 2 * (Math.floor(n / 2) + 1) : n;
        const want = fixSlice([off, len]);
        off += len;
        const [e] = await runFixture(g, { ...c, name: `${c.op} n=${n}` }, shape, c.seedBase! + n, { norm: c.norm!, n }, want, null, 1e-4);
        worst.set(`${c.op} n=${n}`, e);
      }
      assert.is(off, c.out[0] + c.out[1], `${c.name}: series length`);
      return;
    }
    const want = fixSlice(c.out), grad = c.grads ? fixSlice(c.grads[0]) : null;
    const [eo, eg] = await runFixture(g, c, c.shape, c.seed, c.args, want, grad, 1e-4);
    worst.set(c.name, Math.max(eo, eg));
    // the float64 oracle reproduces torch's complex128 results to float32 storage precision
    if (c.shape.reduce((p, q) => p * q, 1) <= 20000) await runFixture(cpu(), c, c.shape, c.seed, c.args, want, grad, 2e-6);
  });
}

test('PyTorch fixtures: report the largest errors at the named sizes', () => {
  const pick = (k: string) => worst.get(k)?.toExponential(1) ?? 'n/a';
  console.log(`    max |ours - torch| / max |torch|: fft n=93 ${pick('fft n=93')}, n=97 ${pick('fft n=97')}, n=100 ${pick('fft n=100')}, n=128 ${pick('fft n=128')}; `
    + `fft2 93x93 ${pick('fft2 93x93')}, rfft2 100x100 ${pick('rfft2 100x100 ortho')}, ifft2 97x40 ${pick('ifft2 97x40 forward')}, `
    + `irfft2 128x128 ${pick('irfft2 128x65 -> 128x128')}, synthesis 93x93 (output, phase gradient) ${pick('synthesis real(ifft2(polar(M, phi))) 93x93')}`);
  let all = 0;
  for (const v of worst.values()) all = Math.max(all, v);
  assert.ok(all < 1e-4, `largest error ${all}`);
});

// ------------------------------------------------------------------ memory, cache, errors
test('repeated transforms with gradients return bytesInUse to its start; the plan cache is bounded and clears', async () => {
  const g = await gpu();
  const z = Tensor.from(seededValues(2 * 9 * 10 * 2, 1), [2, 9, 10, 2], { backend: g });
  const x = Tensor.from(seededValues(2 * 9 * 10, 2), [2, 9, 10], { backend: g }).requiresGrad_();
  const step = () => tidy(() => {
    x.zeroGrad();
    const a = irfft2(rfft2(x), { size: [9, 10] }).sum();
    const b = real(ifft2(fft2(z.mul(x.unsqueeze(-1))))).square().sum();
    a.add(b).backward();
  });
  step();
  x.zeroGrad();
  await g.sync();
  const start = memory(g).bytesInUse;
  for (let i = 0; i < 20; i++) step();
  x.zeroGrad();
  await g.sync();
  assert.is(memory(g).bytesInUse, start, 'bytes in use after 20 steps');
  const info = fftCacheInfo(g);
  assert.ok(info.plans.includes(9) && info.plans.includes(10), `cached sizes ${info.plans}`);
  fftClearCache(g);
  assert.equal(fftCacheInfo(g), { plans: [], bytes: 0 });
  assert.is(memory(g).bytesInUse, start - info.bytes, 'clearing frees the tables');
  z.dispose(); x.dispose();
});

test('errors: shapes, dtypes, norms and lengths are checked before any GPU work', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(12, 1), [2, 3, 2], { backend: g });
  const r = Tensor.from(seededValues(6, 1), [2, 3], { backend: g });
  const i = Tensor.from([1, 2, 3, 4], [1, 2, 2], { backend: g, dtype: 'i32' });
  assert.throws(() => fft2(r), (e: unknown) => e instanceof ShapeError && /complex/.test((e as Error).message));
  assert.throws(() => fft(i), isDTypeError);
  assert.throws(() => rfft2(Tensor.from([1, 2], [2], { backend: g })), isShapeError);
  assert.throws(() => fft(x, { norm: 'none' as FftNorm }), isShapeError);
  assert.throws(() => fft(x, { dim: 2 }), isShapeError);
  assert.throws(() => fft(x, { n: 0 }), isShapeError);
  assert.throws(() => irfft(Tensor.from([1, 0], [1, 2], { backend: g })), (e: unknown) => e instanceof ShapeError && /positive/.test((e as Error).message));
  assert.throws(() => irfft2(x.reshape([1, 3, 2, 2]), { size: [3, 0] }), isShapeError);
  [x, r, i].forEach((t) => t.dispose());
});

test.run();
