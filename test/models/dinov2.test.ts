// DreamSim's dinov2_vitb14 embedder (src/models/vit.ts with LayerScale, patch 14, a position table interpolated to the
// input grid) against a float64 PyTorch DINOv2 written from its definitions (tools/golden/dinov2.py): deterministic
// random weights numbered in DINOv2's own state-dict key order, a 4 x 4 position table resized to 3 x 5 (42 x 70
// image) and 6 x 6 (84 x 84), outputs within 1e-4 of their scale and input gradients within 1e-3; then the DreamSim
// embedding (ImageNet normalisation, centring, L2 norm), its gradient to the [0, 1] images, and the distance.
import { suite } from 'uvu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { Tensor, tidy } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { VisionTransformer, VIT_B14_DINOV2, inferVitConfig, toVitKeys, vitLayoutShapes, type VitConfig } from '../../src/models/vit.js';
import { BRANCHES, DREAMSIM_TYPES, DreamSim } from '../../src/models/dreamsim.js';
import { importDreamsim, loadDreamsim } from '../../src/models/weights/dreamsim-weights.js';
import { WeightsError } from '../../src/errors.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detStateDict, detValue } from '../helpers/det-weights.js';

const test = suite('DINOv2 ViT-B/14 (DreamSim dinov2_vitb14) vs PyTorch');

// keep in step with C and MICRO in tools/golden/dinov2.py
const TINY_DINOV2: VitConfig = { ...VIT_B14_DINOV2, width: 48, depth: 2, heads: 4, gridSize: 4 };
const MICRO_DINOV2: VitConfig = { ...VIT_B14_DINOV2, width: 16, depth: 2, heads: 2, gridSize: 3 };

const npy = (name: string) => readNpy(fixture('vit', 'dinov2', `${name}.npy`)).data as Float32Array;

/** max |a - b| / max |b| */
function scaledError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.is(got.length, want.length, 'length');
  let scale = 0, err = 0;
  for (let i = 0; i < want.length; i++) { scale = Math.max(scale, Math.abs(want[i])); err = Math.max(err, Math.abs(got[i] - want[i])); }
  return err / scale;
}

/** The tiny model with DINOv2-layout det weights (plus a mask_token, which the importer must drop). */
async function tinyModel(): Promise<VisionTransformer> {
  const shapes = vitLayoutShapes(TINY_DINOV2, 'dino');
  const sd = detStateDict(shapes);
  sd.set('mask_token', { dtype: 'f32', shape: [1, TINY_DINOV2.width], data: new Float32Array(TINY_DINOV2.width) });
  const keys = toVitKeys(sd);
  const m = new VisionTransformer(inferVitConfig(keys, { act: 'gelu', eps: 1e-6, output: 'cls', heads: 4 }), await gpu());
  m.loadStateDict(keys, { source: 'det dinov2' });
  return m;
}

/** y = f(x), d sum(y * r) / dx */
async function outAndGrad(f: (x: Tensor) => Tensor, xs: Float32Array, shape: number[], r: Float32Array): Promise<{ out: Float32Array; grad: Float32Array }> {
  const g = await gpu();
  const x = Tensor.from(xs, shape, { backend: g }).requiresGrad_();
  const out = tidy(() => {
    const y = f(x);
    y.mul(Tensor.from(r, y.shape, { backend: g })).sum().backward();
    return y.detach();
  });
  const res = { out: await out.data() as Float32Array, grad: await x.grad!.data() as Float32Array };
  out.dispose(); x.dispose();
  return res;
}

test('the layout: LayerScale keys, a config inferred from them, the DreamSim type', () => {
  const shapes = vitLayoutShapes(VIT_B14_DINOV2, 'dino');
  assert.equal(shapes.get('blocks.11.ls2.gamma'), [768]);
  assert.equal(shapes.get('pos_embed'), [1, 37 * 37 + 1, 768]);
  assert.equal(shapes.get('patch_embed.proj.weight'), [768, 3, 14, 14]);
  assert.is(shapes.has('blocks.0.ls1.gamma') && !vitLayoutShapes(BRANCHES.dino_vitb16.config, 'dino').has('blocks.0.ls1.gamma'), true);
  const cfg = inferVitConfig(new Map([...shapes].map(([k, s]) => [k, { dtype: 'f32' as const, shape: s, data: new Float32Array(0) }])), { act: 'gelu', eps: 1e-6, output: 'cls' });
  assert.equal(cfg, { ...VIT_B14_DINOV2 });
  assert.equal(DREAMSIM_TYPES.dinov2_vitb14.branches, ['dinov2_vitb14']);
  assert.equal(BRANCHES.dinov2_vitb14.mean, BRANCHES.dino_vitb16.mean);
});

