// The Allen notebook's MEI recipe (synthesis/allen.ts) against tools/golden/allen_mei_reference.py, a float64
// PyTorch/SciPy implementation written from the notebook's definitions: the same small model (conv -> ELU ->
// linear -> ELU + 1) on the float64 CPU backend, the same white-noise start; every step's image, response, std and
// regularised objective within 1e-4. The host operations (fft_smooth, gaussian_filter, scale) are checked alone too.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, conv2d, linear, type Backend } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { synthesizeAllen, ALLEN_DEFAULTS, type AllenOptions } from '../../src/dualneuron/synthesis/allen.js';
import { gaussianFilter, minMaxScale, meanStd } from '../../src/dualneuron/synthesis/allen-ops.js';
import type { Model } from '../../src/dualneuron/synthesis/engine.js';
import { oracle, gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { cli } from '../helpers/cli.js';
import { withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { loadMask } from '../../src/models/weights/store.js';
import { scaleMask } from '../../src/dualneuron/input/pipeline.js';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const test = suite('synthesis-allen');
const f64 = (name: string) => Float64Array.from(readNpy(fixture('allen', name)).data as Float64Array);

/** the reference's model: ELU(linear(ELU(conv5x5(x, pad 2)))) + 1 */
function smallModel(name: string, b: Backend): Model {
  const t = (k: string) => { const a = readNpy(fixture('allen', `${name}_${k}.npy`)); return Tensor.from(a.data as Float64Array, a.shape, { backend: b }); };
  const [cw, cb, lw, lb] = ['conv_w', 'conv_b', 'lin_w', 'lin_b'].map(t);
  return {
    backend: b,
    forward: (x) => linear(conv2d(x, cw, cb, { padding: [2, 2] }).elu().reshape([x.shape[0], -1]), lw, lb).elu().add(1),
  };
}

const CASES = {
  notebook: { H: 12, W: 16, neuron: 1, pole: 'most' as const, o: { ...ALLEN_DEFAULTS, steps: 10 } },
  'odd-least': { H: 13, W: 15, neuron: 2, pole: 'least' as const, o: { steps: 10, lr: 0.5, contrastTarget: 0.4, contrastWeight: 5, blurStart: 1.5, blurEnd: 0.001, fftDecay: 0.5 } },
  // through a twin's screening map (ImageNet normalisation, aperture, L2 norm)
  'screening-map': { H: 12, W: 12, neuron: 0, pole: 'most' as const, o: { ...ALLEN_DEFAULTS, steps: 10, input: { mean: [0.449], std: [0.226], norm: 5, aperture: Float32Array.from(f64('screening-map_aperture.npy')) } } },
};

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

for (const [name, c] of Object.entries(CASES)) {
  test(`${name}: every step follows the float64 PyTorch/SciPy reference within 1e-4`, async () => {
    const images = f64(`${name}_images.npy`); // (steps + 1, H, W)
    const hw = c.H * c.W;
    const model = smallModel(name, oracle());
    const o: AllenOptions = { ...c.o, initImages: [images.subarray(0, hw)], saveAllSteps: true };
    const [r] = await synthesizeAllen(model, [1, c.H, c.W], [{ objective: { neuron: c.neuron }, pole: c.pole, seed: 0n }], o, 4);
    let worstImg = 0;
    const modelImages = f64(`${name}_model_images.npy`); // what the model saw (u itself without a map)
    for (let s = 0; s <= c.o.steps; s++) worstImg = Math.max(worstImg, maxAbs(r.frames![s], modelImages.subarray(s * hw, (s + 1) * hw)));
    const eR = maxAbs(r.activations, f64(`${name}_responses.npy`));
    const eS = maxAbs(r.stds, f64(`${name}_stds.npy`));
    const eO = maxAbs(r.objective, f64(`${name}_objective.npy`));
    console.log(`    ${name}: max |diff| images ${worstImg.toExponential(2)}, responses ${eR.toExponential(2)}, stds ${eS.toExponential(2)}, objective ${eO.toExponential(2)}`);
    for (const [what, e] of [['images', worstImg], ['responses', eR], ['stds', eS], ['objective', eO]] as const) assert.ok(e < 1e-4, `${what} deviate by ${e}`);
    // the result is the last image, in [0, 1] and min-max scaled; the trajectory moved
    assert.ok(maxAbs(r.unitImage, images.subarray(c.o.steps * hw)) < 1e-4);
    assert.ok(Math.min(...r.unitImage) === 0 && Math.abs(Math.max(...r.unitImage) - 1) < 1e-6);
    assert.ok(maxAbs(images.subarray(0, hw), images.subarray(c.o.steps * hw)) > 0.1, 'the reference trajectory is not trivial');
  });
}

test('gaussianFilter: scipy identities (mass preserved, constant kept, tiny sigma is the identity)', () => {
  const x = Float64Array.from({ length: 35 }, (_, i) => Math.sin(i * 1.7) + (i % 3));
  // reflect mode preserves the sum only with the mirrored halo; a constant image stays constant for any sigma,
  // kernel wider than the image included
  const k = gaussianFilter(new Float64Array(35).fill(0.3), 5, 7, 20);
  assert.ok(maxAbs(k, new Float64Array(35).fill(0.3)) < 1e-12);
  assert.ok(maxAbs(gaussianFilter(x, 5, 7, 0.001), x) < 1e-15, 'radius 0 kernel');
  const s = minMaxScale([2, 4, 3])!;
  assert.equal(Array.from(s), [0, 1, 0.5]);
  assert.is(minMaxScale([1, 1, 1]), null);
  assert.ok(Math.abs(meanStd([1, 2, 3, 4]).std - Math.sqrt(5 / 3)) < 1e-15, 'unbiased std as torch.std');
});

test('bad options and inputs are refused with clear messages', async () => {
  const model = smallModel('notebook', oracle());
  const run = [{ objective: { neuron: 1 }, pole: 'most' as const, seed: 0n }];
  const base: AllenOptions = { ...ALLEN_DEFAULTS, steps: 1 };
  const cases: [Partial<AllenOptions>, RegExp][] = [
    [{ lr: 0 }, /--lr must be a finite number > 0/],
    [{ contrastWeight: -1 }, /--contrast-weight must be/],
    [{ blurStart: NaN }, /--blur-start must be/],
    [{ fftDecay: -0.5 }, /--fft-smooth must be/],
    [{ initImages: [new Float32Array(5)] }, /start image has 5 values, expected 1x12x16/],
    [{ initImages: [new Float32Array(192).fill(NaN)] }, /non-finite/],
    [{ input: { mean: [0.449], std: [0] } }, /finite, non-zero stds/],
    [{ input: { mean: [0.449], std: [0.226], aperture: new Float32Array(7) } }, /aperture has 7 values; the images are 12x16/],
  ];
  for (const [o, re] of cases) {
    await synthesizeAllen(model, [1, 12, 16], run, { ...base, ...o }, 4).then(() => assert.unreachable(re.source), (e: Error) => assert.match(e.message, re));
  }
  // a flat start stays flat (zero gradient for a constant image under a huge blur): min-max is undefined -> named error
  await synthesizeAllen(model, [1, 12, 16], run, { ...base, contrastWeight: 0, lr: 1e-300, initImages: [new Float32Array(192).fill(0.5)] }, 4)
    .then(() => assert.unreachable('flat'), (e: Error) => assert.match(e.message, /became flat at step 1 of 1/));
});

test('seeded white-noise start: reproducible, in [0, 1], different per seed; the GPU follows the float64 run', async () => {
  const o: AllenOptions = { ...ALLEN_DEFAULTS, steps: 3 };
  const runs = [{ objective: { neuron: 0 }, pole: 'most' as const, seed: 5n }, { objective: { neuron: 0 }, pole: 'most' as const, seed: 6n }];
  const [a, b2] = await synthesizeAllen(smallModel('notebook', oracle()), [1, 12, 16], runs, { ...o, steps: 0 }, 4);
  assert.ok(Math.min(...a.unitImage) === 0 && Math.max(...a.unitImage) === 1);
  assert.ok(maxAbs(a.unitImage, b2.unitImage) > 0.1, 'seeds differ');
  const [c] = await synthesizeAllen(smallModel('notebook', oracle()), [1, 12, 16], runs.slice(0, 1), { ...o, steps: 0 }, 4);
  assert.equal(Array.from(c.unitImage), Array.from(a.unitImage));
  // float32 model on the GPU: same trajectory up to float32 rounding of the gradient
  const ref = await synthesizeAllen(smallModel('notebook', oracle()), [1, 12, 16], runs, o, 4);
  const dev = await synthesizeAllen(smallModel('notebook', await gpu()), [1, 12, 16], runs, o, 4);
  for (let k = 0; k < 2; k++) {
    const e = maxAbs(dev[k].unitImage, ref[k].unitImage);
    assert.ok(e < 1e-3, `run ${k}: GPU vs float64 ${e}`);
    assert.ok(maxAbs(dev[k].activations, ref[k].activations) < 1e-4);
  }
});

test('objectives: a user function and a one-neuron set give the neuron objective\'s trajectory', async () => {
  const o: AllenOptions = { ...ALLEN_DEFAULTS, steps: 2, blurStart: 1 };
  const m = smallModel('notebook', oracle());
  const [a] = await synthesizeAllen(m, [1, 12, 16], [{ objective: { neuron: 2 }, pole: 'least', seed: 9n }], o, 4);
  const [b2, c] = await synthesizeAllen(m, [1, 12, 16], [
    { objective: { fn: (y) => y.slice([null, [2, 3]]).reshape([1]) }, pole: 'least', seed: 9n },
    { objective: { neurons: [2] }, pole: 'least', seed: 9n },
  ], o, 4);
  assert.ok(maxAbs(a.unitImage, b2.unitImage) < 1e-12 && maxAbs(a.unitImage, c.unitImage) < 1e-12);
  assert.ok(maxAbs(a.activations, b2.activations) < 1e-12);
});

test('CLI: options of the other recipes are refused with --recipe allen and vice versa, before any work', () => {
  const out = join(tmpdir(), `dn-allen-never-written-${process.pid}`);
  const cases: [string[], RegExp][] = [
    [['--recipe', 'allen', '--noise', '0.1'], /--noise is an option of the engine's recipes; --recipe allen does not use it/],
    [['--recipe', 'allen', '--no-blur'], /--no-blur is an option of the pixel recipes/],
    [['--recipe', 'allen', '--contrast-weight', '-1'], /--contrast-weight must be a finite number >= 0/],
    [['--recipe', 'allen', '--blur-start', 'x'], /--blur-start/],
    [['--recipe', 'allen', '--steps', '-2'], /--steps must be an integer >= 0/],
    [['--recipe', 'v1', '--contrast-target', '0.2'], /--contrast-target is an option of --recipe allen; the v1 recipe does not use it/],
  ];
  for (const [args, re] of cases) {
    const r = cli(['synthesize', '--model', 'v1', '--neuron', '1', ...args, '--out', out, '--weights-dir', '/tmp/dualneuron-no-weights']);
    assert.is.not(r.status, 0, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.not.match(r.stderr, /unexpected error/);
  }
  assert.not.ok(existsSync(out));
});

withUpstream(test)('CLI on the V1 twin: synthesize --recipe allen writes the trajectories; they agree with the twin and torch.std', async () => {
  const home = upstreamWeightsHome();
  const tmp = mkdtempSync(join(tmpdir(), 'dn-allen-'));
  try {
    const r = cli(['synthesize', '--model', 'v1', '--members', '1', '--neuron', '3', '--seed', '0', '--pole', 'most', '--recipe', 'allen', '--steps', '3', '--blur-start', '2', '--lr', '0.5', '--weights-dir', home, '--out', tmp]);
    assert.is(r.status, 0, r.stderr);
    const dir = join(tmp, 'neuron_0003', 'seed_0000', 'most');
    const acts = readNpy(join(dir, 'activations.npy')).data as Float32Array, stds = readNpy(join(dir, 'std.npy')).data as Float32Array;
    const obj = readNpy(join(dir, 'objective.npy')).data as Float32Array;
    const u = readNpy(join(dir, 'image_unit.npy')).data as Float32Array, img = readNpy(join(dir, 'image.npy'));
    assert.is(acts.length, 4); assert.is(stds.length, 4); assert.is(obj.length, 4);
    assert.equal(img.shape, [1, 93, 93]);
    assert.ok(Math.min(...u) === 0 && Math.max(...u) === 1, 'u is min-max scaled');
    // std.npy is torch.std of the stored [0, 1] image; objective = r - 2 |c* - std|
    assert.ok(Math.abs(stds[3] - meanStd(u).std) < 1e-6);
    assert.ok(Math.abs(obj[3] - (acts[3] - 2 * Math.abs(ALLEN_DEFAULTS.contrastTarget - stds[3]))) < 1e-5);
    // image.npy is u in screening space: zero outside the aperture, L2 norm 12, and its response is the last activation
    const ap = scaleMask(loadMask('v1', home), 93);
    const x = img.data as Float32Array;
    let ss = 0, outside = 0;
    x.forEach((v, i) => { ss += v * v; if (ap[i] === 0) outside = Math.max(outside, Math.abs(v)); });
    assert.ok(Math.abs(Math.sqrt(ss) - 12) < 1e-3 && outside === 0);
    const { model } = loadTwin('v1', { members: [1], backend: await gpu(), weightsDir: home });
    const y = model.forward(Tensor.from(x, [1, 1, 93, 93], { backend: model.backend }));
    const v = (await y.dataF32())[3];
    y.dispose(); model.dispose();
    assert.ok(Math.abs(v - acts[3]) < 1e-4 * Math.max(1, Math.abs(v)), `twin on image.npy ${v} vs recorded ${acts[3]}`);
    const run = JSON.parse(readFileSync(join(tmp, 'run.json'), 'utf8')) as { recipe: { name: string } };
    assert.is(run.recipe.name, 'allen');
    // a second call with other allen options refuses to mix results
    const again = cli(['synthesize', '--model', 'v1', '--members', '1', '--neuron', '3', '--seed', '0', '--pole', 'most', '--recipe', 'allen', '--steps', '3', '--blur-start', '3', '--lr', '0.5', '--weights-dir', home, '--out', tmp]);
    assert.is.not(again.status, 0);
    assert.match(again.stderr, /--blur-start/);
    // poles --recipe allen writes both poles and resumes: a second identical call computes nothing
    const poles = ['poles', '--model', 'v1', '--members', '1', '--neurons', '5', '--seed', '1', '--recipe', 'allen', '--steps', '1', '--weights-dir', home, '--out', join(tmp, 'poles')];
    const p1 = cli(poles);
    assert.is(p1.status, 0, p1.stderr);
    for (const pole of ['most', 'least']) assert.ok(existsSync(join(tmp, 'poles', 'neuron_0005', 'seed_0001', pole, 'std.npy')), pole);
    const p2 = cli(poles);
    assert.is(p2.status, 0, p2.stderr);
    assert.match(p2.stderr, /0 results computed \(2 were already done\)/);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
});

test.run();
