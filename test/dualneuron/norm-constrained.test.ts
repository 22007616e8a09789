// The norm-constrained optimiser shared by the true poles and the recovery: for a linear objective w . x on
// {x = eta (a v) / |a v|} with a binary aperture a, the optimum is known in closed form: u = a v is any vector
// supported where a = 1, so by Cauchy-Schwarz x* = eta w_a / |w_a| (w_a: w inside the aperture, 0 outside), and
// the minimum is -x*. Several runs at once, maximised and minimised. (With a soft edge the optimum is the same,
// but edge pixels need v = u / a, far away when a is small; a binary aperture keeps the test about the optimiser.)
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, keep } from '../../src/tensor/index.js';
import { gpu } from '../helpers/backends.js';
import { optimiseAtNorm } from '../../src/dualneuron/simulate/norm-constrained.js';
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
      backend: b, size: S, aperture: a, norm: eta, init, steps: 200, lr: 0.05, what: 'test',
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

test('a non-finite objective stops with the problem named', async () => {
  const b = await gpu();
  const S = 24;
  let err: Error | null = null;
  try {
    await optimiseAtNorm({ backend: b, size: S, aperture: new Float64Array(S * S).fill(1), norm: 1, init: new Float32Array(S * S).fill(1), steps: 16, lr: 0.1, what: 'the test run', objective: (img) => img.sum().mul(Infinity) });
  } catch (e) { err = e as Error; }
  assert.ok(err && /the test run: the objective became/.test(err.message), String(err?.message));
});

test.run();
