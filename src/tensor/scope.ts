// Memory scopes. Every tensor created while a `tidy` is running is recorded in the innermost scope; when the
// function returns, every recorded tensor that is not part of the result is disposed, and the returned ones move
// to the enclosing scope. GPU memory never depends on the garbage collector.
import { DualNeuronError } from '../errors.js';

export interface Disposable { dispose(): void; readonly isDisposed: boolean }

const scopes: Set<Disposable>[] = [];

export function track<T extends Disposable>(t: T): T {
  if (scopes.length) scopes[scopes.length - 1].add(t);
  return t;
}

/** Exclude a tensor from automatic disposal by every enclosing scope. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

function collect(value: unknown, into: Set<Disposable>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (typeof (value as Disposable).dispose === 'function' && 'isDisposed' in (value as object)) { into.add(value as Disposable); return; }
  if (Array.isArray(value)) { for (const v of value) collect(v, into, seen); return; }
  if (value instanceof Map) { for (const v of value.values()) collect(v, into, seen); return; }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, seen);
}

/**
 * Run `fn` and dispose every tensor it created except those it returns (found inside arrays, Maps and plain
 * objects too). Synchronous only: readbacks (`await t.data()`) go outside.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T | undefined;
  let ok = false;
  try {
    result = fn();
    if (result instanceof Promise) throw new DualNeuronError('tidy(fn): fn must be synchronous; await readbacks outside tidy');
    ok = true;
    return result;
  } finally {
    scopes.pop();
    const kept = new Set<Disposable>();
    if (ok) collect(result, kept);
    for (const t of scope) {
      if (kept.has(t)) track(t);
      else if (!t.isDisposed) t.dispose();
    }
  }
}

export function scopeDepth(): number { return scopes.length; }
