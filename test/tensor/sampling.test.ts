// Sampling family: gridSample, roiAlign, interpolate. WebGPU against the float64 oracle (forward and VJPs),
// finite-difference gradient checks, PyTorch golden fixtures (tools/golden/sampling.py) and argument errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  Tensor, tidy, cpu, gridSample, roiAlign, interpolate, type Backend, type GridSampleOptions, type InterpolateOptions, type RoiAlignOptions,
} from '../../src/tensor/index.js';
import { DTypeError, InputError, ShapeError } from '../../src/errors.js';
import { gpu, assertClose, seededValues } from '../helpers/backends.js';
import { gradcheck } from '../helpers/gradcheck.js';
import { fixture } from '../helpers/fixtures.js';

const test = suite('sampling');

interface In { shape: number[]; values?: ArrayLike<number>; lo?: number; hi?: number; grad?: boolean }
type F = (...xs: Tensor[]) => Tensor;

/** Forward values and the VJP of sum(f(...) * w) on one backend. */
async function run(b: Backend, f: F, ins: In[], seed: number): Promise<{ y: Float64Array; shape: number[]; grads: (Float64Array | null)[] }> {
  const xs = ins.map((s, k) => {
    const n = s.shape.reduce((p, q) => p * q, 1);
    const v = s.values ?? seededValues(n, seed * 13 + k, s.lo ?? -1, s.hi ?? 1);
    const t = Tensor.from(Float32Array.from(v), s.shape, { backend: b });
    return s.grad ? t.requiresGrad_() : t;
  });
  const y = tidy(() => {
    const out = f(...xs);
    if (xs.some((x) => x.requiresGrad)) {
      const w = Tensor.from(seededValues(out.size, seed + 5), out.shape, { backend: b });
      out.mul(w).sum().backward();
    }
    return out.detach();
  });
  const r = { y: Float64Array.from(await y.data()), shape: [...y.shape], grads: [] as (Float64Array | null)[] };
  for (const x of xs) r.grads.push(x.grad ? Float64Array.from(await x.grad.data()) : null);
  y.dispose();
  xs.forEach((x) => x.dispose());
  return r;
}

/** WebGPU forward and VJPs against the float64 oracle. */
async function vsOracle(what: string, f: F, ins: In[], seed = 1, tol = { rtol: 1e-4, atol: 2e-5 }): Promise<void> {
  const want = await run(cpu(), f, ins, seed);
  const got = await run(await gpu(), f, ins, seed);
  assert.equal(got.shape, want.shape, `${what}: shape`);
  assertClose(got.y, want.y, { ...tol, what: `${what}: forward` });
  ins.forEach((s, k) => {
    if (!s.grad) return;
    assert.ok(got.grads[k] && want.grads[k], `${what}: gradient of input ${k} missing`);
    assertClose(got.grads[k]!, want.grads[k]!, { ...tol, what: `${what}: gradient of input ${k}` });
  });
}

const PADDINGS = ['zeros', 'border', 'reflection'] as const;

/**
 * Grid coordinates whose source index (before padding) stays 0.03 pixel away from every multiple of 0.5: the
 * floor boundaries, the clip and reflection borders, where the sampled function has kinks.
 */
function safeGrid(points: number, H: number, W: number, alignCorners: boolean, seed: number, lo = -1.3, hi = 1.3): Float32Array {
  const out = new Float32Array(points * 2);
  const raw = seededValues(points * 200, seed, lo, hi);
  let r = 0;
  const unnorm = (c: number, size: number) => (alignCorners ? ((c + 1) / 2) * (size - 1) : ((c + 1) * size - 1) / 2);
  for (let i = 0; i < points * 2; i++) {
    const size = i % 2 === 0 ? W : H;
    for (;;) {
      if (r >= raw.length) throw new Error('safeGrid: ran out of candidate values');
      const c = raw[r++];
      const v = unnorm(c, size) * 2;
      // (a size-1 axis with alignCorners maps every coordinate to 0: nothing to avoid)
      if (Math.abs(v - Math.round(v)) > 0.06 || (alignCorners && size === 1)) { out[i] = c; break; }
    }
  }
  return out;
}

