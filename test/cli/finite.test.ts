// Issue 12, item 4: NaN priors and init images are refused before any work, and a run whose activation becomes
// non-finite fails naming the step (it used to finish with "final": null and be skipped forever after).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { Tensor, cpu } from '../../src/tensor/index.js';
import { PixelParameterization } from '../../src/dualneuron/synthesis/parameterization.js';
import { synthesize, type Model, type SynthesisOptions } from '../../src/dualneuron/synthesis/engine.js';
import { cli } from '../helpers/cli.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';

const test = suite('cli finite inputs');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-finite-'));

withUpstream(test)('a prior with one NaN and an all-NaN --init-image are refused before any work, naming the file and index', () => {
  const home = upstreamWeightsHome();
  const prior = readNpy(join(home, 'priors', 'natural_gray.npy'));
  const p = Float32Array.from(prior.data as Float32Array);
  p[1234] = NaN;
  const badPrior = join(tmp, 'prior.npy');
  writeNpy(badPrior, { dtype: 'f32', shape: prior.shape, data: p });
  const badInit = join(tmp, 'init.npy');
  writeNpy(badInit, { dtype: 'f32', shape: [1, 93, 93], data: new Float32Array(93 * 93).fill(NaN) });
  for (const [args, pattern] of [
    [['--prior', badPrior], /prior\.npy holds a non-finite value \(NaN at flat index 1234\)/],
    [['--init-image', badInit], /--init-image .*init\.npy holds a non-finite value \(NaN at flat index 0\)/],
  ] as [string[], RegExp][]) {
    const out = join(tmp, `out-${args[0]}`);
    const r = cli(['synthesize', '--model', 'v1', '--members', '1', '--neuron', '3', '--seed', '0', '--pole', 'most', '--steps', '1', '--crops', '1', ...args, '--weights-dir', home, '--out', out]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, pattern);
    assert.not.ok(existsSync(join(out, 'neuron_0003', 'seed_0000', 'most', 'done.json')), 'no result is marked done');
  }
});

/** A model whose output is sum(x) per image, times NaN from its nth forward call on. */
function nanAfter(n: number): Model {
  const b = cpu();
  let calls = 0;
  return {
    backend: b,
    forward(x: Tensor): Tensor {
      const k = calls++ >= n ? NaN : 1;
      return x.sum([1, 2, 3]).reshape([x.shape[0], 1]).mul(k);
    },
  };
}

test('the engine stops when an activation becomes non-finite and says at which step', async () => {
  const param = new PixelParameterization({ channels: 1, size: 8, initStd: 0.1, valuesRange: [-1, 1], blurGradient: false });
  const o: SynthesisOptions = {
    steps: 5, optimizer: 'adam', lr: 0.1, lrSchedule: false, etaMin: 0, momentum: 0, tvWeight: 0, targetNorm: null, saveAllSteps: false,
    transforms: { nbCrops: 1, boxSize: [1, 1], jitterStd: 0, oversample: 1, reflectPadFrac: 0, noise: 0, targetNorm: null },
  };
  // forward calls: 0 = the initial evaluation, then per step t (1-based) 2t-1 (crops) and 2t (evaluation):
  // from call 6 on, the evaluation after step 3 is the first NaN activation
  const runs = [{ objective: { neuron: 0 }, pole: 'most' as const, seed: 1n }, { objective: { neuron: 0 }, pole: 'least' as const, seed: 2n }];
  let err: Error | null = null;
  try { await synthesize(nanAfter(6), param, runs, o, 1); } catch (e) { err = e as Error; }
  assert.ok(err, 'a NaN activation must not finish as a result');
  assert.is(err!.name, 'NonFiniteActivationError');
  assert.match(err!.message, /run 0 \(neuron 0, pole most\) is NaN after step 3 of 5/);
  // a NaN from the start is reported before the first step
  err = null;
  try { await synthesize(nanAfter(0), param, runs, o, 1); } catch (e) { err = e as Error; }
  assert.match(err?.message ?? '', /is NaN before the first step/);
  param.dispose();
});

test.run();
