// Vision Transformer (Dosovitskiy et al. 2021) as DreamSim runs it: DINO's VisionTransformer (timm-style keys), which
// DreamSim also uses for the OpenAI CLIP and OpenCLIP visual towers (its load_clip_as_dino / load_open_clip_as_dino:
// CLIP's ln_pre becomes `pos_drop`, a LayerNorm, and the projection `proj` is kept beside the model).
//
// DINOv2 (facebookresearch/dinov2, DreamSim's dinov2_vitb14) is the same layout plus LayerScale (blocks.i.ls1.gamma,
// ls2.gamma; config `layerScale`); its state dict's mask_token is dropped. Its interpolate_pos_encoding (offset 0.1,
// scale factors, bicubic, no antialias) is DINO's.
//
// Module keys (one layout, DreamSim's "as DINO" one, which its LoRA adapters address):
//   cls_token (1, 1, D), pos_embed (1, N + 1, D), patch_embed.proj.{weight (D, C, p, p), bias}, [pos_drop.{weight, bias}],
//   blocks.i.{norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2}.{weight, bias}, norm.{weight, bias}, [proj (D, P)].
// `toVitKeys` converts the other upstream layouts into it: the OpenAI CLIP visual tower (class_embedding,
// positional_embedding, conv1, ln_pre, transformer.resblocks.i.{ln_1, attn.in_proj_*, attn.out_proj, ln_2, mlp.c_fc,
// mlp.c_proj}, ln_post, proj) and OpenCLIP's (the same names under `visual.`), with or without the `visual.` prefix.
//
// Forward: patches (a strided view + one copy) times the patch weights, the class token, position embeddings (DINO's
// bicubic interpolation for other grids), [ln_pre], pre-norm blocks (attention with a fused qkv projection, softmax
// over keys; MLP with GELU or QuickGELU), then the output: 'cls' = the class token of the last block before the final
// norm (DINO in DreamSim), 'cls_proj' = norm(class token) @ proj (CLIP / OpenCLIP).
import { type Backend, Tensor, concat, interpolate, keep, linear, noGrad } from '../tensor/index.js';
import { Module, Sequential } from '../nn/module.js';
import { LayerNorm, Linear } from '../nn/layers.js';
import { ShapeError, WeightsError } from '../errors.js';
import type { HostArray } from '../io/host-array.js';
import { toFloat32 } from '../io/host-array.js';
import { softmaxRows } from './vit-softmax.js';

export interface VitConfig {
  /** input channels (3) */
  channels: number;
  patchSize: number;
  width: number;
  depth: number;
  heads: number;
  /** MLP hidden size = width * mlpRatio */
  mlpRatio: number;
  /** side of the position-embedding grid (224 / 16 = 14 for B/16) */
  gridSize: number;
  act: 'gelu' | 'quick_gelu';
  /** LayerNorm eps: 1e-6 DINO, 1e-5 CLIP / OpenCLIP */
  eps: number;
  /** LayerNorm on the embedded tokens before the blocks (CLIP's ln_pre, DreamSim's `pos_drop`) */
  lnPre: boolean;
  /** projection width (CLIP's proj, (width, projDim)); null: none */
  projDim: number | null;
  /** 'cls': class token of the last block, before the final norm; 'cls_proj': norm(class token) @ proj */
  output: 'cls' | 'cls_proj';
  /** DINOv2's LayerScale: each residual branch times a learned per-channel gamma (keys blocks.i.ls1.gamma, ls2.gamma) */
  layerScale?: boolean;
}

export const VIT_B16_DINO: VitConfig = { channels: 3, patchSize: 16, width: 768, depth: 12, heads: 12, mlpRatio: 4, gridSize: 14, act: 'gelu', eps: 1e-6, lnPre: false, projDim: null, output: 'cls' };
export const VIT_B16_CLIP: VitConfig = { ...VIT_B16_DINO, act: 'quick_gelu', eps: 1e-5, lnPre: true, projDim: 512, output: 'cls_proj' };
/** OpenCLIP ViT-B-16 (laion400m): exact GELU, unlike OpenAI's QuickGELU (DreamSim keeps nn.GELU for it too) */
export const VIT_B16_OPEN_CLIP: VitConfig = { ...VIT_B16_CLIP, act: 'gelu' };

