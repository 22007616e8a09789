// The Allen notebook's `create_gabor` (seeds/003), in float64 on the host, to the same numbers: a sinusoid of
// wavelength `wavelength` px and phase `phase` degrees running down the rows of an image padded by max(h, w) on
// every side, rotated counter-clockwise by `orientation` degrees with scipy.ndimage.rotate (cubic B-spline,
// prefiltered, reshape=False, rotation about the padded centre), multiplied by the separable Gaussian window
// signal.windows.gaussian(n, sigma) of each padded side, then cropped back to h x w shifted by (dy, dx) pixels.
//
// Orientation 0 gives horizontal stripes; the envelope is centred on ((h - 1) / 2, (w - 1) / 2) of the unshifted
// crop. The notebook's function takes `sz` but reads globals `height`, `width`: here (height, width) = sz.
//
// Why the rotation is cheap: the padded sinusoid is constant along each row, so its B-spline coefficients are
// b[row] x 1 and the interpolated value at a source point (y, x) is the 1-D cubic spline of the column at y
// (the x weights sum to one). Only the crop is evaluated. Extension (not in the notebook): `aspect` stretches the
// envelope along the stripes (sigma along the stripes = aspect x sigma across them) and rotates it with the
// carrier; aspect = 1 is the notebook's circular window exactly.

export interface GaborParams {
  /** carrier phase at padded row 0, degrees */
  phase: number;
  /** carrier wavelength, pixels (1 / spatial frequency) */
  wavelength: number;
  /** counter-clockwise rotation, degrees; 0 = horizontal stripes */
  orientation: number;
  /** standard deviation of the Gaussian window, pixels */
  sigma: number;
  /** translation down, whole pixels (create_gabor's int(dy * height)) */
  dy: number;
  /** translation right, whole pixels (int(dx * width)) */
  dx: number;
  /** envelope sigma along the stripes / across them (1 = the notebook's circular window) */
  aspect?: number;
}

const Z = Math.sqrt(3) - 2;

/**
 * Cubic B-spline coefficients of samples s (scipy's spline_filter1d, order 3, mirror boundary): the exact
 * inverse of b -> (b[k-1] + 4 b[k] + b[k+1]) / 6 by a causal and an anticausal first-order recursion.
 */
export function splineCoefficients(s: ArrayLike<number>): Float64Array {
  const n = s.length, c = Float64Array.from(s);
  if (n === 1) return c;
  const gain = (1 - Z) * (1 - 1 / Z);
  for (let i = 0; i < n; i++) c[i] *= gain;
  // causal initial value for the mirror-symmetric extension (..., s2, s1, s0, s1, s2, ...)
  const zn1 = Math.pow(Z, n - 1);
  let c0 = c[0] + zn1 * c[n - 1], zi = Z;
  for (let i = 1; i < n - 1; i++) { c0 += zi * (c[i] + zn1 * c[n - 1 - i]); zi *= Z; }
  c[0] = c0 / (1 - zn1 * zn1);
  for (let i = 1; i < n; i++) c[i] += Z * c[i - 1];
  c[n - 1] = (Z * c[n - 2] + c[n - 1]) * Z / (Z * Z - 1);
  for (let i = n - 2; i >= 0; i--) c[i] = Z * (c[i + 1] - c[i]);
  return c;
}

/** The cubic B-spline with coefficients c at position y (mirror-extended indices). */
export function splineAt(c: Float64Array, y: number): number {
  const n = c.length;
  const i0 = Math.floor(y) - 1;
  const t = y - Math.floor(y);
  // the four weights of the cubic B-spline at offsets -1, 0, 1, 2 from floor(y)
  const w0 = (1 - t) ** 3 / 6, w1 = (4 - 6 * t * t + 3 * t ** 3) / 6, w3 = t ** 3 / 6, w2 = 1 - w0 - w1 - w3;
  const at = (k: number) => {
    const p = 2 * (n - 1);
    let m = ((k % p) + p) % p;
    if (m >= n) m = p - m;
    return c[m];
  };
  return w0 * at(i0) + w1 * at(i0 + 1) + w2 * at(i0 + 2) + w3 * at(i0 + 3);
}

