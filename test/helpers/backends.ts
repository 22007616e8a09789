// Backends for tests: the WebGPU device (created once per process) and the float64 CPU oracle, plus
// comparison helpers with relative tolerances.
import * as assert from 'uvu/assert';
import { init, cpu, webgpu, type Backend, Tensor, type TensorData } from '../../src/tensor/index.js';

let gpuBackend: Backend | null = null;

export async function gpu(): Promise<Backend> {
  if (!gpuBackend) {
    gpuBackend = await webgpu();
    await init('webgpu');
  }
  return gpuBackend;
}

export const oracle = () => cpu();

/** Deterministic pseudo-random numbers for test inputs (not the library's generator). */
export function seededValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

/** The same host values on both backends. */
export function pair(values: ArrayLike<number>, shape: readonly number[], g: Backend, dtype: 'f32' | 'i32' | 'u32' | 'bool' = 'f32'): [Tensor, Tensor] {
  return [Tensor.from(values, shape, { backend: g, dtype }), Tensor.from(values, shape, { backend: cpu(), dtype })];
}

export interface CloseOptions { rtol?: number; atol?: number; what?: string }

/** max |a-b| / (atol + rtol*|b|) must be <= 1 elementwise; reports the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, opts: CloseOptions = {}): number {
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 1e-6;
  assert.is(actual.length, expected.length, `${opts.what ?? ''} length`);
  let worst = 0, at = -1, maxRel = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue;
    const err = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (!(err <= worst)) { worst = Number.isNaN(err) ? Infinity : err; at = i; }
    const rel = Math.abs(a - e) / Math.max(Math.abs(e), 1e-30);
    if (rel > maxRel) maxRel = rel;
  }
  if (worst > 1) assert.unreachable(`${opts.what ?? 'values'}: element ${at}: got ${actual[at]}, expected ${expected[at]} (rtol ${rtol}, atol ${atol})`);
  return maxRel;
}

export async function assertTensorsClose(a: Tensor, b: Tensor, opts: CloseOptions = {}): Promise<void> {
  assert.equal([...a.shape], [...b.shape], `${opts.what ?? ''} shape`);
  assert.is(a.dtype, b.dtype, `${opts.what ?? ''} dtype`);
  assertClose(await a.data(), await b.data(), opts);
}

export type { TensorData };
