// Regression guards: each optimiser improves a 64-D sphere function -|x - 1|^2 (0 at the optimum) from a fixed
// start to a stated level; and bad options or scores are typed errors that name what was wrong.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CholeskyCMAES, CMAES, Genetic, HessCMA, SphereCMA, type Optimizer } from '../../src/dualneuron/evolve/index.js';
import { sphere } from './evolve-objectives.js';
import { InputError } from '../../src/errors.js';

const test = suite('evolve optimisers improve a 64-D sphere function');
const N = 64;

function bestAfter(opt: Optimizer, generations: number): { first: number; best: number } {
  let first = -Infinity, best = -Infinity;
  for (let g = 0; g < generations; g++) {
    const s = opt.ask().map(sphere);
    if (g === 0) first = Math.max(...s);
    best = Math.max(best, ...s);
    opt.tell(s);
  }
  return { first, best };
}

const identityBasis = () => {
  const E = new Float64Array(N * N);
  for (let i = 0; i < N; i++) E[i * N + i] = 1;
  return { eigenvalues: Array.from({ length: N }, (_, i) => 1 + i), eigenvectors: E };
};

// start: the zero code (-64) for the CMA family, N(0, I) codes for the GA, random codes of norm 8 (= |1|) for SphereCMA
const guards: [string, () => Optimizer, number, number][] = [
  ['CholeskyCMAES (sigma0 0.5)', () => new CholeskyCMAES({ dimension: N, sigma0: 0.5, seed: 1 }), 150, -0.05],
  ['HessCMA (identity basis, eig 1..64, exponent 1/5)', () => HessCMA.create({ dimension: N, sigma0: 0.5, seed: 1, exponent: 0.2, ...identityBasis() }), 150, -0.1],
  ['SphereCMA (norm 8)', () => new SphereCMA({ dimension: N, sphereNorm: 8, seed: 1, schedule: { generations: 150 } }), 150, -2],
  ['Genetic (benchmark settings)', () => new Genetic({ dimension: N, seed: 1 }), 150, -40],
  ['CMAES (sigma0 0.5)', () => new CMAES({ dimension: N, sigma0: 0.5, seed: 1 }), 100, -2],
];

for (const [name, make, generations, level] of guards) {
  test(`${name} reaches ${level} within ${generations} generations`, () => {
    const { first, best } = bestAfter(make(), generations);
    assert.ok(best >= level, `best ${best} after ${generations} generations (first generation ${first})`);
    assert.ok(best > first, 'no improvement');
  });
}

test('bad options and scores are InputErrors naming the option', () => {
  const bad: [() => unknown, RegExp][] = [
    [() => new CholeskyCMAES({ dimension: 0 }), /dimension/],
    [() => new CholeskyCMAES({ dimension: 4, sigma0: 0 }), /sigma0/],
    [() => new CholeskyCMAES({ dimension: 4, populationSize: 1 }), /populationSize/],
    [() => new CholeskyCMAES({ dimension: 4, init: new Float64Array(3) }), /init code 0 has length 3/],
    [() => new Genetic({ dimension: 4, populationSize: 10, nConserve: 10 }), /nConserve/],
    [() => new Genetic({ dimension: 4, mutationRate: 2 }), /mutationRate/],
    [() => new SphereCMA({ dimension: 4, populationSize: 10, selectSize: 11 }), /selectSize/],
    [() => new SphereCMA({ dimension: 4, schedule: { mode: 'cos' as 'exp' } }), /schedule.mode/],
    [() => HessCMA.create({ dimension: 4, eigenvalues: [1, 2], eigenvectors: new Float64Array(6) }), /eigenvectors/],
    [() => HessCMA.create({ dimension: 2, eigenvalues: [1, -1], eigenvectors: new Float64Array(4) }), /not positive/],
    [() => { const o = new CholeskyCMAES({ dimension: 4 }); o.tell([1, 2]); }, /got 2 scores for a population of 1/],
    [() => { const o = new CMAES({ dimension: 4 }); o.tell(o.ask().map(() => NaN)); }, /score 0 is NaN/],
  ];
  for (const [f, re] of bad) assert.throws(f, (e: unknown) => e instanceof InputError && re.test((e as Error).message), String(re));
});

test('maximize false minimises: CholeskyCMAES on |x - 1|^2 matches maximising -|x - 1|^2 exactly', () => {
  const a = new CholeskyCMAES({ dimension: 8, sigma0: 0.5, seed: 4 });
  const b = new CholeskyCMAES({ dimension: 8, sigma0: 0.5, seed: 4, maximize: false });
  for (let g = 0; g < 20; g++) {
    a.tell(a.ask().map(sphere));
    b.tell(b.ask().map((x) => -sphere(x)));
  }
  assert.equal([...a.internals().mean], [...b.internals().mean]);
});

test.run();
