// The norm-constrained optimiser shared by the true poles and the recovery: for a linear objective w . x on
// {x = eta (a v) / |a v|} with a binary aperture a, the optimum is known in closed form: u = a v is any vector
// supported where a = 1, so by Cauchy-Schwarz x* = eta w_a / |w_a| (w_a: w inside the aperture, 0 outside), and
// the minimum is -x*. Several runs at once, maximised and minimised. (With a soft edge the optimum is the same,
// but edge pixels need v = u / a, far away when a is small; a binary aperture keeps the test about the optimiser.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, keep } from '../../src/tensor/index.js';
import { gpu } from '../helpers/backends.js';
import { optimiseAtNorm, projectBallBox } from '../../src/dualneuron/simulate/norm-constrained.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';

const test = suite('norm-constrained optimisation');

test('linear objectives: every run reaches the closed-form optimum (max and min) at norm eta', async () => {
  const b = await gpu();
  const S = 24, P = S * S, B = 4, eta = 3.7;
  const a = Float64Array.from({ length: P }, (_, k) => (Math.hypot((k % S) - (S - 1) / 2, Math.floor(k / S) - (S - 1) / 2) < 0.4 * S ? 1 : 0));
  const rng = new HostRng(123n);
  const w = Float64Array.from({ length: B * P }, () => rng.normal());
  const sign = [1, -1, 1, -1];
  const init = Float32Array.from({ length: B * P }, () => rng.normal());
  const wt = keep(Tensor.from(Float32Array.from(w, (v, k) => v * sign[Math.floor(k / P)]), [B, 1, S, S], { backend: b }));
  try {
    const x = await optimiseAtNorm({
      backend: b, size: S, aperture: a, norm: eta, range: null, init, steps: 200, lr: 0.05, what: 'test',
      objective: (img) => img.mul(wt).sum(),
    });
    for (let r = 0; r < B; r++) {
      const xr = x.subarray(r * P, (r + 1) * P);
      const aw = Array.from({ length: P }, (_, k) => (a[k] > 0 ? w[r * P + k] : 0));
      const naw = Math.hypot(...aw);
      let nx = 0, dot = 0;
      for (let k = 0; k < P; k++) { nx += xr[k] * xr[k]; dot += xr[k] * aw[k] / naw; }
      nx = Math.sqrt(nx);
      assert.ok(Math.abs(nx - eta) < 1e-4 * eta, `run ${r}: norm ${nx}, expected ${eta}`);
      const cos = (sign[r] * dot) / nx;
      assert.ok(cos > 0.99, `run ${r} (${sign[r] > 0 ? 'max' : 'min'}): cosine with the closed-form optimum ${cos}`);
      for (let k = 0; k < P; k++) if (a[k] === 0) assert.is(xr[k], 0, `run ${r}: pixel ${k} outside the aperture is ${xr[k]}`);
    }
  } finally {
    wt.dispose();
  }
});

// With a range: for a linear objective w . x on K = {x = a z : lo <= z <= hi, |x| <= eta} the optimum is the
// projection of t w onto K for t -> infinity, i.e. x* = clip(s w, a lo, a hi) with s the largest value at which
// |x*| = eta (water-filling): computed here by its own bisection on s, independent of projectBallBox.
function waterFill(w: Float64Array, l: Float64Array, h: Float64Array, eta: number): Float64Array {
  const at = (s: number) => w.map((v, k) => Math.min(h[k], Math.max(l[k], s * v)));
  const n2 = (x: Float64Array) => x.reduce((q, v) => q + v * v, 0);
  let lo = 0, hi = 1;
  while (n2(at(hi)) < eta * eta && hi < 1e12) hi *= 2;
  for (let i = 0; i < 200; i++) { const m = (lo + hi) / 2; if (n2(at(m)) < eta * eta) lo = m; else hi = m; }
  return at(lo);
}