// ------------------------------------------------------------------ gridSample vs oracle

for (const mode of ['bilinear', 'nearest'] as const) {
  for (const paddingMode of PADDINGS) {
    for (const alignCorners of [false, true]) {
      const o: GridSampleOptions = { mode, paddingMode, alignCorners };
      test(`gridSample ${mode} ${paddingMode} alignCorners=${alignCorners} vs oracle (x and grid gradients)`, async () => {
        // batch 3, odd sizes, points well outside [-1, 1]
        await vsOracle('gridSample', (x, g) => gridSample(x, g, o),
          [{ shape: [3, 2, 5, 7], grad: true }, { shape: [3, 4, 3, 2], values: safeGrid(36, 5, 7, alignCorners, 3, -1.8, 1.8), grad: true }]);
        // size-1 spatial dims (align_corners then maps every coordinate to pixel 0)
        await vsOracle('gridSample 1x1', (x, g) => gridSample(x, g, o),
          [{ shape: [1, 3, 1, 4], grad: true }, { shape: [1, 2, 5, 2], values: safeGrid(10, 1, 4, alignCorners, 4), grad: true }]);
      });
    }
  }
}

test('gridSample backward row bands: one plane split into bands, and many planes', async () => {
  for (const mode of ['bilinear', 'nearest'] as const) {
    await vsOracle('gridSample single plane', (x, g) => gridSample(x, g, { mode, alignCorners: true }),
      [{ shape: [1, 1, 13, 6], grad: true }, { shape: [1, 7, 5, 2], values: safeGrid(35, 13, 6, true, 8), grad: true }]);
    await vsOracle('gridSample many planes', (x, g) => gridSample(x, g, { mode, paddingMode: 'border' }),
      [{ shape: [2, 150, 3, 4], grad: true }, { shape: [2, 3, 1, 2], values: safeGrid(6, 3, 4, false, 9), grad: true }]);
  }
});

test('gridSample readout shape: (N, neurons, 1, 2) grids on an 11x11 map, align corners', async () => {
  await vsOracle('readout', (x, g) => gridSample(x, g, { alignCorners: true }),
    [{ shape: [2, 8, 11, 11], grad: true }, { shape: [2, 23, 1, 2], values: safeGrid(46, 11, 11, true, 5, -1, 1), grad: true }]);
});

test('gridSample nearest rounds halves to even; strided inputs', async () => {
  const g = await gpu();
  for (const b of [g, cpu()]) {
    // W = 5, alignCorners: x = 2 (g + 1), so g = -0.25 -> 1.5 -> 2, g = 0.25 -> 2.5 -> 2, g = -0.75 -> 0.5 -> 0
    const x = Tensor.from([10, 11, 12, 13, 14], [1, 1, 1, 5], { backend: b });
    const grid = Tensor.from([-0.25, 0, 0.25, 0, -0.75, 0, 0.75, 0], [1, 1, 4, 2], { backend: b });
    assertClose(await gridSample(x, grid, { mode: 'nearest', alignCorners: true }).data(), [12, 12, 10, 14], { what: `${b.name} half to even` });
  }
  // a transposed (non-contiguous) input and a grid sliced out of a larger tensor
  const xs = seededValues(2 * 3 * 6 * 5, 21), gs = safeGrid(2 * 4 * 3, 5, 6, false, 22);
  const f = (b: Backend) => tidy(() => {
    const x = Tensor.from(xs, [2, 3, 5, 6], { backend: b }).transpose(2, 3).contiguous().transpose(2, 3);
    const big = Tensor.from(Float32Array.from([...gs, ...gs]), [2, 2, 4, 3, 2], { backend: b });
    return gridSample(x, big.select(1, 1), {});
  });
  assertClose(await f(g).data(), await f(cpu()).data(), { rtol: 1e-5, atol: 1e-6, what: 'strided' });
});

