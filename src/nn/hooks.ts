// Forward hooks: every call of the named modules' forward reports its output, as PyTorch's register_forward_hook.
// A hook is an own `forward` on the module instance, deleted when `fn` returns (BatchNorm2d.after sees it and runs
// the convolution and the normalisation as written instead of folded, so both report).
import type { Tensor } from '../tensor/index.js';
import type { Module } from './module.js';

export function withForwardHooks<T>(model: Module, names: readonly string[] | 'all', onOutput: (name: string, out: Tensor) => void, fn: () => T): T {
  const hooked: Module[] = [];
  try {
    for (const [name, m] of model.namedModules()) {
      if (names !== 'all' && !names.includes(name)) continue;
      const orig = m.forward;
      m.forward = (...args: Tensor[]) => { const y = orig.apply(m, args); onOutput(name, y); return y; };
      hooked.push(m);
    }
    return fn();
  } finally {
    for (const m of hooked) delete (m as { forward?: unknown }).forward;
  }
}
