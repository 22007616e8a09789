// `dualneuron gan-hessian`: Lanczos (evolve/lanczos.ts) on a symmetric matrix with known eigenpairs, and the top
// eigenpairs of the DeePSim fc6 image-distance Hessian 2 J^T J (evolve/hessian.ts: finite-difference J v, autodiff
// J^T u) against the exact float64 Hessian from the full Jacobian in PyTorch (tools/golden/gan_hessian.py) on the
// width-1/32 generator (code 128) with the deterministic weights of test/fixtures/deepsim/fc6_s32.pt.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { repoRoot } from '../helpers/upstream.js';
import { readNpy } from '../../src/io/npy.js';
import { InputError } from '../../src/errors.js';
import { deepsimFc6Config } from '../../src/models/deepsim-fc6.js';
import { importDeepsimFc6, loadDeepsimFc6 } from '../../src/models/weights/deepsim-weights.js';
import { lanczosTop, type LanczosState } from '../../src/dualneuron/evolve/lanczos.js';
import { ImageDistanceHessian, readGanHessian, type JvMethod } from '../../src/dualneuron/evolve/hessian.js';
import { HessCMA } from '../../src/dualneuron/evolve/index.js';
import { gpu, seededValues } from '../helpers/backends.js';
import { cpu, type Backend } from '../../src/tensor/index.js';
import { fixture } from '../helpers/fixtures.js';
import { cli } from '../helpers/cli.js';

const test = suite('gan-hessian: Lanczos, and the fc6 image-distance Hessian vs PyTorch (exact 2 J^T J)');
const fx = (name: string) => fixture('gan-hessian', name);
const tmp = () => mkdtempSync(join(tmpdir(), 'dualneuron-hessian-'));

// ------------------------------------------------------------------ host: a matrix with known eigenpairs

/** A = Q diag(lam) Q^T, Q a product of three Householder reflections: its columns are the exact eigenvectors. */
function knownMatrix(lam: number[], seed: number): { matvec: (v: Float64Array) => Float64Array; Q: Float64Array[] } {
  const n = lam.length;
  const us = [0, 1, 2].map((r) => Float64Array.from(seededValues(n, seed + r)));
  const reflect = (x: Float64Array, u: Float64Array) => {
    let uu = 0, ux = 0;
    for (let i = 0; i < n; i++) { uu += u[i] * u[i]; ux += u[i] * x[i]; }
    for (let i = 0; i < n; i++) x[i] -= (2 * ux / uu) * u[i];
  };
  const Qx = (x: Float64Array) => { const y = Float64Array.from(x); for (let r = 2; r >= 0; r--) reflect(y, us[r]); return y; };
  const QTx = (x: Float64Array) => { const y = Float64Array.from(x); for (let r = 0; r < 3; r++) reflect(y, us[r]); return y; };
  const Q = lam.map((_, j) => { const e = new Float64Array(n); e[j] = 1; return Qx(e); });
  return { matvec: (v) => { const y = QTx(v); for (let i = 0; i < n; i++) y[i] *= lam[i]; return Qx(y); }, Q };
}

const absCos = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return Math.abs(ab) / Math.sqrt(aa * bb);
};