// ------------------------------------------------------------------ roiAlign vs oracle

const BOXES = [
  [0, 1.3, 0.7, 6.2, 5.9], // inside
  [2, -3.1, -2.4, 4.6, 3.3], // partly outside, top left
  [1, 7.5, 4.2, 14.8, 12.9], // partly outside, bottom right
  [2, 3.2, 2.6, 3.5, 2.8], // tiny
  [0, -1.5, -2.0, 12.5, 10.5], // larger than the image
  [1, 9.0, 7.0, 2.0, 1.0], // reversed (empty when aligned)
  [0, -20, -20, -15, -16], // entirely outside
];

for (const aligned of [false, true]) {
  for (const samplingRatio of [-1, 2, 1]) {
    test(`roiAlign aligned=${aligned} samplingRatio=${samplingRatio} vs oracle`, async () => {
      const o: RoiAlignOptions = { aligned, samplingRatio };
      await vsOracle('roiAlign', (x) => roiAlign(x, BOXES, [3, 4], o), [{ shape: [3, 2, 9, 11], grad: true }]);
      await vsOracle('roiAlign 1x1 bins, scale', (x) => roiAlign(x, BOXES, 1, { ...o, spatialScale: 0.7 }), [{ shape: [3, 1, 9, 11], grad: true }]);
    });
  }
}

test('roiAlign crops as the synthesis makes them: more bins than pixels, several samples per bin', async () => {
  const boxes = [[0, 2.3, 3.1, 6.9, 7.4], [0, 0, 0, 12, 12], [1, 5.5, 1.0, 11.8, 9.7], [1, 0.4, 0.9, 11.1, 11.6]];
  await vsOracle('crops', (x) => roiAlign(x, boxes, [9, 9], { aligned: true }), [{ shape: [2, 5, 12, 12], grad: true }]);
  await vsOracle('few bins', (x) => roiAlign(x, boxes, [2, 3], { aligned: true }), [{ shape: [2, 3, 12, 12], grad: true }]);
});

test('roiAlign host boxes and tensor boxes agree; boxes get no gradient', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(3 * 2 * 9 * 11, 31), [3, 2, 9, 11], { backend: g });
  const bt = Tensor.from(BOXES.flat(), [BOXES.length, 5], { backend: g }).requiresGrad_();
  const a = roiAlign(x, BOXES, [3, 4], { aligned: true }), b = roiAlign(x, bt, [3, 4], { aligned: true });
  assertClose(await a.data(), await b.data(), { rtol: 0, atol: 0, what: 'host vs tensor boxes' });
  assert.not.ok(b.requiresGrad, 'boxes do not make the output require gradients');
  [x, bt, a, b].forEach((t) => t.dispose());
});

// ------------------------------------------------------------------ interpolate vs oracle

