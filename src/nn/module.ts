// Module: a named tree of submodules, parameters and buffers with PyTorch's state-dict key names, so weights
// load from upstream checkpoints without renaming tables. Modules own their tensors (kept out of tidy scopes)
// and free them in dispose().
import { WeightsError, ShapeError } from '../errors.js';
import { Tensor, keep, getBackend, zeros, full, type Backend, type DType } from '../tensor/index.js';
import type { HostArray } from '../io/host-array.js';
import { toFloat32 } from '../io/host-array.js';

export type StateDictValue = Tensor | HostArray;
export type StateDict = Map<string, StateDictValue>;

interface Slot { tensor: Tensor; kind: 'parameter' | 'buffer' }

export interface LoadReport { missing: string[]; unexpected: string[]; mismatched: string[]; loaded: number }

const isTensor = (v: StateDictValue): v is Tensor => v instanceof Tensor;

export abstract class Module {
  training = true;
  readonly backend: Backend;
  private readonly slots = new Map<string, Slot>();
  private readonly children = new Map<string, Module | null>();

  constructor(backend?: Backend) {
    this.backend = backend ?? getBackend();
  }

  // ------------------------------------------------------------------ registration
  /** A trainable tensor, zero-initialised until a state dict is loaded. */
  protected param(name: string, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    return this.setSlot(name, keep(zeros(shape, { backend: this.backend, dtype })), 'parameter');
  }

  /** A non-trainable tensor saved in the state dict (running statistics, counters). */
  protected buffer(name: string, shape: readonly number[], dtype: DType = 'f32', fill = 0): Tensor {
    return this.setSlot(name, keep(full(shape, fill, { backend: this.backend, dtype })), 'buffer');
  }

  protected module<M extends Module | null>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  private setSlot(name: string, t: Tensor, kind: Slot['kind']): Tensor {
    const old = this.slots.get(name);
    if (old && old.tensor !== t) old.tensor.dispose();
    t.name = name;
    this.slots.set(name, { tensor: t, kind });
    return t;
  }

  /** The current tensor of a parameter or buffer (it changes when a state dict is loaded). */
  protected get(name: string): Tensor {
    const s = this.slots.get(name);
    if (!s) throw new WeightsError(`${this.constructor.name} has no parameter or buffer '${name}'`);
    return s.tensor;
  }

  // ------------------------------------------------------------------ traversal
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, m] of this.children) if (m) yield* m.namedModules(prefix ? `${prefix}.${name}` : name);
  }

  *namedTensors(prefix = ''): Generator<[string, Tensor, Slot['kind']]> {
    for (const [p, m] of this.namedModules(prefix)) {
      for (const [name, s] of m.slots) yield [p ? `${p}.${name}` : name, s.tensor, s.kind];
    }
  }

  namedParameters(): [string, Tensor][] {
    return [...this.namedTensors()].filter(([, , k]) => k === 'parameter').map(([n, t]) => [n, t]);
  }

  parameters(): Tensor[] { return this.namedParameters().map(([, t]) => t); }

  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedTensors()].map(([n, t]) => [n, t]));
  }

  getSubmodule(path: string): Module {
    for (const [p, m] of this.namedModules()) if (p === path) return m;
    throw new WeightsError(`no submodule '${path}' in ${this.constructor.name}; known: ${[...this.namedModules()].map(([p]) => p || '(root)').slice(0, 40).join(', ')}`);
  }

  // ------------------------------------------------------------------ state dicts
  /**
   * Copy values into this module's parameters and buffers by key. With `strict` (default) any missing,
   * unexpected or shape-mismatched key is an error that lists them all; otherwise they are reported.
   * 64-bit integer counters (`num_batches_tracked`) are stored as i32.
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean; source?: string } = {}): LoadReport {
    const strict = opts.strict ?? true;
    const own = new Map<string, { module: Module; name: string; slot: Slot }>();
    for (const [p, m] of this.namedModules()) for (const [name, slot] of m.slots) own.set(p ? `${p}.${name}` : name, { module: m, name, slot });
    const missing = [...own.keys()].filter((k) => !sd.has(k));
    const unexpected = [...sd.keys()].filter((k) => !own.has(k));
    const mismatched: string[] = [];
    for (const [k, v] of sd) {
      const o = own.get(k);
      if (!o) continue;
      const want = o.slot.tensor.shape;
      if (v.shape.length !== want.length || v.shape.some((s, i) => s !== want[i])) mismatched.push(`${k}: checkpoint [${v.shape.join(', ')}] vs model [${want.join(', ')}]`);
    }
    if (strict && (missing.length || unexpected.length || mismatched.length)) {
      const lines = [`state dict${opts.source ? ` from ${opts.source}` : ''} does not fit ${this.constructor.name}:`];
      if (missing.length) lines.push(`  missing keys (${missing.length}): ${missing.join(', ')}`);
      if (unexpected.length) lines.push(`  unexpected keys (${unexpected.length}): ${unexpected.join(', ')}`);
      if (mismatched.length) lines.push(`  shape mismatches (${mismatched.length}):\n    ${mismatched.join('\n    ')}`);
      throw new WeightsError(lines.join('\n'));
    }
    let loaded = 0;
    for (const [k, v] of sd) {
      const o = own.get(k);
      if (!o || mismatched.some((m) => m.startsWith(`${k}:`))) continue;
      const dtype = o.slot.tensor.dtype;
      const t = isTensor(v)
        ? keep(v.backend === this.backend ? v.to(dtype) : (() => { throw new ShapeError(`state dict tensor '${k}' lives on another backend`); })())
        : keep(Tensor.from(hostValues(v, dtype), o.slot.tensor.shape, { backend: this.backend, dtype }));
      o.module.setSlot(o.name, t, o.slot.kind);
      loaded++;
    }
    return { missing, unexpected, mismatched, loaded };
  }

  // ------------------------------------------------------------------ modes and lifetime
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this { return this.train(false); }

  /** Set requiresGrad on every parameter (false freezes the module: no gradient work for its weights). */
  requiresGrad_(flag: boolean): this {
    for (const t of this.parameters()) t.requiresGrad_(flag);
    return this;
  }

  dispose(): void {
    for (const [, t] of this.namedTensors()) t.dispose();
  }

  abstract forward(...args: Tensor[]): Tensor;
}

function hostValues(a: HostArray, dtype: DType): ArrayLike<number> {
  if (dtype === 'f32') return toFloat32(a);
  if (a.data instanceof BigInt64Array) return Int32Array.from(a.data, (v) => Number(v));
  return a.data as ArrayLike<number>;
}

/** Modules run in order. */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(layers: Module[], backend?: Backend) {
    super(backend);
    this.layers = layers;
    layers.forEach((m, i) => this.module(String(i), m));
  }
  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
}

/** A named group of modules (PyTorch's ModuleDict / plain attribute containers). */
export class ModuleDict extends Module {
  constructor(entries: Record<string, Module>, backend?: Backend) {
    super(backend);
    for (const [k, m] of Object.entries(entries)) this.module(k, m);
  }
  forward(): Tensor { throw new WeightsError('ModuleDict has no forward(); call its members'); }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor { return x; }
}