test('Lanczos: the top 6 of a 200 x 200 matrix with a decaying spectrum, to 1e-10, stopping early', async () => {
  const n = 200;
  const lam = Array.from({ length: n }, (_, i) => 100 * 0.8 ** i - (i % 7 === 0 ? 3 : 0)); // some negative ones
  const { matvec, Q } = knownMatrix(lam, 11);
  const order = lam.map((x, i) => [x, i] as const).sort((a, b) => b[0] - a[0]);
  let products = 0;
  const r = await lanczosTop(n, (v) => { products++; return matvec(v); }, { k: 6, tol: 1e-12, seed: 3 });
  assert.ok(r.converged, 'converged');
  assert.ok(r.iterations < 100, `stopped early: ${r.iterations} steps`);
  assert.is(products, r.iterations);
  for (let i = 0; i < 6; i++) {
    const [want, j] = order[i];
    assert.ok(Math.abs(r.values[i] - want) <= 1e-10 * Math.abs(want), `eigenvalue ${i}: ${r.values[i]} vs ${want}`);
    assert.ok(absCos(r.vectors.subarray(i * n, (i + 1) * n), Q[j]) > 1 - 1e-10, `eigenvector ${i}`);
    // the residual estimate is the true residual
    const v = r.vectors.slice(i * n, (i + 1) * n), hv = matvec(v);
    const res = Math.sqrt(hv.reduce((s, x, q) => s + (x - r.values[i] * v[q]) ** 2, 0));
    assert.ok(Math.abs(res - r.ritzResiduals[i]) < 1e-9 * lam[0], `residual ${i}: ${res} vs estimate ${r.ritzResiduals[i]}`);
  }
});

test('Lanczos: a repeated top eigenvalue (an invariant subspace, then a fresh vector) over the whole space is exact', async () => {
  const lam = [5, 5, 4, 3, 3, 3, 2, 1, 0.5, -1, -2, -2];
  const n = lam.length;
  const { matvec } = knownMatrix(lam, 5);
  const r = await lanczosTop(n, matvec, { k: n, maxIterations: n, seed: 1 });
  assert.ok(r.restarts >= 1, `restarted ${r.restarts} times`);
  const want = [...lam].sort((a, b) => b - a);
  want.forEach((w, i) => assert.ok(Math.abs(r.values[i] - w) < 1e-10, `eigenvalue ${i}: ${r.values[i]} vs ${w}`));
  // orthonormal eigenvectors
  for (let a = 0; a < n; a++) for (let b = 0; b <= a; b++) {
    const c = absCos(r.vectors.subarray(a * n, (a + 1) * n), r.vectors.subarray(b * n, (b + 1) * n));
    assert.ok(Math.abs(c - (a === b ? 1 : 0)) < 1e-9, `v${a} . v${b} = ${c}`);
  }
});

test('Lanczos: resuming from a saved state gives the same result bit for bit; bad k fails', async () => {
  const n = 80;
  const lam = Array.from({ length: n }, (_, i) => 1 / (1 + i) + (i === 3 ? 0.2 : 0));
  const { matvec } = knownMatrix(lam, 21);
  let saved: LanczosState | null = null;
  const full = await lanczosTop(n, matvec, {
    k: 4, maxIterations: 40, checkEvery: 1000, seed: 9, checkpointEvery: 10,
    onCheckpoint: (s) => { if (s.alpha.length === 20) saved = { ...s, basis: s.basis.map((q) => q.slice()), alpha: [...s.alpha], beta: [...s.beta] }; },
  });
  assert.ok(saved, 'a state at step 20');
  let more = 0;
  const resumed = await lanczosTop(n, (v) => { more++; return matvec(v); }, { k: 4, maxIterations: 40, checkEvery: 1000, seed: 9, resume: saved! });
  assert.is(more, 20, 'the resumed run did only the remaining steps');
  assert.equal(Array.from(resumed.values), Array.from(full.values));
  assert.equal(Array.from(resumed.vectors), Array.from(full.vectors));
  await assert.not.throws(() => lanczosTop(n, matvec, { k: 4 }));
  try { await lanczosTop(n, matvec, { k: n + 1 }); assert.unreachable(); } catch (e) { assert.instance(e, InputError); assert.match((e as Error).message, 'k must be an integer in 1..80'); }
});

// ------------------------------------------------------------------ the fc6 generator's Hessian vs PyTorch

/** a weights cache holding the width-1/32 generator of the deepsim fixtures */
function smallHome(): string {
  const home = tmp();
  importDeepsimFc6(fixture('deepsim', 'fc6_s32.pt'), home, { config: deepsimFc6Config(32) });
  return home;
}

