// The optimisers against the NumPy float64 reference (tools/golden/evolve_reference.py, dense matrices, written from
// the equations): fed the same draws (the reference reimplements our Philox stream; two cases replay numpy's draws
// through ReplayDraws), each follows the reference's trajectory on a quadratic and on Rosenbrock for 50
// generations: means/centres (or the GA's population mean), sigma and best scores within 1e-5 relative.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PhiloxDraws, type CholeskyCMAES } from '../../src/dualneuron/evolve/index.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { buildFromCase, loadReference, objectives, relErr, step, type RefCase, type RefRecord } from './evolve-objectives.js';

const test = suite('evolve optimisers vs the NumPy reference');
const ref = loadReference();
const TOL = 1e-5;

test('our Philox draws equal the reference reimplementation (uniforms exactly, normals to rounding)', () => {
  const d = new PhiloxDraws(BigInt(ref.philox.seed));
  const u = d.uniform(8), n = d.normal(8);
  assert.equal([...u], ref.philox.uniform);
  assert.ok(relErr(n, ref.philox.normal) < 1e-15, `normals differ: ${[...n]} vs ${ref.philox.normal}`);
});

test('PhiloxDraws is HostRng\'s stream, and resumes mid-block from its state', () => {
  const d = new PhiloxDraws(99n), h = new HostRng(99n);
  const u = d.uniform(3);
  assert.equal([...u], [h.uniform(), h.uniform(), h.uniform()]);
  const saved = d.state();
  assert.equal(saved, { kind: 'philox', seed: '99', block: 2, used: 2 });
  const n = d.normal(5), n2 = PhiloxDraws.fromState(saved as { seed: string; block: number; used: number }).normal(5);
  assert.equal([...n], [...n2]);
  assert.equal([...n], [h.normal(), h.normal(), h.normal(), h.normal(), h.normal()]);
});

function label(c: RefCase): string {
  return `${c.algo} ${c.objective} N=${c.N}${c.normals ? ' (replayed numpy draws)' : ` seed ${c.seed}`}${c.aUpdateFreq === 0 ? ' A updated every generation' : ''}${c.init ? ` ${c.init.length} init codes` : ''}${c.schedule ? ` ${c.schedule[0]} schedule` : ''}`;
}

const worst: string[] = [];
for (const c of ref.cases) {
  test(`${label(c)} follows the reference for ${c.records.length} generations`, () => {
    const f = objectives[c.objective];
    const opt = buildFromCase(c);
    let maxVec = 0, maxSigma = 0, maxBest = 0;
    c.records.forEach((r: RefRecord, g) => {
      const scores = step(opt, f);
      const best = Math.max(...scores);
      const inn = opt.internals() as Record<string, unknown>;
      const vec = (c.algo === 'spherecma' ? inn.centre : c.algo === 'ga' ? meanOf(inn.population as Float64Array[]) : inn.mean) as Float64Array;
      const want = r.mean ?? r.centre ?? r.popMean!;
      const eVec = relErr(vec, want), eBest = Math.abs(best - r.best) / Math.max(Math.abs(r.best), 1e-12);
      maxVec = Math.max(maxVec, eVec); maxBest = Math.max(maxBest, eBest);
      assert.ok(eVec <= TOL, `generation ${g}: mean/centre relative error ${eVec}`);
      assert.ok(eBest <= TOL, `generation ${g}: best score ${best} vs ${r.best}`);
      if (r.sigma !== undefined) {
        const e = Math.abs((inn.sigma as number) - r.sigma) / r.sigma;
        maxSigma = Math.max(maxSigma, e);
        assert.ok(e <= TOL, `generation ${g}: sigma ${inn.sigma} vs ${r.sigma}`);
      }
      if (r.psNorm !== undefined) assert.ok(Math.abs((inn.psNorm as number) - r.psNorm) <= TOL * Math.max(1, r.psNorm), `generation ${g}: |p_sigma|`);
      if (r.mu !== undefined) assert.ok(Math.abs((inn.mu as number) - r.mu) <= 1e-12 * r.mu, `generation ${g}: tangent length ${inn.mu} vs ${r.mu}`);
      if (r.kT !== undefined) assert.ok(Math.abs((inn.kT as number) - r.kT) <= TOL * r.kT, `generation ${g}: kT ${inn.kT} vs ${r.kT}`);
      if (r.hsig !== undefined) assert.is(inn.hsig, r.hsig, `generation ${g}: h_sigma`);
    });
    if (c.finalA) {
      const e = relErr((opt as CholeskyCMAES).matrixA(), c.finalA);
      assert.ok(e <= TOL, `final A (after ${c.records.length - 1} rank-one updates) relative error ${e}`);
    }
    worst.push(`${label(c)}: mean ${maxVec.toExponential(2)}, sigma ${maxSigma.toExponential(2)}, best ${maxBest.toExponential(2)}`);
  });
}

test.after(() => { if (process.env.EVOLVE_REPORT) console.log(worst.join('\n')); });

function meanOf(rows: Float64Array[]): Float64Array {
  const m = new Float64Array(rows[0].length);
  for (const r of rows) for (let i = 0; i < m.length; i++) m[i] += r[i];
  return m.map((v) => v / rows.length);
}

test.run();
