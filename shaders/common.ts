// Shared WGSL snippets for kernel templates.
// Binding convention: @binding(0) is the read-only u32 parameter array `P`; then outputs (read_write), then
// inputs (read).
// Grids past the device's 65535 workgroups per dimension: 1-D work folds its count into x and y (`grid1d`, read
// back by `linearMain`); kernels on 3-D grids declare a `tile` field in their parameter layout, and the engine
// splits a grid too large for one dispatch into several, each with its first workgroup in `tile` (`tiledMain`).

export type WType = 'f32' | 'i32' | 'u32';

export interface BufferDecl { name: string; type: WType | string; access: 'read' | 'read_write' }

export function bindings(outputs: BufferDecl[], inputs: BufferDecl[]): string {
  const lines = ['@group(0) @binding(0) var<storage, read> P: array<u32>;'];
  let b = 1;
  for (const d of [...outputs, ...inputs]) {
    lines.push(`@group(0) @binding(${b++}) var<storage, ${d.access}> ${d.name}: array<${d.type}>;`);
  }
  return lines.join('\n');
}

/** Entry point header for 1-D work of `wg` invocations per workgroup on a (possibly 2-D) grid. */
export function linearMain(wg: number): string {
  return `@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * ${wg}u;`;
}

/** Workgroup grid for `n` items with `wg` invocations each: 1-D when it fits, else 2-D. */
export function grid1d(n: number, wg: number, maxDim = 65535): [number, number, number] {
  const groups = Math.ceil(n / wg);
  if (groups <= maxDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxDim);
  return [Math.ceil(groups / y), y, 1];
}

// ------------------------------------------------------------------ named parameter layouts
/** How a parameter word is read: as u32, or its bits as i32 or f32. */
export type WordType = 'u32' | 'i32' | 'f32';
/** One field of a layout: a word of that type, or [type, count] for several consecutive words. */
export type FieldSpec = WordType | readonly [WordType, number];
type FieldValues<F extends string> = { [K in F]?: number | ArrayLike<number> };

const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);
function wordOf(value: number, type: WordType): number {
  if (type === 'f32') { bitsF32[0] = value; return bitsU32[0]; }
  return value >>> 0; // i32: two's complement bits
}

/**
 * The words of a kernel's parameter array `P`, by name: the TypeScript side packs them with `pack()` and the WGSL
 * generator reads them with `get()`, so a word's position is written in one place only. Fields are laid out in
 * declaration order; layouts that depend on a compile-time spec (a rank, an operand count) are built per spec.
 */
export class ParamLayout<F extends string> {
  readonly words: number;
  private readonly fields = new Map<string, { at: number; count: number; type: WordType }>();

  constructor(spec: { readonly [K in F]: FieldSpec }) {
    let w = 0;
    for (const [name, f] of Object.entries(spec) as [string, FieldSpec][]) {
      const [type, count] = typeof f === 'string' ? [f, 1] : f;
      this.fields.set(name, { at: w, count, type });
      w += count;
    }
    this.words = Math.max(1, w);
  }

  private field(f: F) {
    const d = this.fields.get(f);
    if (!d) throw new Error(`parameter layout has no field '${f}'`);
    return d;
  }

  /** Word index of field f (of its element k). */
  at(f: F, k = 0): number { return this.field(f).at + k; }

  /** WGSL expression: field f (element k, a number or a WGSL u32 expression) read as its declared type. */
  get(f: F, k: number | string = 0): string {
    const d = this.field(f);
    const word = typeof k === 'number' ? `P[${d.at + k}u]` : `P[${d.at}u + ${k}]`;
    return d.type === 'u32' ? word : `bitcast<${d.type}>(${word})`;
  }

  /** Pack the given fields (numbers converted by their declared type; array fields take arrays); the rest are 0. */
  pack(values: FieldValues<F>): Uint32Array {
    const P = new Uint32Array(this.words);
    for (const [name, v] of Object.entries(values) as [F, number | ArrayLike<number> | undefined][]) {
      if (v === undefined) continue;
      const d = this.field(name);
      if (typeof v === 'number') { P[d.at] = wordOf(v, d.type); continue; }
      if (v.length > d.count) throw new Error(`parameter field '${name}' holds ${d.count} words, got ${v.length}`);
      for (let k = 0; k < v.length; k++) P[d.at + k] = wordOf(v[k], d.type);
    }
    return P;
  }
}

export const paramLayout = <S extends Record<string, FieldSpec>>(spec: S) => new ParamLayout<keyof S & string>(spec);

/** The layout field every kernel on a 3-D grid declares: the first workgroup of this dispatch (x, y, z). */
export const TILE: readonly ['u32', 3] = ['u32', 3];

/**
 * Entry point header for a kernel on a 3-D grid of `wg`-sized workgroups whose params hold a tile base (the
 * `tile` field, at word `tileAt`): declares `gid` and `wid`, the global invocation and workgroup ids in the
 * whole grid (this dispatch's ids plus its tile base), and `lid`, the local invocation id.
 */
export function tiledMain(tileAt: number, wg: readonly [number, number?, number?]): string {
  const [x, y = 1, z = 1] = wg;
  return `@compute @workgroup_size(${x}, ${y}, ${z})
fn main(@builtin(global_invocation_id) gid0: vec3<u32>, @builtin(workgroup_id) wid0: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let wid = wid0 + vec3<u32>(P[${tileAt}u], P[${tileAt + 1}u], P[${tileAt + 2}u]);
  let gid = gid0 + (wid - wid0) * vec3<u32>(${x}u, ${y}u, ${z}u);`;
}

// param word k as i32 / u32 (for stridedOffsets, which takes the word positions of a layout's fields)
const pi = (k: number) => `bitcast<i32>(P[${k}u])`;
const pu = (k: number) => `P[${k}u]`;

/**
 * WGSL statements that turn the linear row-major index `idx` over a shape stored at P[shapeAt..shapeAt+rank)
 * into element offsets for several strided operands: operand j starts at P[offAt[j]] (i32) with strides at
 * P[strideAt[j]..+rank) (i32). Declares `var <names[j]>: i32`.
 */
export function stridedOffsets(idx: string, rank: number, shapeAt: number, names: string[], offAt: number[], strideAt: number[]): string {
  const lines: string[] = [];
  names.forEach((n, j) => lines.push(`var ${n}: i32 = ${pi(offAt[j])};`));
  if (names.length === 0) return '';
  lines.push(`var rem_${names[0]}: u32 = ${idx};`);
  for (let d = rank - 1; d >= 0; d--) {
    const r = `rem_${names[0]}`;
    if (d > 0) lines.push(`{ let dim = ${pu(shapeAt + d)}; let c = i32(${r} % dim); ${r} = ${r} / dim;`);
    else lines.push(`{ let c = i32(${r});`);
    names.forEach((n, j) => lines.push(`  ${n} += c * ${pi(strideAt[j] + d)};`));
    lines.push('}');
  }
  return lines.join('\n  ');
}