const oracle = () => ({
  values: readNpy(fx('eigvals.npy')).data as Float64Array,
  vectors: readNpy(fx('eigvecs.npy')).data as Float64Array, // 16 x 128
  z0: readNpy(fx('z0.npy')).data as Float32Array,
});

/** Lanczos top 8 of the generator's H on `backend` with `eps`; eigenvalue relative errors and |cos| vs the oracle */
async function top8(backend: Backend, opts: { jv?: JvMethod; eps?: number }): Promise<{ relErr: number[]; cos: number[]; eps: number }> {
  const home = smallHome();
  const { model } = loadDeepsimFc6({ weightsDir: home, backend });
  const o = oracle();
  const n = 128;
  const H = await ImageDistanceHessian.create(model, o.z0, opts);
  try {
    const t0 = performance.now();
    const r = await lanczosTop(n, (v) => H.apply(v), { k: 8, seed: 0 });
    const s = (performance.now() - t0) / 1000;
    const relErr = Array.from({ length: 8 }, (_, i) => Math.abs(r.values[i] - o.values[i]) / o.values[i]);
    const cos = Array.from({ length: 8 }, (_, i) => absCos(r.vectors.subarray(i * n, (i + 1) * n), o.vectors.subarray(i * n, (i + 1) * n)));
    console.log(`    ${backend.name}, J v by ${H.jv}: ${r.iterations} steps in ${s.toFixed(1)} s${H.jv === 'fd' ? ` (eps ${H.eps.toPrecision(3)})` : ''}; eigenvalue rel. errors max ${Math.max(...relErr).toExponential(2)}; |cos| min ${Math.min(...cos).toFixed(6)}`);
    return { relErr, cos, eps: H.eps };
  } finally {
    H.dispose();
    model.dispose();
    rmSync(home, { recursive: true, force: true });
  }
}

// every top-8 gap of the oracle is >= 4.7% (fixtures/gan-hessian/hessian.json): all eight are well separated

test('fc6 width 1/32, WebGPU, exact J v (tangent pass): top 8 of 2 J^T J within 1e-5 of the exact Hessian, |cos| > 0.99999', async () => {
  const { relErr, cos } = await top8(await gpu(), {});
  relErr.forEach((e, i) => assert.ok(e < 1e-5, `eigenvalue ${i}: rel ${e}`));
  cos.forEach((c, i) => assert.ok(c > 0.99999, `eigenvector ${i}: |cos| ${c}`));
});

test('fc6 width 1/32, products H v vs the exact Hessian: finite differences on the float64 CPU backend (eps 1e-4) within 1e-3, tangent within 1e-5', async () => {
  const home = smallHome();
  const { model } = loadDeepsimFc6({ weightsDir: home, backend: cpu() });
  const o = oracle();
  const n = 128, Hx = readNpy(fx('H.npy')).data as Float64Array;
  // the top eigenvector, one in the middle of the spectrum (a random unit vector) and the 8th eigenvector
  const rnd = Float64Array.from(seededValues(n, 77));
  const rn = Math.hypot(...rnd);
  const vs = [o.vectors.slice(0, n), rnd.map((x) => x / rn), o.vectors.slice(7 * n, 8 * n)];
  const want = vs.map((v) => Float64Array.from({ length: n }, (_, i) => { let s = 0; for (let j = 0; j < n; j++) s += Hx[i * n + j] * v[j]; return s; }));
  const relErr = (got: Float64Array[]) => got.map((g, r) => Math.sqrt(g.reduce((s, x, i) => s + (x - want[r][i]) ** 2, 0)) / Math.hypot(...want[r]));
  try {
    const fd = await ImageDistanceHessian.create(model, o.z0, { jv: 'fd', eps: 1e-4 });
    const eFd = relErr(await fd.applyBatch(vs));
    fd.dispose();
    const tg = await ImageDistanceHessian.create(model, o.z0, { jv: 'tangent' });
    const eTg = relErr(await tg.applyBatch(vs));
    tg.dispose();
    console.log(`    ||H v - H_exact v|| / ||H_exact v||: fd ${eFd.map((x) => x.toExponential(1)).join(' ')}; tangent ${eTg.map((x) => x.toExponential(1)).join(' ')}`);
    eFd.forEach((e, r) => assert.ok(e < 1e-3, `fd product ${r}: ${e}`));
    eTg.forEach((e, r) => assert.ok(e < 1e-5, `tangent product ${r}: ${e}`));
  } finally {
    model.dispose();
    rmSync(home, { recursive: true, force: true });
  }
});

