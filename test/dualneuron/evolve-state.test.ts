// state() / restore: 20 generations, a JSON round trip into a fresh optimiser, 20 more: every code asked and the
// final state are bit-identical to an uninterrupted 40-generation run, for every optimiser (and for injected draws).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CholeskyCMAES, CMAES, Concat, FixedPart, Genetic, HessCMA, ReplayDraws, SphereCMA, restoreOptimizer, type Optimizer } from '../../src/dualneuron/evolve/index.js';
import { rosenbrock, quadratic } from './evolve-objectives.js';
import { FormatError, InputError } from '../../src/errors.js';

const test = suite('evolve optimiser state round trip');
const N = 12;

function basis(): { eigenvalues: number[]; eigenvectors: Float64Array } {
  // a rotation of the plane pairs (i, i+1) by 0.3 rad: orthonormal, not the identity
  const E = new Float64Array(N * N), c = Math.cos(0.3), s = Math.sin(0.3);
  for (let i = 0; i < N; i += 2) { E[i * N + i] = c; E[i * N + i + 1] = -s; E[(i + 1) * N + i] = s; E[(i + 1) * N + i + 1] = c; }
  return { eigenvalues: Array.from({ length: N }, (_, i) => 1 + i), eigenvectors: E };
}

const makers: [string, (draws?: ReplayDraws) => Optimizer][] = [
  ['cholcma (A updated every generation)', () => new CholeskyCMAES({ dimension: N, sigma0: 0.4, aUpdateFreq: 0, seed: 5 })],
  ['cholcma (default)', () => new CholeskyCMAES({ dimension: N, sigma0: 0.4, seed: 6, init: [new Float64Array(N).fill(0.1), new Float64Array(N).fill(-0.2)] })],
  ['hesscma', () => HessCMA.create({ dimension: N, sigma0: 0.4, aUpdateFreq: 2, seed: 7, topK: 5, exponent: 0.2, ...basis() })],
  ['spherecma', () => new SphereCMA({ dimension: N, populationSize: 10, selectSize: 5, sphereNorm: 3, seed: 8, schedule: { generations: 30 } })],
  ['ga', () => new Genetic({ dimension: N, populationSize: 16, nConserve: 4, seed: 9 })],
  ['cma', () => new CMAES({ dimension: N, sigma0: 0.4, seed: 10 })],
  ['concat of two CholeskyCMAES halves', () => new Concat(new CholeskyCMAES({ dimension: 6, sigma0: 0.3, seed: 11 }), new CholeskyCMAES({ dimension: 6, sigma0: 0.2, seed: 12, aUpdateFreq: 1 }))],
  ['SphereCMA with a fixed second half', () => new FixedPart(new SphereCMA({ dimension: 8, populationSize: 10, selectSize: 5, sphereNorm: 3, seed: 13 }), [0.5, -0.5, 0.25, 1], 'after')],
  ['ga on replayed draws', (d) => new Genetic({ dimension: N, populationSize: 16, nConserve: 4, draws: d })],
];

function replay(): ReplayDraws {
  // a fixed, non-Philox stream of "draws" (a linear congruential sequence) long enough for 40 GA generations
  const n = 20000, u = new Float64Array(n), z = new Float64Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) % 2147483648; u[i] = x / 2147483648; z[i] = (u[i] - 0.5) * 3.4; }
  return new ReplayDraws(z, u);
}

for (const [name, make] of makers) {
  test(`${name}: 20 + restore + 20 generations == 40 generations, bit for bit`, () => {
    const f = name.startsWith('ga') ? quadratic : rosenbrock;
    const isReplay = name.includes('replayed');
    const a = make(isReplay ? replay() : undefined);
    const whole: Float64Array[][] = [];
    for (let g = 0; g < 40; g++) { const pop = a.ask(); whole.push(pop); a.tell(pop.map(f)); }
    let b = make(isReplay ? replay() : undefined);
    const parts: Float64Array[][] = [];
    for (let g = 0; g < 20; g++) { const pop = b.ask(); parts.push(pop); b.tell(pop.map(f)); }
    const saved = JSON.stringify(b.state());
    b = restoreOptimizer(JSON.parse(saved), isReplay ? { draws: replay() } : {});
    assert.is(b.generation, 20);
    for (let g = 20; g < 40; g++) { const pop = b.ask(); parts.push(pop); b.tell(pop.map(f)); }
    for (let g = 0; g < 40; g++) {
      assert.is(parts[g].length, whole[g].length, `generation ${g}: population size`);
      parts[g].forEach((x, r) => assert.ok(x.every((v, i) => Object.is(v, whole[g][r][i])), `generation ${g}, code ${r} differs`));
    }
    assert.is(JSON.stringify(b.state()), JSON.stringify(a.state()), 'final states differ');
  });
}

test('a state that does not fit is a FormatError naming the field; a non-Philox state needs its draws again', () => {
  const s = new CholeskyCMAES({ dimension: N, seed: 1 }).state();
  assert.throws(() => restoreOptimizer({ ...s, mean: s.ps.slice(0, 8) }), (e: unknown) => e instanceof FormatError && /mean/.test((e as Error).message));
  assert.throws(() => restoreOptimizer({ ...s, kind: 'pso' }), (e: unknown) => e instanceof FormatError && /unknown kind 'pso'/.test((e as Error).message));
  const r = new Genetic({ dimension: N, populationSize: 16, nConserve: 4, draws: replay() }).state();
  assert.throws(() => restoreOptimizer(JSON.parse(JSON.stringify(r))), (e: unknown) => e instanceof InputError && /pass that source again/.test((e as Error).message));
});

test.run();
