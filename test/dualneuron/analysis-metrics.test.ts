// The Gabor generator, masks, luminance/contrast, power spectra and symmetry index against the NumPy/SciPy
// reference written from the Allen notebook's definitions (tools/golden/gabor_metrics.py, fixtures in
// test/fixtures/analysis/): within 1e-5 (relative to each quantity's scale).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { readNpy } from '../../src/io/npy.js';
import { toFloat64 } from '../../src/io/host-array.js';
import { fixture } from '../helpers/fixtures.js';
import { maxRelToScale } from '../helpers/compare.js';
import { createGaborNotebook, createGabor } from '../../src/dualneuron/analysis/gabor.js';
import { meanGabor, mostExcitingGabors } from '../../src/dualneuron/analysis/notebook-gabors.js';
import { circularMask } from '../../src/dualneuron/analysis/masks.js';
import { luminance, maskedContrast } from '../../src/dualneuron/analysis/image-metrics.js';
import { powerSpectrum, axialAverage, radialAverage, spectralPeak } from '../../src/dualneuron/analysis/spectrum.js';
import { symmetryIndex } from '../../src/dualneuron/analysis/symmetry.js';

const test = suite('analysis: Gabor generator and image metrics vs NumPy');
const dir = (f: string) => fixture('analysis', f);
const TOL = 1e-5;

interface GaborCase { sz: [number, number]; phase: number; wavelength: number; orientation: number; sigma: number; dy: number; dx: number }

test('create_gabor equals the notebook (scipy.ndimage.rotate, signal.windows.gaussian) within 1e-5', () => {
  const { cases } = JSON.parse(readFileSync(dir('gabor_cases.json'), 'utf8')) as { cases: GaborCase[] };
  const want = toFloat64(readNpy(dir('gabors.npy')));
  let off = 0;
  for (const c of cases) {
    const got = createGaborNotebook(c.sz, c.phase, c.wavelength, c.orientation, c.sigma, c.dy, c.dx);
    const w = want.subarray(off, off + got.length);
    off += got.length;
    let err = 0;
    for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - w[i]));
    // values lie in [-1, 1]: an absolute error is the error relative to the scale
    assert.ok(err < TOL, `${JSON.stringify(c)}: max |error| ${err}`);
  }
  assert.is(off, want.length, 'every case compared');
});

test('mean_gabor and most_exc_gabors', () => {
  const want = toFloat64(readNpy(dir('mean_gabor.npy')));
  const { mean_gabor_orientations: os } = JSON.parse(readFileSync(dir('gabor_cases.json'), 'utf8')) as { mean_gabor_orientations: number[] };
  // the notebook ranks the bank by firing rate: these responses put the fixture's orientations on top, in order
  const bank = [0, 45, 90, 135];
  const resp = [5, 3, 7, 1];
  const top = mostExcitingGabors(resp, 3).map((i) => bank[i]);
  assert.equal(top, os);
  const got = meanGabor(60, 96, top.map((o) => ({ phase: 3644.93333333, wavelength: Math.PI, orientation: o, sigma: 5, dy: 0, dx: 0 })));
  let err = 0;
  for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  assert.ok(err < TOL, `max |error| ${err}`);
  // ties keep bank order, as Python's stable sorted(..., reverse=True)
  assert.equal(mostExcitingGabors([1, 2, 2, 0, 2], 3), [1, 2, 4]);
});

test('aspect 1 is the notebook window; aspect stretches the envelope along the stripes', () => {
  const p = { phase: 30, wavelength: 8, orientation: 0, sigma: 6, dy: 0, dx: 0 };
  const a = createGabor(41, 41, p), b = createGabor(41, 41, { ...p, aspect: 1 + 1e-12 });
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-9);
  // orientation 0: stripes are horizontal, so aspect 2 doubles the envelope's width along x, not y
  const c = createGabor(41, 41, { ...p, aspect: 2 });
  const row = 20, col = 20;
  const env = (img: Float64Array, i: number, j: number) => img[i * 41 + j] / img[row * 41 + col];
  assert.ok(Math.abs(env(c, row, col + 12) - Math.exp(-0.5 * (12 / 12) ** 2)) < 1e-9, 'x-sigma 12');
  assert.ok(Math.abs(env(c, row, col + 12) - env(a, row, col + 12)) > 0.3, 'differs from aspect 1');
});

