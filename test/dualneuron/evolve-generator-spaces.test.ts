// Generator spaces (evolve/generator-spaces.ts) with the small deterministic generators the model tests use:
// DeePSim fc6 at width 1/32 with det weights (deconv0 x 1024, as test/models/deepsim-fc6), BigGAN-deep at width 1/32
// (z 16, 50 classes) from the PyTorch script's legacy checkpoint (test/fixtures/biggan/s32). The oracle for a space's
// images is the generator's own image run through the host's screening crop and resize in double precision
// (test/helpers/screening-oracle.ts), not the tensor transform; codes are split into generator calls of `batch`
// rows. BigGAN's fixed halves are checked against the generator on the full code [noise | class] built on the host.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, cpu, type Backend } from '../../src/tensor/index.js';
import { gpu, seededValues } from '../helpers/backends.js';
import { detStateDict } from '../helpers/det-weights.js';
import { fixture } from '../helpers/fixtures.js';
import { hostReference, maxDiffUnits } from '../helpers/screening-oracle.js';
import { TWINS } from '../../src/models/twins/registry.js';
import { DeepSimFc6, deepsimFc6Config } from '../../src/models/deepsim-fc6.js';
import { BigGanDeep, bigganConfig } from '../../src/models/biggan.js';
import { checkBigganStateDict } from '../../src/models/weights/biggan-weights.js';
import { readAnyTorchCheckpoint } from '../../src/io/pytorch-legacy.js';
import { BigGANSpace, Fc6Space, bigganInitNoise, BIGGAN_INIT_NOISE_STD } from '../../src/dualneuron/evolve/generator-spaces.js';
import { InputError, ShapeError } from '../../src/errors.js';

const test = suite('evolve generator spaces (fc6, BigGAN) through the twin screening preprocessing');
const SMALL_BIGGAN = bigganConfig(32, { zDim: 16, numClasses: 50, nStats: 11 });

function fc6(backend: Backend): DeepSimFc6 {
  const m = new DeepSimFc6(deepsimFc6Config(32), { backend });
  const sd = detStateDict(new Map([...m.stateDict()].map(([k, t]) => [k, t.shape] as [string, readonly number[]])));
  for (const k of ['deconv0.weight', 'deconv0.bias']) { const d = sd.get(k)!.data as Float32Array; for (let i = 0; i < d.length; i++) d[i] *= 1024; }
  m.loadStateDict(sd);
  m.requiresGrad_(false);
  return m;
}

function biggan(backend: Backend): BigGanDeep {
  const m = new BigGanDeep(SMALL_BIGGAN, { backend });
  m.loadStateDict(checkBigganStateDict(readAnyTorchCheckpoint(fixture('biggan', 's32', 'pytorch_model.bin')), 'fixture', SMALL_BIGGAN));
  m.requiresGrad_(false);
  return m;
}

/** the generator's images of `codes` (B, dim) through the host oracle */
async function oracleImages(gen: (c: Tensor) => Tensor, codes: Float32Array, B: number, dim: number, backend: Backend, sc: typeof TWINS.v1.screening): Promise<Float64Array> {
  const c = Tensor.from(codes, [B, dim], { backend });
  const img = gen(c);
  const v = await img.dataF32();
  c.dispose(); img.dispose();
  const spread = v.reduce((s, x) => Math.max(s, x), 0) - v.reduce((s, x) => Math.min(s, x), 1);
  assert.ok(spread > 0.2, `the generator's test images are nearly flat (range ${spread}); the check would be weak`);
  return hostReference(v, B, 256, sc);
}

