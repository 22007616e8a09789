// Gradient receptive fields (`analyze rf`): (1) the Gaussian fit against scipy.optimize.curve_fit on the fixtures
// of tools/golden/rf_gauss_fit.py; (2) model neurons whose gradient map is a known rotated Gaussian (a linear
// filter with a Gaussian weight map through ELU: |d r / d x| = f'(w.x) |w|, so the mean map is proportional to
// the Gaussian for any noise), on WebGPU against the float64 CPU backend, the fit recovering centre, sigmas and
// angle, and a ReLU neuron whose silent images are skipped (counted on the host in float64); (3) the real V1
// twin (needs ../shared/upstream): the map against central finite differences of the twin's response, and the
// fitted centres of two neurons beside their readout positions.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { type Backend, Tensor, noGrad, tidy } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { toFloat64 } from '../../src/io/host-array.js';
import { fitGaussian2d, gaussMap } from '../../src/dualneuron/analysis/gauss-fit.js';
import { gradientRf, noiseImages } from '../../src/dualneuron/analysis/grad-rf.js';
import { muToPixel, readoutPositions } from '../../src/dualneuron/analysis/readout-position.js';
import { TWINS } from '../../src/models/twins/registry.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { gpu, oracle } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { cli } from '../helpers/cli.js';

const test = suite('analysis: gradient receptive fields');

interface Canon { amplitude: number; x0: number; y0: number; sigma_major: number; sigma_minor: number; angle: number; offset: number }
const fits = JSON.parse(readFileSync(fixture('rf', 'gauss_fits.json'), 'utf8')) as { cases: { file: string; H: number; W: number; fit: Canon; sse: number }[] };

const angleDiff = (a: number, b: number) => { const d = Math.abs(a - b) % 180; return Math.min(d, 180 - d); };

test('the Gaussian fit equals scipy curve_fit on the fixtures (least-squares minimum, canonical parameters)', () => {
  assert.ok(fits.cases.length >= 4);
  for (const c of fits.cases) {
    const m = toFloat64(readNpy(fixture('rf', c.file)));
    const f = fitGaussian2d(m, c.H, c.W);
    const want = c.fit, tag = `${c.file}`;
    assert.ok(f.converged, `${tag}: converged`);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
    assert.ok(Math.abs(f.x0 - want.x0) < 1e-5 && Math.abs(f.y0 - want.y0) < 1e-5, `${tag}: centre (${f.x0}, ${f.y0}) vs scipy (${want.x0}, ${want.y0})`);
    assert.ok(rel(f.sigmaMajor, want.sigma_major) < 1e-6 && rel(f.sigmaMinor, want.sigma_minor) < 1e-6, `${tag}: sigmas ${f.sigmaMajor}, ${f.sigmaMinor} vs ${want.sigma_major}, ${want.sigma_minor}`);
    assert.ok(angleDiff(f.angle, want.angle) < 1e-4, `${tag}: angle ${f.angle} vs ${want.angle}`);
    assert.ok(rel(f.amplitude, want.amplitude) < 1e-5, `${tag}: amplitude ${f.amplitude} vs ${want.amplitude}`);
    assert.ok(Math.abs(f.offset - want.offset) < 1e-6 * Math.abs(want.amplitude), `${tag}: offset ${f.offset} vs ${want.offset}`);
    const sse = f.rmse ** 2 * m.length;
    assert.ok(sse <= c.sse * (1 + 1e-9), `${tag}: residual ${sse} vs scipy ${c.sse}`);
  }
});

test('the fit refuses a constant map and a map of the wrong size', () => {
  assert.throws(() => fitGaussian2d(new Float64Array(25).fill(2), 5, 5), /constant/);
  assert.throws(() => fitGaussian2d(new Float64Array(24), 5, 5), /24 values, not 5 x 5/);
});

const H = 27, W = 31;
// true Gaussians (amplitude, x0, y0, sx, sy, t, offset); t in radians, screen counter-clockwise
const TRUE = [[1, 12.3, 16.8, 5, 2.5, Math.PI / 6, 0], [0.5, 20.6, 9.2, 3, 4.5, 1.2, 0]];