/** DINOv2 ViT-B/14 (facebookresearch/dinov2 hub `dinov2_vitb14`): trained at 518 px, a 37 x 37 position table that is
 * interpolated to the input grid (16 x 16 at DreamSim's 224), LayerScale, exact GELU, LayerNorm eps 1e-6. */
export const VIT_B14_DINOV2: VitConfig = { ...VIT_B16_DINO, patchSize: 14, gridSize: 37, layerScale: true };

export type VitLayout = 'dino' | 'clip' | 'open_clip';

class Attention extends Module {
  readonly qkv: Linear;
  readonly proj: Linear;
  constructor(readonly dim: number, readonly heads: number, backend?: Backend) {
    super(backend);
    this.qkv = this.module('qkv', new Linear(dim, 3 * dim, true, backend));
    this.proj = this.module('proj', new Linear(dim, dim, true, backend));
  }
  forward(x: Tensor): Tensor {
    const [B, N, D] = x.shape;
    const H = this.heads, hd = D / H;
    // (B, N, 3D) -> (3, B, H, N, hd), one copy; q, k, v are then contiguous (B, H, N, hd) slices
    const qkv = this.qkv.forward(x).reshape([B, N, 3, H, hd]).permute([2, 0, 3, 1, 4]).contiguous();
    const q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
    // softmax((q k^T) * hd^-1/2) over keys, scaled inside the row kernel
    const a = softmaxRows(q.matmul(k, { transB: true }), hd ** -0.5);
    const o = a.matmul(v).permute([0, 2, 1, 3]).reshape([B, N, D]);
    return this.proj.forward(o);
  }
}

class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(dim: number, hidden: number, readonly act: VitConfig['act'], backend?: Backend) {
    super(backend);
    this.fc1 = this.module('fc1', new Linear(dim, hidden, true, backend));
    this.fc2 = this.module('fc2', new Linear(hidden, dim, true, backend));
  }
  forward(x: Tensor): Tensor {
    const h = this.fc1.forward(x);
    // QuickGELU (OpenAI CLIP): x * sigmoid(1.702 x)
    return this.fc2.forward(this.act === 'gelu' ? h.gelu() : h.mul(h.mul(1.702).sigmoid()));
  }
}

/** DINOv2's LayerScale: x * gamma, one gamma per channel (key `gamma`). */
class LayerScale extends Module {
  constructor(dim: number, backend?: Backend) {
    super(backend);
    this.param('gamma', [dim]);
  }
  forward(x: Tensor): Tensor { return x.mul(this.get('gamma')); }
}

export class VitBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly ls1: LayerScale | null;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  readonly ls2: LayerScale | null;
  constructor(cfg: VitConfig, backend?: Backend) {
    super(backend);
    this.norm1 = this.module('norm1', new LayerNorm(cfg.width, cfg.eps, backend));
    this.attn = this.module('attn', new Attention(cfg.width, cfg.heads, backend));
    this.ls1 = cfg.layerScale ? this.module('ls1', new LayerScale(cfg.width, backend)) : null;
    this.norm2 = this.module('norm2', new LayerNorm(cfg.width, cfg.eps, backend));
    this.mlp = this.module('mlp', new Mlp(cfg.width, Math.round(cfg.width * cfg.mlpRatio), cfg.act, backend));
    this.ls2 = cfg.layerScale ? this.module('ls2', new LayerScale(cfg.width, backend)) : null;
  }
  forward(x: Tensor): Tensor {
    let a = this.attn.forward(this.norm1.forward(x));
    if (this.ls1) a = this.ls1.forward(a);
    const h = x.add(a);
    let m = this.mlp.forward(this.norm2.forward(h));
    if (this.ls2) m = this.ls2.forward(m);
    return h.add(m);
  }
}

