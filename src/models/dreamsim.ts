// DreamSim (Fu, Tamir, Sundaram et al., NeurIPS 2023; ssundaram21/dreamsim): a perceptual embedding from LoRA-tuned
// ViT backbones. `embed(images)` takes (B, 3, H, W) RGB in [0, 1] (224 x 224 upstream), normalises them per branch
// (ImageNet mean/std for DINO and DINOv2, OpenAI CLIP's for CLIP and OpenCLIP), runs each branch (DINO / DINOv2: class token of the last
// block before the final norm; CLIP / OpenCLIP: ln_post(class token) @ proj), concatenates the features and then, as
// upstream's PerceptualModel.embed with normalize_embeds=True does, subtracts the mean over all concatenated
// dimensions and divides by the L2 norm (one centring and one norm for the whole vector, not per branch).
// `distance(a, b) = 1 - cosine similarity`. Everything is differentiable to the input (synthesis guidance).
import { type Backend, Tensor, concat, getBackend } from '../tensor/index.js';
import { ShapeError, WeightsError } from '../errors.js';
import { VisionTransformer, VIT_B14_DINOV2, VIT_B16_CLIP, VIT_B16_DINO, VIT_B16_OPEN_CLIP, type VitConfig } from './vit.js';
import type { HostArray } from '../io/host-array.js';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export type BranchName = 'dino_vitb16' | 'clip_vitb16' | 'open_clip_vitb16' | 'clip_vitb32' | 'open_clip_vitb32' | 'dinov2_vitb14';

export interface BranchSpec {
  name: BranchName;
  config: VitConfig;
  mean: readonly number[];
  std: readonly number[];
}