const RESIZES: [string, InterpolateOptions, number[]][] = [
  ['nearest up', { size: [12, 10] }, [2, 2, 5, 7]],
  ['nearest scale', { scaleFactor: [1.7, 0.55] }, [1, 3, 5, 7]],
  ['nearest down', { size: [4, 3] }, [3, 1, 11, 9]],
  ['nearest 2x', { scaleFactor: 2 }, [1, 1, 3, 4]],
  ['bilinear up', { size: [8, 11], mode: 'bilinear' }, [2, 2, 5, 7]],
  ['bilinear up align', { size: [8, 11], mode: 'bilinear', alignCorners: true }, [2, 2, 5, 7]],
  ['bilinear down', { scaleFactor: 0.6, mode: 'bilinear' }, [1, 2, 11, 13]],
  ['bilinear down align', { scaleFactor: [0.45, 0.7], mode: 'bilinear', alignCorners: true }, [1, 2, 11, 13]],
  ['bilinear to 1x1 align', { size: 1, mode: 'bilinear', alignCorners: true }, [1, 2, 4, 5]],
  ['bicubic up', { scaleFactor: [1.7, 2.3], mode: 'bicubic' }, [1, 2, 5, 7]],
  ['bicubic up align', { size: [9, 4], mode: 'bicubic', alignCorners: true }, [2, 1, 5, 3]],
  ['bicubic down', { size: [6, 5], mode: 'bicubic' }, [1, 2, 11, 13]],
  ['bicubic same size scale', { scaleFactor: 1.05, mode: 'bicubic' }, [1, 1, 6, 7]],
  ['bilinear antialias down', { size: [5, 4], mode: 'bilinear', antialias: true }, [2, 2, 11, 13]],
  ['bicubic antialias down', { scaleFactor: 0.42, mode: 'bicubic', antialias: true }, [1, 2, 11, 13]],
  ['bicubic antialias down align', { size: [4, 6], mode: 'bicubic', antialias: true, alignCorners: true }, [1, 2, 11, 13]],
  ['bilinear antialias up', { size: [9, 8], mode: 'bilinear', antialias: true }, [1, 2, 5, 7]],
  ['bicubic antialias mixed', { size: [14, 5], mode: 'bicubic', antialias: true }, [1, 2, 9, 13]],
  ['bilinear 9 planes', { size: [5, 4], mode: 'bilinear' }, [3, 3, 7, 6]],
];

for (const [name, o, shape] of RESIZES) {
  test(`interpolate ${name} vs oracle`, async () => {
    await vsOracle(`interpolate ${name}`, (x) => interpolate(x, o), [{ shape, grad: true }]);
  });
}

test('interpolate: wide filters (two 1-D passes forward and backward), wide transposed tables', async () => {
  await vsOracle('large antialiased down-sampling', (x) => interpolate(x, { size: [7, 6], mode: 'bicubic', antialias: true }), [{ shape: [1, 2, 60, 61], grad: true }]);
  await vsOracle('large up-sampling', (x) => interpolate(x, { size: [60, 57], mode: 'bilinear' }), [{ shape: [1, 1, 3, 4], grad: true }]);
});

// ------------------------------------------------------------------ finite differences

for (const paddingMode of PADDINGS) {
  for (const alignCorners of [false, true]) {
    test(`gradcheck gridSample bilinear ${paddingMode} alignCorners=${alignCorners} (x and grid)`, async () => {
      await gradcheck(`gridSample ${paddingMode}`, (x, g) => gridSample(x, g, { paddingMode, alignCorners }),
        [{ shape: [2, 2, 4, 5] }, { shape: [2, 3, 2, 2], values: safeGrid(12, 4, 5, alignCorners, 11, -1.4, 1.4) }], await gpu());
    });
  }
}

test('gradcheck gridSample nearest (x; the grid gradient is zero)', async () => {
  await gradcheck('gridSample nearest', (x, g) => gridSample(x, g, { mode: 'nearest', paddingMode: 'reflection' }),
    [{ shape: [1, 2, 4, 5] }, { shape: [1, 3, 2, 2], values: safeGrid(6, 4, 5, false, 12, -1.4, 1.4) }], await gpu());
});

test('gradcheck roiAlign w.r.t. x', async () => {
  const boxes = [[0, 0.6, -1.2, 4.4, 3.7], [1, 2.1, 1.3, 2.9, 5.6], [0, -0.5, 0.5, 6.5, 5.5]];
  for (const aligned of [false, true]) {
    await gradcheck('roiAlign', (x) => roiAlign(x, boxes, [2, 3], { aligned }), [{ shape: [2, 2, 5, 6] }], await gpu());
  }
  await gradcheck('roiAlign sampling 2', (x) => roiAlign(x, boxes, [3, 2], { samplingRatio: 2, spatialScale: 0.9 }), [{ shape: [2, 1, 5, 6] }], await gpu());
});