for (const [name, [B, H, W]] of [['tiny_42x70', [1, 42, 70]], ['tiny_84', [2, 84, 84]]] as const) {
  test(`tiny DINOv2 at ${H}x${W} (positions interpolated): class token and input gradient`, async () => {
    const m = await tinyModel();
    const xs = Float32Array.from(detValue('input', [B, 3, H, W], 1000000).data as Float32Array, (v) => v * 4);
    const r = detValue('loss_weights', [B, 48], 999999).data as Float32Array;
    const { out, grad } = await outAndGrad((x) => m.forward(x), xs, [B, 3, H, W], r);
    const eo = scaledError(out, npy(`${name}_out`)), eg = scaledError(grad, npy(`${name}_grad`));
    console.log(`    ${name}: output ${eo.toExponential(1)}, gradient ${eg.toExponential(1)} (of scale)`);
    assert.ok(eo < 1e-4, `${name}: output error ${eo}`);
    assert.ok(eg < 1e-3, `${name}: gradient error ${eg}`);
    m.dispose();
  });
}

test('DreamSim dinov2_vitb14 embedding (ImageNet normalisation, centred, L2-normalised), its image gradient, distance', async () => {
  const m = await tinyModel();
  const ds = new DreamSim('dinov2_vitb14', [{ name: 'dinov2_vitb14', model: m, mean: BRANCHES.dinov2_vitb14.mean, std: BRANCHES.dinov2_vitb14.std }]);
  const xs = Float32Array.from(detValue('input', [2, 3, 42, 70], 1000001).data as Float32Array, (v) => v + 0.5);
  const r = detValue('loss_weights', [2, 48], 999998).data as Float32Array;
  const { out, grad } = await outAndGrad((x) => ds.embed(x), xs, [2, 3, 42, 70], r);
  const eo = scaledError(out, npy('dreamsim_embed')), eg = scaledError(grad, npy('dreamsim_grad'));
  console.log(`    embed ${eo.toExponential(1)}, gradient ${eg.toExponential(1)} (of scale)`);
  assert.ok(eo < 1e-4, `embedding error ${eo}`);
  assert.ok(eg < 1e-3, `gradient error ${eg}`);
  const g = await gpu();
  const e = Tensor.from(out, [2, 48], { backend: g });
  const d = tidy(() => DreamSim.distance(e.slice([[0, 1]]), e.slice([[1, 2]])));
  const dv = (await d.data())[0], want = npy('dreamsim_distance')[0];
  assert.ok(Math.abs(dv - want) <= 1e-4 * Math.max(1, Math.abs(want)), `distance ${dv} vs ${want}`);
  d.dispose(); e.dispose(); ds.dispose();
});

test('weights import: the release zip (DINOv2 state dict with mask_token + PEFT adapter), LoRA merged, embedding vs PyTorch', async () => {
  const home = mkdtempSync(join(tmpdir(), 'dn-dinov2-'));
  try {
    const zip = fixture('vit', 'dinov2', 'dreamsim_dinov2_vitb14_checkpoint.zip');
    // the real branch config does not fit the micro file: a clear WeightsError naming the branch's shape
    assert.throws(() => importDreamsim([zip], home, { types: ['dinov2_vitb14'] }), (e: Error) => e instanceof WeightsError && /768 wide/.test(e.message) && /patch 14/.test(e.message));
    const r = importDreamsim([zip], home, { types: ['dinov2_vitb14'], configs: { dinov2_vitb14: MICRO_DINOV2 } });
    assert.equal(r.stored, ['dreamsim/dinov2_vitb14/dinov2_vitb14.safetensors']);
    const { model } = loadDreamsim('dinov2_vitb14', { weightsDir: home, backend: await gpu() });
    assert.is(model.dim, 16);
    const g = await gpu();
    const x = Tensor.from(Float32Array.from(detValue('input', [2, 3, 28, 42], 1000002).data as Float32Array, (v) => v + 0.5), [2, 3, 28, 42], { backend: g });
    const e = tidy(() => model.embed(x));
    const err = scaledError(await e.data() as Float32Array, npy('import_embed'));
    console.log(`    imported: embedding ${err.toExponential(1)} (of scale)`);
    assert.ok(err < 1e-4, `embedding error ${err}`);
    x.dispose(); e.dispose(); model.dispose();
  } finally { rmSync(home, { recursive: true, force: true }); }
});

test.run();
