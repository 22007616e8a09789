// `dualneuron evolve` options (issue 13 item 5): each bad option fails with an InputError naming it, before any
// work; the fc6 defaults are field-anchors section 4's (sigma0 3, lambda 40; HessCMA sigma0 0.8).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.js';
import { parseEvolveOptions, spacePop, spaceSigma0, type EvolveOptionsInput } from '../../src/dualneuron/evolve/run-options.js';

const test = suite('evolve run options');
const base: EvolveOptionsInput = { spaces: 'pixel', optimizer: 'cholcma', generations: '5' };

function fails(o: Partial<EvolveOptionsInput>, re: RegExp): void {
  try { parseEvolveOptions({ ...base, ...o }); } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`accepted ${JSON.stringify(o)}`);
}

test('bad options fail, each naming what was wrong', () => {
  fails({ spaces: 'pixels' }, /unknown space 'pixels'/);
  fails({ spaces: 'pixel,pixel' }, /given twice/);
  fails({ optimizer: 'adam' }, /unknown optimiser 'adam'/);
  fails({ pop: '1' }, /--pop must be an integer >= 2/);
  fails({ pop: '4.5' }, /--pop/);
  fails({ sigma0: '0' }, /--sigma0 must be > 0/);
  fails({ sigma0: '-1' }, /--sigma0 must be > 0/);
  fails({ sigma0: 'x' }, /--sigma0 must be a number/);
  fails({ generations: '0' }, /--generations/);
  fails({ noise: '-0.2' }, /--noise/);
  fails({ seeds: '0' }, /--seeds/);
  fails({ optimizer: 'hesscma', spaces: 'fc6' }, /--hessian-eigvecs X\.npy.*gan-hessian/);
  fails({ optimizer: 'hesscma', spaces: 'pixel', hessianEigvecs: 'a', hessianEigvals: 'b' }, /fc6 generator space only/);
  fails({ hessianEigvecs: 'a' }, /are for --optimizer hesscma/);
});

test('defaults: fc6 sigma0 3 and pop 40 (lambda of 4096), HessCMA 0.8; --pop and --sigma0 override', () => {
  const o = parseEvolveOptions({ ...base, spaces: 'fc6,pixel,fourier' });
  assert.equal(o.spaces, ['fc6', 'pixel', 'fourier']);
  assert.is(spacePop(o, 4096), 40);
  assert.is(spacePop(o, 256), 28);
  assert.is(spaceSigma0(o, 'fc6'), 3);
  const h = parseEvolveOptions({ ...base, spaces: 'fc6', optimizer: 'hesscma', hessianEigvecs: 'v.npy', hessianEigvals: 'e.npy' });
  assert.is(spaceSigma0(h, 'fc6'), 0.8);
  assert.equal(h.hessian, { eigvecs: 'v.npy', eigvals: 'e.npy' });
  const p = parseEvolveOptions({ ...base, pop: '8', sigma0: '0.25', noise: '0.2', seeds: '3' });
  assert.is(spacePop(p, 4096), 8); assert.is(spaceSigma0(p, 'pixel'), 0.25); assert.is(p.noise, 0.2); assert.is(p.seeds, 3);
});

test.run();
