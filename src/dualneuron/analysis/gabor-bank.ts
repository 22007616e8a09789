// The Gabor bank of the search: Gabors in the search's coordinates (phase at the envelope centre, so that a
// change of wavelength does not move the phase under the envelope), the grid over them, and their rendering as
// model inputs at the MEIs' presentation (the twin's aperture, then the fixed L2 norm of the synthesis recipe).
import { createGabor, type GaborParams } from './gabor.js';

export interface SearchGabor {
  /** shift down / right from the image centre, whole pixels */
  dy: number;
  dx: number;
  /** counter-clockwise, degrees (create_gabor's: 0 = horizontal stripes) */
  orientation: number;
  /** pixels */
  wavelength: number;
  /** carrier phase at the envelope's centre, degrees (sin: 0 puts a zero crossing at the centre, 90 a bright bar) */
  phase: number;
  /** envelope sigma across the stripes, pixels */
  sigma: number;
  /** envelope sigma along the stripes / across them */
  aspect: number;
}

export const GRID_AXES = ['dy', 'dx', 'orientation', 'wavelength', 'phase', 'sigma', 'aspect'] as const;
export type GaborGrid = Record<(typeof GRID_AXES)[number], number[]>;

/** create_gabor's arguments of a search Gabor (its phase at padded row 0) for an h x w image */
export function notebookParams(h: number, w: number, g: SearchGabor): GaborParams {
  const rows = h + 2 * Math.max(h, w);
  const centre = (rows - 1) / 2;
  const phase = (((g.phase - (360 * centre) / g.wavelength) % 360) + 360) % 360;
  return { phase, wavelength: g.wavelength, orientation: g.orientation, sigma: g.sigma, dy: g.dy, dx: g.dx, aspect: g.aspect };
}

const geometric = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (n === 1 ? 0 : i / (n - 1)));
const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * The default coarse grid for S x S images: shifts -r, 0, r (r = round(S / 16)), 8 orientations over 180
 * degrees, 5 wavelengths from max(3, 0.045 S) to 0.29 S, 4 phases, 4 sigmas from 0.035 S to 0.22 S, aspects 1
 * and 2 (S = 93: 11,520 Gabors).
 */
export function defaultGrid(S: number): GaborGrid {
  const r = Math.max(1, Math.round(S / 16));
  return {
    dy: [-r, 0, r], dx: [-r, 0, r],
    orientation: Array.from({ length: 8 }, (_, i) => i * 22.5),
    wavelength: geometric(Math.max(3, 0.045 * S), 0.29 * S, 5).map(round3),
    phase: [0, 90, 180, 270],
    sigma: geometric(Math.max(1.5, 0.035 * S), 0.22 * S, 4).map(round3),
    aspect: [1, 2],
  };
}

export const gridSize = (g: GaborGrid) => GRID_AXES.reduce((n, a) => n * g[a].length, 1);

/** The Gabor at a flat index of the grid (row-major over GRID_AXES: aspect varies fastest). */
export function gridPoint(g: GaborGrid, index: number): SearchGabor {
  const out = {} as SearchGabor;
  let k = index;
  for (let a = GRID_AXES.length - 1; a >= 0; a--) {
    const ax = g[GRID_AXES[a]];
    out[GRID_AXES[a]] = ax[k % ax.length];
    k = Math.floor(k / ax.length);
  }
  return out;
}

/** How Gabors are shown to the twin: the MEIs' channels, size, aperture and norm. */
export interface Presentation {
  channels: number;
  size: number;
  /** S * S values multiplied into the image before the norm (the twin's scaled mask), or null */
  aperture: ArrayLike<number> | null;
  /** L2 norm of each model input (over all channels), or null: the raw Gabor (peak 1) */
  norm: number | null;
}

/**
 * The model input of a Gabor (C * S * S values, the gray Gabor in every channel) written at `offset` of `into`;
 * returns the input's largest |value|. A Gabor the aperture removes entirely stays all zeros.
 */
export function renderGabor(g: SearchGabor, pres: Presentation, into: Float32Array, offset = 0, scratch?: Float64Array): number {
  const S = pres.size, n = S * S;
  const img = createGabor(S, S, notebookParams(S, S, g), scratch);
  if (pres.aperture) for (let i = 0; i < n; i++) img[i] *= pres.aperture[i];
  let ss = 0;
  for (let i = 0; i < n; i++) ss += img[i] * img[i];
  const f = pres.norm === null ? 1 : ss > 0 ? pres.norm / Math.sqrt(ss * pres.channels) : 0;
  let peak = 0;
  for (let c = 0; c < pres.channels; c++) for (let i = 0; i < n; i++) {
    const v = img[i] * f;
    into[offset + c * n + i] = v;
    peak = Math.max(peak, Math.abs(v));
  }
  return peak;
}
