// ViT (src/models/vit.ts) in its three upstream layouts against PyTorch references (tools/golden/vit.py) with
// deterministic random weights: outputs and input gradients at 224, at 160x208 and 64x80 (position embeddings
// interpolated as DINO does, up and down), the interpolated table itself, and a LoRA adapter merged at import
// against the adapter run unmerged. ViT-B/16 at real size when the --big fixtures exist.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { Tensor, tidy, noGrad } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { VisionTransformer, toVitKeys, vitLayoutShapes, type VitConfig, type VitLayout } from '../../src/models/vit.js';
import { readLoraAdapter, mergeLora } from '../../src/models/dreamsim-formats.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { detStateDict, detValue } from '../helpers/det-weights.js';
import type { HostArray } from '../../src/io/host-array.js';
import { runIf } from '../helpers/skip.js';

const test = suite('ViT vs PyTorch (deterministic random weights)');

const base = { channels: 3, patchSize: 16, mlpRatio: 4, gridSize: 14 };
export const TINY: Record<VitLayout, VitConfig> = {
  dino: { ...base, width: 48, depth: 2, heads: 4, act: 'gelu', eps: 1e-6, lnPre: false, projDim: null, output: 'cls' },
  clip: { ...base, width: 48, depth: 2, heads: 4, act: 'quick_gelu', eps: 1e-5, lnPre: true, projDim: 24, output: 'cls_proj' },
  open_clip: { ...base, width: 48, depth: 2, heads: 4, act: 'gelu', eps: 1e-5, lnPre: true, projDim: 24, output: 'cls_proj' },
};
const BIG: Record<VitLayout, VitConfig> = {
  dino: { ...TINY.dino, width: 768, depth: 12, heads: 12 },
  clip: { ...TINY.clip, width: 768, depth: 12, heads: 12, projDim: 512 },
  open_clip: { ...TINY.open_clip, width: 768, depth: 12, heads: 12, projDim: 512 },
};

const vit = (...p: string[]) => fixture('vit', ...p);
const npy = (name: string) => readNpy(vit(`${name}.npy`)).data as Float32Array;
const detInput = (shape: number[]) => Float32Array.from(detValue('input', shape, 1000000).data as Float32Array, (v) => v * 4);

/** A model of `layout` with the det weights of that layout's own keys, converted to the module's keys. */
export async function detVit(cfg: VitConfig, layout: VitLayout, sdHook?: (sd: Map<string, HostArray>) => Map<string, HostArray>): Promise<VisionTransformer> {
  const m = new VisionTransformer(cfg, await gpu());
  let sd = toVitKeys(detStateDict(vitLayoutShapes(cfg, layout)), layout);
  if (sdHook) sd = sdHook(sd);
  m.loadStateDict(sd, { source: `det ${layout}` });
  return m;
}

/** max |a - b| / max |b| and the L2 relative error */
function errors(got: ArrayLike<number>, want: ArrayLike<number>): { scaled: number; l2: number } {
  let scale = 0, abs = 0, d2 = 0, w2 = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    const e = got[i] - want[i];
    abs = Math.max(abs, Math.abs(e));
    d2 += e * e; w2 += want[i] * want[i];
  }
  return { scaled: abs / scale, l2: Math.sqrt(d2 / w2) };
}

/** Runs out = model(x), loss = sum(out * r); returns out and d loss / dx. */
async function outAndGrad(m: VisionTransformer, B: number, H: number, W: number): Promise<{ out: Float32Array; grad: Float32Array }> {
  const g = await gpu();
  const x = Tensor.from(detInput([B, 3, H, W]), [B, 3, H, W], { backend: g }).requiresGrad_();
  const r = Tensor.from(detValue('loss_weights', [B, m.outDim], 999999).data as Float32Array, [B, m.outDim], { backend: g });
  const out = tidy(() => {
    const y = m.forward(x);
    y.mul(r).sum().backward();
    return y.detach();
  });
  const res = { out: await out.data() as Float32Array, grad: await x.grad!.data() as Float32Array };
  out.dispose(); x.dispose(); r.dispose();
  return res;
}

function window(grad: Float32Array, B: number, H: number, W: number): Float32Array {
  const out: number[] = [];
  for (let b = 0; b < B; b++) for (let c = 0; c < 3; c++) for (let y = 16; y < 48; y++) for (let x = 32; x < 64; x++) out.push(grad[((b * 3 + c) * H + y) * W + x]);
  return Float32Array.from(out);
}

function stats(grad: Float32Array, B: number): Float64Array {
  const n = grad.length / B, s = new Float64Array(3 * B);
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) { const v = grad[b * n + i]; s[3 * b] += v; s[3 * b + 1] += v * v; s[3 * b + 2] += Math.abs(v); }
  return s;
}

