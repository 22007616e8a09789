// All members of a ConvNeXt V1 twin (convnextv2-atto-stage1 core) evaluated in one pass, members stacked in the
// channels (convolutions with the members' weights side by side, the 2x2 downsampling as a grouped convolution) or
// in a leading batch dim (per-member matmuls, grouped GRN). A step of synthesis then runs each layer's kernels
// once for the ensemble instead of once per member (issue 16: fewer dispatches per step); each member's numbers
// are those of its own forward up to float rounding.
//
// Folded (eval, frozen weights, as inference engines do): the block LayerNorm's affine into pwconv1
// (W1 diag(w), b1 + W1 b), the downsampling LayerNorm's affine into the 2x2 conv (no padding, so exact), and
// OutBatchNorm into that conv (as BatchNorm2d.after). The stem LayerNorm's affine is not folded (its output is
// also the first block's residual, and the 7x7 depthwise conv pads with zeros): it is one broadcast fma.
import { Tensor, conv2d, fma, keep, layerNorm, layerNorm2d, linearFrozen, noGrad, tidy, concat, stack } from '../../tensor/index.js';
import { grn } from '../../tensor/index.js';
import type { TwinMember } from './twin.js';

const BB = 'core.features.backbone.model.';
const LN_EPS = 1e-6;
/** the largest stacked intermediate a chunk of the batch may make (2^24 floats, 64 MiB) */
export const STACKED_MAX_FLOATS = 2 ** 24;

/** per member m: w1[m] (E, C0) and its contiguous transpose w1T[m], likewise w2 (C0, E) and w2T (linearFrozen) */
interface Block { dwW: Tensor; dwB: Tensor; w1: Tensor; w1T: Tensor; b1: Tensor; gG: Tensor; gB: Tensor; w2: Tensor; w2T: Tensor; b2: Tensor }
interface Weights {
  M: number; C0: number; C1: number;
  stemW: Tensor; stemB: Tensor; lnW: Tensor; lnB: Tensor;
  blocks: Block[];
  downW: Tensor; downB: Tensor; bnEps: number;
  F: Tensor; fb: Tensor;
}

/** The members' numbers of blocks in stage 0, or 0 when they are not the V1 twin's ConvNeXt core. */
function blockCount(m: TwinMember): number {
  if (m.spec.core !== 'convnextv2-atto-stage1') return 0;
  const sd = m.stateDict();
  let n = 0;
  while (sd.has(`${BB}encoder.stages.0.layers.${n}.dwconv.weight`)) n++;
  return n;
}

/**
 * Whether `members` can run stacked on input x: the V1 ConvNeXt core, eval mode, frozen weights, readouts reading
 * the exact centre of an odd-sized feature map (centered, not sampling), and no forward hook on any module (hooks
 * must see each member's layers as written).
 */
export function canStack(members: readonly TwinMember[]): boolean {
  if (!members.length) return false;
  const n = blockCount(members[0]!);
  if (n === 0) return false;
  const [, oh, ow] = members[0]!.spec.coreShape;
  if (oh % 2 !== 1 || ow % 2 !== 1) return false;
  for (const m of members) {
    if (blockCount(m) !== n || m.training || !m.centered || m.readout.sample === true) return false;
    for (const [, mod] of m.namedModules()) if (Object.prototype.hasOwnProperty.call(mod, 'forward') || mod.training) return false;
    for (const [, t] of m.stateDict()) if (t.requiresGrad) return false;
  }
  return true;
}

export class StackedV1 {
  /** the chunk budget in floats (tests lower it to run the chunking on small batches) */
  maxFloats = STACKED_MAX_FLOATS;
  private cache: { key: string; w: Weights } | null = null;

