// Least-squares fit of a rotated 2-D Gaussian plus offset to a map (H rows, W columns), float64, for receptive
// fields (Wang & Ponce's fit_2dgauss / twoD_Gaussian, written from its definition):
//   g(x, y) = offset + amplitude * exp(-(u^2 / (2 sx^2) + v^2 / (2 sy^2))),
//   u = (x - x0) cos t - (y - y0) sin t,  v = (x - x0) sin t + (y - y0) cos t,
// with x the column and y the row (pixel centres at integers), so t is the angle of the sx axis counter-clockwise
// as seen on screen (rows grow downward). This is twoD_Gaussian with x = column, y = row. The start comes from the
// map's moments (centroid and covariance of the map above its minimum), the fit is Levenberg-Marquardt with the
// analytic Jacobian, and the result is canonical: sigmaMajor >= sigmaMinor, angle in [0, 180) degrees.
import { InputError } from '../../errors.js';

export interface GaussFit {
  amplitude: number; x0: number; y0: number;
  /** sigmas along the major and minor axes, pixels */
  sigmaMajor: number; sigmaMinor: number;
  /** angle of the major axis, degrees counter-clockwise from the horizontal as seen on screen, in [0, 180) */
  angle: number;
  offset: number;
  /** 1 - SS_res / SS_tot over the map */
  r2: number;
  /** root mean square residual */
  rmse: number;
  iterations: number;
  converged: boolean;
}

/** The model at every pixel, row-major (H, W); p = [amplitude, x0, y0, sx, sy, t (radians), offset]. */
export function gaussMap(p: ArrayLike<number>, H: number, W: number): Float64Array {
  const out = new Float64Array(H * W);
  const [A, x0, y0, sx, sy, t, off] = Array.from(p);
  const c = Math.cos(t), s = Math.sin(t);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const dx = x - x0, dy = y - y0, u = dx * c - dy * s, v = dx * s + dy * c;
    out[y * W + x] = off + A * Math.exp(-(u * u / (2 * sx * sx) + v * v / (2 * sy * sy)));
  }
  return out;
}

/** Centroid and covariance of max(map - min, 0) as a start: [amplitude, x0, y0, sx, sy, t, offset]. */
export function momentStart(m: ArrayLike<number>, H: number, W: number): number[] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < m.length; i++) { lo = Math.min(lo, m[i]); hi = Math.max(hi, m[i]); }
  let s0 = 0, sx = 0, sy = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) { const w = m[y * W + x] - lo; s0 += w; sx += w * x; sy += w * y; }
  if (!(s0 > 0)) throw new InputError('Gaussian fit: the map is constant (no receptive field: every gradient is the same)');
  const cx = sx / s0, cy = sy / s0;
  let vxx = 0, vyy = 0, vxy = 0;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const w = m[y * W + x] - lo;
    vxx += w * (x - cx) ** 2; vyy += w * (y - cy) ** 2; vxy += w * (x - cx) * (y - cy);
  }
  vxx /= s0; vyy /= s0; vxy /= s0;
  // eigen-decomposition of [[vxx, vxy], [vxy, vyy]]; the major axis (cos a, sin a) in (column, row) is at screen angle -a
  const tr = (vxx + vyy) / 2, d = Math.sqrt(((vxx - vyy) / 2) ** 2 + vxy * vxy);
  const a = 0.5 * Math.atan2(2 * vxy, vxx - vyy);
  // a broad offset inflates the moments: halve the spread as a start (the fit corrects it)
  const l1 = Math.max(tr + d, 0.25), l2 = Math.max(tr - d, 0.25);
  return [hi - lo, cx, cy, Math.sqrt(l1) / 2, Math.sqrt(l2) / 2, -a, lo];
}

/** Solves the 7x7 system A x = b (Gaussian elimination with partial pivoting); null when singular. */
function solve(A: number[][], b: number[]): number[] | null {
  const n = b.length, M = A.map((r, i) => [...r, b[i]]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i][k]) > Math.abs(M[p][k])) p = i;
    if (!(Math.abs(M[p][k]) > 1e-300)) return null;
    [M[k], M[p]] = [M[p], M[k]];
    for (let i = k + 1; i < n; i++) { const f = M[i][k] / M[k][k]; for (let j = k; j <= n; j++) M[i][j] -= f * M[k][j]; }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) { let s = M[i][n]; for (let j = i + 1; j < n; j++) s -= M[i][j] * x[j]; x[i] = s / M[i][i]; }
  return x;
}

