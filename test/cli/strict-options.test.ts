// Issue 12, item 8: numbers on the command line are parsed strictly (Number() read '' as 0, '0x10' as 16, '1e2'
// as 100 and rounded seeds above 2^53), and seeds are exact up to 2^64-1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { cli } from '../helpers/cli.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';

const test = suite('cli strict options');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-strict-'));
const noWeights = join(tmp, 'no-weights');

function refused(args: string[], option: string, noFile: string): void {
  const r = cli(args);
  assert.is(r.status, 1, `expected exit 1 for ${JSON.stringify(args)}; stderr: ${r.stderr}`);
  assert.ok(r.stderr.includes(option), `the message names ${option}: ${r.stderr}`);
  assert.not.match(r.stderr, /unexpected error/);
  assert.not.ok(existsSync(noFile), `${noFile} must not be written`);
}

test("integers: '', hex, exponent, whitespace, '+' and fractions are refused with the option named", () => {
  for (const v of ['', '0x10', '1e2', ' 3', '3 ', '+3', '3.0', '-1', '1_000']) {
    const out = join(tmp, 'never-synth');
    refused(['synthesize', '--model', 'v1', '--neuron', v, '--out', out, '--weights-dir', noWeights], '--neuron', out);
    const r = join(tmp, 'never-render');
    refused(['render', '--count', v, '--size', '16', '--out', r], '--count', r);
  }
  const out = join(tmp, 'never-poles');
  refused(['poles', '--model', 'v1', '--neurons', '0x10', '--out', out, '--weights-dir', noWeights], '--neurons', out);
  refused(['poles', '--model', 'v1', '--neurons', '1e2', '--out', out, '--weights-dir', noWeights], '--neurons', out);
  refused(['poles', '--model', 'v1', '--neurons', '0-3', '--batch', '0x8', '--out', out, '--weights-dir', noWeights], '--batch', out);
  refused(['screen', '--model', 'v1', '--images', tmp, '--shard', '0x1/2', '--out', out, '--weights-dir', noWeights], '--shard', out);
  refused(['screen', '--model', 'v1', '--images', tmp, '--location', '1e1', '--layer', 'x', '--out', out, '--weights-dir', noWeights], '--location', out);
});

test("floats: '', 'NaN', 'Infinity', '1e', hex and trailing junk are refused with the option named", () => {
  const out = join(tmp, 'never-float');
  for (const [opt, v] of [['--lr', ''], ['--lr', '0x1'], ['--lr', 'Infinity'], ['--lr', '1e'], ['--noise', ''], ['--noise', 'NaN'], ['--tv-weight', '1e-4x'], ['--jitter', ' 0.1']]) {
    refused(['synthesize', '--model', 'v1', '--neuron', '3', opt, v, '--out', out, '--weights-dir', noWeights], opt, out);
  }
});

test('seeds: 2^64 is refused; --seed above 2^53 is not rounded', () => {
  const out = join(tmp, 'never-seed');
  refused(['synthesize', '--model', 'v1', '--neuron', '3', '--seed', '18446744073709551616', '--out', out, '--weights-dir', noWeights], '--seed', out);
  refused(['render', '--count', '1', '--seed', '18446744073709551616', '--out', out], '--seed', out);
  refused(['synthesize', '--model', 'v1', '--neuron', '3', '--seed', '-1', '--out', out, '--weights-dir', noWeights], '--seed', out);
});

withUpstream(test)('--seed 2^64-1 gives folder seed_18446744073709551615 and a different result from 2^64-2 (real twin)', () => {
  const home = upstreamWeightsHome();
  const run = (seed: string, dir: string) => {
    const r = cli(['synthesize', '--model', 'v1', '--members', '1', '--neuron', '3', '--seed', seed, '--pole', 'most', '--steps', '1', '--crops', '1', '--weights-dir', home, '--out', join(tmp, dir)]);
    assert.is(r.status, 0, r.stderr);
    return readdirSync(join(tmp, dir, 'neuron_0003'));
  };
  assert.equal(run('18446744073709551615', 'max'), ['seed_18446744073709551615']);
  assert.equal(run('18446744073709551614', 'max-1'), ['seed_18446744073709551614']);
  const img = (dir: string, s: string) => readNpy(join(tmp, dir, 'neuron_0003', `seed_${s}`, 'most', 'image.npy')).data as Float32Array;
  const a = img('max', '18446744073709551615'), b = img('max-1', '18446744073709551614');
  assert.ok(a.some((v, i) => v !== b[i]), 'seeds 2^64-1 and 2^64-2 must draw different initial images');
  const done = JSON.parse(readFileSync(join(tmp, 'max', 'neuron_0003', 'seed_18446744073709551615', 'most', 'done.json'), 'utf8'));
  assert.is(done.seed, '18446744073709551615');
});

test.run();
