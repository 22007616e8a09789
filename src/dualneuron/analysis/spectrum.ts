// Power spectra of gray images (the Allen notebook's |fftshift(fft2(img))|^2), their axial average over angle
// bins (`axial_average`, bin pi/16), a radial average over integer-radius rings, and the peak spatial frequency
// and orientation. Any image size: the 2-D DFT is computed directly along rows then columns (float64).

export interface Spectrum { power: Float64Array; h: number; w: number }

/** exp(-2 pi i k n / N) tables */
function twiddles(n: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let k = 0; k < n; k++) { re[k] = Math.cos((2 * Math.PI * k) / n); im[k] = -Math.sin((2 * Math.PI * k) / n); }
  return { re, im };
}

/** |fftshift(fft2(img))|^2 (h x w, row-major; zero frequency at (floor(h / 2), floor(w / 2))) */
export function powerSpectrum(img: ArrayLike<number>, h: number, w: number): Spectrum {
  const tw = twiddles(w), th = twiddles(h);
  // rows: A[y][v] = sum_x img[y][x] e^{-2 pi i v x / w}
  const ar = new Float64Array(h * w), ai = new Float64Array(h * w);
  for (let y = 0; y < h; y++) for (let v = 0; v < w; v++) {
    let sr = 0, si = 0;
    for (let x = 0; x < w; x++) { const t = (v * x) % w, a = img[y * w + x]; sr += a * tw.re[t]; si += a * tw.im[t]; }
    ar[y * w + v] = sr; ai[y * w + v] = si;
  }
  const power = new Float64Array(h * w);
  const sy = Math.floor(h / 2), sx = Math.floor(w / 2);
  for (let u = 0; u < h; u++) for (let v = 0; v < w; v++) {
    let sr = 0, si = 0;
    for (let y = 0; y < h; y++) {
      const t = (u * y) % h, r = ar[y * w + v], i = ai[y * w + v];
      sr += r * th.re[t] - i * th.im[t]; si += r * th.im[t] + i * th.re[t];
    }
    power[((u + sy) % h) * w + ((v + sx) % w)] = sr * sr + si * si;
  }
  return { power, h, w };
}

/** log(1 + power), as the notebook plots it */
export const logPower = (s: Spectrum): Float64Array => s.power.map(Math.log1p);

/**
 * `axial_average(power, bin_size)`: the mean power per angle bin floor(atan2(y - cy, x - cx) / bin) (bins shifted
 * to start at 0; centre (floor(w / 2), floor(h / 2)), the zero frequency included as the notebook does). Empty
 * bins are NaN (NumPy's 0 / 0).
 */
export function axialAverage(s: Spectrum, binSize = Math.PI / 16): Float64Array {
  const { h, w, power } = s;
  const cx = Math.trunc(w / 2), cy = Math.trunc(h / 2);
  const bins = new Int32Array(h * w);
  let lo = Infinity, hi = -Infinity;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const b = Math.floor(Math.atan2(y - cy, x - cx) / binSize);
    bins[y * w + x] = b; lo = Math.min(lo, b); hi = Math.max(hi, b);
  }
  return binnedMean(bins, power, lo, hi);
}

/** The mean power per ring floor(distance from the zero frequency) in frequency-index units, 0..max. */
export function radialAverage(s: Spectrum): Float64Array {
  const { h, w, power } = s;
  const cx = Math.trunc(w / 2), cy = Math.trunc(h / 2);
  const bins = new Int32Array(h * w);
  let hi = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const b = Math.floor(Math.sqrt((x - cx) ** 2 + (y - cy) ** 2));
    bins[y * w + x] = b; hi = Math.max(hi, b);
  }
  return binnedMean(bins, power, 0, hi);
}

function binnedMean(bins: Int32Array, v: Float64Array, lo: number, hi: number): Float64Array {
  const sum = new Float64Array(hi - lo + 1), count = new Float64Array(hi - lo + 1);
  for (let k = 0; k < bins.length; k++) { sum[bins[k] - lo] += v[k]; count[bins[k] - lo]++; }
  return sum.map((x, i) => x / count[i]);
}

export interface SpectralPeak {
  /** cycles per pixel, sqrt(fy^2 + fx^2) with fy = (row - cy) / h, fx = (col - cx) / w */
  frequency: number;
  /**
   * degrees in [0, 180), in create_gabor's convention: the wave vector (row, column) is (cos o, sin o), so a
   * Gabor of orientation o peaks at o (0: horizontal stripes)
   */
  orientation: number;
}

/** The strongest non-zero frequency (ties: the first in row-major order). */
export function spectralPeak(s: Spectrum): SpectralPeak {
  const { h, w, power } = s;
  const cx = Math.trunc(w / 2), cy = Math.trunc(h / 2);
  let best = -1, by = 0, bx = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (y === cy && x === cx) continue;
    if (power[y * w + x] > best) { best = power[y * w + x]; by = y; bx = x; }
  }
  const fy = (by - cy) / h, fx = (bx - cx) / w;
  let o = (Math.atan2(fx, fy) * 180) / Math.PI;
  o = ((o % 180) + 180) % 180;
  return { frequency: Math.hypot(fy, fx), orientation: o };
}