const B32 = { patchSize: 32, gridSize: 7 };
export const BRANCHES: Record<BranchName, BranchSpec> = {
  dino_vitb16: { name: 'dino_vitb16', config: VIT_B16_DINO, mean: IMAGENET_MEAN, std: IMAGENET_STD },
  clip_vitb16: { name: 'clip_vitb16', config: VIT_B16_CLIP, mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
  open_clip_vitb16: { name: 'open_clip_vitb16', config: VIT_B16_OPEN_CLIP, mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
  clip_vitb32: { name: 'clip_vitb32', config: { ...VIT_B16_CLIP, ...B32 }, mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
  // DreamSim runs OpenCLIP towers with nn.GELU (its load_open_clip_as_dino does not swap in QuickGELU)
  open_clip_vitb32: { name: 'open_clip_vitb32', config: { ...VIT_B16_OPEN_CLIP, ...B32 }, mean: OPENAI_CLIP_MEAN, std: OPENAI_CLIP_STD },
  // DreamSim's dinov2_vitb14: the torch.hub backbone, its last block's class token ('cls'), ImageNet mean/std
  dinov2_vitb14: { name: 'dinov2_vitb14', config: VIT_B14_DINOV2, mean: IMAGENET_MEAN, std: IMAGENET_STD },
};

export type DreamsimType = 'ensemble' | 'dino_vitb16' | 'clip_vitb32' | 'open_clip_vitb32' | 'dinov2_vitb14';

export interface DreamsimTypeSpec {
  type: DreamsimType;
  /** branches in upstream's extractor_list order (the LoRA keys' extractor_list.<i>) */
  branches: BranchName[];
  /** upstream adapter folder */
  lora: string;
}

export const DREAMSIM_TYPES: Record<DreamsimType, DreamsimTypeSpec> = {
  ensemble: { type: 'ensemble', branches: ['dino_vitb16', 'clip_vitb16', 'open_clip_vitb16'], lora: 'ensemble_lora' },
  dino_vitb16: { type: 'dino_vitb16', branches: ['dino_vitb16'], lora: 'dino_vitb16_single_lora' },
  clip_vitb32: { type: 'clip_vitb32', branches: ['clip_vitb32'], lora: 'clip_vitb32_single_lora' },
  open_clip_vitb32: { type: 'open_clip_vitb32', branches: ['open_clip_vitb32'], lora: 'open_clip_vitb32_single_lora' },
  dinov2_vitb14: { type: 'dinov2_vitb14', branches: ['dinov2_vitb14'], lora: 'dinov2_vitb14_single_lora' },
};

export const DREAMSIM_TYPE_NAMES = Object.keys(DREAMSIM_TYPES) as DreamsimType[];

export function isDreamsimType(s: string): s is DreamsimType {
  return (DREAMSIM_TYPE_NAMES as string[]).includes(s);
}

export interface Branch {
  name: string;
  model: VisionTransformer;
  mean: readonly number[];
  std: readonly number[];
}

/** The embedding model: any list of branches (the upstream types, or small ones for tests). */
export class DreamSim {
  readonly backend: Backend;
  private readonly norms: { mean: Tensor; std: Tensor }[];
  constructor(readonly type: string, readonly branches: Branch[], readonly normalizeEmbeds = true, backend?: Backend) {
    if (!branches.length) throw new ShapeError('DreamSim needs at least one branch');
    this.backend = backend ?? branches[0].model.backend;
    this.norms = branches.map((b) => ({
      mean: Tensor.from(b.mean, [1, b.mean.length, 1, 1], { backend: this.backend }),
      std: Tensor.from(b.std, [1, b.std.length, 1, 1], { backend: this.backend }),
    }));
  }

  /** Width of the embedding (1792 for the ensemble). */
  get dim(): number { return this.branches.reduce((s, b) => s + b.model.outDim, 0); }

  /** images (B, 3, H, W) in [0, 1] -> (B, dim), differentiable to the images. */
  embed(images: Tensor): Tensor {
    if (images.rank !== 4 || images.shape[1] !== 3) throw new ShapeError(`DreamSim.embed takes (B, 3, H, W) RGB images in [0, 1]; got [${images.shape.join(', ')}]`);
    const feats = this.branches.map((b, i) => b.model.forward(images.sub(this.norms[i].mean).div(this.norms[i].std)));
    const e = feats.length === 1 ? feats[0] : concat(feats, 1);
    if (!this.normalizeEmbeds) return e;
    const c = e.sub(e.mean(1, true));
    return c.div(c.norm(2, 1, true));
  }

  /** 1 - cos(a, b) row by row (torch cosine_similarity with eps 1e-8): (B, D), (B, D) -> (B). */
  static distance(a: Tensor, b: Tensor): Tensor {
    if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1]) throw new ShapeError(`distance takes two (B, D) embeddings; got [${a.shape}] and [${b.shape}]`);
    const dot = a.mul(b).sum(1);
    const den = a.norm(2, 1).mul(b.norm(2, 1)).maximum(1e-8);
    return dot.div(den).neg().add(1);
  }

  /** DreamSim distance between two image batches. */
  distance(x: Tensor, y: Tensor): Tensor {
    return DreamSim.distance(this.embed(x), this.embed(y));
  }

  dispose(): void {
    for (const b of this.branches) b.model.dispose();
    for (const n of this.norms) { n.mean.dispose(); n.std.dispose(); }
  }
}

/** A DreamSim of an upstream type from its branches' state dicts (module keys, LoRA already merged). */
export function dreamsimFromStateDicts(type: DreamsimType, sds: Map<BranchName, Map<string, HostArray>>, backend: Backend = getBackend(), configs?: Partial<Record<BranchName, VitConfig>>): DreamSim {
  const spec = DREAMSIM_TYPES[type];
  const branches: Branch[] = [];
  try {
    for (const name of spec.branches) {
      const sd = sds.get(name);
      if (!sd) throw new WeightsError(`DreamSim ${type}: no weights for the ${name} branch`);
      const b = BRANCHES[name];
      const m = new VisionTransformer(configs?.[name] ?? b.config, backend);
      branches.push({ name, model: m, mean: b.mean, std: b.std });
      m.loadStateDict(sd, { source: `DreamSim ${type} / ${name}` });
      m.requiresGrad_(false);
    }
  } catch (e) {
    for (const b of branches) b.model.dispose();
    throw e;
  }
  return new DreamSim(type, branches, true, backend);
}
