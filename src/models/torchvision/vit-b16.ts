// torchvision's VisionTransformer (vit_b_16 and its smaller variants) with its state-dict keys and module names:
//   class_token (1, 1, D), conv_proj (Conv2d D x 3 x p x p, stride p),
//   encoder.pos_embedding (1, N + 1, D), encoder.dropout, encoder.layers.encoder_layer_<i>.{ln_1, self_attention
//   (in_proj_weight (3D, D), in_proj_bias, out_proj), dropout, ln_2, mlp.{0 Linear, 1 GELU, 2 Dropout, 3 Linear,
//   4 Dropout}}, encoder.ln, heads.head (Linear D -> classes).
// Forward as torchvision's: patches by the strided convolution, the class token first, position embeddings added
// (no interpolation: torchvision requires the image size the model was made for), pre-norm blocks with exact GELU
// and LayerNorm eps 1e-6, the final norm, the class token through the head.
import { type Backend, Tensor, concat, linear } from '../../tensor/index.js';
import { Module, Sequential } from '../../nn/module.js';
import { Conv2d, GELU, LayerNorm, Linear } from '../../nn/layers.js';
import { Dropout } from '../../nn/shape-layers.js';
import { ShapeError } from '../../errors.js';
import { softmaxRows } from '../vit-softmax.js';

export interface TvVitConfig { imageSize: number; patchSize: number; layers: number; heads: number; hidden: number; mlp: number; numClasses: number }

export const VIT_B_16: TvVitConfig = { imageSize: 224, patchSize: 16, layers: 12, heads: 12, hidden: 768, mlp: 3072, numClasses: 1000 };

/** nn.MultiheadAttention(D, heads, batch_first=True) used as self-attention: q, k, v from one packed projection. */
class SelfAttention extends Module {
  readonly outProj: Linear;
  constructor(readonly dim: number, readonly heads: number, backend?: Backend) {
    super(backend);
    this.param('in_proj_weight', [3 * dim, dim]);
    this.param('in_proj_bias', [3 * dim]);
    this.outProj = this.module('out_proj', new Linear(dim, dim, true, backend));
  }
  forward(x: Tensor): Tensor {
    const [B, N, D] = x.shape;
    const H = this.heads, hd = D / H;
    // rows of in_proj_weight are [q; k; v], each D wide with the heads side by side: (B, N, 3, H, hd) -> (3, B, H, N, hd)
    const qkv = linear(x, this.get('in_proj_weight'), this.get('in_proj_bias')).reshape([B, N, 3, H, hd]).permute([2, 0, 3, 1, 4]).contiguous();
    const q = qkv.select(0, 0), k = qkv.select(0, 1), v = qkv.select(0, 2);
    const a = softmaxRows(q.matmul(k, { transB: true }), hd ** -0.5);
    return this.outProj.forward(a.matmul(v).permute([0, 2, 1, 3]).reshape([B, N, D]));
  }
}

class EncoderBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: SelfAttention;
  readonly dropout: Dropout;
  readonly ln2: LayerNorm;
  readonly mlp: Sequential;
  constructor(c: TvVitConfig, backend?: Backend) {
    super(backend);
    this.ln1 = this.module('ln_1', new LayerNorm(c.hidden, 1e-6, backend));
    this.attn = this.module('self_attention', new SelfAttention(c.hidden, c.heads, backend));
    this.dropout = this.module('dropout', new Dropout(0, backend));
    this.ln2 = this.module('ln_2', new LayerNorm(c.hidden, 1e-6, backend));
    this.mlp = this.module('mlp', new Sequential([
      new Linear(c.hidden, c.mlp, true, backend), new GELU('none', backend), new Dropout(0, backend),
      new Linear(c.mlp, c.hidden, true, backend), new Dropout(0, backend),
    ], backend));
  }
  forward(x: Tensor): Tensor {
    const h = x.add(this.dropout.forward(this.attn.forward(this.ln1.forward(x))));
    return h.add(this.mlp.forward(this.ln2.forward(h)));
  }
}

class Encoder extends Module {
  readonly dropout: Dropout;
  readonly layers: Sequential;
  readonly ln: LayerNorm;
  constructor(c: TvVitConfig, backend?: Backend) {
    super(backend);
    const n = (c.imageSize / c.patchSize) ** 2 + 1;
    this.param('pos_embedding', [1, n, c.hidden]);
    this.dropout = this.module('dropout', new Dropout(0, backend));
    const blocks = Array.from({ length: c.layers }, () => new EncoderBlock(c, backend));
    this.layers = this.module('layers', new NamedSequential(blocks.map((b, i) => [`encoder_layer_${i}`, b]), backend));
    this.ln = this.module('ln', new LayerNorm(c.hidden, 1e-6, backend));
  }
  forward(x: Tensor): Tensor {
    return this.ln.forward(this.layers.forward(this.dropout.forward(x.add(this.get('pos_embedding')))));
  }
}

/** nn.Sequential(OrderedDict(...)): modules run in order under their own names */
class NamedSequential extends Sequential {
  constructor(entries: [string, Module][], backend?: Backend) {
    super([], backend);
    for (const [k, m] of entries) { this.module(k, m); this.layers.push(m); }
  }
}

export class TorchvisionViT extends Module {
  readonly convProj: Conv2d;
  readonly encoder: Encoder;
  readonly heads: Sequential;
  constructor(readonly config: TvVitConfig, backend?: Backend) {
    super(backend);
    const c = config;
    if (c.imageSize % c.patchSize !== 0) throw new ShapeError(`ViT: image size ${c.imageSize} is not a multiple of the patch size ${c.patchSize}`);
    if (c.hidden % c.heads !== 0) throw new ShapeError(`ViT: width ${c.hidden} is not divisible by ${c.heads} heads`);
    this.convProj = this.module('conv_proj', new Conv2d(3, c.hidden, c.patchSize, { stride: c.patchSize }, backend));
    this.param('class_token', [1, 1, c.hidden]);
    this.encoder = this.module('encoder', new Encoder(c, backend));
    this.heads = this.module('heads', new NamedSequential([['head', new Linear(c.hidden, c.numClasses, true, backend)]], backend));
    this.eval();
  }
  /** x (B, 3, S, S), ImageNet-normalised, S = imageSize -> logits (B, numClasses) */
  forward(x: Tensor): Tensor {
    const { imageSize: S, hidden: D } = this.config;
    if (x.rank !== 4 || x.shape[1] !== 3 || x.shape[2] !== S || x.shape[3] !== S) throw new ShapeError(`ViT takes (B, 3, ${S}, ${S}) images; got [${x.shape.join(', ')}]`);
    const B = x.shape[0];
    const p = this.convProj.forward(x); // (B, D, h, w)
    const tokens = p.reshape([B, D, -1]).permute([0, 2, 1]);
    const t = this.encoder.forward(concat([this.get('class_token').expand([B, 1, D]), tokens], 1));
    return this.heads.forward(t.select(1, 0));
  }
}
