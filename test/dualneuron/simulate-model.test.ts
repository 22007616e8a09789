// The simulated population's model neuron (issue 14 item 6). Oracles: the float64 host formula (neuron.ts) for
// the tensor model's rates on WebGPU and the CPU backend; central finite differences of the float64 host formula
// for the tensor model's image gradients and for the host's analytic gradient; full-field gratings for the
// Gabor filters' preferred orientation and frequency.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, cpu } from '../../src/tensor/index.js';
import { gpu, assertClose } from '../helpers/backends.js';
import { gaborPair, aperture } from '../../src/dualneuron/simulate/gabor.js';
import { HostNeuron, baselineRate, softplus, type NeuronParams } from '../../src/dualneuron/simulate/neuron.js';
import { calibrate, drawNeuron } from '../../src/dualneuron/simulate/params.js';
import { PopulationModel } from '../../src/dualneuron/simulate/population-model.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { cosineInAperture } from '../../src/dualneuron/simulate/truth.js';

const test = suite('simulate model neuron');
const S = 32;
const cal = calibrate(7n, S);
const params: NeuronParams[] = Array.from({ length: 6 }, (_, n) => drawNeuron(n, 7n, 0.5, cal));
const hosts = params.map((p) => new HostNeuron(p, S));

/** test images: two calibration scenes, scaled filter images of both signs (both relu branches), noise */
function images(): Float64Array[] {
  const rng = new HostRng(11n);
  const out: Float64Array[] = [cal.scenes[0], cal.scenes[1]];
  // [neuron, filter (0 excitatory cos, 2 suppressive cos), scale]
  for (const [n, k, f] of [[0, 0, 3], [1, 2, -3], [2, 0, -2], [3, 2, 2]] as const) out.push(hosts[n].filters[k].map((v, i) => f * v + 0.05 * Math.sin(i)));
  out.push(Float64Array.from({ length: S * S }, () => 0.2 * rng.normal()));
  out.push(new Float64Array(S * S));
  return out;
}

test('Gabor pair: zero mean, unit norm, nearly orthogonal; full-field gratings peak at its orientation and frequency', () => {
  const g = { x: 15.2, y: 16.7, sigma: 3.5, frequency: 0.16, orientation: 1.1, phase: 0.7 };
  const { cos, sin } = gaborPair(g, S);
  for (const f of [cos, sin]) {
    assert.ok(Math.abs(f.reduce((a, b) => a + b, 0)) < 1e-12, 'zero mean');
    assert.ok(Math.abs(f.reduce((a, b) => a + b * b, 0) - 1) < 1e-12, 'unit norm');
  }
  assert.ok(Math.abs(cos.reduce((a, v, i) => a + v * sin[i], 0)) < 0.05, 'quadrature');
  // energy of the cos filter's projections on full-field gratings of orientation th and frequency f
  let best = { th: 0, f: 0, e: -1 };
  for (let th = 0; th < Math.PI; th += Math.PI / 180) for (let f = 0.08; f <= 0.26; f += 0.005) {
    let a = 0, b = 0;
    for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
      const w = 2 * Math.PI * f * (j * Math.cos(th) + i * Math.sin(th));
      a += cos[i * S + j] * Math.cos(w); b += cos[i * S + j] * Math.sin(w);
    }
    if (a * a + b * b > best.e) best = { th, f, e: a * a + b * b };
  }
  assert.ok(Math.abs(best.th - 1.1) < 0.05, `preferred orientation ${best.th}`);
  assert.ok(Math.abs(best.f - 0.16) < 0.011, `preferred frequency ${best.f}`);
});

test('aperture: 1 inside 0.4 S, 0 beyond 0.5 S, monotone raised-cosine edge', () => {
  const a = aperture(S), c = (S - 1) / 2;
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
    const r = Math.hypot(i - c, j - c), v = a[i * S + j];
    if (r <= 0.4 * S) assert.is(v, 1);
    else if (r >= 0.5 * S) assert.is(v, 0);
    else assert.ok(v > 0 && v < 1);
  }
});

test('host formula: blank image gives the baseline; rate = rho softplus(drive); analytic gradient = finite differences', () => {
  for (const h of hosts) {
    assert.ok(Math.abs(h.rate(new Float64Array(S * S)) - baselineRate(h.params)) < 1e-12);
    assert.ok(baselineRate(h.params) > 0);
  }
  for (const x of images().slice(0, 7)) for (const h of hosts.slice(0, 3)) {
    assert.ok(Math.abs(h.rate(x) - h.params.rate_scale * softplus(h.drive(x))) < 1e-12);
    const g = h.rateGradient(x), fd = new Float64Array(x.length), e = 1e-5;
    for (let k = 0; k < x.length; k++) {
      const p = x.slice(), m = x.slice();
      p[k] += e; m[k] -= e;
      fd[k] = (h.rate(p) - h.rate(m)) / (2 * e);
    }
    const scale = Math.max(...fd.map(Math.abs));
    assertClose(g, fd, { rtol: 1e-5, atol: 1e-6 * scale, what: 'host gradient vs finite differences' });
  }
});

