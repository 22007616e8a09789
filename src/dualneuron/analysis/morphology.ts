// Binary morphology on H x W planes (row-major, 0/1 bytes) as upstream's estimate_mask uses it:
// scipy.ndimage.binary_closing with its default cross (4-neighbour) structure, skimage.morphology.label with
// connectivity 2 (8 neighbours) and skimage.morphology.convex_hull_image (defaults: pixel-edge midpoints as hull
// points, pixels on the hull's border included).
import { InputError } from '../../errors.js';

const CROSS: [number, number][] = [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]];

function check(m: Uint8Array, H: number, W: number, what: string): void {
  if (m.length !== H * W) throw new InputError(`${what}: ${m.length} values for a ${H}x${W} plane`);
}

/** One dilation (any cross neighbour set) or erosion (all set) step; pixels outside the plane count as 0. */
function crossStep(m: Uint8Array, H: number, W: number, erode: boolean): Uint8Array {
  const out = new Uint8Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let any = false, all = true;
    for (const [dy, dx] of CROSS) {
      const yy = y + dy, xx = x + dx;
      const v = yy >= 0 && yy < H && xx >= 0 && xx < W ? m[yy * W + xx] : 0;
      if (v) any = true; else all = false;
    }
    out[y * W + x] = (erode ? all : any) ? 1 : 0;
  }
  return out;
}

/**
 * scipy.ndimage.binary_closing(m, iterations=k) with the default structure: k dilations then k erosions by the
 * cross, border value 0 for both (so objects touching the border are eroded there, as scipy does).
 */
export function binaryClosing(m: Uint8Array, H: number, W: number, iterations: number): Uint8Array {
  check(m, H, W, 'binaryClosing');
  let a = m;
  for (let i = 0; i < iterations; i++) a = crossStep(a, H, W, false);
  for (let i = 0; i < iterations; i++) a = crossStep(a, H, W, true);
  return a;
}

/**
 * Connected components with 8-connectivity (skimage.morphology.label(m, connectivity=2)): 0 for background,
 * components numbered 1, 2, ... in the raster order of their first pixel. Returns the labels and each label's size.
 */
export function label8(m: Uint8Array, H: number, W: number): { labels: Int32Array; sizes: number[] } {
  check(m, H, W, 'label8');
  const labels = new Int32Array(H * W);
  const sizes: number[] = [0];
  const stack: number[] = [];
  for (let start = 0; start < H * W; start++) {
    if (!m[start] || labels[start]) continue;
    const id = sizes.length;
    let size = 0;
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!, y = Math.floor(p / W), x = p % W;
      size++;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
        const q = yy * W + xx;
        if (m[q] && !labels[q]) { labels[q] = id; stack.push(q); }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/** The largest component (ties: the lowest label, as numpy's argmax over bincount); null when m is empty. */
export function largestComponent(m: Uint8Array, H: number, W: number): Uint8Array | null {
  const { labels, sizes } = label8(m, H, W);
  if (sizes.length < 2) return null;
  let best = 1;
  for (let i = 2; i < sizes.length; i++) if (sizes[i] > sizes[best]) best = i;
  return Uint8Array.from(labels, (l) => (l === best ? 1 : 0));
}

/**
 * skimage.morphology.convex_hull_image(m) with its defaults: the convex hull of the midpoints of every set pixel's
 * four edges (pixel centre +-0.5 along each axis), and every pixel whose centre lies inside or on that hull. All
 * points are half-integers, so the test runs on doubled integer coordinates and is exact.
 */
export function convexHullImage(m: Uint8Array, H: number, W: number): Uint8Array {
  check(m, H, W, 'convexHullImage');
  // candidate hull points: the extreme pixels of each row and column suffice (skimage's possible_hull)
  const pts = new Map<string, [number, number]>();
  const add = (y: number, x: number) => {
    for (const [dy, dx] of [[-1, 0], [1, 0], [0, -1], [0, 1]]) {
      const p: [number, number] = [2 * y + dy, 2 * x + dx];
      pts.set(`${p[0]},${p[1]}`, p);
    }
  };
  for (let y = 0; y < H; y++) {
    let first = -1, last = -1;
    for (let x = 0; x < W; x++) if (m[y * W + x]) { if (first < 0) first = x; last = x; }
    if (first >= 0) { add(y, first); add(y, last); }
  }
  for (let x = 0; x < W; x++) {
    let first = -1, last = -1;
    for (let y = 0; y < H; y++) if (m[y * W + x]) { if (first < 0) first = y; last = y; }
    if (first >= 0) { add(first, x); add(last, x); }
  }
  const out = new Uint8Array(H * W);
  if (pts.size === 0) return out;
  const hull = monotoneChain([...pts.values()]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    const p: [number, number] = [2 * y, 2 * x];
    let inside = true;
    for (let i = 0; i < hull.length && inside; i++) if (cross(hull[i], hull[(i + 1) % hull.length], p) < 0) inside = false;
    out[y * W + x] = inside ? 1 : 0;
  }
  return out;
}

/** Andrew's monotone chain: the hull's vertices counter-clockwise (in the (row, col) plane), collinear points dropped. */
function monotoneChain(p: [number, number][]): [number, number][] {
  p.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [], upper: [number, number][] = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], q) <= 0) lower.pop();
    lower.push(q);
  }
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], q) <= 0) upper.pop();
    upper.push(q);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}
