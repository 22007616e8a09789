// Gabor filters and the aperture of the simulated population, in float64 on the host. Coordinates are pixel
// indices: column x and row y of an S x S image, the image centre at ((S - 1) / 2, (S - 1) / 2); orientation
// theta is the direction of the carrier's wave vector, measured from the +x axis towards +y (rows grow down).

export interface GaborSpec {
  /** centre, in pixels */
  x: number;
  y: number;
  /** standard deviation of the Gaussian envelope, pixels */
  sigma: number;
  /** carrier frequency, cycles per pixel */
  frequency: number;
  /** wave-vector direction, radians */
  orientation: number;
  /** carrier phase at the centre, radians (the 'cos' filter is cos(2 pi f u + phase)) */
  phase: number;
}

/**
 * The quadrature pair of a Gabor: cos(2 pi f u + phase) and sin(2 pi f u + phase) under the envelope, each made
 * zero-mean by subtracting a multiple of the envelope (so the subunit ignores the mean luminance) and scaled to
 * unit L2 norm. Row-major S*S values each.
 */
export function gaborPair(g: GaborSpec, size: number): { cos: Float64Array; sin: Float64Array } {
  const n = size * size;
  const env = new Float64Array(n), c = new Float64Array(n), s = new Float64Array(n);
  const ct = Math.cos(g.orientation), st = Math.sin(g.orientation);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    const dx = j - g.x, dy = i - g.y;
    const e = Math.exp(-(dx * dx + dy * dy) / (2 * g.sigma * g.sigma));
    const arg = 2 * Math.PI * g.frequency * (dx * ct + dy * st) + g.phase;
    const k = i * size + j;
    env[k] = e; c[k] = e * Math.cos(arg); s[k] = e * Math.sin(arg);
  }
  const envSum = env.reduce((a, b) => a + b, 0);
  for (const f of [c, s]) {
    const dc = f.reduce((a, b) => a + b, 0) / envSum;
    let ss = 0;
    for (let k = 0; k < n; k++) { f[k] -= dc * env[k]; ss += f[k] * f[k]; }
    const inv = 1 / Math.sqrt(ss);
    for (let k = 0; k < n; k++) f[k] *= inv;
  }
  return { cos: c, sin: s };
}

/** Radius (fraction of the side) inside which the aperture is 1, and the width of its raised-cosine edge. */
export const APERTURE = { radius: 0.4, edge: 0.1 } as const;

/**
 * The aperture of the MEI/LEI optimisation: 1 within 0.4 S of the centre, a raised-cosine fall to 0 over the next
 * 0.1 S, 0 beyond (so 0 in the corners and along the borders' middles only at the very edge).
 */
export function aperture(size: number): Float64Array {
  const a = new Float64Array(size * size), c = (size - 1) / 2;
  const r0 = APERTURE.radius * size, w = APERTURE.edge * size;
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    const r = Math.hypot(j - c, i - c);
    a[i * size + j] = r <= r0 ? 1 : r >= r0 + w ? 0 : 0.5 * (1 + Math.cos((Math.PI * (r - r0)) / w));
  }
  return a;
}
