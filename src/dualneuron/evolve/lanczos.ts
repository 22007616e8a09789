// The top-k eigenpairs of a symmetric N x N operator known only through products H v: the Lanczos iteration with
// full reorthogonalisation, all on the host in float64. After m steps H Q_m = Q_m T_m + beta_m q_{m+1} e_m^T with
// T_m tridiagonal (alpha on the diagonal, beta beside it); the eigenpairs (theta, y) of T_m (symmetricEigen) give
// Ritz pairs (theta, Q_m y) whose residual ||H Q_m y - theta Q_m y|| is |beta_m y_m| exactly (in exact arithmetic).
// Every new vector is orthogonalised twice against all earlier ones (classical Gram-Schmidt twice is enough for
// working precision), so no ghost copies of converged eigenvalues appear and the result does not depend on the
// spectrum's distribution. Cost: m products, O(m^2 N) for the reorthogonalisation, O(m^3) per convergence check.
//
// The state (basis, alpha, beta) is a plain object that can be saved and handed back to continue the iteration:
// the products are the expensive part (a generator's forward and backward passes), so a killed run resumes.
import { InputError } from '../../errors.js';
import { HostRng } from '../render/rng.js';
import { symmetricEigen } from './eigen.js';

export interface LanczosState {
  n: number;
  /** q_0 .. q_m: the m orthonormal basis vectors used so far and the next one (m + 1 rows of n) */
  basis: Float64Array[];
  /** alpha_0 .. alpha_{m-1} */
  alpha: number[];
  /** beta_0 .. beta_{m-1}: beta_j links q_j and q_{j+1}; 0 where an invariant subspace ended and a fresh vector was drawn */
  beta: number[];
  /** restarts after an invariant subspace (each took one draw from the seeded stream) */
  restarts: number;
}

export interface LanczosOptions {
  /** how many of the largest (algebraic) eigenpairs to return */
  k: number;
  /** the most Lanczos steps (default min(N, max(2k, k + 50))); N steps span the whole space */
  maxIterations?: number;
  /** stop when every top-k Ritz residual |beta_m y_m| <= tol * |theta_max| (default 1e-8) */
  tol?: number;
  /** seed of the start vector (and of fresh vectors after an invariant subspace); default 0 */
  seed?: number | bigint;
  /** a start vector instead of the seeded normal one */
  start?: Float64Array;
  /** test convergence every this many steps (default max(10, k / 4)); each test is an eigen-decomposition of T_m */
  checkEvery?: number;
  /** continue from a saved state (the same operator, n and seed) */
  resume?: LanczosState;
  /** called after every step (e.g. a progress bar) */
  onStep?: (m: number, maxIterations: number) => void;
  /** called every `checkpointEvery` steps and at the end with the current state (e.g. to save it) */
  onCheckpoint?: (s: LanczosState) => void | Promise<void>;
  checkpointEvery?: number;
}

export interface LanczosResult {
  /** the top-k Ritz values, descending */
  values: Float64Array;
  /** the Ritz vectors, k x n row-major, row i belongs to values[i], unit norm */
  vectors: Float64Array;
  /** Lanczos steps taken (products of H with a vector) */
  iterations: number;
  /** |beta_m y_m| of each returned pair: the residual norm ||H v - theta v|| of the Krylov approximation */
  ritzResiduals: Float64Array;
  /** every top-k Ritz residual met tol (or the whole space was spanned) */
  converged: boolean;
  restarts: number;
}

const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const nrm = (a: Float64Array) => Math.sqrt(dot(a, a));

/** w minus its projection on every row of Q, twice (classical Gram-Schmidt, repeated) */
function orthogonalise(w: Float64Array, Q: Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    const c = Q.map((q) => dot(q, w));
    Q.forEach((q, j) => { const cj = c[j]; for (let i = 0; i < w.length; i++) w[i] -= cj * q[i]; });
  }
}

function normalDraw(rng: HostRng, n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal();
  return v;
}

export function defaultLanczosIterations(n: number, k: number): number {
  return Math.min(n, Math.max(2 * k, k + 50));
}

/**
 * The top-k eigenpairs of the symmetric operator `matvec` (H v for a unit v, returned as a new array) on R^n.
 * Deterministic for a given seed; resumable from `onCheckpoint`'s state.
 */