async function checkCase(m: VisionTransformer, name: string, B: number, H: number, W: number, full = false): Promise<string> {
  const { out, grad } = await outAndGrad(m, B, H, W);
  const eo = errors(out, npy(`${name}_out`));
  assert.ok(eo.scaled < 1e-4 && eo.l2 < 1e-4, `${name}: output error ${JSON.stringify(eo)}`);
  let eg: { scaled: number; l2: number };
  if (full) eg = errors(grad, npy(`${name}_grad`));
  else {
    eg = errors(window(grad, B, H, W), npy(`${name}_gradwin`));
    const want = readNpy(vit(`${name}_gradstats.npy`)).data as Float64Array, got = stats(grad, B);
    // sum of squares and sum of |g| over the whole gradient
    for (let b = 0; b < B; b++) for (const k of [1, 2]) assert.ok(Math.abs(got[3 * b + k] - want[3 * b + k]) <= 1e-3 * want[3 * b + k], `${name}: gradient statistic ${k} of image ${b}: ${got[3 * b + k]} vs ${want[3 * b + k]}`);
  }
  assert.ok(eg.scaled < 1e-3 && eg.l2 < 1e-3, `${name}: gradient error ${JSON.stringify(eg)}`);
  return `${name}: output ${eo.scaled.toExponential(1)} (L2 ${eo.l2.toExponential(1)}), gradient ${eg.scaled.toExponential(1)} (L2 ${eg.l2.toExponential(1)})`;
}

for (const layout of ['dino', 'clip', 'open_clip'] as VitLayout[]) {
  test(`tiny ${layout}: 224, 160x208 and 64x80 (interpolated positions), outputs and input gradients`, async () => {
    const m = await detVit(TINY[layout], layout);
    const lines = [await checkCase(m, `${layout}_tiny_224`, 2, 224, 224), await checkCase(m, `${layout}_tiny_160x208`, 2, 160, 208), await checkCase(m, `${layout}_tiny_64x80`, 1, 64, 80, true)];
    console.log(lines.map((l) => `    ${l}`).join('\n'));
    m.dispose();
  });
}

test('DINO position-embedding interpolation to 10x13 equals PyTorch', async () => {
  const m = await detVit(TINY.dino, 'dino');
  const pe = noGrad(() => m.posEmbed(10, 13, false));
  assert.equal([...pe.shape], [1, 131, 48]);
  const e = errors(await pe.data() as Float32Array, npy('dino_tiny_pos_10x13'));
  assert.ok(e.scaled < 1e-5, JSON.stringify(e));
  m.dispose();
});

test('state-dict keys: the module holds the DINO layout; CLIP layouts convert into it', async () => {
  const m = new VisionTransformer(TINY.clip, await gpu());
  const own = new Set(m.stateDict().keys());
  const converted = new Set(toVitKeys(detStateDict(vitLayoutShapes(TINY.clip, 'open_clip')), 'open_clip').keys());
  assert.equal([...own].sort(), [...converted].sort());
  assert.ok(own.has('pos_drop.weight') && own.has('proj') && own.has('blocks.1.attn.qkv.weight'));
  m.dispose();
});

for (const [name, sub] of [['bin', 'adapter_bin'], ['safetensors', 'adapter_safetensors']] as const) {
  test(`LoRA (PEFT adapter_model.${name}) merged at import equals the adapter run unmerged`, async () => {
    const adapter = readLoraAdapter(vit('lora', sub));
    assert.is(adapter.scaling('x'), 2);
    for (const [i, layout] of [[0, 'dino'], [1, 'clip']] as const) {
      const cfg = i === 1 ? TINY.clip : TINY.dino;
      // the unmerged reference uses the DINO-layout model (DreamSim's CLIP-as-DINO for index 1)
      const m = await detVit(cfg, 'dino', (sd) => mergeLora(sd, adapter, `base_model.model.extractor_list.${i}.model.`).sd);
      const g = await gpu();
      const x = Tensor.from(detInput([2, 3, 224, 224]), [2, 3, 224, 224], { backend: g });
      const y = noGrad(() => tidy(() => m.forward(x)));
      const e = errors(await y.data() as Float32Array, npy(`lora/${layout}_out`));
      console.log(`    ${layout}: merged vs unmerged ${e.scaled.toExponential(1)}`);
      assert.ok(e.scaled < 1e-4 && e.l2 < 1e-4, JSON.stringify(e));
      x.dispose(); y.dispose(); m.dispose();
    }
  });
}

// Real size: ~35 GFLOP per forward, several seconds each on lavapipe. The default run checks DINO at 224;
// DUALNEURON_BIG_TESTS=1 checks every layout at 224 and 160 (about 4 minutes on 2 CPU cores).
const haveBig = existsSync(vit('dino_b16_224_out.npy'));
const allBig = process.env.DUALNEURON_BIG_TESTS === '1';
for (const layout of (allBig ? ['dino', 'clip', 'open_clip'] : ['dino']) as VitLayout[]) {
  runIf(test, haveBig, 'no ViT-B/16 fixtures (run tools/golden/vit.py --big)')(`ViT-B/16 ${layout} at 224${allBig ? ' and 160' : ''}: output and input gradient`, async () => {
    const m = await detVit(BIG[layout], layout);
    const lines = [await checkCase(m, `${layout}_b16_224`, 1, 224, 224)];
    if (allBig) lines.push(await checkCase(m, `${layout}_b16_160`, 1, 160, 160));
    console.log(lines.map((l) => `    ${l}`).join('\n'));
    m.dispose();
  });
}

test.run();