/** The patch projection: a conv weight (D, C, p, p) and bias, applied to unfolded patches. */
class PatchProj extends Module {
  constructor(cfg: VitConfig, backend?: Backend) {
    super(backend);
    this.param('weight', [cfg.width, cfg.channels, cfg.patchSize, cfg.patchSize]);
    this.param('bias', [cfg.width]);
  }
  /** patches (M, C*p*p) -> (M, D) */
  forward(patches: Tensor): Tensor {
    const w = this.get('weight');
    return linear(patches, w.reshape([w.shape[0], w.shape[1] * w.shape[2] * w.shape[3]]), this.get('bias'));
  }
}

class PatchEmbed extends Module {
  readonly proj: PatchProj;
  constructor(readonly cfg: VitConfig, backend?: Backend) {
    super(backend);
    this.proj = this.module('proj', new PatchProj(cfg, backend));
  }
  /** x (B, C, H, W) -> (B, h*w, D), as a conv with kernel = stride = p (rows and columns past h*p, w*p are dropped) */
  forward(x: Tensor): Tensor {
    const { channels: C, patchSize: p, width: D } = this.cfg;
    const [B, , H, W] = x.shape;
    const h = Math.floor(H / p), wn = Math.floor(W / p);
    let xs = x;
    if (h * p !== H || wn * p !== W) xs = x.slice([null, null, [0, h * p], [0, wn * p]]);
    // (B, C, h, p, w, p) -> (B, h, w, C, p, p): each row is one patch in the weight's (C, p, p) order
    const patches = xs.reshape([B, C, h, p, wn, p]).permute([0, 2, 4, 1, 3, 5]).reshape([B * h * wn, C * p * p]);
    return this.proj.forward(patches).reshape([B, h * wn, D]);
  }
}

/** DINO-style ViT; see the file comment for keys and outputs. */
export class VisionTransformer extends Module {
  readonly patchEmbed: PatchEmbed;
  readonly lnPre: LayerNorm | null;
  readonly blocks: VitBlock[] = [];
  readonly norm: LayerNorm;
  /** interpolated position embeddings of frozen weights, by grid */
  private posCache = new Map<string, { from: Tensor; t: Tensor }>();

  constructor(readonly config: VitConfig, backend?: Backend) {
    super(backend);
    const c = config;
    if (c.width % c.heads !== 0) throw new ShapeError(`ViT: width ${c.width} is not divisible by ${c.heads} heads`);
    if (c.output === 'cls_proj' && !c.projDim) throw new ShapeError("ViT: output 'cls_proj' needs projDim");
    this.param('cls_token', [1, 1, c.width]);
    this.param('pos_embed', [1, c.gridSize * c.gridSize + 1, c.width]);
    this.patchEmbed = this.module('patch_embed', new PatchEmbed(c, backend));
    this.lnPre = c.lnPre ? this.module('pos_drop', new LayerNorm(c.width, c.eps, backend)) : null;
    for (let i = 0; i < c.depth; i++) this.blocks.push(new VitBlock(c, backend));
    this.module('blocks', new Sequential(this.blocks, backend));
    this.norm = this.module('norm', new LayerNorm(c.width, c.eps, backend));
    if (c.projDim) this.param('proj', [c.width, c.projDim]);
    this.eval();
  }

  /** Output width: projDim for 'cls_proj', else width. */
  get outDim(): number { return this.config.output === 'cls_proj' ? this.config.projDim! : this.config.width; }