const GRAD_RESIZES: [string, InterpolateOptions][] = [
  ['nearest', { size: [5, 3] }],
  ['bilinear', { scaleFactor: 1.6, mode: 'bilinear' }],
  ['bilinear align', { size: [3, 7], mode: 'bilinear', alignCorners: true }],
  ['bicubic', { size: [6, 3], mode: 'bicubic' }],
  ['bicubic align', { scaleFactor: [0.7, 1.5], mode: 'bicubic', alignCorners: true }],
  ['bilinear antialias', { size: [2, 3], mode: 'bilinear', antialias: true }],
  ['bicubic antialias', { size: [3, 2], mode: 'bicubic', antialias: true }],
];
for (const [name, o] of GRAD_RESIZES) {
  test(`gradcheck interpolate ${name}`, async () => {
    await gradcheck(`interpolate ${name}`, (x) => interpolate(x, o), [{ shape: [1, 2, 4, 5] }], await gpu());
  });
}

// ------------------------------------------------------------------ PyTorch fixtures

interface Enc { shape: number[]; data: number[] }
interface Case { name: string; op: 'grid_sample' | 'roi_align' | 'interpolate'; args: Record<string, unknown>; inputs: Enc[]; output: Enc; cotangent: number[]; grads: (number[] | null)[] }
const { cases } = JSON.parse(readFileSync(fixture('sampling', 'cases.json'), 'utf8')) as { cases: Case[] };

function torchOp(c: Case): F {
  const a = c.args as Record<string, never>;
  if (c.op === 'grid_sample') return (x, g) => gridSample(x, g, { mode: a.mode, paddingMode: a.padding_mode, alignCorners: a.align_corners });
  if (c.op === 'roi_align') {
    return (x, b) => roiAlign(x, b, a.output_size, { spatialScale: a.spatial_scale, samplingRatio: a.sampling_ratio, aligned: a.aligned });
  }
  return (x) => interpolate(x, { size: a.size, scaleFactor: a.scale_factor, mode: a.mode, alignCorners: a.align_corners, antialias: a.antialias });
}

async function replay(c: Case, b: Backend): Promise<void> {
  const xs = c.inputs.map((e, k) => {
    const t = Tensor.from(Float32Array.from(e.data), e.shape, { backend: b });
    return c.grads[k] ? t.requiresGrad_() : t;
  });
  const y = tidy(() => {
    const out = torchOp(c)(...xs);
    if (out.requiresGrad) out.mul(Tensor.from(Float32Array.from(c.cotangent), out.shape, { backend: b })).sum().backward();
    return out.detach();
  });
  const tol = { rtol: 1e-4, atol: 1e-5 };
  assert.equal([...y.shape], c.output.shape, `${c.name}: output shape`);
  assertClose(await y.data(), c.output.data, { ...tol, what: `${c.name} (${b.name}) output` });
  for (let k = 0; k < xs.length; k++) {
    const want = c.grads[k];
    if (!want) continue;
    assertClose(xs[k].grad ? await xs[k].grad!.data() : new Float64Array(want.length), want, { ...tol, what: `${c.name} (${b.name}) gradient of input ${k}` });
  }
  y.dispose();
  xs.forEach((x) => x.dispose());
}

for (const c of cases) {
  test(`PyTorch: ${c.name}`, async () => {
    await replay(c, cpu());
    await replay(c, await gpu());
  });
}

// ------------------------------------------------------------------ errors

