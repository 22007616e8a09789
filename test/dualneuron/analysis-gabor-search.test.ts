// The Gabor bank search on constructed model neurons whose optimum over Gabors at a fixed norm is known, with
// the float64 host formulas as the oracle: (0) a linear unit whose filter is a notebook Gabor p* off the grid:
// by Cauchy-Schwarz its best input at norm n is n p* / |p*| (response n |p*|), its worst the negation (p*'s
// phase + 180); (1) an energy unit on the quadrature pair (p*, p* + 90 degrees of phase): its maximum over all
// inputs at norm n is n^2 times the top eigenvalue of the pair's 2 x 2 Gram matrix, attained by a Gabor of the
// family (a sum of the two carriers is a carrier of another phase). The grid alone does not reach either.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, cpu, stack } from '../../src/tensor/index.js';
import { renderGabor, type GaborGrid, type Presentation, type SearchGabor } from '../../src/dualneuron/analysis/gabor-bank.js';
import { evaluateGabors, searchGabors } from '../../src/dualneuron/analysis/gabor-search.js';
import { notebookParams } from '../../src/dualneuron/analysis/gabor-bank.js';
import { createGabor } from '../../src/dualneuron/analysis/gabor.js';

const test = suite('analysis: Gabor search');
const S = 33, NORM = 5;
const star: SearchGabor = { dy: 2, dx: -1, orientation: 37, wavelength: 7.3, phase: 50, sigma: 4.2, aspect: 1.3 };
const pres: Presentation = { channels: 1, size: S, aperture: null, norm: NORM };

const raw = (g: SearchGabor) => createGabor(S, S, notebookParams(S, S, g));
const f0 = raw(star), f90 = raw({ ...star, phase: star.phase + 90 });
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

/** outputs: 0 linear unit on f0, 1 energy unit on (f0, f90) */
function model() {
  const b = cpu();
  const F = new Float32Array(S * S * 3);
  for (let i = 0; i < S * S; i++) { F[i * 3] = f0[i]; F[i * 3 + 1] = f0[i]; F[i * 3 + 2] = f90[i]; }
  const W = Tensor.from(F, [S * S, 3], { backend: b });
  return {
    backend: b,
    forward: (x: Tensor) => {
      const B = x.shape[0];
      const z = x.reshape([B, S * S]).matmul(W);
      const lin = z.slice([null, [0, 1]]).reshape([B]);
      const en = z.slice([null, [1, 3]]).square().sum(1);
      return stack([lin, en], 1);
    },
    dispose: () => W.dispose(),
  };
}

const grid: GaborGrid = {
  dy: [-3, 0, 3], dx: [-3, 0, 3], orientation: [0, 22.5, 45, 67.5, 90, 112.5, 135, 157.5], wavelength: [4, 6, 9, 13],
  phase: [0, 90, 180, 270], sigma: [2.5, 4, 6.5], aspect: [1, 2],
};
const angle = (a: number, b: number, period: number) => Math.abs((((a - b) % period) + period * 1.5) % period - period / 2);

test('the model on rendered Gabors equals the host formula', async () => {
  const m = model();
  const gs = [star, { ...star, phase: 200 }, { ...star, orientation: 100, dy: -4 }];
  const { responses } = await evaluateGabors(m, 2, pres, gs, 2);
  gs.forEach((g, k) => {
    const x = new Float32Array(S * S);
    renderGabor(g, pres, x);
    assert.ok(Math.abs(responses[k * 2] - dot(f0, x)) < 1e-4 * NORM, 'linear');
    const e = dot(f0, x) ** 2 + dot(f90, x) ** 2;
    assert.ok(Math.abs(responses[k * 2 + 1] - e) < 1e-4 * (1 + e), 'energy');
  });
  m.dispose();
});

test('finds the optimum Gabor of a linear and of an energy unit', async () => {
  const m = model();
  const n0 = Math.sqrt(dot(f0, f0));
  const linMax = NORM * n0;
  const g00 = dot(f0, f0), g01 = dot(f0, f90), g11 = dot(f90, f90);
  const energyMax = NORM ** 2 * ((g00 + g11) / 2 + Math.sqrt(((g00 - g11) / 2) ** 2 + g01 ** 2));
  const { results, gridResponses, evaluations } = await searchGabors({ model: m, outputs: 2, neurons: [0, 1], presentation: pres, grid, batch: 512, starts: 2, iterations: 40 });
  assert.is(gridResponses.length, 3 * 3 * 8 * 4 * 4 * 3 * 2 * 2);
  const [lin, en] = results;
  // the grid alone falls short: refinement is what reaches the optimum
  assert.ok(lin.best.gridResponse < 0.97 * linMax, `grid best ${lin.best.gridResponse} vs ${linMax}`);
  assert.ok(lin.best.response > (1 - 1e-3) * linMax && lin.best.response <= linMax * (1 + 1e-4), `linear best ${lin.best.response} vs optimum ${linMax}`);
  assert.ok(lin.worst.response < -(1 - 1e-3) * linMax, `linear worst ${lin.worst.response} vs ${-linMax}`);
  const b = lin.best.gabor;
  assert.equal([b.dy, b.dx], [star.dy, star.dx], 'position');
  assert.ok(angle(b.orientation, star.orientation, 180) < 1, `orientation ${b.orientation}`);
  assert.ok(Math.abs(b.wavelength / star.wavelength - 1) < 0.02, `wavelength ${b.wavelength}`);
  assert.ok(Math.abs(b.sigma / star.sigma - 1) < 0.03, `sigma ${b.sigma}`);
  assert.ok(Math.abs(b.aspect / star.aspect - 1) < 0.05, `aspect ${b.aspect}`);
  assert.ok(angle(b.phase, star.phase, 360) < 3, `phase ${b.phase}`);
  assert.ok(angle(lin.worst.gabor.phase, star.phase + 180, 360) < 3, `worst phase ${lin.worst.gabor.phase}`);
  assert.ok(en.best.response > (1 - 1e-3) * energyMax && en.best.response <= energyMax * (1 + 1e-4), `energy best ${en.best.response} vs optimum ${energyMax}`);
  const e = en.best.gabor;
  assert.equal([e.dy, e.dx], [star.dy, star.dx], 'energy position');
  assert.ok(angle(e.orientation, star.orientation, 180) < 1.5 && Math.abs(e.wavelength / star.wavelength - 1) < 0.03, `energy ${JSON.stringify(e)}`);
  assert.ok(en.worst.response >= 0 && en.worst.response < en.best.response);
  assert.ok(evaluations > gridResponses.length / 2, 'refinement evaluated candidates');
  m.dispose();
});

test('--max-value: Gabors whose input exceeds the limit are never chosen', async () => {
  const m = model();
  const x = new Float32Array(S * S);
  const limit = 0.8 * renderGabor(star, pres, x);
  const { results } = await searchGabors({ model: m, outputs: 2, neurons: [0, 1], presentation: pres, grid, batch: 512, starts: 1, iterations: 6, maxValue: limit });
  for (const r of results) for (const p of [r.best, r.worst]) {
    assert.ok(p.peak <= limit, `peak ${p.peak} > ${limit}`);
    const y = new Float32Array(S * S);
    assert.ok(Math.abs(renderGabor(p.gabor, pres, y) - p.peak) < 1e-6, 'reported peak is the Gabor\'s');
  }
  // the optimum itself is excluded, so the linear unit falls short of it
  assert.ok(results[0].best.response < NORM * Math.sqrt(dot(f0, f0)) * (1 - 1e-4));
  m.dispose();
});

test.run();