  /**
   * Position embeddings for an h x w patch grid (1, h*w + 1, D). DINO's interpolate_pos_encoding: unchanged when
   * the grid has as many patches as the table and the image is square; else the patch part is resized bicubically
   * (align_corners false) with scale factors ((h + 0.1) / g, (w + 0.1) / g) as given (PyTorch uses them directly).
   */
  posEmbed(h: number, w: number, square: boolean): Tensor {
    const pe = this.get('pos_embed');
    const g = this.config.gridSize, D = this.config.width;
    if (h * w === g * g && square) return pe;
    const make = () => {
      const cls = pe.slice([null, [0, 1]]);
      const grid = pe.slice([null, [1, null]]).reshape([1, g, g, D]).permute([0, 3, 1, 2]);
      const r = interpolate(grid, { scaleFactor: [(h + 0.1) / g, (w + 0.1) / g], mode: 'bicubic', alignCorners: false });
      if (r.shape[2] !== h || r.shape[3] !== w) throw new ShapeError(`ViT: position embeddings resized to ${r.shape[2]}x${r.shape[3]}, expected ${h}x${w}`);
      return concat([cls, r.permute([0, 2, 3, 1]).reshape([1, h * w, D])], 1);
    };
    if (pe.requiresGrad) return make();
    const key = `${h}x${w}`;
    const hit = this.posCache.get(key);
    if (hit && hit.from === pe && !hit.t.isDisposed) return hit.t;
    hit?.t.dispose();
    const t = keep(noGrad(make));
    this.posCache.set(key, { from: pe, t });
    return t;
  }

  /** Tokens after the last block (B, 1 + h*w, D); x is (B, C, H, W) already normalised for the model. */
  forwardTokens(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.config.channels) throw new ShapeError(`ViT takes (B, ${this.config.channels}, H, W) images; got [${x.shape.join(', ')}]`);
    const [B, , H, W] = x.shape;
    const p = this.config.patchSize;
    const h = Math.floor(H / p), w = Math.floor(W / p);
    if (h < 1 || w < 1) throw new ShapeError(`ViT: image ${H}x${W} is smaller than one ${p}x${p} patch`);
    const D = this.config.width;
    const e = this.patchEmbed.forward(x);
    let t = concat([this.get('cls_token').expand([B, 1, D]), e], 1).add(this.posEmbed(h, w, H === W));
    if (this.lnPre) t = this.lnPre.forward(t);
    for (const b of this.blocks) t = b.forward(t);
    return t;
  }

  /** (B, outDim): DINO's last-block class token, or CLIP's norm(class token) @ proj. */
  forward(x: Tensor): Tensor {
    const cls = this.forwardTokens(x).select(1, 0);
    if (this.config.output === 'cls') return cls;
    return this.norm.forward(cls).matmul(this.get('proj'));
  }

  override loadStateDict(...args: Parameters<Module['loadStateDict']>): ReturnType<Module['loadStateDict']> {
    this.clearCache();
    return super.loadStateDict(...args);
  }

  private clearCache(): void {
    for (const { t } of this.posCache.values()) t.dispose();
    this.posCache.clear();
  }

  override dispose(): void { this.clearCache(); super.dispose(); }
}

// ------------------------------------------------------------------ key layouts