  /**
   * x (B, 1, H, W) -> the mean of the members' outputs (B, N) (as TwinEnsemble.forward). Large batches run in
   * chunks: the largest stacked tensor (M x rows x positions x 4 C0 floats) stays within maxFloats (STACKED_MAX_FLOATS) or the
   * size one member alone would have made, whichever is larger (a storage binding holds at most 128 MiB).
   */
  forward(members: readonly TwinMember[], x: Tensor): Tensor {
    const w = this.weights(members);
    const B = x.shape[0]!;
    const perRow = w.M * Math.floor(x.shape[2]! / 4) * Math.floor(x.shape[3]! / 4) * 4 * w.C0;
    const rows = Math.max(1, Math.ceil(B / w.M), Math.floor(this.maxFloats / perRow));
    if (B <= rows) return this.forwardChunk(w, x);
    const parts: Tensor[] = [];
    for (let r = 0; r < B; r += rows) parts.push(this.forwardChunk(w, x.slice([[r, Math.min(B, r + rows)]])));
    return concat(parts, 0);
  }

  private forwardChunk(w: Weights, x: Tensor): Tensor {
    const { M, C0, C1 } = w;
    const B = x.shape[0]!;
    let h = conv2d(x.expand([B, 3, x.shape[2]!, x.shape[3]!]), w.stemW, w.stemB, { stride: 4 }); // (B, M*C0, h, w)
    const [, , H, W] = h.shape as [number, number, number, number];
    h = fma(layerNorm2d(h.reshape([B * M, C0, H, W]), null, null, LN_EPS).reshape([B, M, C0, H, W]), w.lnW, w.lnB).reshape([B, M * C0, H, W]);
    const E = 4 * C0, P = B * H * W;
    for (const k of w.blocks) {
      // members leading, channels last: (M, B, H, W, C0) in one copy, so every matmul reads unit-stride operands
      const t = conv2d(h, k.dwW, k.dwB, { padding: 3, groups: M * C0 }).reshape([B, M, C0, H, W]).permute([1, 0, 3, 4, 2]).reshape([M, P, C0]);
      const n = layerNorm(t, [C0], null, null, LN_EPS); // (M, P, C0)
      let u = linearFrozen(n, k.w1, k.w1T).add(k.b1).gelu(); // (M, P, E)
      u = grn(u.reshape([M * B, H, W, E]), k.gG, k.gB, LN_EPS).reshape([M, P, E]);
      const v = linearFrozen(u, k.w2, k.w2T).add(k.b2).reshape([M, B, H, W, C0]).permute([1, 0, 4, 2, 3]); // (B, M, C0, H, W)
      h = h.reshape([B, M, C0, H, W]).add(v).reshape([B, M * C0, H, W]);
    }
    h = layerNorm2d(h.reshape([B * M, C0, H, W]), null, null, LN_EPS).reshape([B, M * C0, H, W]);
    const f = conv2d(h, w.downW, w.downB, { stride: 2, groups: M }).gelu(); // (B, M*C1, oh, ow), OutBatchNorm folded in
    const [, , oh, ow] = f.shape as [number, number, number, number];
    const v = f.select(3, (ow - 1) / 2).select(2, (oh - 1) / 2).reshape([B, M, C1]).permute([1, 0, 2]); // (M, B, C1)
    const r = v.matmul(w.F).add(w.fb); // (M, B, N)
    return r.sub(1).elu(1).add(1).sum(0).mul(1 / M);
  }

  /** The stacked (and folded) weights, rebuilt when any member tensor or its data changes. */
  private weights(members: readonly TwinMember[]): Weights {
    const key = members.map((m) => [...m.stateDict().values()].map((t) => `${t.id}.${t.version}`).join(',')).join('|');
    if (this.cache && this.cache.key === key && !this.cache.w.stemW.isDisposed) return this.cache.w;
    this.dispose();
    const w = noGrad(() => tidy(() => build(members)));
    this.cache = { key, w };
    return w;
  }

  dispose(): void {
    if (!this.cache) return;
    const w = this.cache.w;
    const all = [w.stemW, w.stemB, w.lnW, w.lnB, w.downW, w.downB, w.F, w.fb, ...w.blocks.flatMap((k) => Object.values(k))];
    for (const t of all) t.dispose();
    this.cache = null;
  }
}