for (const which of ['webgpu', 'cpu'] as const) {
  test(`tensor model on ${which}: forward and perNeuron rates equal the float64 host formula`, async () => {
    const b = which === 'cpu' ? cpu() : await gpu();
    const xs = images();
    const model = new PopulationModel(params, S, b);
    const flat = new Float32Array(xs.length * S * S);
    xs.forEach((x, i) => flat.set(x, i * S * S));
    const xsF32 = xs.map((x) => Float64Array.from(Float32Array.from(x))); // the host sees the same float32 images
    const want = new Float64Array(xs.length * params.length);
    xsF32.forEach((x, i) => hosts.forEach((h, n) => { want[i * params.length + n] = h.rate(x); }));
    const x = Tensor.from(flat, [xs.length, 1, S, S], { backend: b });
    const y = tidy(() => model.forward(x));
    assert.equal(y.shape, [xs.length, params.length]);
    // on the CPU backend only the float32 storage of filters and coefficients differs from the host
    const tol = which === 'cpu' ? { rtol: 1e-6, atol: 1e-6 } : { rtol: 2e-4, atol: 1e-4 };
    assertClose(await y.data(), want, { ...tol, what: 'forward' });
    // perNeuron: neurons 2..4, each with its own 3 images
    const M = 3, K = 3, sel = new Float32Array(M * K * S * S), wantD = new Float64Array(M * K);
    for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) {
      const i = (m * K + k) % xs.length;
      sel.set(flat.subarray(i * S * S, (i + 1) * S * S), (m * K + k) * S * S);
      wantD[m * K + k] = hosts[2 + m].rate(xsF32[i]);
    }
    const xd = Tensor.from(sel, [M, K, S, S], { backend: b });
    const yd = tidy(() => model.perNeuron(xd, 2));
    assert.equal(yd.shape, [M, K]);
    assertClose(await yd.data(), wantD, { ...tol, what: 'perNeuron' });
    const ud = tidy(() => model.perNeuron(xd, 2, 'drive'));
    const wantU = wantD.map((_, j) => hosts[2 + Math.floor(j / K)].drive(xsF32[j % xs.length]));
    assertClose(await ud.data(), wantU, { ...tol, what: 'perNeuron drive' });
    ud.dispose();
    [x, y, xd, yd].forEach((t) => t.dispose());
    model.dispose();
  });

  test(`tensor model on ${which}: image gradients equal finite differences of the float64 host formula`, async () => {
    const b = which === 'cpu' ? cpu() : await gpu();
    const model = new PopulationModel(params, S, b);
    const xs = images().slice(0, 6).map((x) => Float64Array.from(Float32Array.from(x)));
    for (const [i, n] of [[0, 0], [1, 3], [2, 0], [3, 2], [4, 5], [5, 2]] as const) {
      const x = Tensor.from(Float32Array.from(xs[i]), [1, 1, S, S], { backend: b }).requiresGrad_();
      tidy(() => model.perNeuron(x.reshape([1, 1, S, S]), n).sum().backward());
      const g = await x.grad!.data();
      const h = hosts[n], fd = new Float64Array(S * S), e = 1e-5;
      for (let k = 0; k < fd.length; k++) {
        const p = xs[i].slice(), m = xs[i].slice();
        p[k] += e; m[k] -= e;
        fd[k] = (h.rate(p) - h.rate(m)) / (2 * e);
      }
      const scale = Math.max(...fd.map(Math.abs));
      assert.ok(scale > 0, 'a non-zero gradient');
      assertClose(g, fd, { rtol: which === 'cpu' ? 1e-6 : 1e-3, atol: (which === 'cpu' ? 1e-7 : 1e-4) * scale, what: `gradient of neuron ${n} at image ${i}` });
      x.dispose();
    }
    model.dispose();
  });
}

test('cosineInAperture: a hand-computed case; offset and positive scale do not matter; errors', () => {
  // a-weighted means 1.8 and 2; a (x - m) = [-0.8, 0.2, 0.6], a (y - m) = [1, -1, 0]: cos = -1 / sqrt(1.04 * 2)
  assert.ok(Math.abs(cosineInAperture([1, 2, 3], [3, 1, 2], [1, 1, 0.5]) + 1 / Math.sqrt(2.08)) < 1e-12);
  assert.ok(Math.abs(cosineInAperture([1, 2, 3], [13, 11, 12].map((v) => 3 * v), [1, 1, 0.5]) + 1 / Math.sqrt(2.08)) < 1e-12);
  assert.is(cosineInAperture([1, 1, 5], [1, 2, 3], [1, 1, 0]), 0, 'constant inside the aperture');
  assert.throws(() => cosineInAperture([1, 2], [1, 2, 3], [1, 1, 1]), /images of 2 and 3 values/);
  assert.throws(() => cosineInAperture([1, 2, 3], [1, 2, 3], [0, 0, 0]), /zero everywhere/);
});

test.run();
