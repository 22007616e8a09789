// Deterministic weights shared with tools/golden/det_weights.py (see there): the PyTorch fixtures for
// random-weight models store only outputs; both sides regenerate the same float32 weights from this hash.
import type { HostArray } from '../../src/io/host-array.js';

function hash32(p: number, i: number): number {
  let h = (Math.imul(p, 0x9e3779b1) + Math.imul(i, 0x85ebca77) + 0x165667b1) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39) >>> 0;
  h ^= h >>> 15;
  return h >>> 0;
}

export function detValue(name: string, shape: readonly number[], p: number): HostArray {
  const n = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('num_batches_tracked')) return { dtype: 'i64', shape: [...shape], data: new BigInt64Array(n) };
  const out = new Float32Array(n);
  const fanIn = shape.length > 1 ? n / shape[0] : 1;
  const convScale = Math.sqrt(2 / fanIn) / Math.sqrt(1 / 12);
  for (let i = 0; i < n; i++) {
    const u = (hash32(p, i) >>> 8) / 2 ** 24 - 0.5;
    let v: number;
    if (name.endsWith('running_var')) v = 0.75 + 0.5 * (u + 0.5);
    else if (name.endsWith('running_mean') || name.endsWith('bias') || name.includes('grn')) v = 0.1 * u;
    else if (shape.length === 1) v = 1 + 0.2 * u;
    else v = u * convScale;
    out[i] = v;
  }
  return { dtype: 'f32', shape: [...shape], data: out };
}

/** The deterministic state dict for a model's own keys and shapes. */
export function detStateDict(shapes: Map<string, readonly number[]>): Map<string, HostArray> {
  const keys = [...shapes.keys()].sort();
  return new Map(keys.map((k, p) => [k, detValue(k, shapes.get(k)!, p)]));
}
