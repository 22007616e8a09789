// Synthesis engine on the real V1 twin: the same trajectory as a PyTorch implementation of the algorithm from
// the same initial parameters (transforms off); a batch of runs equals the runs done alone; bad options fail
// before any work.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readNpy } from '../../src/io/npy.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { loadPrior, loadMask } from '../../src/models/weights/store.js';
import { scaleMask } from '../../src/dualneuron/input/pipeline.js';
import { PixelParameterization } from '../../src/dualneuron/synthesis/parameterization.js';
import { FourierParameterization } from '../../src/dualneuron/synthesis/fourier.js';
import { synthesize, type SynthesisOptions, type RunSpec } from '../../src/dualneuron/synthesis/engine.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';
import { cli } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const test = suite('synthesis');
const noTransforms = { nbCrops: 1, boxSize: [1, 1] as [number, number], jitterStd: 0, oversample: 1, reflectPadFrac: 0, noise: 0, targetNorm: 12 };
const base: SynthesisOptions = { steps: 16, optimizer: 'adam', lr: 0.5, lrSchedule: true, etaMin: 0, momentum: 0.9, tvWeight: 1e-4, transforms: noTransforms, targetNorm: 12, saveAllSteps: false };

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return m;
}

withUpstream(test)('Fourier (Adam) and pixel (SGD, blurred gradients) trajectories follow PyTorch over 16 steps', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const { model } = loadTwin('v1', { backend: g, weightsDir: home });
  const runs: RunSpec[] = [{ objective: { neuron: 3 }, pole: 'most', seed: 0n }];
  const f = new FourierParameterization({ prior: loadPrior('natural_gray', home), valuesRange: [-2, 2], rangeFn: 'sigmoid', initPhase: readNpy(fixture('synthesis', 'fourier_init_phase.npy')).data as Float32Array });
  const [rf] = await synthesize(model, f, runs, base, 458);
  const wantF = readNpy(fixture('synthesis', 'fourier_activations.npy')).data as Float32Array;
  const ef = maxRel(rf.activations, wantF);
  console.log(`    fourier: max relative deviation from PyTorch over 17 activations ${ef.toExponential(2)} (final ${rf.activations[16].toFixed(4)} vs ${wantF[16].toFixed(4)})`);
  assert.ok(ef < 1e-3, `fourier trajectory deviates by ${ef}`);
  const px = new PixelParameterization({ channels: 1, size: 93, initStd: 0.05, valuesRange: [-1, 1], blurGradient: true, initParams: readNpy(fixture('synthesis', 'pixel_init_param.npy')).data as Float32Array });
  const [rp] = await synthesize(model, px, [{ objective: { neuron: 3 }, pole: 'least', seed: 0n }], { ...base, optimizer: 'sgd', lr: 0.05 }, 458);
  const wantP = readNpy(fixture('synthesis', 'pixel_activations.npy')).data as Float32Array;
  const ep = maxRel(rp.activations, wantP);
  console.log(`    pixel: max relative deviation ${ep.toExponential(2)} (final ${rp.activations[16].toFixed(4)} vs ${wantP[16].toFixed(4)})`);
  assert.ok(ep < 1e-3, `pixel trajectory deviates by ${ep}`);
  f.dispose(); model.dispose();
});

withUpstream(test)('pixels through the screening aperture (Adam, blurred gradients) follow PyTorch; the image is zero where the aperture is', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const { model } = loadTwin('v1', { backend: g, weightsDir: home });
  const aperture = Float32Array.from(scaleMask(loadMask('v1', home), 93));
  const px = new PixelParameterization({ channels: 1, size: 93, initStd: 0.05, valuesRange: [-1, 1], blurGradient: true, initParams: readNpy(fixture('synthesis', 'aperture_init_param.npy')).data as Float32Array });
  const [r] = await synthesize(model, px, [{ objective: { neuron: 3 }, pole: 'most', seed: 0n }], { ...base, lr: 0.1, aperture }, 458);
  const want = readNpy(fixture('synthesis', 'aperture_activations.npy')).data as Float32Array;
  const e = maxRel(r.activations, want);
  console.log(`    pixel + aperture: max relative deviation ${e.toExponential(2)} (final ${r.activations[16].toFixed(4)} vs ${want[16].toFixed(4)})`);
  assert.ok(e < 1e-3, `aperture trajectory deviates by ${e}`);
  let outside = 0, ss = 0;
  r.image.forEach((v, i) => { ss += v * v; if (aperture[i] === 0) outside = Math.max(outside, Math.abs(v)); });
  assert.is(outside, 0, 'no image outside the aperture');
  assert.ok(Math.abs(Math.sqrt(ss) - 12) < 1e-3, `norm ${Math.sqrt(ss)}`);
  await synthesize(model, px, [{ objective: { neuron: 3 }, pole: 'most', seed: 0n }], { ...base, aperture: new Float32Array(10) }, 458).then(
    () => assert.unreachable('a wrong-size aperture must fail'), (err: Error) => assert.match(err.message, /aperture has 10 values; the images are 93x93/));
  model.dispose();
});