/** Three model neurons on (1, H, W): ELU of Gaussian filters 0 and 1, and ReLU(w0.x - 3) (silent for most noise). */
function modelNeurons(b: Backend) {
  const w = new Float32Array(H * W * 3);
  const g0 = gaussMap(TRUE[0], H, W), g1 = gaussMap(TRUE[1], H, W);
  for (let p = 0; p < H * W; p++) { w[p * 3] = g0[p]; w[p * 3 + 1] = -g1[p]; w[p * 3 + 2] = g0[p]; }
  const wt = Tensor.from(w, [H * W, 3], { backend: b });
  const shift = Tensor.from([0, 0, -3], [1, 3], { backend: b });
  const mix = Tensor.from([1, 1, 0], [1, 3], { backend: b });
  const forward = (x: Tensor) => {
    const a = x.reshape([x.shape[0], H * W]).matmul(wt).add(shift);
    // neurons 0, 1: ELU(a) + 1 (as the twins' output); neuron 2: ReLU(a)
    return a.elu().add(1).mul(mix).add(a.relu().mul(mix.neg().add(1)));
  };
  return { forward, dispose: () => { wt.dispose(); shift.dispose(); mix.dispose(); }, g0 };
}

test('model neurons with Gaussian RFs: WebGPU maps equal the float64 CPU maps; the fit recovers centre, sigmas and angle; silent images are skipped', async () => {
  const g = await gpu(), c = oracle();
  const opts = { shape: [1, H, W] as const, outputs: 3, neurons: [0, 1, 2], images: 24, noise: 'uniform' as const, amplitude: 1, seed: 7n, batch: 20 };
  const mg = modelNeurons(g), mc = modelNeurons(c);
  try {
    const rg = await gradientRf({ ...opts, forward: mg.forward, backend: g });
    const rc = await gradientRf({ ...opts, forward: mc.forward, backend: c });
    // the silent ReLU images, counted on the host in float64 from the same noise
    const noise = await noiseImages({ ...opts, backend: c });
    let active = 0;
    for (let i = 0; i < opts.images; i++) { let s = -3; for (let p = 0; p < H * W; p++) s += noise[i * H * W + p] * mg.g0[p]; if (s > 1e-8) active++; }
    assert.ok(active > 0 && active < opts.images, `the ReLU neuron is active for some images only (${active} of ${opts.images})`);
    assert.equal(rc.counts, [opts.images, opts.images, active]);
    assert.equal(rg.counts, rc.counts);
    for (let k = 0; k < 3; k++) {
      let mx = 0, err = 0;
      for (let p = 0; p < H * W; p++) { mx = Math.max(mx, rc.maps[k][p]); err = Math.max(err, Math.abs(rg.maps[k][p] - rc.maps[k][p])); }
      assert.ok(err < 1e-5 * mx, `neuron ${k}: WebGPU map vs float64 map, max error ${err} of max ${mx}`);
    }
    for (const [k, t] of [[0, TRUE[0]], [1, TRUE[1]], [2, TRUE[0]]] as const) {
      for (const [name, r, tol] of [['cpu', rc, 1e-7], ['webgpu', rg, 1e-3]] as const) {
        const f = fitGaussian2d(r.maps[k], H, W);
        const [sMaj, sMin, tMaj] = t[3] >= t[4] ? [t[3], t[4], t[5]] : [t[4], t[3], t[5] + Math.PI / 2];
        const tag = `${name} neuron ${k}`;
        assert.ok(Math.hypot(f.x0 - t[1], f.y0 - t[2]) < tol, `${tag}: centre (${f.x0}, ${f.y0}) vs (${t[1]}, ${t[2]})`);
        assert.ok(Math.abs(f.sigmaMajor - sMaj) < tol && Math.abs(f.sigmaMinor - sMin) < tol, `${tag}: sigmas ${f.sigmaMajor}, ${f.sigmaMinor} vs ${sMaj}, ${sMin}`);
        assert.ok(angleDiff(f.angle, (tMaj * 180) / Math.PI) < 100 * tol, `${tag}: angle ${f.angle} vs ${(tMaj * 180) / Math.PI}`);
        assert.ok(Math.abs(f.offset) < tol * f.amplitude && f.r2 > 1 - tol, `${tag}: offset ${f.offset}, R² ${f.r2}`);
      }
    }
  } finally { mg.dispose(); mc.dispose(); }
});