function sse(m: ArrayLike<number>, p: number[], H: number, W: number): number {
  const g = gaussMap(p, H, W);
  let s = 0;
  for (let i = 0; i < g.length; i++) s += (m[i] - g[i]) ** 2;
  return s;
}

/** Levenberg-Marquardt from `start` (default: the moments); the map is row-major (H, W). */
export function fitGaussian2d(m: ArrayLike<number>, H: number, W: number, o: { start?: number[]; maxIterations?: number } = {}): GaussFit {
  if (m.length !== H * W) throw new InputError(`Gaussian fit: the map has ${m.length} values, not ${H} x ${W}`);
  for (let i = 0; i < m.length; i++) if (!Number.isFinite(m[i])) throw new InputError(`Gaussian fit: the map holds a non-finite value at pixel ${i}`);
  let p = o.start ? [...o.start] : momentStart(m, H, W);
  const maxIt = o.maxIterations ?? 500;
  let cost = sse(m, p, H, W), lambda = 1e-3, it = 0, converged = false;
  for (; it < maxIt; it++) {
    const [A, x0, y0, sx, sy, t] = p, c = Math.cos(t), s = Math.sin(t);
    const JtJ = Array.from({ length: 7 }, () => new Array<number>(7).fill(0)), Jtr = new Array<number>(7).fill(0);
    const j = new Array<number>(7);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const dx = x - x0, dy = y - y0, u = dx * c - dy * s, v = dx * s + dy * c;
      const E = Math.exp(-(u * u / (2 * sx * sx) + v * v / (2 * sy * sy)));
      const r = m[y * W + x] - (p[6] + A * E), k = -A * E; // dg/dq = -A E dQ/dq
      const ux = u / (sx * sx), vy = v / (sy * sy);
      j[0] = E;
      j[1] = k * (-c * ux - s * vy);
      j[2] = k * (s * ux - c * vy);
      j[3] = k * (-u * u / (sx * sx * sx));
      j[4] = k * (-v * v / (sy * sy * sy));
      j[5] = k * (u * v * (1 / (sy * sy) - 1 / (sx * sx)));
      j[6] = 1;
      for (let a = 0; a < 7; a++) { Jtr[a] += j[a] * r; for (let b = a; b < 7; b++) JtJ[a][b] += j[a] * j[b]; }
    }
    for (let a = 0; a < 7; a++) for (let b = 0; b < a; b++) JtJ[a][b] = JtJ[b][a];
    let improved = false;
    while (lambda < 1e16) {
      const Ad = JtJ.map((row, a) => row.map((v, b) => (a === b ? v + lambda * Math.max(v, 1e-12) : v)));
      const step = solve(Ad, Jtr);
      if (step) {
        const q = p.map((v, a) => v + step[a]);
        const qc = Number.isFinite(q[3]) && Number.isFinite(q[4]) && q[3] !== 0 && q[4] !== 0 ? sse(m, q, H, W) : Infinity;
        if (qc <= cost) {
          const rel = (cost - qc) / Math.max(cost, 1e-300);
          const small = step.every((d, a) => Math.abs(d) <= 1e-10 * (Math.abs(p[a]) + 1e-10));
          p = q; cost = qc; lambda = Math.max(lambda / 10, 1e-12); improved = true;
          if (rel < 1e-15 || small) converged = true;
          break;
        }
      }
      lambda *= 10;
    }
    if (!improved) { converged = true; break; } // no step lowers the cost: a minimum to machine precision
    if (converged) break;
  }
  let [A, x0, y0, sx, sy, t, off] = p;
  sx = Math.abs(sx); sy = Math.abs(sy);
  if (sy > sx) { [sx, sy] = [sy, sx]; t += Math.PI / 2; }
  let deg = ((t * 180) / Math.PI) % 180;
  if (deg < 0) deg += 180;
  let mean = 0;
  for (let i = 0; i < m.length; i++) mean += m[i];
  mean /= m.length;
  let tot = 0;
  for (let i = 0; i < m.length; i++) tot += (m[i] - mean) ** 2;
  return { amplitude: A, x0, y0, sigmaMajor: sx, sigmaMinor: sy, angle: deg, offset: off, r2: tot > 0 ? 1 - cost / tot : NaN, rmse: Math.sqrt(cost / m.length), iterations: it, converged };
}