test('fc6 width 1/32, WebGPU (float32), finite-difference J v, default eps: top 8 within 5e-3, |cos| > 0.999', async () => {
  const { relErr, cos, eps } = await top8(await gpu(), { jv: 'fd' });
  assert.ok(Math.abs(eps - 2.095e-3) < 1e-5, `default eps ${eps}`); // 1e-3 x rms(z0), rms = 24 / sqrt(128)
  relErr.forEach((e, i) => assert.ok(e < 5e-3, `eigenvalue ${i}: rel ${e}`));
  cos.forEach((c, i) => assert.ok(c > 0.999, `eigenvector ${i}: |cos| ${c}`));
});

test('CLI: gan-hessian writes what HessCMA takes; bad options fail before any work', async () => {
  const home = smallHome();
  const out = join(tmp(), 'h');
  try {
    const bad = (args: string[], ...parts: string[]) => {
      const r = cli(['gan-hessian', ...args, '--weights-dir', home]);
      assert.is.not(r.status, 0, args.join(' '));
      for (const p of parts) assert.ok(r.stderr.includes(p), `${args.join(' ')}: ${r.stderr}`);
      assert.not.ok(existsSync(join(out, 'eigvals.npy')));
    };
    bad(['--gan', 'biggan', '--out', out], "unknown generator 'biggan'", 'fc6');
    bad(['--k', '129', '--at', 'zero', '--out', out], '--k 129 exceeds the code dimension 128');
    bad(['--k', '0', '--out', out], '--k must be an integer >= 1');
    bad(['--code', join(out, 'nope.npy'), '--out', out], 'does not exist');
    bad(['--code', fx('z0.npy'), '--at', 'zero', '--out', out], 'either --code or --at, not both');
    bad(['--eps', '0.01', '--out', out], '--eps is the finite-difference step: it needs --jv fd');
    bad(['--jv', 'double', '--out', out], "'double' is invalid");
    const empty = tmp();
    const r0 = cli(['gan-hessian', '--out', out, '--weights-dir', empty]);
    assert.is.not(r0.status, 0);
    assert.ok(r0.stderr.includes('dualneuron weights pull deepsim-fc6'), r0.stderr);
    rmSync(empty, { recursive: true, force: true });

    const r = cli(['gan-hessian', '--code', fx('z0.npy'), '--k', '4', '--iterations', '40', '--residuals', '2', '--out', out, '--weights-dir', home]);
    assert.is(r.status, 0, r.stderr);
    assert.equal(readdirSync(out).filter((f) => !f.startsWith('.')).sort(), ['eigvals.npy', 'eigvecs.npy', 'hessian.json', 'run.json']);
    const ev = readNpy(join(out, 'eigvals.npy')), V = readNpy(join(out, 'eigvecs.npy'));
    assert.is(ev.dtype, 'f64'); assert.equal(ev.shape, [4]);
    assert.is(V.dtype, 'f32'); assert.equal(V.shape, [4, 128]);
    const info = JSON.parse(readFileSync(join(out, 'hessian.json'), 'utf8'));
    assert.is(info.k, 4); assert.is(info.dimension, 128); assert.is(info.gan, 'fc6');
    assert.ok(info.iterations <= 40 && info.residuals.length === 2, JSON.stringify(info));
    const o = oracle();
    for (let i = 0; i < 4; i++) {
      const e = Math.abs((ev.data as Float64Array)[i] - o.values[i]) / o.values[i];
      assert.ok(e < 1e-4, `eigenvalue ${i}: rel ${e}`);
    }
    assert.is(info.jv, 'tangent'); assert.is(info.eps, null);
    // the real residuals of the top 2 are small against lambda
    for (const x of info.residuals) assert.ok(x.relative < 1e-3, JSON.stringify(x));
    // HessCMA takes the folder: eigenvectors N x k, column j = eigvecs.npy row j
    const h = readGanHessian(out);
    assert.is(h.n, 128); assert.is(h.k, 4);
    assert.is(h.eigenvectors[5 * 4 + 2], (V.data as Float32Array)[2 * 128 + 5]);
    const opt = HessCMA.create({ dimension: 128, eigenvalues: h.eigenvalues, eigenvectors: h.eigenvectors, topK: 4, exponent: 1 / 5, seed: 1 });
    assert.is(opt.kind, 'hesscma');
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(join(out, '..'), { recursive: true, force: true });
  }
});