function build(members: readonly TwinMember[]): Weights {
  const M = members.length;
  const sds = members.map((m) => m.stateDict());
  const get = (k: string) => sds.map((sd) => sd.get(k)!);
  const cat = (k: string) => keep(concat(get(k), 0));
  const C0 = get(`${BB}embeddings.layernorm.weight`)[0]!.shape[0]!;
  const C1 = get(`${BB}encoder.stages.1.downsampling_layer.1.bias`)[0]!.shape[0]!;
  const nBlocks = blockCount(members[0]!);
  const blocks: Block[] = [];
  for (let l = 0; l < nBlocks; l++) {
    const p = `${BB}encoder.stages.0.layers.${l}.`;
    const lw = get(`${p}layernorm.weight`), lb = get(`${p}layernorm.bias`);
    const W1 = get(`${p}pwconv1.weight`), B1 = get(`${p}pwconv1.bias`); // (E, C0), (E)
    // n * lw + lb through W1: (n * lw) W1^T + (W1 lb + b1)
    const w1 = keep(stack(W1.map((w, m) => w.mul(lw[m]!.reshape([1, C0]))), 0)); // (M, E, C0)
    const b1 = keep(stack(W1.map((w, m) => w.matmul(lb[m]!).add(B1[m]!)), 0).unsqueeze(1)); // (M, 1, E)
    blocks.push({
      dwW: cat(`${p}dwconv.weight`), dwB: cat(`${p}dwconv.bias`), w1, w1T: keep(w1.mT.contiguousCopy()), b1,
      gG: keep(concat(get(`${p}grn.weight`), 0)), gB: keep(concat(get(`${p}grn.bias`), 0)),
      w2: keep(stack(get(`${p}pwconv2.weight`), 0)), w2T: keep(stack(get(`${p}pwconv2.weight`).map((w) => w.mT), 0)), b2: keep(stack(get(`${p}pwconv2.bias`), 0).unsqueeze(1)),
    });
  }
  // downsampling: LayerNorm affine (lw, lb) and OutBatchNorm (scale s, shift) folded into the 2x2 conv
  const d = `${BB}encoder.stages.1.downsampling_layer.`;
  const dlw = get(`${d}0.weight`), dlb = get(`${d}0.bias`), dW = get(`${d}1.weight`), dB = get(`${d}1.bias`);
  const bnEps = members[0]!.core.outBn.eps;
  const bnW = get('core.features.OutBatchNorm.weight'), bnB = get('core.features.OutBatchNorm.bias');
  const bnM = get('core.features.OutBatchNorm.running_mean'), bnV = get('core.features.OutBatchNorm.running_var');
  const downW: Tensor[] = [], downB: Tensor[] = [];
  for (let m = 0; m < M; m++) {
    const s = bnW[m]!.div(bnV[m]!.add(bnEps).sqrt()); // (C1)
    const wl = dW[m]!.mul(dlw[m]!.reshape([1, C0, 1, 1])); // (C1, C0, 2, 2)
    const bl = dW[m]!.mul(dlb[m]!.reshape([1, C0, 1, 1])).sum([1, 2, 3]).add(dB[m]!);
    downW.push(wl.mul(s.reshape([C1, 1, 1, 1])));
    downB.push(bl.sub(bnM[m]!).mul(s).add(bnB[m]!));
  }
  const N = members[0]!.readout.neurons;
  return {
    M, C0, C1,
    stemW: cat(`${BB}embeddings.patch_embeddings.weight`), stemB: cat(`${BB}embeddings.patch_embeddings.bias`),
    lnW: keep(stack(get(`${BB}embeddings.layernorm.weight`), 0).reshape([1, M, C0, 1, 1])),
    lnB: keep(stack(get(`${BB}embeddings.layernorm.bias`), 0).reshape([1, M, C0, 1, 1])),
    blocks,
    downW: keep(concat(downW, 0)), downB: keep(concat(downB, 0)), bnEps,
    F: keep(stack(get('readout.all_sessions._features').map((f) => f.reshape([C1, N])), 0)), // (M, C1, N)
    fb: keep(stack(get('readout.all_sessions.bias'), 0).unsqueeze(1)), // (M, 1, N)
  };
}
