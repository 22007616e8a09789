// Host copies of a module's tensors (the best weights early stopping keeps, checkpoints and member files): every
// parameter and buffer under its state-dict key, f32 as Float32Array (bit-exact on WebGPU), i32 counters as i32.
import { Tensor, noGrad, tidy } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import type { HostArray } from '../../io/host-array.js';

export type HostState = Map<string, HostArray>;

export async function tensorToHost(t: Tensor): Promise<HostArray> {
  if (t.dtype === 'i32') return { dtype: 'i32', shape: [...t.shape], data: Int32Array.from(await t.dataI32()) };
  return { dtype: 'f32', shape: [...t.shape], data: Float32Array.from(await t.dataF32()) };
}

export async function moduleToHost(m: Module): Promise<HostState> {
  const out: HostState = new Map();
  for (const [k, t] of m.stateDict()) out.set(k, await tensorToHost(t));
  return out;
}

/** Copies values into the module's existing tensors (the optimiser keeps references to the parameters). */
export function hostToModule(m: Module, s: HostState): void {
  const own = m.stateDict();
  noGrad(() => tidy(() => {
    for (const [k, t] of own) {
      const v = s.get(k);
      if (!v) throw new Error(`internal: saved state has no '${k}'`);
      t.copy_(Tensor.from(v.data as ArrayLike<number>, v.shape, { backend: t.backend, dtype: t.dtype }));
    }
  }));
}

export const prefixed = (s: HostState, prefix: string): [string, HostArray][] => [...s].map(([k, v]) => [`${prefix}${k}`, v]);

export function unprefixed(s: Map<string, HostArray>, prefix: string): HostState {
  return new Map([...s].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}