test('clear errors before any GPU work', async () => {
  const g = await gpu();
  const x = Tensor.from(new Float32Array(2 * 3 * 4 * 5), [2, 3, 4, 5], { backend: g });
  const grid = (shape: number[]) => Tensor.from(new Float32Array(shape.reduce((p, q) => p * q, 1)), shape, { backend: g });
  assert.throws(() => gridSample(x, grid([2, 3, 3])), (e: Error) => e instanceof ShapeError && /\(N, Ho, Wo, 2\)/.test(e.message));
  assert.throws(() => gridSample(x, grid([2, 3, 3, 3])), (e: Error) => e instanceof ShapeError);
  assert.throws(() => gridSample(x, grid([1, 3, 3, 2])), (e: Error) => e instanceof ShapeError && /batch/.test(e.message));
  assert.throws(() => gridSample(x.reshape([6, 4, 5]), grid([6, 3, 3, 2])), (e: Error) => e instanceof ShapeError);
  assert.throws(() => gridSample(x, grid([2, 3, 3, 2]), { mode: 'bicubic' as never }), (e: Error) => e instanceof InputError && /mode/.test(e.message));
  assert.throws(() => gridSample(x, grid([2, 3, 3, 2]), { paddingMode: 'wrap' as never }), (e: Error) => e instanceof InputError);
  assert.throws(() => gridSample(x, Tensor.from([0, 0], [1, 1, 1, 2], { backend: g, dtype: 'i32' })), (e: Error) => e instanceof DTypeError);

  assert.throws(() => gridSample(x, Tensor.from(new Float32Array(12), [2, 3, 1, 2], { backend: cpu() })), (e: Error) => /different backends/.test(e.message));
  assert.throws(() => roiAlign(x, [[0, 1, 2, 3]], 2), (e: Error) => e instanceof ShapeError && /\(K, 5\)/.test(e.message));
  assert.throws(() => roiAlign(x, grid([3, 4]), 2), (e: Error) => e instanceof ShapeError && /\(K, 5\)/.test(e.message));
  assert.throws(() => roiAlign(x, [[2, 0, 0, 1, 1]], 2), (e: Error) => e instanceof InputError && /batch index/.test(e.message));
  assert.throws(() => roiAlign(x, [[0, 0, NaN, 1, 1]], 2), (e: Error) => e instanceof InputError);
  assert.throws(() => roiAlign(x, [[0, 0, 0, 1, 1]], [0, 2]), (e: Error) => e instanceof ShapeError && /outputSize/.test(e.message));
  assert.throws(() => roiAlign(x, [[0, 0, 0, 1, 1]], 2, { samplingRatio: 1.5 }), (e: Error) => e instanceof InputError);

  assert.throws(() => interpolate(x, { size: [4, 4], alignCorners: true }), (e: Error) => e instanceof InputError && /alignCorners/.test(e.message));
  assert.throws(() => interpolate(x, { size: [4, 4], antialias: true }), (e: Error) => e instanceof InputError && /antialias/.test(e.message));
  assert.throws(() => interpolate(x, { size: [4, 4], scaleFactor: 2 }), (e: Error) => e instanceof InputError && /exactly one/.test(e.message));
  assert.throws(() => interpolate(x, {}), (e: Error) => e instanceof InputError);
  assert.throws(() => interpolate(x, { size: [0, 4] }), (e: Error) => e instanceof ShapeError);
  assert.throws(() => interpolate(x, { scaleFactor: 0.1 }), (e: Error) => e instanceof ShapeError && /non-positive/.test(e.message));
  assert.throws(() => interpolate(x, { scaleFactor: -2 }), (e: Error) => e instanceof InputError);
  assert.throws(() => interpolate(x, { size: 4, mode: 'area' as never }), (e: Error) => e instanceof InputError && /mode/.test(e.message));
  x.dispose();
});

test('empty outputs: no grid points, no boxes', async () => {
  const g = await gpu();
  const x = Tensor.from(seededValues(24, 3), [1, 2, 3, 4], { backend: g });
  const y = gridSample(x, Tensor.from([], [1, 0, 3, 2], { backend: g }));
  assert.equal([...y.shape], [1, 2, 0, 3]);
  const r = roiAlign(x, [], [2, 2]);
  assert.equal([...r.shape], [0, 2, 2, 2]);
  assert.is((await r.data()).length, 0);
  [x, y, r].forEach((t) => t.dispose());
});

test.run();
