// Concat and FixedPart (upstream concat_wrapper, fix_param_wrapper): the wrapped optimisers ask and learn exactly
// what they would alone when told the same scores, and the fixed half never moves.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CholeskyCMAES, Concat, FixedPart, Genetic } from '../../src/dualneuron/evolve/index.js';
import { rosenbrock } from './evolve-objectives.js';
import { InputError } from '../../src/errors.js';

const test = suite('evolve wrappers');

test('Concat = two standalone CholeskyCMAES told the scores of the joint code', () => {
  const mk = () => [new CholeskyCMAES({ dimension: 6, sigma0: 0.3, seed: 1 }), new CholeskyCMAES({ dimension: 6, sigma0: 0.2, seed: 2 })];
  const [a, b] = mk(), [a2, b2] = mk();
  const joint = new Concat(a2, b2);
  for (let g = 0; g < 15; g++) {
    const xa = a.ask(), xb = b.ask(), xj = joint.ask();
    assert.is(xj.length, xa.length);
    xj.forEach((x, i) => assert.equal([...x], [...xa[i], ...xb[i]], `generation ${g}, code ${i}`));
    const s = xj.map(rosenbrock);
    a.tell(s); b.tell(s); joint.tell(s);
  }
  assert.is(joint.dimension, 12);
  assert.is(joint.generation, 15);
});

test('FixedPart before/after: the fixed values sit in place and the free part is the inner optimiser\'s', () => {
  for (const position of ['before', 'after'] as const) {
    const fixed = [3, -1, 0.5];
    const alone = new CholeskyCMAES({ dimension: 5, sigma0: 0.3, seed: 4 });
    const w = new FixedPart(new CholeskyCMAES({ dimension: 5, sigma0: 0.3, seed: 4 }), fixed, position);
    for (let g = 0; g < 12; g++) {
      const free = alone.ask(), codes = w.ask();
      codes.forEach((x, i) => {
        const [f, v] = position === 'before' ? [x.slice(0, 3), x.slice(3)] : [x.slice(5), x.slice(0, 5)];
        assert.equal([...f], fixed); assert.equal([...v], [...free[i]]);
      });
      const s = codes.map(rosenbrock);
      alone.tell(s); w.tell(s);
    }
  }
});

test('Concat of optimisers asking different numbers of codes is an InputError', () => {
  const c = new Concat(new Genetic({ dimension: 4, populationSize: 10, nConserve: 2 }), new Genetic({ dimension: 4, populationSize: 12, nConserve: 2 }));
  assert.throws(() => c.ask(), (e: unknown) => e instanceof InputError && /asks 10 codes and the second 12/.test((e as Error).message));
});

test.run();