/** degrees -> cos and sin, exact at multiples of 90 (as scipy.special.cosdg / sindg) */
function cosSinDeg(deg: number): [number, number] {
  const r = ((deg % 360) + 360) % 360;
  if (r === 0) return [1, 0];
  if (r === 90) return [0, 1];
  if (r === 180) return [-1, 0];
  if (r === 270) return [0, -1];
  const a = (deg * Math.PI) / 180;
  return [Math.cos(a), Math.sin(a)];
}

/** The padded carrier's spline coefficients, shared by every position of one (phase, wavelength). */
export function carrierCoefficients(rows: number, phase: number, wavelength: number): Float64Array {
  const step = 360 / wavelength;
  const s = new Float64Array(rows);
  for (let k = 0; k < rows; k++) {
    const deg = phase + step * k;
    s[k] = Math.sin((((deg % 360) + 360) % 360) * (Math.PI / 180));
  }
  return splineCoefficients(s);
}

/**
 * create_gabor(sz=(height, width), ...) as an h x w row-major float64 image. `into` (h * w values) is reused when
 * given; `coef` (carrierCoefficients(h + 2 max(h, w), phase, wavelength)) saves recomputing the carrier.
 */
export function createGabor(height: number, width: number, p: GaborParams, into?: Float64Array, coef?: Float64Array): Float64Array {
  if (!(p.wavelength > 0) || !(p.sigma > 0)) throw new RangeError(`a Gabor needs wavelength > 0 and sigma > 0 (got ${p.wavelength}, ${p.sigma})`);
  if (!Number.isInteger(p.dy) || !Number.isInteger(p.dx) || Math.abs(p.dy) > height || Math.abs(p.dx) > width) {
    throw new RangeError(`Gabor shifts must be whole pixels within the image (|dy| <= ${height}, |dx| <= ${width}); got (${p.dy}, ${p.dx})`);
  }
  const pad = Math.max(height, width);
  const H = height + 2 * pad, W = width + 2 * pad;
  const cy = (H - 1) / 2, cx = (W - 1) / 2;
  const c = coef ?? carrierCoefficients(H, p.phase, p.wavelength);
  const [co, si] = cosSinDeg(p.orientation);
  const aspect = p.aspect ?? 1;
  const out = into ?? new Float64Array(height * width);
  const g = (d: number) => Math.exp(-0.5 * (d / p.sigma) ** 2);
  const gy = new Float64Array(height), gx = new Float64Array(width);
  for (let i = 0; i < height; i++) gy[i] = g(pad - p.dy + i - cy);
  for (let j = 0; j < width; j++) gx[j] = g(pad - p.dx + j - cx);
  for (let i = 0; i < height; i++) {
    const r = pad - p.dy + i, ry = r - cy;
    for (let j = 0; j < width; j++) {
      const col = pad - p.dx + j, rx = col - cx;
      // scipy's affine map: input (row, col) = R (output - centre) + centre, R = [[c, s], [-s, c]]
      const y = cy + co * ry + si * rx, x = cx - si * ry + co * rx;
      // mode='constant': outside the padded input the value is cval = 0 (far outside any practical envelope)
      const v = y < 0 || y > H - 1 || x < 0 || x > W - 1 ? 0 : splineAt(c, y);
      let env: number;
      if (aspect === 1) env = gy[i] * gx[j];
      else {
        // u across the stripes (along the rotated carrier's wave vector), v along them
        const u = co * ry + si * rx, w = -si * ry + co * rx;
        env = Math.exp(-0.5 * ((u / p.sigma) ** 2 + (w / (p.sigma * aspect)) ** 2));
      }
      out[i * width + j] = v * env;
    }
  }
  return out;
}

/**
 * The notebook's call: translations as fractions of the height / width in [-1, 1], truncated towards zero to
 * whole pixels (int(dy * height)).
 */
export function createGaborNotebook(sz: [number, number], phase: number, wavelength: number, orientation: number, sigma: number, dy: number, dx: number): Float64Array {
  if (Math.abs(dx) > 1 || Math.abs(dy) > 1) throw new RangeError('express translations as fractions of the height/width, i.e. numbers in [-1, 1]');
  const [h, w] = sz;
  return createGabor(h, w, { phase, wavelength, orientation, sigma, dy: Math.trunc(dy * h), dx: Math.trunc(dx * w) });
}