withUpstream(test)('CLI: the v1-pixel recipe goes through the aperture by default; --no-aperture turns it off', () => {
  const home = upstreamWeightsHome();
  const aperture = scaleMask(loadMask('v1', home), 93);
  const tmp = mkdtempSync(join(tmpdir(), 'dn-aperture-'));
  try {
    const outside = (dir: string) => {
      const im = readNpy(join(dir, 'neuron_0003', 'seed_0000', 'most', 'image.npy')).data as Float32Array;
      let m = 0;
      im.forEach((v, i) => { if (aperture[i] === 0) m = Math.max(m, Math.abs(v)); });
      return m;
    };
    for (const [flag, dir] of [[[], 'on'], [['--no-aperture'], 'off']] as [string[], string][]) {
      const r = cli(['synthesize', '--model', 'v1', '--members', '1', '--neuron', '3', '--seed', '0', '--pole', 'most', '--param', 'pixel', '--steps', '1', '--crops', '1', ...flag, '--weights-dir', home, '--out', join(tmp, dir)]);
      assert.is(r.status, 0, r.stderr);
    }
    assert.is(outside(join(tmp, 'on')), 0, 'default: nothing outside the aperture');
    assert.ok(outside(join(tmp, 'off')) > 0.01, '--no-aperture: the image fills the frame');
    const run = JSON.parse(readFileSync(join(tmp, 'on', 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.match(JSON.stringify(run), /"aperture":true/);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
});

withUpstream(test)('a batch of runs gives what each run gives alone (same per-run seeds), with the transforms on', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const { model } = loadTwin('v1', { members: [1, 2], backend: g, weightsDir: home });
  const o: SynthesisOptions = { ...base, steps: 4, transforms: { nbCrops: 2, boxSize: [0.8, 1], jitterStd: 0.05, oversample: 1, reflectPadFrac: 0.05, noise: 0.05, targetNorm: 12 } };
  const runs: RunSpec[] = [{ objective: { neuron: 5 }, pole: 'most', seed: 11n }, { objective: { neuron: 9 }, pole: 'least', seed: 12n }, { objective: { neuron: 5 }, pole: 'least', seed: 13n }];
  for (const param of [new FourierParameterization({ prior: loadPrior('natural_gray', home), valuesRange: [-2, 2], rangeFn: 'sigmoid' }),
    new PixelParameterization({ channels: 1, size: 93, initStd: 0.05, valuesRange: [-1, 1], blurGradient: true })]) {
    const together = await synthesize(model, param, runs, o, 458);
    for (let k = 0; k < runs.length; k++) {
      const [alone] = await synthesize(model, param, [runs[k]], o, 458);
      const e = maxRel(together[k].activations, alone.activations);
      assert.ok(e < 1e-3, `${param.kind} run ${k}: batched vs alone differ by ${e}`);
    }
    // and the poles moved the right way
    assert.ok(together[0].activations[4] > together[0].activations[0], `${param.kind}: MEI activation rises`);
    assert.ok(together[1].activations[4] < together[1].activations[0], `${param.kind}: LEI activation falls`);
    param.dispose();
  }
  model.dispose();
});

withUpstream(test)('objectives: a set of neurons and a user function equal the explicit weighting', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const { model } = loadTwin('v1', { members: [1], backend: g, weightsDir: home });
  const param = new PixelParameterization({ channels: 1, size: 93, initStd: 0.05, valuesRange: [-1, 1], blurGradient: true });
  const o: SynthesisOptions = { ...base, steps: 3, lr: 0.1 };
  const w = new Float32Array(458); w[4] = 0.5; w[8] = 0.5;
  const [a] = await synthesize(model, param, [{ objective: { neurons: [4, 8] }, pole: 'most', seed: 3n }], o, 458);
  const [b] = await synthesize(model, param, [{ objective: { weights: w }, pole: 'most', seed: 3n }], o, 458);
  const [c] = await synthesize(model, param, [{ objective: { fn: (y) => y.slice([null, [4, 9, 4]]).mean(1) }, pole: 'most', seed: 3n }], o, 458);
  assert.ok(maxRel(a.activations, b.activations) < 1e-5 && maxRel(c.activations, b.activations) < 1e-5, 'same objective, same trajectory');
  assert.ok(a.activations[3] > a.activations[0]);
  param.dispose(); model.dispose();
});

test('bad options fail before any work, with a clear message', () => {
  const out = '/tmp/dualneuron-never-written';
  const cases: [string[], RegExp][] = [
    [['--neuron', '458'], /--neuron 458 is out of range.*0\.\.457/],
    [['--neuron', '1', '--steps', '-3'], /--steps must be an integer >= 0/],
    [['--neuron', '1', '--target-norm', '0'], /--target-norm must be > 0/],
    [['--neuron', '1', '--range', '2,1'], /lo must not exceed hi/],
    [['--neuron', '1', '--members', '9'], /members 1\.\.5/],
  ];
  for (const [args, re] of cases) {
    const r = cli(['synthesize', '--model', 'v1', ...args, '--out', out, '--weights-dir', '/tmp/dualneuron-no-weights']);
    assert.is.not(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.not.match(r.stderr, /unexpected error/);
  }
  // a prior that does not fit the twin
  {
    const r = cli(['synthesize', '--model', 'v4', '--neuron', '1', '--param', 'fourier', '--prior', fixture('synthesis', 'pixel_init_param.npy'), '--out', out]);
    assert.is.not(r.status, 0);
    assert.match(r.stderr, /has 1 channels; the v4 twin takes 3/);
  }
  for (const [args, re] of [] as [string[], RegExp][]) {
    const r = cli(args);
    assert.is.not(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.not.match(r.stderr, /unexpected error/);
  }
});

test.run();
