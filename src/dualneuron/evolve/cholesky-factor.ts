// The factor A (K x N, C = A^T A) of CholeskyCMAES and its right inverse Ainv (N x K), kept as a base plus the
// rank-one terms the Cholesky updates added:
//   A    = sA * B    + sum_j cA_j * v_j^T pc_j       (v_j: K, pc_j: N)
//   Ainv = sI * Binv + sum_j cI_j * q_j^T v_j        (q_j = Ainv_before v_j^T: N)
// with B = I (CholeskyCMAES, K = N) or a dense B (HessCMA: diag(eig^-e) E^T). Each update is exactly upstream's
// dense one (Igel, Suttorp & Hansen 2006):
//   A    <- a A + (a/n)(sqrt(1 + n c1/(1-c1)) - 1) v^T pc,          v = pc Ainv, n = v v^T, a = sqrt(1 - c1)
//   Ainv <- Ainv/a - (1/(a n))(1 - 1/sqrt(1 + n c1/(1-c1))) Ainv v^T v
// so multiplying by A costs O(K + N) per term instead of O(KN): one update every 11 generations keeps the term
// count small, and a 4096-D state is a few MB instead of two 134 MB matrices.
import { decodeSized, encodeF64 } from './encode.js';
import { FormatError } from '../../errors.js';

export interface FactorState {
  rows: number; cols: number;
  scaleA: number; scaleAinv: number;
  coefA: number[]; coefAinv: number[];
  /** the terms' vectors, concatenated: v (K each), pc (N each), q (N each) */
  v: string; pc: string; q: string;
  /** the dense base (HessCMA) or null for the identity */
  base: { B: string; Binv: string } | null;
}

export class CholeskyFactor {
  private scaleA = 1;
  private scaleAinv = 1;
  private readonly coefA: number[] = [];
  private readonly coefAinv: number[] = [];
  private readonly vs: Float64Array[] = [];
  private readonly pcs: Float64Array[] = [];
  private readonly qs: Float64Array[] = [];
  private baseNorm2: number | undefined;

  /** B is K x N row-major and Binv N x K row-major; both null for the identity (then K = N) */
  constructor(readonly rows: number, readonly cols: number, private readonly B: Float64Array | null = null, private readonly Binv: Float64Array | null = null) {}

  get updates(): number { return this.coefA.length; }
  /** sA, the factor the updates have multiplied the base by ((1 - c1)^(updates/2)) */
  get scale(): number { return this.scaleA; }

  /** out (N) = z (K) A */
  rowTimesA(z: Float64Array, out: Float64Array = new Float64Array(this.cols)): Float64Array {
    const K = this.rows, N = this.cols, s = this.scaleA;
    if (this.B) {
      out.fill(0);
      for (let k = 0; k < K; k++) {
        const zk = z[k] * s;
        if (zk === 0) continue;
        const row = k * N;
        for (let i = 0; i < N; i++) out[i] += zk * this.B[row + i];
      }
    } else {
      for (let i = 0; i < N; i++) out[i] = s * z[i];
    }
    for (let j = 0; j < this.coefA.length; j++) {
      const c = this.coefA[j] * dot(z, this.vs[j]), p = this.pcs[j];
      for (let i = 0; i < N; i++) out[i] += c * p[i];
    }
    return out;
  }

  /** out (K) = p (N) Ainv */
  rowTimesAinv(p: Float64Array): Float64Array {
    const K = this.rows, N = this.cols, s = this.scaleAinv;
    const out = new Float64Array(K);
    if (this.Binv) {
      for (let i = 0; i < N; i++) {
        const pi = p[i] * s;
        if (pi === 0) continue;
        const row = i * K;
        for (let k = 0; k < K; k++) out[k] += pi * this.Binv[row + k];
      }
    } else {
      for (let k = 0; k < K; k++) out[k] = s * p[k];
    }
    for (let j = 0; j < this.coefAinv.length; j++) {
      const c = this.coefAinv[j] * dot(p, this.qs[j]), v = this.vs[j];
      for (let k = 0; k < K; k++) out[k] += c * v[k];
    }
    return out;
  }

  /** out (N) = Ainv v^T for v (K) */
  ainvTimesCol(v: Float64Array): Float64Array {
    const K = this.rows, N = this.cols, s = this.scaleAinv;
    const out = new Float64Array(N);
    if (this.Binv) {
      for (let i = 0; i < N; i++) out[i] = s * dotAt(this.Binv, i * K, v, K);
    } else {
      for (let i = 0; i < N; i++) out[i] = s * v[i];
    }
    for (let j = 0; j < this.coefAinv.length; j++) {
      const c = this.coefAinv[j] * dot(this.vs[j], v), q = this.qs[j];
      for (let i = 0; i < N; i++) out[i] += c * q[i];
    }
    return out;
  }

