// Batched matmul C[b] = A[b] (MxK) * B[b] (KxN), C contiguous (batch, M, N); A and B are read through
// arbitrary element strides, so transposed operands and broadcast batches (stride 0) need no copy.
//
// `tiled`: workgroup (TX x TY) = (16 x 16) invocations computes a (16*RN) x (16*RM) tile of C; each invocation
// keeps RM x RN accumulators in registers (rows ty + 16*i, columns tx + 16*j). K advances in slabs of BK that
// are staged in workgroup memory (As[BK][BM], Bs[BK][BN]); out-of-range elements load as 0.
// `naive`: one invocation per output element, the reference for benchmarks.
// Params: MATMUL_PARAMS (strides of A and B as (batch, row, column)). With a bias (binding after A and B),
// C[b, m, n] += bias[offBias + n] in the epilogue. Grids: (columns, rows, batch) in workgroups, split by the
// engine past the device limit (the `tile` field).
import { TILE, bindings, paramLayout, tiledMain } from './common.js';

export const MATMUL_PARAMS = paramLayout({
  M: 'u32', N: 'u32', K: 'u32', batch: 'u32', offA: 'u32', sA: ['i32', 3], offB: 'u32', sB: ['i32', 3], offBias: 'u32', tile: TILE,
});
const L = MATMUL_PARAMS;

export interface MatmulTile { RM: number; RN: number; BK: number }
export const DEFAULT_TILE: MatmulTile = { RM: 8, RN: 4, BK: 16 };
export const MM_T = 16; // invocations per side

const io = (bias: boolean, aType = 'f32', bType = 'f32', cType = 'f32') => bindings([{ name: 'C', type: cType, access: 'read_write' }],
  [{ name: 'A', type: aType, access: 'read' }, { name: 'B', type: bType, access: 'read' }, ...(bias ? [{ name: 'bias', type: 'f32', access: 'read' as const }] : [])]);
const biasOf = (bias: boolean, n: string) => (bias ? ` + bias[${L.get('offBias')} + ${n}]` : '');

const prologue = `
  let M = ${L.get('M')}; let N = ${L.get('N')}; let K = ${L.get('K')};
  let offA = i32(${L.get('offA')}); let sAb = ${L.get('sA', 0)}; let sAm = ${L.get('sA', 1)}; let sAk = ${L.get('sA', 2)};
  let offB = i32(${L.get('offB')}); let sBb = ${L.get('sB', 0)}; let sBk = ${L.get('sB', 1)}; let sBn = ${L.get('sB', 2)};`;
/** a stride or offset of a vec4 operand in vec4 units (the vec4 kernels need them non-negative multiples of 4) */
const v4u = (e: string) => `u32(${e}) / 4u`;

export function matmulNaiveWGSL(bias = false): string {
  return `${io(bias)}
${tiledMain(L.at('tile'), [16, 16])}
  ${prologue}
  let n = gid.x; let m = gid.y; let b = gid.z;
  if (m >= M || n >= N) { return; }
  let a0 = offA + i32(b) * sAb + i32(m) * sAm;
  let b0 = offB + i32(b) * sBb + i32(n) * sBn;
  var acc = 0.0;
  for (var k: u32 = 0u; k < K; k++) {
    acc = fma(A[a0 + i32(k) * sAk], B[b0 + i32(k) * sBk], acc);
  }
  C[(b * M + m) * N + n] = acc${biasOf(bias, 'n')};
}
`;
}

