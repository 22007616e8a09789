// The evolve runner's factories: thread seeds, the Hessian files read for hesscma (against readGanHessian, the
// reader of gan-hessian's own output folder), the optimiser centre each optimiser exposes, and the space sizes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { readGanHessian } from '../../src/dualneuron/evolve/hessian.js';
import { HessCMA } from '../../src/dualneuron/evolve/cholesky-cmaes.js';
import { Concat } from '../../src/dualneuron/evolve/wrappers.js';
import { noiseSeed } from '../../src/dualneuron/evolve/recording-noise.js';
import { centreOf, makeOptimizer, optimizerSeed, readHessianFiles } from '../../src/dualneuron/evolve/optimizer-factory.js';
import { spaceDimension, spaceStream } from '../../src/dualneuron/evolve/space-factory.js';
import { seededValues } from '../helpers/backends.js';

const test = suite('evolve runner factories');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-evolve-factory-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

test('thread seeds: distinct per (neuron, space, seed), never equal to a noise stream seed', () => {
  const seen = new Set<bigint>();
  for (let n = 0; n < 20; n++) for (const s of ['fc6', 'biggan', 'pixel', 'fourier']) for (let k = 0; k < 4; k++) {
    const a = optimizerSeed(n, spaceStream(s), k), b = noiseSeed(n, spaceStream(s), k);
    assert.not.ok(seen.has(a) || seen.has(b));
    seen.add(a); seen.add(b);
  }
  assert.throws(() => optimizerSeed(2 ** 23, 0, 0), /neuron 8388608 must be an integer/);
  assert.throws(() => spaceStream('pix'), /no seed stream for the space 'pix'/);
  assert.is(spaceDimension('pixel', 'v1'), 8649);
  assert.is(spaceDimension('fourier', 'v4'), 30000);
  assert.is(spaceDimension('fc6', 'v1'), 4096);
});

test('hesscma: the --hessian-eigvecs/--hessian-eigvals files read as readGanHessian reads a gan-hessian folder; the optimiser asks what HessCMA.create asks', () => {
  const k = 3, n = 7;
  const V = seededValues(k * n, 4), ev = Float64Array.from([5, 2, 0.5]);
  writeNpy(join(tmp, 'eigvecs.npy'), { dtype: 'f32', shape: [k, n], data: V });
  writeNpy(join(tmp, 'eigvals.npy'), { dtype: 'f64', shape: [k], data: ev });
  const mine = readHessianFiles(join(tmp, 'eigvecs.npy'), join(tmp, 'eigvals.npy'), n);
  const theirs = readGanHessian(tmp);
  assert.equal(Array.from(mine.eigenvectors), Array.from(theirs.eigenvectors));
  assert.equal(Array.from(mine.eigenvalues), Array.from(theirs.eigenvalues));
  assert.throws(() => readHessianFiles(join(tmp, 'eigvecs.npy'), join(tmp, 'eigvals.npy'), 8), /shape \(3, 7\), expected \(3, 8\)/);
  const init = Float64Array.from(seededValues(n, 9));
  const a = makeOptimizer({ optimizer: 'hesscma', dim: n, init, pop: 6, sigma0: 0.8, sphereNorm: 1, seed: 5n, hessian: mine });
  const b = HessCMA.create({ dimension: n, eigenvalues: theirs.eigenvalues, eigenvectors: theirs.eigenvectors, exponent: 1 / 5, populationSize: 6, sigma0: 0.8, init, seed: 5n });
  for (let g = 0; g < 4; g++) {
    const qa = a.ask(), qb = b.ask();
    assert.equal(qa.map((c) => Array.from(c)), qb.map((c) => Array.from(c)));
    const s = qa.map((c) => -c.reduce((x, v) => x + (v - 1) ** 2, 0));
    a.tell(s); b.tell(s);
  }
});

test('centreOf: CMA mean, SphereCMA centre on the sphere, GA population mean, Concat both halves', () => {
  const n = 5, score = (c: Float64Array) => -c.reduce((x, v) => x + (v - 0.5) ** 2, 0);
  const step = (o: ReturnType<typeof makeOptimizer>) => { o.tell(o.ask().map(score)); };
  const cma = makeOptimizer({ optimizer: 'cholcma', dim: n, init: new Float64Array(n), pop: 6, sigma0: 0.3, sphereNorm: 2, seed: 1n });
  step(cma); step(cma);
  assert.equal(Array.from(centreOf(cma)), Array.from(cma.internals().mean as Float64Array));
  const sph = makeOptimizer({ optimizer: 'spherecma', dim: n, init: new Float64Array(n), pop: 6, sigma0: 0.3, sphereNorm: 2, seed: 1n });
  step(sph);
  const c = centreOf(sph);
  assert.ok(Math.abs(Math.hypot(...c) - 2) < 1e-12, 'the SphereCMA centre lies on the sphere of radius sphereNorm');
  const ga = makeOptimizer({ optimizer: 'ga', dim: n, init: new Float64Array(n), pop: 8, sigma0: 0.3, sphereNorm: 2, seed: 1n });
  step(ga);
  const pop = ga.ask(), m = centreOf(ga);
  for (let j = 0; j < n; j++) assert.ok(Math.abs(m[j] - pop.reduce((x, p) => x + p[j], 0) / pop.length) < 1e-12);
  const second = makeOptimizer({ optimizer: 'cholcma', dim: 3, init: Float64Array.from([1, 2, 3]), pop: 6, sigma0: 0.3, sphereNorm: 2, seed: 2n });
  step(second);
  // generation 0 asks the start code alone: after its tell the centre is that code
  assert.equal(Array.from(centreOf(second)), [1, 2, 3]);
  const cat = new Concat(cma, second);
  assert.equal(Array.from(centreOf(cat)), [...Array.from(centreOf(cma)), 1, 2, 3]);
  assert.throws(() => makeOptimizer({ optimizer: 'cma', dim: 2000, init: new Float64Array(2000), pop: 6, sigma0: 1, sphereNorm: 1, seed: 0n }), /at most 1024 dimensions/);
});

test.run();
