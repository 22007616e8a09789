// Shared WGSL snippets for kernel templates.
// Binding convention: @binding(0) is the read-only u32 parameter array `P`; then outputs (read_write), then
// inputs (read). Dispatches with more than 65535 workgroups use a 2-D grid; `linearIndex` flattens it.

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

/** `f32(bitcast)` of param word k, as a WGSL expression. */
export const pf = (k: number) => `bitcast<f32>(P[${k}u])`;
export const pi = (k: number) => `bitcast<i32>(P[${k}u])`;
export const pu = (k: number) => `P[${k}u]`;

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