  /** the rank-one update of A and Ainv with the evolution path pc (N) and learning rate c1 */
  update(pc: Float64Array, c1: number): void {
    const v = this.rowTimesAinv(pc);
    const n = dot(v, v);
    if (!(n > 0)) return; // pc = 0: the update is the identity up to the scale, and upstream divides by zero
    const q = this.ainvTimesCol(v);
    const a = Math.sqrt(1 - c1);
    const r = Math.sqrt(1 + (n * c1) / (1 - c1));
    this.scaleA *= a;
    for (let j = 0; j < this.coefA.length; j++) this.coefA[j] *= a;
    this.coefA.push((a / n) * (r - 1));
    this.scaleAinv /= a;
    for (let j = 0; j < this.coefAinv.length; j++) this.coefAinv[j] /= a;
    this.coefAinv.push(-(1 / (a * n)) * (1 - 1 / r));
    this.vs.push(v);
    this.pcs.push(Float64Array.from(pc));
    this.qs.push(q);
  }

  /** A as a dense K x N row-major matrix (134 MB at N = 4096: for inspection, not for the loop) */
  dense(): Float64Array {
    const K = this.rows, N = this.cols, out = new Float64Array(K * N), e = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      e.fill(0); e[k] = 1;
      out.set(this.rowTimesA(e), k * N);
    }
    return out;
  }

  /** Ainv as a dense N x K row-major matrix */
  denseInverse(): Float64Array {
    const K = this.rows, N = this.cols, out = new Float64Array(N * K), e = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      e.fill(0); e[i] = 1;
      out.set(this.rowTimesAinv(e), i * K);
    }
    return out;
  }

  /** ||A||_F without forming A: ||sB||^2 + 2 s sum_j c_j v_j B pc_j^T + sum_jk c_j c_k (v_j.v_k)(pc_j.pc_k) */
  frobenius(): number {
    const s = this.scaleA, m = this.coefA.length;
    this.baseNorm2 ??= this.B ? dot(this.B, this.B) : this.rows;
    let total = s * s * this.baseNorm2;
    for (let j = 0; j < m; j++) {
      const vBp = this.B ? dot(this.rowTimesBase(this.vs[j]), this.pcs[j]) : dot(this.vs[j], this.pcs[j]);
      total += 2 * s * this.coefA[j] * vBp;
      for (let k = 0; k < m; k++) total += this.coefA[j] * this.coefA[k] * dot(this.vs[j], this.vs[k]) * dot(this.pcs[j], this.pcs[k]);
    }
    return Math.sqrt(Math.max(0, total));
  }

  private rowTimesBase(z: Float64Array): Float64Array {
    const K = this.rows, N = this.cols, out = new Float64Array(N);
    for (let k = 0; k < K; k++) for (let i = 0; i < N; i++) out[i] += z[k] * this.B![k * N + i];
    return out;
  }

  state(): FactorState {
    return {
      rows: this.rows, cols: this.cols, scaleA: this.scaleA, scaleAinv: this.scaleAinv,
      coefA: [...this.coefA], coefAinv: [...this.coefAinv],
      v: encodeF64(concat(this.vs, this.rows)), pc: encodeF64(concat(this.pcs, this.cols)), q: encodeF64(concat(this.qs, this.cols)),
      base: this.B ? { B: encodeF64(this.B), Binv: encodeF64(this.Binv!) } : null,
    };
  }

  static restore(s: FactorState): CholeskyFactor {
    const K = s.rows, N = s.cols, m = s.coefA?.length;
    if (!Number.isInteger(K) || !Number.isInteger(N) || !Array.isArray(s.coefA) || !Array.isArray(s.coefAinv) || s.coefAinv.length !== m) {
      throw new FormatError('optimizer state: the Cholesky factor is incomplete (rows, cols, coefA, coefAinv)');
    }
    const f = s.base
      ? new CholeskyFactor(K, N, decodeSized(s.base.B, K * N, 'A.base.B'), decodeSized(s.base.Binv, N * K, 'A.base.Binv'))
      : new CholeskyFactor(K, N);
    f.scaleA = s.scaleA; f.scaleAinv = s.scaleAinv;
    f.coefA.push(...s.coefA); f.coefAinv.push(...s.coefAinv);
    const v = decodeSized(s.v, m * K, 'A.v'), pc = decodeSized(s.pc, m * N, 'A.pc'), q = decodeSized(s.q, m * N, 'A.q');
    for (let j = 0; j < m; j++) {
      f.vs.push(v.slice(j * K, (j + 1) * K));
      f.pcs.push(pc.slice(j * N, (j + 1) * N));
      f.qs.push(q.slice(j * N, (j + 1) * N));
    }
    return f;
  }
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function dotAt(a: Float64Array, at: number, b: Float64Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[at + k] * b[k];
  return s;
}

function concat(parts: Float64Array[], each: number): Float64Array {
  const out = new Float64Array(parts.length * each);
  parts.forEach((p, j) => out.set(p, j * each));
  return out;
}