test('fc6 space: dim 4096 (here 128), zero init code, images = generator then screening (host oracle), in chunks', async () => {
  const b = await gpu(), g = fc6(b), B = 5, dim = 128;
  for (const spec of [TWINS.v1, TWINS.v4]) {
    const space = await Fc6Space.create({ generator: g, twinSpec: spec, backend: b, batch: 2 });
    assert.is(space.name, 'fc6');
    assert.is(space.dim, dim);
    assert.equal(Array.from(space.initCode()), new Array(dim).fill(0), 'upstream starts fc6 evolutions at the zero code');
    const codes = Float32Array.from(seededValues(B * dim, 21), (v) => 64 * v);
    const want = await oracleImages((c) => g.forward(c), codes, B, dim, b, spec.screening);
    const ct = Tensor.from(codes, [B, dim], { backend: b });
    const got = space.images(ct);
    assert.equal([...got.shape], [B, spec.inputShape[0], spec.screening.size, spec.screening.size]);
    const err = maxDiffUnits(await got.dataF32(), want, B, spec.screening);
    assert.ok(err <= 5e-6, `${spec.id}: max difference ${err} (image units)`);
    const gen = space.generated(ct);
    assert.equal([...gen.shape], [B, 3, 256, 256]);
    got.dispose(); gen.dispose(); ct.dispose();
    assert.throws(() => space.images(Tensor.from(new Float32Array(dim), [1, 1, dim], { backend: b })), (e: unknown) => e instanceof ShapeError && /codes must be \(B, 128\)/.test((e as Error).message));
    space.dispose();
  }
  const given = await Fc6Space.create({ generator: g, twinSpec: TWINS.v1, initCode: new Array(dim).fill(0.5) });
  assert.is(given.initCode()[7], 0.5);
  given.dispose();
  await assert_rejects(() => Fc6Space.create({ generator: g, twinSpec: TWINS.v1, initCode: [1, 2] }), InputError, /initCode must have 128 values/);
  await assert_rejects(() => Fc6Space.create({ generator: g, twinSpec: TWINS.v1, batch: 0 }), InputError, /batch must be a positive integer/);
  await assert_rejects(() => Fc6Space.create({ generator: g, twinSpec: TWINS.v1, backend: cpu() }), InputError, /backend the generator was loaded on/);
  g.dispose();
});