test('readout mu to pixels: the ends and the centre of the feature grid', () => {
  const v1 = TWINS.v1, v4 = TWINS.v4;
  assert.is(muToPixel(v1, -1, 11), 3.5);
  assert.is(muToPixel(v1, 1, 11), 83.5);
  assert.is(muToPixel(v1, 0, 11), 43.5);
  assert.is(muToPixel(v1, 2, 11), 83.5, 'clamped as the eval-mode readout');
  assert.is(muToPixel(v4, 1, 7), 96);
  assert.is(muToPixel(v4, 0, 7), 48);
});

test('analyze rf refuses bad options with their messages (before loading any weights)', () => {
  const cases: [string[], RegExp][] = [
    [['--neurons', '999'], /neuron 999 is out of range \(0\.\.457\)/],
    [['--neurons', '0', '--amplitude', '0'], /--amplitude must be > 0/],
    [['--neurons', '0', '--seed', '-1'], /--seed must be a whole number/],
    [['--neurons', '0', '--noise', 'pink'], /pink/],
    [['--neurons', '0', '--images', '0'], /--images/],
  ];
  for (const [args, re] of cases) {
    const r = cli(['analyze', 'rf', '--model', 'v1', ...args, '--out', '/nonexistent/rf-out']);
    assert.ok(r.status !== 0, args.join(' '));
    assert.match(r.stderr, re);
  }
});

withUpstream(test)('V1 twin: the map equals |central finite differences| of the response; fitted centres of neurons 0 and 1 beside the readout', async () => {
  const g = await gpu();
  const { model } = loadTwin('v1', { members: [1], centered: false, backend: g, weightsDir: upstreamWeightsHome() });
  try {
    const base = { forward: (x: Tensor) => model.forward(x), backend: g, shape: [1, 93, 93] as const, outputs: 458, noise: 'uniform' as const, amplitude: 1, seed: 3n };
    // one image: the map is |gradient| itself
    const one = await gradientRf({ ...base, neurons: [0], images: 1, batch: 1 });
    const map = one.maps[0];
    const x = await noiseImages({ ...base, images: 1 });
    const order = Array.from(map.keys()).sort((a, b) => map[b] - map[a]);
    const resp = async (v: Float32Array) => {
      const y = noGrad(() => tidy(() => model.forward(Tensor.from(v, [v.length / (93 * 93), 1, 93, 93], { backend: g }))));
      const d = await y.dataF32();
      y.dispose();
      return Array.from({ length: v.length / (93 * 93) }, (_, i) => d[i * 458]);
    };
    const h = 0.05;
    const pix = [order[0], order[5], order[40]];
    const batch = new Float32Array(pix.length * 2 * 93 * 93);
    pix.forEach((p, i) => { for (const [s, sign] of [[0, 1], [1, -1]]) { const off = (2 * i + s) * 93 * 93; batch.set(x, off); batch[off + p] += sign * h; } });
    const r = await resp(batch);
    pix.forEach((p, i) => {
      const fd = Math.abs((r[2 * i] - r[2 * i + 1]) / (2 * h));
      assert.ok(Math.abs(fd - map[p]) < 0.02 * map[order[0]], `pixel ${p}: |finite difference| ${fd} vs gradient map ${map[p]}`);
    });
    // neurons 0 and 1 with 16 images: a good fit near the readout position (the acceptance criterion, on two neurons)
    const rf = await gradientRf({ ...base, neurons: [0, 1], images: 16, batch: 16 });
    const pos = await readoutPositions(model, [0, 1]);
    rf.maps.forEach((m, k) => {
      const f = fitGaussian2d(m, 93, 93);
      const d = Math.hypot(f.x0 - pos[k].x, f.y0 - pos[k].y);
      console.error(`  V1 neuron ${k}: RF centre (${f.x0.toFixed(2)}, ${f.y0.toFixed(2)}), sigma ${f.sigmaMajor.toFixed(2)} x ${f.sigmaMinor.toFixed(2)}, R² ${f.r2.toFixed(3)}; readout (${pos[k].x.toFixed(2)}, ${pos[k].y.toFixed(2)}); distance ${d.toFixed(2)} px`);
      assert.ok(f.r2 > 0.5, `neuron ${k}: R² ${f.r2}`);
      assert.ok(d < 3, `neuron ${k}: RF centre ${d.toFixed(2)} px from the readout position`);
    });
  } finally { model.dispose(); }
});

test.run();