test('CLI: killed (SIGKILL) mid-run, the same command resumes from the saved Lanczos state and writes the same bytes', async () => {
  const home = smallHome();
  const dir = tmp();
  const args = (out: string) => ['gan-hessian', '--code', fx('z0.npy'), '--k', '4', '--iterations', '40', '--tol', '1e-300',
    '--save-every', '0', '--residuals', '0', '--out', out, '--weights-dir', home];
  try {
    const a = join(dir, 'a'), b = join(dir, 'b');
    const whole = cli(args(a));
    assert.is(whole.status, 0, whole.stderr);
    const child = spawn(process.execPath, [resolve(repoRoot, 'dist/src/dualneuron/cli/main.js'), ...args(b)], { env: { ...process.env, DUALNEURON_QUIET: '1' }, stdio: 'ignore' });
    const exited = new Promise((res) => child.on('exit', res));
    const t0 = Date.now();
    while (!existsSync(join(b, 'lanczos-state.json')) && Date.now() - t0 < 120_000) await new Promise((res) => setTimeout(res, 10));
    child.kill('SIGKILL');
    await exited;
    assert.not.ok(existsSync(join(b, 'eigvals.npy')), 'killed before the end');
    const saved = (JSON.parse(readFileSync(join(b, 'lanczos-state.json'), 'utf8')) as { alpha: number[] }).alpha.length;
    assert.ok(saved >= 10 && saved < 40, `saved after ${saved} steps`);
    const r = cli(args(b));
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stderr.includes(`resuming from ${saved} Lanczos steps`), r.stderr);
    for (const f of ['eigvals.npy', 'eigvecs.npy']) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
    assert.is(JSON.parse(readFileSync(join(b, 'hessian.json'), 'utf8')).resumedFrom, saved);
    assert.not.ok(existsSync(join(b, 'lanczos-state.json')) || existsSync(join(b, 'lanczos-basis.npy')), 'state removed at the end');
    // another code in the same folder refuses the state of the first
    const child2 = spawn(process.execPath, [resolve(repoRoot, 'dist/src/dualneuron/cli/main.js'), ...args(b)], { env: { ...process.env, DUALNEURON_QUIET: '1' }, stdio: 'ignore' });
    const exited2 = new Promise((res) => child2.on('exit', res));
    while (!existsSync(join(b, 'lanczos-state.json')) && Date.now() - t0 < 240_000) await new Promise((res) => setTimeout(res, 10));
    child2.kill('SIGKILL');
    await exited2;
    const other = cli([...args(b).filter((x, i, all) => x !== '--code' && all[i - 1] !== '--code'), '--at', 'zero']);
    assert.is.not(other.status, 0);
    assert.ok(other.stderr.includes('holds the Lanczos state of another computation') && other.stderr.includes('codeSha256'), other.stderr);
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
