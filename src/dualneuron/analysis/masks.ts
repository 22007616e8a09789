// The Allen notebook's circular mask (seeds/003 `create_circular_mask`): pixels whose centre lies within
// `radius` of `center`, with the centre given as (x, y) = (column, row) and defaulting to (int(w / 2), int(h / 2)).

export interface CircleSpec {
  /** (x, y) = (column, row); default (floor(w / 2), floor(h / 2)) */
  center?: [number, number] | null;
  /** default 12 (the notebook's); null: the largest circle that fits (min distance from the centre to a wall) */
  radius?: number | null;
}

export function circularMask(h: number, w: number, o: CircleSpec = {}): Uint8Array {
  const center = o.center ?? [Math.trunc(w / 2), Math.trunc(h / 2)];
  const radius = o.radius === undefined ? 12 : o.radius ?? Math.min(center[0], center[1], w - center[0], h - center[1]);
  const m = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    m[y * w + x] = Math.sqrt((x - center[0]) ** 2 + (y - center[1]) ** 2) <= radius ? 1 : 0;
  }
  return m;
}