interface MetricCase {
  shape: [number, number]; radius: number; center: [number, number] | null; mask: number[]; mask_largest: number[];
  luminance: number; masked_sum: number; contrast: number; axial: number[]; radial: number[]; sym1: number; sym2: number;
  peak: { frequency: number; orientation: number };
}

test('masks, luminance, contrast, spectra, axial/radial averages, symmetry index, peak', () => {
  const cases = JSON.parse(readFileSync(dir('metrics.json'), 'utf8')) as MetricCase[];
  const imgs = toFloat64(readNpy(dir('metric_images.npy'))), powers = toFloat64(readNpy(dir('power.npy')));
  let off = 0;
  for (const c of cases) {
    const [h, w] = c.shape, n = h * w;
    const img = imgs.subarray(off, off + n), wantP = powers.subarray(off, off + n);
    off += n;
    const where = `${h}x${w} r=${c.radius} c=${JSON.stringify(c.center)}`;
    const m = circularMask(h, w, { center: c.center, radius: c.radius });
    assert.equal(Array.from(m.keys()).filter((k) => m[k]), c.mask, `${where}: mask`);
    const ml = circularMask(h, w, { center: c.center, radius: null });
    assert.equal(Array.from(ml.keys()).filter((k) => ml[k]), c.mask_largest, `${where}: largest mask`);
    const lum = luminance(img, h, w, c.radius, c.center);
    assert.ok(Math.abs(lum.value - c.luminance) <= TOL * Math.abs(c.luminance), `${where}: luminance ${lum.value} vs ${c.luminance}`);
    assert.ok(Math.abs(lum.masked.reduce((a, b) => a + b, 0) - c.masked_sum) <= TOL * Math.abs(c.masked_sum) + 1e-12, `${where}: masked image`);
    const con = maskedContrast(img, m);
    assert.ok(Math.abs(con - c.contrast) <= TOL * c.contrast, `${where}: contrast ${con} vs ${c.contrast}`);
    const s = powerSpectrum(img, h, w);
    const e = maxRelToScale(s.power, wantP);
    assert.ok(e.scaled < TOL, `${where}: power spectrum error ${e.scaled} of its max`);
    const ax = axialAverage(s), rad = radialAverage(s);
    assert.is(ax.length, c.axial.length, `${where}: axial bins`);
    assert.is(rad.length, c.radial.length, `${where}: radial bins`);
    const ea = maxRelToScale(ax, c.axial), er = maxRelToScale(rad, c.radial);
    assert.ok(ea.rel < TOL && er.scaled < TOL, `${where}: axial ${ea.rel}, radial ${er.scaled}`);
    for (const [k, want] of [[1, c.sym1], [2, c.sym2]] as const) {
      const si = symmetryIndex(ax, k);
      assert.ok(Math.abs(si - want) <= TOL * want, `${where}: SI_${k} ${si} vs ${want}`);
    }
    const pk = spectralPeak(s);
    assert.ok(Math.abs(pk.frequency - c.peak.frequency) < 1e-12 && Math.abs(pk.orientation - c.peak.orientation) < 1e-9, `${where}: peak ${JSON.stringify(pk)} vs ${JSON.stringify(c.peak)}`);
  }
});

test('the spectral peak of a Gabor sits at its frequency and orientation', () => {
  for (const [o, lambda] of [[0, 8], [90, 8], [30, 6], [120, 10]]) {
    const g = createGabor(64, 64, { phase: 0, wavelength: lambda, orientation: o, sigma: 12, dy: 0, dx: 0 });
    const pk = spectralPeak(powerSpectrum(g, 64, 64));
    // the DFT grid quantises to 1/64 cycles per pixel: the peak is the grid point nearest the carrier
    assert.ok(Math.abs(pk.frequency - 1 / lambda) < 1.5 / 64, `orientation ${o}, wavelength ${lambda}: f ${pk.frequency}`);
    const d = Math.abs(((pk.orientation - o + 90) % 180 + 180) % 180 - 90);
    assert.ok(d < 8, `orientation ${o}: peak at ${pk.orientation}`);
  }
});

test.run();
