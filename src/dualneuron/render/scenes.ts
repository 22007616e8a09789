// Procedural natural-statistics scenes, standing in for the upstream set of 200k rendered images: a coloured
// 1/f background with a lighting gradient, then 3-12 occluding objects (ellipses, rotated rectangles, polygons)
// drawn back to front, each with its own surface texture (flat shaded, grating, checkerboard, or 1/f noise) and
// anti-aliased edges, then mild sensor noise. Every image is a pure function of (seed, index).
import { deriveSeed } from '../../tensor/random.js';
import { FastRng, HostRng } from './rng.js';
import { pinkNoise } from './noise.js';

export interface SceneOptions { size: number; seed: number | bigint }

/** coverage in [0, 1] of pixel centre (x, y), and a bounding box outside which coverage is 0 */
type Shape = { kind: 'ellipse' | 'rect' | 'polygon'; inside: (x: number, y: number) => number; box: [number, number, number, number] };

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

function randomColor(rng: HostRng): [number, number, number] {
  // natural-ish colours: a luminance and a modest chroma offset
  const l = rng.range(0.1, 0.9);
  const sat = rng.range(0, 0.35);
  const hue = rng.range(0, 2 * Math.PI);
  return [clamp01(l + sat * Math.cos(hue)), clamp01(l + sat * Math.cos(hue - 2.094)), clamp01(l + sat * Math.cos(hue + 2.094))];
}

/** Signed-distance-like coverage in [0, 1] with a soft edge about one pixel wide. */
const cover = (d: number) => clamp01(0.5 - d);

function makeShape(rng: HostRng, size: number): Shape {
  const cx = rng.range(-0.1, 1.1) * size, cy = rng.range(-0.1, 1.1) * size;
  const r = size * rng.range(0.05, 0.45);
  const kind = rng.pick(['ellipse', 'rect', 'polygon'] as const);
  const th = rng.range(0, Math.PI);
  const c = Math.cos(th), s = Math.sin(th);
  const box: [number, number, number, number] = [cx - r - 2, cy - r - 2, cx + r + 2, cy + r + 2];
  if (kind === 'ellipse') {
    const a = r, b = r * rng.range(0.3, 1);
    return { kind, box, inside: (x, y) => { const u = (x - cx) * c + (y - cy) * s, v = -(x - cx) * s + (y - cy) * c; const q = Math.hypot(u / a, v / b); return cover((q - 1) * Math.min(a, b)); } };
  }
  if (kind === 'rect') {
    const a = r, b = r * rng.range(0.2, 1);
    const rb = Math.hypot(a, b) + 2;
    return { kind, box: [cx - rb, cy - rb, cx + rb, cy + rb], inside: (x, y) => { const u = Math.abs((x - cx) * c + (y - cy) * s), v = Math.abs(-(x - cx) * s + (y - cy) * c); return cover(Math.max(u - a, v - b)); } };
  }
  const k = rng.int(3, 7);
  const pts: [number, number][] = [];
  const angles = Array.from({ length: k }, () => rng.range(0, 2 * Math.PI)).sort((p, q) => p - q);
  for (const a of angles) { const rr = r * rng.range(0.5, 1); pts.push([cx + rr * Math.cos(a), cy + rr * Math.sin(a)]); }
  return {
    kind, box, inside: (x, y) => {
      // distance to a convex-ish polygon: max over edges of the signed distance to each edge line
      let d = -Infinity;
      for (let i = 0; i < k; i++) {
        const [x0, y0] = pts[i], [x1, y1] = pts[(i + 1) % k];
        const ex = x1 - x0, ey = y1 - y0, len = Math.hypot(ex, ey) || 1;
        d = Math.max(d, ((x - x0) * ey - (y - y0) * ex) / len);
      }
      return cover(d);
    },
  };
}

type Texture = (x: number, y: number, i: number) => number;

function makeTexture(rng: HostRng, size: number): Texture {
  const kind = rng.pick(['flat', 'grating', 'checker', 'noise', 'noise'] as const);
  const contrast = rng.range(0.1, 0.5);
  if (kind === 'flat') {
    const gx = rng.normal() * 0.3 / size, gy = rng.normal() * 0.3 / size;
    return (x, y) => (x - size / 2) * gx + (y - size / 2) * gy;
  }
  if (kind === 'grating') {
    const f = rng.range(2, 30) / size, th = rng.range(0, Math.PI), ph = rng.range(0, 2 * Math.PI);
    return (x, y) => contrast * Math.sin(2 * Math.PI * f * (x * Math.cos(th) + y * Math.sin(th)) + ph);
  }
  if (kind === 'checker') {
    const p = rng.range(4, 30), th = rng.range(0, Math.PI);
    return (x, y) => { const u = x * Math.cos(th) + y * Math.sin(th), v = -x * Math.sin(th) + y * Math.cos(th); return contrast * ((Math.floor(u / p) + Math.floor(v / p)) % 2 === 0 ? 1 : -1); };
  }
  const field = pinkNoise(rng, size, rng.range(0.8, 2));
  return (_x, _y, i) => contrast * 0.5 * field[i];
}

/** One RGB scene as HWC uint8. */
export function renderScene(index: number, opts: SceneOptions): Uint8Array {
  const S = opts.size;
  const rng = new HostRng(deriveSeed(BigInt(opts.seed), index));
  const img = new Float64Array(S * S * 3);
  // background: coloured 1/f field plus a lighting gradient
  const lum = pinkNoise(rng, S, rng.range(0.9, 1.6));
  const chroma = [pinkNoise(rng, S, 1.8), pinkNoise(rng, S, 1.8)];
  const base = randomColor(rng);
  const lc = rng.range(0.05, 0.18);
  const gx = rng.normal() * 0.15 / S, gy = rng.normal() * 0.15 / S;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const i = y * S + x, light = (x - S / 2) * gx + (y - S / 2) * gy;
    const l = lc * lum[i] + light, a = 0.03 * chroma[0][i], b = 0.03 * chroma[1][i];
    img[3 * i] = base[0] + l + a; img[3 * i + 1] = base[1] + l - 0.5 * a + b; img[3 * i + 2] = base[2] + l - 0.5 * a - b;
  }
  // occluders, back to front
  const n = rng.int(3, 13);
  for (let k = 0; k < n; k++) {
    const shape = makeShape(rng, S);
    const tex = makeTexture(rng, S);
    const col = randomColor(rng);
    const shade = rng.range(-0.15, 0.15);
    const [x0, y0, x1, y1] = shape.box.map((v) => Math.min(S, Math.max(0, Math.floor(v))));
    for (let y = y0; y < y1 + 1 && y < S; y++) for (let x = x0; x < x1 + 1 && x < S; x++) {
      const a = shape.inside(x + 0.5, y + 0.5);
      if (a <= 0) continue;
      const i = y * S + x, t = tex(x, y, i) + shade * ((y - S / 2) / S);
      for (let ch = 0; ch < 3; ch++) img[3 * i + ch] = (1 - a) * img[3 * i + ch] + a * (col[ch] + t);
    }
  }
  const sensor = rng.range(0.002, 0.02);
  const fast = new FastRng(rng);
  const out = new Uint8Array(S * S * 3);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(255 * clamp01(img[i] + sensor * fast.normal()));
  return out;
}