/** Key -> shape of the given upstream layout for a config (what a checkpoint of that layout holds for the tower). */
export function vitLayoutShapes(cfg: VitConfig, layout: VitLayout): Map<string, number[]> {
  const D = cfg.width, p = cfg.patchSize, N = cfg.gridSize * cfg.gridSize + 1, Hd = Math.round(D * cfg.mlpRatio);
  const m = new Map<string, number[]>();
  if (layout === 'dino') {
    m.set('cls_token', [1, 1, D]); m.set('pos_embed', [1, N, D]);
    m.set('patch_embed.proj.weight', [D, cfg.channels, p, p]); m.set('patch_embed.proj.bias', [D]);
    if (cfg.lnPre) { m.set('pos_drop.weight', [D]); m.set('pos_drop.bias', [D]); }
    for (let i = 0; i < cfg.depth; i++) {
      const b = `blocks.${i}.`;
      for (const n of ['norm1', 'norm2']) { m.set(`${b}${n}.weight`, [D]); m.set(`${b}${n}.bias`, [D]); }
      m.set(`${b}attn.qkv.weight`, [3 * D, D]); m.set(`${b}attn.qkv.bias`, [3 * D]);
      m.set(`${b}attn.proj.weight`, [D, D]); m.set(`${b}attn.proj.bias`, [D]);
      m.set(`${b}mlp.fc1.weight`, [Hd, D]); m.set(`${b}mlp.fc1.bias`, [Hd]);
      m.set(`${b}mlp.fc2.weight`, [D, Hd]); m.set(`${b}mlp.fc2.bias`, [D]);
      if (cfg.layerScale) { m.set(`${b}ls1.gamma`, [D]); m.set(`${b}ls2.gamma`, [D]); }
    }
    m.set('norm.weight', [D]); m.set('norm.bias', [D]);
    if (cfg.projDim) m.set('proj', [D, cfg.projDim]);
    return m;
  }
  const v = layout === 'open_clip' ? 'visual.' : '';
  m.set(`${v}class_embedding`, [D]); m.set(`${v}positional_embedding`, [N, D]);
  m.set(`${v}conv1.weight`, [D, cfg.channels, p, p]);
  m.set(`${v}ln_pre.weight`, [D]); m.set(`${v}ln_pre.bias`, [D]);
  for (let i = 0; i < cfg.depth; i++) {
    const b = `${v}transformer.resblocks.${i}.`;
    for (const n of ['ln_1', 'ln_2']) { m.set(`${b}${n}.weight`, [D]); m.set(`${b}${n}.bias`, [D]); }
    m.set(`${b}attn.in_proj_weight`, [3 * D, D]); m.set(`${b}attn.in_proj_bias`, [3 * D]);
    m.set(`${b}attn.out_proj.weight`, [D, D]); m.set(`${b}attn.out_proj.bias`, [D]);
    m.set(`${b}mlp.c_fc.weight`, [Hd, D]); m.set(`${b}mlp.c_fc.bias`, [Hd]);
    m.set(`${b}mlp.c_proj.weight`, [D, Hd]); m.set(`${b}mlp.c_proj.bias`, [D]);
  }
  m.set(`${v}ln_post.weight`, [D]); m.set(`${v}ln_post.bias`, [D]);
  if (cfg.projDim) m.set(`${v}proj`, [D, cfg.projDim]);
  return m;
}

const CLIP_BLOCK: [RegExp, string][] = [
  [/^ln_1\.(weight|bias)$/, 'norm1.$1'], [/^ln_2\.(weight|bias)$/, 'norm2.$1'],
  [/^attn\.in_proj_weight$/, 'attn.qkv.weight'], [/^attn\.in_proj_bias$/, 'attn.qkv.bias'],
  [/^attn\.out_proj\.(weight|bias)$/, 'attn.proj.$1'],
  [/^mlp\.c_fc\.(weight|bias)$/, 'mlp.fc1.$1'], [/^mlp\.c_proj\.(weight|bias)$/, 'mlp.fc2.$1'],
];

function reshaped(a: HostArray, shape: number[]): HostArray {
  return { ...a, shape };
}

/** Which layout a state dict is in (null when it holds no ViT tower we know). */
export function detectVitLayout(sd: ReadonlyMap<string, unknown>): VitLayout | null {
  const keys = [...sd.keys()];
  if (keys.some((k) => /^(visual\.)?transformer\.resblocks\.\d+\.attn\.in_proj_weight$/.test(k)) && keys.some((k) => /^(visual\.)?class_embedding$/.test(k))) {
    return keys.some((k) => k.startsWith('visual.')) ? 'open_clip' : 'clip';
  }
  if (keys.some((k) => /(^|\.)blocks\.\d+\.attn\.qkv\.weight$/.test(k)) && keys.some((k) => /(^|\.)cls_token$/.test(k))) return 'dino';
  return null;
}

/**
 * A state dict of any supported layout in this module's keys (host arrays as f32). DINO dicts may carry a prefix
 * ('module.', 'backbone.', 'module.backbone.': the full DINO training checkpoint's parts) and head keys, which are
 * dropped; CLIP / OpenCLIP dicts may be a whole model (the text tower is dropped). CLIP's conv1 has no bias: the patch
 * bias becomes zeros (as in DreamSim's converted files).
 */
