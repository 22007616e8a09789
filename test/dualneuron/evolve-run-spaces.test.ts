// Evolution spaces: finishForTwin (aperture, then each image's L2 norm) against a float64 host computation, and a
// pixel space's images against the pixel parameterisation's formula sigmoid(p) * (hi - lo) + lo in float64.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor } from '../../src/tensor/index.js';
import { oracle, seededValues } from '../helpers/backends.js';
import { PixelParameterization } from '../../src/dualneuron/synthesis/parameterization.js';
import { ParameterizationSpace, finishForTwin } from '../../src/dualneuron/evolve/spaces.js';

const test = suite('evolve spaces');

test('finishForTwin: aperture then per-image norm, equal to float64 host arithmetic within 1e-5', async () => {
  const b = await oracle();
  const B = 3, C = 2, S = 5, n = C * S * S;
  const x = seededValues(B * n, 11), ap = seededValues(S * S, 12, 0, 1);
  const img = Tensor.from(x, [B, C, S, S], { backend: b }), a = Tensor.from(ap, [1, 1, S, S], { backend: b });
  const got = await finishForTwin(img, a, 12).dataF32();
  for (let k = 0; k < B; k++) {
    const y = new Float64Array(n);
    for (let c = 0; c < C; c++) for (let i = 0; i < S * S; i++) y[c * S * S + i] = x[k * n + c * S * S + i] * ap[i];
    const nn = Math.sqrt(y.reduce((s, v) => s + v * v, 0)) + 1e-8;
    for (let i = 0; i < n; i++) assert.ok(Math.abs(got[k * n + i] - 12 * y[i] / nn) <= 1e-5 * 12, `image ${k} value ${i}`);
  }
  assert.throws(() => finishForTwin(img, null, 0), /norm must be > 0/);
});

test('pixel space: codes (B, C*S*S) give sigmoid(code) scaled to the value range, row by row', async () => {
  const b = await oracle();
  const param = new PixelParameterization({ channels: 1, size: 4, valuesRange: [-2, 2], initStd: 0.1, blurGradient: false });
  const space = await ParameterizationSpace.create(param, b, 5n);
  assert.is(space.dim, 16);
  assert.is(space.initCode().length, 16);
  const codes = seededValues(2 * 16, 3);
  const viaSpace = await space.images(Tensor.from(codes, [2, 16], { backend: b })).dataF32();
  // the pixel parameterisation's documented map, img = sigmoid(p) * (hi - lo) + lo, in float64
  for (let i = 0; i < codes.length; i++) {
    const want = 4 / (1 + Math.exp(-codes[i])) - 2;
    assert.ok(Math.abs(viaSpace[i] - want) <= 1e-6, `value ${i}: ${viaSpace[i]} vs ${want}`);
  }
  assert.throws(() => space.images(Tensor.from(codes, [1, 32], { backend: b })), /codes must be \(B, 16\)/);
});

test.run();