test('with a pixel range: linear objectives reach the water-filling optimum (max and min), pixels in range, norm <= eta', async () => {
  const b = await gpu();
  const S = 24, P = S * S, B = 4, eta = 3.7, range = [-0.3, 0.3] as const;
  // a soft aperture: pixel k's bounds are a_k [lo, hi]
  const a = Float64Array.from({ length: P }, (_, k) => { const r = Math.hypot((k % S) - (S - 1) / 2, Math.floor(k / S) - (S - 1) / 2); return r < 0.3 * S ? 1 : r > 0.45 * S ? 0 : 0.5; });
  const rng = new HostRng(321n);
  const w = Float64Array.from({ length: B * P }, () => rng.normal());
  const sign = [1, -1, 1, -1];
  const init = Float32Array.from({ length: B * P }, () => rng.normal());
  const wt = keep(Tensor.from(Float32Array.from(w, (v, k) => v * sign[Math.floor(k / P)]), [B, 1, S, S], { backend: b }));
  const l = a.map((v) => v * range[0]), h = a.map((v) => v * range[1]);
  try {
    const x = await optimiseAtNorm({ backend: b, size: S, aperture: a, norm: eta, range, init, steps: 200, lr: 1, what: 'test', objective: (img) => img.mul(wt).sum() });
    for (let r = 0; r < B; r++) {
      const xr = x.subarray(r * P, (r + 1) * P), wr = w.subarray(r * P, (r + 1) * P).map((v) => v * sign[r]);
      const best = waterFill(wr, l, h, eta);
      let clipped = 0, nx = 0;
      for (let k = 0; k < P; k++) {
        assert.ok(xr[k] >= l[k] - 1e-7 && xr[k] <= h[k] + 1e-7, `run ${r}: pixel ${k} = ${xr[k]} outside [${l[k]}, ${h[k]}]`);
        if (Math.abs(best[k]) >= 0.3 - 1e-9) clipped++;
        nx += xr[k] * xr[k];
      }
      assert.ok(clipped > 20, `run ${r}: the test needs an active range (${clipped} pixels at a bound)`);
      assert.ok(Math.sqrt(nx) <= eta * (1 + 1e-6), `run ${r}: norm ${Math.sqrt(nx)} > ${eta}`);
      const got = wr.reduce((q, v, k) => q + v * xr[k], 0), opt = wr.reduce((q, v, k) => q + v * best[k], 0);
      assert.ok(got >= opt * (1 - 1e-5), `run ${r}: objective ${got} vs optimum ${opt}`);
    }
  } finally {
    wt.dispose();
  }
});

test('projectBallBox: the nearest point of the ball-box intersection (against random feasible points)', () => {
  const rng = new HostRng(5n), P = 50, eta = 1.5;
  const l = Float64Array.from({ length: P }, () => -0.1 - 0.4 * rng.uniform()), h = Float64Array.from({ length: P }, () => 0.1 + 0.4 * rng.uniform());
  for (let trial = 0; trial < 20; trial++) {
    const z = Float64Array.from({ length: P }, () => rng.normal() * (trial % 2 ? 0.1 : 1));
    const x = projectBallBox(z, l, h, eta);
    const d = (y: ArrayLike<number>) => Math.sqrt(Array.from(y).reduce((q, v, k) => q + (v - z[k]) ** 2, 0));
    assert.ok(Math.hypot(...x) <= eta * (1 + 1e-12));
    for (let k = 0; k < P; k++) assert.ok(x[k] >= l[k] && x[k] <= h[k]);
    // no feasible point is nearer: feasible points x + small moves, projected crudely (clip then scale into the ball)
    for (let m = 0; m < 200; m++) {
      let y = x.map((v, k) => Math.min(h[k], Math.max(l[k], v + 0.05 * rng.normal())));
      const ny = Math.hypot(...y);
      if (ny > eta) y = y.map((v) => (v * eta) / ny);
      assert.ok(d(y) >= d(x) - 1e-12, `trial ${trial}: a feasible point ${d(y)} nearer than the projection ${d(x)}`);
    }
  }
});

test('a non-finite objective stops with the problem named', async () => {
  const b = await gpu();
  const S = 24;
  let err: Error | null = null;
  try {
    await optimiseAtNorm({ backend: b, size: S, aperture: new Float64Array(S * S).fill(1), norm: 1, range: null, init: new Float32Array(S * S).fill(1), steps: 16, lr: 0.1, what: 'the test run', objective: (img) => img.sum().mul(Infinity) });
  } catch (e) { err = e as Error; }
  assert.ok(err && /the test run: the objective became/.test(err.message), String(err?.message));
});

test.run();