export function matmulTiledWGSL(t: MatmulTile = DEFAULT_TILE, bias = false): string {
  const { RM, RN, BK } = t;
  const BM = MM_T * RM, BN = MM_T * RN;
  const loadsA = (BM * BK) / (MM_T * MM_T), loadsB = (BN * BK) / (MM_T * MM_T);
  const accDecl = Array.from({ length: RM }, (_, i) => `var acc${i}: array<f32, ${RN}>;`).join('\n  ');
  const accZero = Array.from({ length: RM }, (_, i) => `for (var j = 0u; j < ${RN}u; j++) { acc${i}[j] = 0.0; }`).join('\n  ');
  const inner = Array.from({ length: RM }, (_, i) => `{ let a = As[kk][ty + ${MM_T * i}u];
        for (var j = 0u; j < ${RN}u; j++) { acc${i}[j] = fma(a, bcol[j], acc${i}[j]); } }`).join('\n      ');
  const stores = Array.from({ length: RM }, (_, i) => `{ let m = m0 + ty + ${MM_T * i}u;
    if (m < M) { for (var j = 0u; j < ${RN}u; j++) { let n = n0 + tx + ${MM_T}u * j; if (n < N) { C[(b * M + m) * N + n] = acc${i}[j]${biasOf(bias, 'n')}; } } } }`).join('\n  ');
  return `${io(bias)}
var<workgroup> As: array<array<f32, ${BM}>, ${BK}>;
var<workgroup> Bs: array<array<f32, ${BN}>, ${BK}>;

${tiledMain(L.at('tile'), [MM_T, MM_T])}
  ${prologue}
  let tx = lid.x; let ty = lid.y; let flat = ty * ${MM_T}u + tx;
  let n0 = wid.x * ${BN}u; let m0 = wid.y * ${BM}u; let b = wid.z;
  let aBase = offA + i32(b) * sAb;
  let bBase = offB + i32(b) * sBb;
  ${accDecl}
  ${accZero}
  var bcol: array<f32, ${RN}>;
  for (var k0: u32 = 0u; k0 < K; k0 += ${BK}u) {
    for (var l = 0u; l < ${loadsA}u; l++) {
      let e = flat + l * ${MM_T * MM_T}u;
      let kk = e / ${BM}u; let mm = e % ${BM}u;
      let m = m0 + mm; let k = k0 + kk;
      var v = 0.0;
      if (m < M && k < K) { v = A[aBase + i32(m) * sAm + i32(k) * sAk]; }
      As[kk][mm] = v;
    }
    for (var l = 0u; l < ${loadsB}u; l++) {
      let e = flat + l * ${MM_T * MM_T}u;
      let kk = e / ${BN}u; let nn = e % ${BN}u;
      let n = n0 + nn; let k = k0 + kk;
      var v = 0.0;
      if (n < N && k < K) { v = B[bBase + i32(k) * sBk + i32(n) * sBn]; }
      Bs[kk][nn] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk++) {
      for (var j = 0u; j < ${RN}u; j++) { bcol[j] = Bs[kk][tx + ${MM_T}u * j]; }
      ${inner}
    }
    workgroupBarrier();
  }
  ${stores}
}
`;
}

/**
 * `vec4` fast path: A (M x K) with unit stride along K and B (K x N) with unit stride along N, K and N multiples
 * of 4 and 16-byte aligned offsets. Each invocation computes an RM x 4 block of C straight from global memory
 * (vec4 loads, no workgroup memory: on CPU adapters the caches do that job and barriers are expensive).
 * Invocations are numbered along N first (1-D, 64 per workgroup, batch on z), so neighbouring lanes read
 * neighbouring vec4s of B and share the rows of A: 2x faster on lavapipe than a 2-D 8x8 mapping for the
 * ConvNeXt pointwise shapes (M ~ 34k, K and N 40 or 160).
 * Params as the other kernels; offsets and batch strides are in vec4 units for A and B.
 */