test('BigGAN space: full code [noise | class] and either half fixed, against the generator on host-built full codes', async () => {
  const b = await gpu(), g = biggan(b), z = 16, sc = TWINS.v4.screening;
  // BigGAN is slow on lavapipe (~2 s an image on 2 cores): 2 codes in calls of 1 for the full code, 1 for each half
  const fixedNoise = Float32Array.from(seededValues(z, 31), (v) => 0.7 * v);
  const fixedClass = Float32Array.from(seededValues(z, 32), (v) => 0.05 * v);
  const cases = [
    { label: 'full', opts: {}, dim: 2 * z, full: (c: Float32Array, i: number) => c.slice(i * 2 * z, (i + 1) * 2 * z) },
    { label: 'class (noise fixed)', opts: { fixNoise: fixedNoise }, dim: z, full: (c: Float32Array, i: number) => Float32Array.from([...fixedNoise, ...c.slice(i * z, (i + 1) * z)]) },
    { label: 'noise (class fixed)', opts: { fixClass: fixedClass }, dim: z, full: (c: Float32Array, i: number) => Float32Array.from([...c.slice(i * z, (i + 1) * z), ...fixedClass]) },
  ];
  for (const k of cases) {
    const B = k.dim === 2 * z ? 2 : 1;
    const space = await BigGANSpace.create({ generator: g, twinSpec: TWINS.v4, backend: b, batch: 1, seed: 9n, ...k.opts });
    assert.is(space.dim, k.dim, `${k.label}: dim`);
    const codes = Float32Array.from(seededValues(B * k.dim, 33), (v) => (k.dim === 2 * z ? 0.6 : 0.8) * v);
    const fullCodes = new Float32Array(B * 2 * z);
    for (let i = 0; i < B; i++) fullCodes.set(k.full(codes, i), i * 2 * z);
    // the host-built full codes, through the generator at truncation 0.7, then the host screening oracle
    const want = await oracleImages((c) => g.imageFromCode(c, 0.7), fullCodes, B, 2 * z, b, sc);
    const ct = Tensor.from(codes, [B, k.dim], { backend: b });
    const got = space.images(ct);
    assert.equal([...got.shape], [B, 3, 100, 100]);
    const err = maxDiffUnits(await got.dataF32(), want, B, sc);
    assert.ok(err <= 5e-6, `${k.label}: max difference ${err} (image units)`);
    // fullCode on the host puts the fixed half where the generator reads it
    assert.equal(Array.from(space.fullCode(codes.slice(0, k.dim))), Array.from(fullCodes.slice(0, 2 * z)), `${k.label}: fullCode`);
    got.dispose(); ct.dispose();
    // init codes: upstream's [0.7 truncnorm(-2, 2) noise | zero class], the fixed half replaced by the given values
    const init = space.initCode(), noise = bigganInitNoise(z, 9n);
    assert.is(init.length, k.dim);
    if (k.label === 'full') { assert.equal(Array.from(init.slice(0, z)), Array.from(noise)); assert.equal(Array.from(init.slice(z)), new Array(z).fill(0)); }
    if (k.label.startsWith('class')) assert.equal(Array.from(init), new Array(z).fill(0));
    if (k.label.startsWith('noise')) assert.equal(Array.from(init), Array.from(noise));
    space.dispose();
  }
  await assert_rejects(() => BigGANSpace.create({ generator: g, twinSpec: TWINS.v4, fixNoise: fixedNoise, fixClass: fixedClass }), InputError, /fixNoise or fixClass, not both/);
  await assert_rejects(() => BigGANSpace.create({ generator: g, twinSpec: TWINS.v4, fixNoise: [1, 2, 3] }), InputError, /fixNoise must have 16 values/);
  await assert_rejects(() => BigGANSpace.create({ generator: g, twinSpec: TWINS.v4, truncation: 0 }), InputError, /truncation must be in \(0, 1\]/);
  const sp = await BigGANSpace.create({ generator: g, twinSpec: TWINS.v4, fixClass: fixedClass });
  assert.throws(() => sp.images(Tensor.from(new Float32Array(2 * z), [1, 2 * z], { backend: b })), (e: unknown) => e instanceof ShapeError && /codes must be \(B, 16\)/.test((e as Error).message));
  sp.dispose();
  g.dispose();
});

test("BigGAN init noise: 0.7 x a standard normal truncated to [-2, 2] (pytorch_pretrained_biggan's truncnorm), seeded", () => {
  const n = 40000, v = bigganInitNoise(n, 3n);
  assert.equal(Array.from(bigganInitNoise(16, 3n)), Array.from(v.slice(0, 16)), 'same seed, same numbers');
  assert.not.equal(Array.from(bigganInitNoise(16, 4n)), Array.from(v.slice(0, 16)), 'another seed, other numbers');
  let mean = 0, sq = 0, max = 0;
  for (const x of v) { mean += x / n; sq += x * x / n; max = Math.max(max, Math.abs(x)); }
  assert.ok(max <= 2 * BIGGAN_INIT_NOISE_STD, `|noise| reaches ${max}`);
  assert.ok(max > 1.9 * BIGGAN_INIT_NOISE_STD, `|noise| never comes near the bound (${max})`);
  // sd of N(0,1) truncated to [-2, 2]: sqrt(1 - 2 * 2 phi(2) / (Phi(2) - Phi(-2))) = 0.879626
  const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI), mass = 0.9544997361036416;
  const sd = BIGGAN_INIT_NOISE_STD * Math.sqrt(1 - 4 * phi2 / mass);
  assert.ok(Math.abs(mean) < 4 * sd / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(sq) - sd) < 0.01 * sd, `sd ${Math.sqrt(sq)} vs ${sd}`);
});

async function assert_rejects(fn: () => Promise<unknown>, type: new (...a: never[]) => Error, re: RegExp): Promise<void> {
  try { await fn(); } catch (e) {
    assert.instance(e, type);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`no ${type.name} matching ${re}`);
}

test.run();
