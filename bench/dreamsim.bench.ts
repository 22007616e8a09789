// DreamSim benchmarks (issue 5): one ViT-B/16 (DINO configuration, deterministic random weights) at 224: embed
// images/s at batch 1 and 8, embed + backward to the input (what synthesis guidance pays per image and step), and
// the full ensemble (three B/16 backbones) at batch 1, beside PyTorch CPU (torchvision's vit_b_16 encoder).
import { tidy, noGrad, keep, rand, type Backend } from '../src/tensor/index.js';
import { VisionTransformer, VIT_B16_DINO, toVitKeys, vitLayoutShapes } from '../src/models/vit.js';
import { DreamSim, IMAGENET_MEAN, IMAGENET_STD } from '../src/models/dreamsim.js';
import { timeIt, runTorch, printRows, type Row } from './harness.js';
import { detStateDict } from '../test/helpers/det-weights.js';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const fwdBatches = [1, 8], bwdBatches = opts.quick ? [1] : [1, 8];
  const torch = runTorch('dreamsim_bench', { batches: fwdBatches, backward: bwdBatches });
  const m = new VisionTransformer(VIT_B16_DINO, backend);
  m.loadStateDict(toVitKeys(detStateDict(vitLayoutShapes(VIT_B16_DINO, 'dino')), 'dino'));
  const ds = new DreamSim('dino_vitb16', [{ name: 'dino_vitb16', model: m, mean: IMAGENET_MEAN, std: IMAGENET_STD }]);
  const rows: Row[] = [];
  const t = { warmup: 1, minSeconds: opts.quick ? 1 : 4, maxReps: opts.quick ? 1 : 4 };
  for (const B of fwdBatches) {
    const x = keep(rand([B, 3, 224, 224], { backend }));
    const s = await timeIt(backend, () => noGrad(() => tidy(() => { ds.embed(x); })), t);
    rows.push({ name: `ViT-B/16 embed, batch ${B}`, ours: B / s, unit: 'images/s', torch: torch?.[`fwd_b${B}`] ?? null });
    x.dispose();
  }
  for (const B of bwdBatches) {
    const x = keep(rand([B, 3, 224, 224], { backend })).requiresGrad_();
    const s = await timeIt(backend, () => tidy(() => { ds.embed(x).sum().backward(); x.zeroGrad(); }), t);
    rows.push({ name: `ViT-B/16 embed + backward to input, batch ${B}`, ours: B / s, unit: 'images/s', torch: torch?.[`fwdbwd_b${B}`] ?? null });
    x.dispose();
  }
  if (!opts.quick) {
    // the ensemble: three B/16 towers (same random weights, CLIP-style heads), one image
    const mk = (cfg: typeof VIT_B16_DINO) => { const v = new VisionTransformer(cfg, backend); v.loadStateDict(toVitKeys(detStateDict(vitLayoutShapes(cfg, 'dino')), 'dino')); return v; };
    const { VIT_B16_CLIP, VIT_B16_OPEN_CLIP, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD } = { ...(await import('../src/models/vit.js')), ...(await import('../src/models/dreamsim.js')) };
    const ens = new DreamSim('ensemble', [
      { name: 'dino_vitb16', model: m, mean: IMAGENET_MEAN, std: IMAGENET_STD },
      { name: 'clip_vitb16', model: mk(VIT_B16_CLIP), mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
      { name: 'open_clip_vitb16', model: mk(VIT_B16_OPEN_CLIP), mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
    ]);
    const x = keep(rand([1, 3, 224, 224], { backend }));
    const s = await timeIt(backend, () => noGrad(() => tidy(() => { ens.embed(x); })), t);
    rows.push({ name: 'DreamSim ensemble embed (3 x B/16), batch 1', ours: 1 / s, unit: 'images/s', torch: torch?.fwd_b1 ? torch.fwd_b1 / 3 : null, note: 'PyTorch: one B/16 rate / 3' });
    x.dispose();
    ens.dispose();
  } else ds.dispose();
  printRows('DreamSim (ViT-B/16 at 224)', rows);
}