export function matmulVec4WGSL(RM = 4, bias = false): string {
  const rows = Array.from({ length: RM }, (_, i) => i);
  return `${io(bias, 'vec4<f32>', 'vec4<f32>', 'vec4<f32>')}
${tiledMain(L.at('tile'), [64])}
  let M = ${L.get('M')}; let N4 = ${L.get('N')} / 4u; let K4 = ${L.get('K')} / 4u;
  let offA = ${L.get('offA')} / 4u; let sAb = ${v4u(L.get('sA', 0))}; let sAm = ${v4u(L.get('sA', 1))};
  let offB = ${L.get('offB')} / 4u; let sBb = ${v4u(L.get('sB', 0))}; let sBk = ${v4u(L.get('sB', 1))};
  let idx = gid.x; let b = gid.z;
  let n4 = idx % N4; let m0 = (idx / N4) * ${RM}u;
  if (m0 >= M) { return; }
  ${rows.map((i) => `var acc${i} = vec4<f32>(0.0);
  let ra${i} = offA + b * sAb + min(m0 + ${i}u, M - 1u) * sAm;`).join('\n  ')}
  var bp = offB + b * sBb + n4;
  for (var k4: u32 = 0u; k4 < K4; k4++) {
    let b0 = B[bp]; let b1 = B[bp + sBk]; let b2 = B[bp + 2u * sBk]; let b3 = B[bp + 3u * sBk];
    bp += 4u * sBk;
    ${rows.map((i) => `{ let a = A[ra${i} + k4]; acc${i} = fma(vec4<f32>(a.x), b0, fma(vec4<f32>(a.y), b1, fma(vec4<f32>(a.z), b2, fma(vec4<f32>(a.w), b3, acc${i})))); }`).join('\n    ')}
  }
  let cb = b * M * N4;
  ${bias ? `let bo = ${L.get('offBias')} + 4u * n4; let bv = vec4<f32>(bias[bo], bias[bo + 1u], bias[bo + 2u], bias[bo + 3u]);` : ''}
  ${rows.map((i) => `if (m0 + ${i}u < M) { C[cb + (m0 + ${i}u) * N4 + n4] = acc${i}${bias ? ' + bv' : ''}; }`).join('\n  ')}
}
`;
}

/** Workgroups for the vec4 kernel: ceil(M / RM) * N/4 invocations, 64 per group; batch on z. */
export function vec4Grid(M: number, N: number, batch: number, RM = 4): [number, number, number] {
  return [Math.ceil((Math.ceil(M / RM) * (N / 4)) / 64), 1, batch];
}

/**
 * `vec4nt` fast path for C = A * B where both A (M x K) and B (given as its transpose, N x K) have unit stride
 * along K (nn.Linear: x @ W^T). Each invocation computes RM x RN dot products with vec4 products along K.
 * Params as the other kernels; A and B offsets, batch strides and row strides (sAm, sBn) are in vec4 units.
 */
export function matmulVec4NTWGSL(RM = 4, RN = 4, bias = false): string {
  const rows = Array.from({ length: RM }, (_, i) => i), cols = Array.from({ length: RN }, (_, j) => j);
  return `${io(bias, 'vec4<f32>', 'vec4<f32>')}
${tiledMain(L.at('tile'), [8, 8])}
  let M = ${L.get('M')}; let N = ${L.get('N')}; let K4 = ${L.get('K')} / 4u;
  let offA = ${L.get('offA')} / 4u; let sAb = ${v4u(L.get('sA', 0))}; let sAm = ${v4u(L.get('sA', 1))};
  let offB = ${L.get('offB')} / 4u; let sBb = ${v4u(L.get('sB', 0))}; let sBn = ${v4u(L.get('sB', 2))};
  let n0 = gid.x * ${RN}u; let m0 = gid.y * ${RM}u; let b = gid.z;
  if (n0 >= N || m0 >= M) { return; }
  ${rows.map((i) => `let ra${i} = offA + b * sAb + min(m0 + ${i}u, M - 1u) * sAm;`).join('\n  ')}
  ${cols.map((j) => `let rb${j} = offB + b * sBb + min(n0 + ${j}u, N - 1u) * sBn;`).join('\n  ')}
  ${rows.map((i) => cols.map((j) => `var acc${i}_${j} = vec4<f32>(0.0);`).join(' ')).join('\n  ')}
  for (var k4: u32 = 0u; k4 < K4; k4++) {
    ${cols.map((j) => `let b${j} = B[rb${j} + k4];`).join(' ')}
    ${rows.map((i) => `{ let a = A[ra${i} + k4]; ${cols.map((j) => `acc${i}_${j} = fma(a, b${j}, acc${i}_${j});`).join(' ')} }`).join('\n    ')}
  }
  let cb = b * M * N;
  ${rows.map((i) => cols.map((j) => `if (m0 + ${i}u < M && n0 + ${j}u < N) { C[cb + (m0 + ${i}u) * N + n0 + ${j}u] = dot(acc${i}_${j}, vec4<f32>(1.0))${biasOf(bias, `n0 + ${j}u`)}; }`).join('\n  ')).join('\n  ')}
}
`;
}