export async function lanczosTop(n: number, matvec: (v: Float64Array) => Promise<Float64Array> | Float64Array, o: LanczosOptions): Promise<LanczosResult> {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`lanczos: the dimension must be a positive integer, got ${n}`);
  if (!Number.isInteger(o.k) || o.k < 1 || o.k > n) throw new InputError(`lanczos: k must be an integer in 1..${n} (the dimension), got ${o.k}`);
  const maxIt = o.maxIterations ?? defaultLanczosIterations(n, o.k);
  if (!Number.isInteger(maxIt) || maxIt < o.k || maxIt > n) throw new InputError(`lanczos: the iterations must be an integer in k..n = ${o.k}..${n}, got ${maxIt}`);
  const tol = o.tol ?? 1e-8;
  const checkEvery = o.checkEvery ?? Math.max(10, Math.floor(o.k / 4));
  const checkpointEvery = o.checkpointEvery ?? 10;
  const rng = new HostRng(BigInt(o.seed ?? 0));

  let s: LanczosState;
  if (o.resume) {
    s = o.resume;
    if (s.n !== n || s.basis.length !== s.alpha.length + 1 || s.beta.length !== s.alpha.length || s.basis.some((q) => q.length !== n)) {
      throw new InputError(`lanczos: the state to resume does not fit (n ${s.n} vs ${n}, ${s.basis.length} basis vectors for ${s.alpha.length} steps)`);
    }
    // replay the draws the state has used (the start vector unless given, one per restart) so the stream continues
    if (!o.start) normalDraw(rng, n);
    for (let r = 0; r < s.restarts; r++) normalDraw(rng, n);
  } else {
    const q0 = o.start ? Float64Array.from(o.start) : normalDraw(rng, n);
    const r0 = nrm(q0);
    if (!(r0 > 0) || !Number.isFinite(r0)) throw new InputError('lanczos: the start vector is zero or not finite');
    for (let i = 0; i < n; i++) q0[i] /= r0;
    s = { n, basis: [q0], alpha: [], beta: [], restarts: 0 };
  }

  let converged = false;
  const check = () => {
    const m = s.alpha.length;
    if (m >= n) return true; // the whole space: T_n is similar to H
    if (m < o.k) return false;
    const r = ritzPairs(s, o.k, false);
    const scale = Math.max(Math.abs(r.values[0]), Math.abs(r.values[o.k - 1]), Number.MIN_VALUE);
    return r.resid.every((x) => x <= tol * scale);
  };

  // a resumed state may be done already (tested on the same schedule as an uninterrupted run)
  const m0 = s.alpha.length;
  if (m0 >= maxIt || (m0 >= o.k && m0 > 0 && m0 % checkEvery === 0)) converged = check();
  while (!converged && s.alpha.length < maxIt) {
    const j = s.alpha.length;
    const q = s.basis[j];
    const w = Float64Array.from(await matvec(q));
    if (w.length !== n) throw new InputError(`lanczos: the product returned ${w.length} values for a vector of ${n}`);
    const a = dot(q, w);
    s.alpha.push(a);
    // the three-term recurrence, then full reorthogonalisation against every basis vector
    for (let i = 0; i < n; i++) w[i] -= a * q[i] + (j > 0 ? s.beta[j - 1] * s.basis[j - 1][i] : 0);
    orthogonalise(w, s.basis);
    const b = nrm(w);
    const scale = s.alpha.reduce((x, y) => Math.max(x, Math.abs(y)), 0) + s.beta.reduce((x, y) => Math.max(x, y), 0);
    if (j + 1 < n && b <= 1e-12 * Math.max(scale, Number.MIN_VALUE)) {
      // an invariant subspace: T is block diagonal from here; continue with a fresh vector orthogonal to it
      const f = normalDraw(rng, n);
      s.restarts++;
      orthogonalise(f, s.basis);
      const fn = nrm(f);
      s.beta.push(0);
      s.basis.push(f.map((x) => x / fn));
    } else {
      s.beta.push(b);
      s.basis.push(b > 0 ? w.map((x) => x / b) : w);
    }
    const m = s.alpha.length;
    o.onStep?.(m, maxIt);
    if (o.onCheckpoint && m % checkpointEvery === 0) await o.onCheckpoint(s);
    if ((m >= o.k && m % checkEvery === 0) || m === maxIt) converged = check();
  }
  if (o.onCheckpoint) await o.onCheckpoint(s);
  const r = ritzPairs(s, o.k, true);
  return { values: r.values, vectors: r.vectors, iterations: s.alpha.length, ritzResiduals: r.resid, converged, restarts: s.restarts };
}

/** The top-k Ritz pairs of the current T_m (descending), vectors in R^n, and their residual estimates |beta_m y_m|. */
export function ritzPairs(s: LanczosState, k: number, withVectors = true): { values: Float64Array; vectors: Float64Array; resid: Float64Array } {
  const m = s.alpha.length, n = s.n;
  const kk = Math.min(k, m);
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    T[i * m + i] = s.alpha[i];
    if (i + 1 < m) { T[i * m + i + 1] = s.beta[i]; T[(i + 1) * m + i] = s.beta[i]; }
  }
  const { values, vectors } = symmetricEigen(T, m); // ascending; column c of vectors belongs to values[c]
  const bm = s.beta[m - 1];
  const out = new Float64Array(kk), V = new Float64Array(withVectors ? kk * n : 0), resid = new Float64Array(kk);
  for (let r = 0; r < kk; r++) {
    const c = m - 1 - r;
    out[r] = values[c];
    resid[r] = Math.abs(bm * vectors[(m - 1) * m + c]);
    if (!withVectors) continue;
    const row = V.subarray(r * n, (r + 1) * n);
    for (let j = 0; j < m; j++) {
      const y = vectors[j * m + c], q = s.basis[j];
      for (let i = 0; i < n; i++) row[i] += y * q[i];
    }
    // unit length, and a fixed sign: the largest component positive
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(row[i]) > Math.abs(row[big])) big = i;
    const len = nrm(row) * Math.sign(row[big] || 1);
    for (let i = 0; i < n; i++) row[i] /= len;
  }
  return { values: out, vectors: V, resid };
}
