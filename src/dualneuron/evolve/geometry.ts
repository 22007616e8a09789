// Geometry on the sphere of codes (upstream geometry_utils: renormalize, ExpMap, SLERP, ang_dist), row vectors.
import { norm } from './optimizer.js';

/** x scaled to length r */
export function renormalize(x: Float64Array, r: number): Float64Array {
  const s = r / norm(x);
  return x.map((v) => v * s);
}

/** the angle between two vectors; cos is clamped to [-1, 1] so rounding cannot give NaN */
export function angle(a: Float64Array, b: Float64Array): number {
  let ab = 0;
  for (let i = 0; i < a.length; i++) ab += a[i] * b[i];
  return Math.acos(Math.max(-1, Math.min(1, ab / (norm(a) * norm(b)))));
}

/**
 * Spherical interpolation/extrapolation: (sin((1-t) w) a + sin(t w) b) / sin w, w the angle between a and b
 * (t = 1.5 extrapolates past b). When a and b are parallel (sin w = 0, upstream divides by zero) it returns a.
 */
export function slerp(a: Float64Array, b: Float64Array, t: number): Float64Array {
  const w = angle(a, b), sw = Math.sin(w);
  if (sw === 0) return a.slice();
  const fa = Math.sin((1 - t) * w), fb = Math.sin(t * w);
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (fa * a[i] + fb * b[i]) / sw;
  return out;
}

/**
 * The exponential map at x of a tangent vector v: (cos|v| x/|x| + sin|v| v/|v|) |x|, i.e. the point reached by
 * turning x by the angle |v| towards v, on the sphere of radius |x|. A zero tangent gives x.
 */
export function expMap(x: Float64Array, v: Float64Array): Float64Array {
  const xn = norm(x), a = norm(v);
  if (a === 0) return x.slice();
  const cx = Math.cos(a) / xn, sv = Math.sin(a) / a;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (cx * x[i] + sv * v[i]) * xn;
  return out;
}
