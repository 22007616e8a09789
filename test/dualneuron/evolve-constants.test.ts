// CholeskyCMAES constants against ../shared/reference/field-anchors.md 3.8a (upstream's values for fc6, N = 4096,
// and BigGAN, N = 256), each to the digits the anchor gives; and the population a 4096-D run asks for.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CholeskyCMAES, choleskyConstants } from '../../src/dualneuron/evolve/index.js';

const test = suite('CholeskyCMAES constants (field-anchors 3.8a)');

/** |got - want| within half a unit of the last digit the anchor states */
function near(got: number, want: number, halfUlp: number, what: string): void {
  assert.ok(Math.abs(got - want) <= halfUlp, `${what}: ${got} vs ${want} (+- ${halfUlp})`);
}

test('N = 4096: lambda 40, mu 20, mu_eff 11.309, c_sigma .04992, c_c 9.76e-4, c1 1.191e-7, d_sigma 1.04992, chi_N 63.996', () => {
  const c = choleskyConstants(4096);
  assert.is(c.lambda, 40); assert.is(c.mu, 20);
  near(c.mueff, 11.309, 5e-4, 'mu_eff'); near(c.cs, 0.04992, 5e-6, 'c_sigma'); near(c.cc, 9.76e-4, 5e-7, 'c_c');
  near(c.c1, 1.191e-7, 5e-11, 'c1'); near(c.damps, 1.04992, 5e-6, 'd_sigma'); near(c.chiN, 63.996, 5e-4, 'chi_N');
  let sum = 0;
  for (const w of c.weights) sum += w;
  near(sum, 1, 1e-15, 'sum of weights');
  assert.ok([...c.weights].every((w, i) => i === 0 || w < c.weights[i - 1]), 'weights decrease with rank');
});

test('N = 256: lambda 28, mu 14, mu_eff 8.106, c_sigma .1511, c_c .01538, c1 3.02e-5', () => {
  const c = choleskyConstants(256);
  assert.is(c.lambda, 28); assert.is(c.mu, 14);
  near(c.mueff, 8.106, 5e-4, 'mu_eff'); near(c.cs, 0.1511, 5e-5, 'c_sigma'); near(c.cc, 0.01538, 5e-6, 'c_c'); near(c.c1, 3.02e-5, 5e-8, 'c1');
});

test('a 4096-D CholeskyCMAES asks the zero code first, then 40 codes of norm about sigma0 sqrt(N), with A updated at generation 11', () => {
  const opt = new CholeskyCMAES({ dimension: 4096, seed: 3 });
  const g0 = opt.ask();
  assert.is(g0.length, 1);
  assert.ok(g0[0].every((v) => v === 0));
  opt.tell([5]);
  const g1 = opt.ask();
  assert.is(g1.length, 40);
  const norms = g1.map((x) => Math.hypot(...x));
  const mean = norms.reduce((a, b) => a + b) / norms.length;
  assert.ok(Math.abs(mean - 3 * 64) < 3, `mean code norm ${mean}, expected about 192`);
  for (let g = 1; g <= 11; g++) {
    assert.is(opt.internals().A.updates, 0, `no A update before generation 11 (at ${g})`);
    opt.tell(opt.ask().map((x) => -Math.hypot(...x)));
  }
  assert.is(opt.internals().A.updates, 1, 'one rank-one update after generation 11 (counteval - eigeneval > 10 lambda)');
});

test.run();