export function toVitKeys(sd: ReadonlyMap<string, HostArray>, layout: VitLayout = detectVitLayout(sd) ?? 'dino'): Map<string, HostArray> {
  const out = new Map<string, HostArray>();
  const f32 = (a: HostArray): HostArray => (a.dtype === 'f32' ? a : { dtype: 'f32', shape: [...a.shape], data: toFloat32(a) });
  if (layout === 'dino') {
    const prefix = ['module.backbone.', 'backbone.', 'module.', ''].find((p) => sd.has(`${p}cls_token`));
    if (prefix === undefined) throw new WeightsError('not a DINO ViT state dict: no cls_token key');
    for (const [k, a] of sd) {
      if (!k.startsWith(prefix)) continue;
      const n = k.slice(prefix.length);
      if (n.startsWith('head.') || n === 'head' || n.startsWith('mask_token')) continue;
      out.set(n, f32(a));
    }
    return out;
  }
  const hasVisual = [...sd.keys()].some((k) => k.startsWith('visual.'));
  const v = hasVisual ? 'visual.' : '';
  let width = 0;
  for (const [k, a] of sd) {
    if (!k.startsWith(v)) continue;
    const n = k.slice(v.length);
    let m: RegExpExecArray | null;
    if (n === 'class_embedding') { width = a.shape[a.shape.length - 1]; out.set('cls_token', reshaped(f32(a), [1, 1, width])); }
    else if (n === 'positional_embedding') out.set('pos_embed', reshaped(f32(a), [1, ...a.shape.slice(-2)]));
    else if (n === 'conv1.weight') out.set('patch_embed.proj.weight', f32(a));
    else if (n === 'ln_pre.weight' || n === 'ln_pre.bias') out.set(`pos_drop.${n.slice(7)}`, f32(a));
    else if (n === 'ln_post.weight' || n === 'ln_post.bias') out.set(`norm.${n.slice(8)}`, f32(a));
    else if (n === 'proj') out.set('proj', f32(a));
    else if ((m = /^transformer\.resblocks\.(\d+)\.(.+)$/.exec(n))) {
      const rule = CLIP_BLOCK.find(([re]) => re.test(m![2]));
      if (rule) out.set(`blocks.${m[1]}.${m[2].replace(rule[0], rule[1])}`, f32(a));
    }
  }
  if (!out.has('cls_token')) throw new WeightsError(`not a ${layout === 'clip' ? 'CLIP' : 'OpenCLIP'} visual tower: no ${v}class_embedding key`);
  if (!out.has('patch_embed.proj.bias')) out.set('patch_embed.proj.bias', { dtype: 'f32', shape: [width], data: new Float32Array(width) });
  return out;
}

/** The config of a state dict in this module's keys, with what keys cannot tell (activation, eps, output) given. */
export function inferVitConfig(sd: ReadonlyMap<string, HostArray>, rest: Pick<VitConfig, 'act' | 'eps' | 'output'> & { heads?: number }): VitConfig {
  const need = (k: string) => {
    const a = sd.get(k);
    if (!a) throw new WeightsError(`ViT state dict has no '${k}'`);
    return a;
  };
  const w = need('patch_embed.proj.weight');
  const width = w.shape[0], patchSize = w.shape[2];
  const n = need('pos_embed').shape[1] - 1;
  const gridSize = Math.round(Math.sqrt(n));
  if (gridSize * gridSize !== n) throw new WeightsError(`ViT: ${n} position embeddings do not form a square grid`);
  let depth = 0;
  while (sd.has(`blocks.${depth}.attn.qkv.weight`)) depth++;
  const hidden = need('blocks.0.mlp.fc1.weight').shape[0];
  const proj = sd.get('proj');
  return {
    channels: w.shape[1], patchSize, width, depth, heads: rest.heads ?? Math.max(1, Math.round(width / 64)), mlpRatio: hidden / width, gridSize,
    act: rest.act, eps: rest.eps, lnPre: sd.has('pos_drop.weight'), projDim: proj ? proj.shape[1] : null, output: rest.output,
    layerScale: sd.has('blocks.0.ls1.gamma'),
  };
}
