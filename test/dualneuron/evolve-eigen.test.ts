// The symmetric eigensolver of the standard CMA-ES (Householder + QL): V diag(d) V^T reproduces S, V is orthogonal,
// the values are ascending, and a matrix with known spectrum (Q diag(lambda) Q^T, Q a product of rotations) gives it back.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { symmetricEigen } from '../../src/dualneuron/evolve/index.js';
import { PhiloxDraws } from '../../src/dualneuron/evolve/draws.js';

const test = suite('symmetric eigendecomposition');

function check(S: Float64Array, n: number, tol: number): Float64Array {
  const { values, vectors: V } = symmetricEigen(S, n);
  let scale = 0;
  for (const x of S) scale = Math.max(scale, Math.abs(x));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let r = 0, o = 0;
      for (let k = 0; k < n; k++) { r += V[i * n + k] * values[k] * V[j * n + k]; o += V[k * n + i] * V[k * n + j]; }
      assert.ok(Math.abs(r - S[i * n + j]) <= tol * Math.max(scale, 1), `reconstruction (${i}, ${j}): ${r} vs ${S[i * n + j]}`);
      assert.ok(Math.abs(o - (i === j ? 1 : 0)) <= tol, `orthogonality (${i}, ${j}): ${o}`);
    }
  }
  for (let i = 1; i < n; i++) assert.ok(values[i] >= values[i - 1], 'ascending');
  return values;
}

test('random symmetric 60 x 60, a 1 x 1 and a diagonal matrix with repeated values', () => {
  const n = 60, z = new PhiloxDraws(3n).normal(n * n), S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = z[i * n + j] + z[j * n + i];
  check(S, n, 1e-12);
  assert.equal([...check(Float64Array.of(-2.5), 1, 1e-15)], [-2.5]);
  assert.equal([...check(Float64Array.of(2, 0, 0, 0, 1, 0, 0, 0, 2), 3, 1e-15)], [1, 2, 2]);
});

test('a known spectrum is recovered: Q diag(1..40) Q^T', () => {
  const n = 40, S = new Float64Array(n * n);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  // Q = product of Givens rotations by angles 0.1 + 0.05 k in planes (k, k + 1) and (k, k + 7)
  const rot = (p: number, q: number, a: number) => {
    const c = Math.cos(a), s = Math.sin(a);
    for (let r = 0; r < n; r++) { const x = Q[r * n + p], y = Q[r * n + q]; Q[r * n + p] = c * x - s * y; Q[r * n + q] = s * x + c * y; }
  };
  for (let k = 0; k < n - 1; k++) rot(k, k + 1, 0.1 + 0.05 * k);
  for (let k = 0; k < n - 7; k++) rot(k, k + 7, 0.3);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += Q[i * n + k] * (k + 1) * Q[j * n + k];
    S[i * n + j] = s;
  }
  const values = check(S, n, 1e-12);
  values.forEach((v, k) => assert.ok(Math.abs(v - (k + 1)) < 1e-12, `eigenvalue ${k}: ${v}`));
});

test.run();
