// A DualNeuron digital twin member (nnvision's EncoderShifter without shifter): core -> final BatchNorm ->
// GELU (V1) or ReLU (V4) -> Gaussian readout -> ELU(r - 1) + 1, and the ensemble that averages members'
// outputs (mei's EnsembleModel). Key names follow the upstream checkpoints exactly.
import { type Backend, Tensor } from '../../tensor/index.js';
import { Module, ModuleDict, type StateDict, type LoadReport } from '../../nn/module.js';
import { BatchNorm2d } from '../../nn/layers.js';
import { ShapeError } from '../../errors.js';
import { ConvNextV2, CONVNEXTV2_PRESETS } from '../convnextv2.js';
import { resnet50 } from '../resnet.js';
import { FullGaussian2d } from '../readout.js';
import { TWINS, type TwinId, type TwinSpec } from './registry.js';
import { StackedV1, canStack } from './stacked-v1.js';

/** The core of a twin: the truncated backbone plus the final BatchNorm, under upstream's key prefixes. */
class TwinCore extends Module {
  readonly backbone: Module;
  readonly outBn: BatchNorm2d;
  constructor(readonly spec: TwinSpec, backend?: Backend) {
    super(backend);
    const C = spec.coreShape[0];
    if (spec.core === 'convnextv2-atto-stage1') {
      this.backbone = new ConvNextV2(CONVNEXTV2_PRESETS.atto, { truncateAt: 'encoder.stages.1.layers.0', backend });
      // core.features.backbone.model.<HF keys>
      this.module('features', new ModuleDict({ backbone: new ModuleDict({ model: this.backbone }, backend), OutBatchNorm: (this.outBn = new BatchNorm2d(C, 1e-5, 0.1, backend)) }, backend));
    } else {
      this.backbone = resnet50({ truncateAfter: 'layer3.0', backend });
      this.module('features', new ModuleDict({ TaskDriven: this.backbone, OutBatchNorm: (this.outBn = new BatchNorm2d(C, 1e-5, 0.1, backend)) }, backend));
    }
  }
  forward(x: Tensor): Tensor {
    const [, c] = x.shape;
    // the cores take RGB: a gray twin repeats its one channel (upstream does the same inside the core)
    const rgb = c === 1 ? x.expand([x.shape[0], 3, x.shape[2], x.shape[3]]) : x;
    const h = this.outBn.forward(this.backbone.forward(rgb));
    return this.spec.finalNonlinearity === 'gelu' ? h.gelu() : h.relu();
  }
}

/** Upstream V4 checkpoints name layer3[0] '0' (clip_model's Sequential); map it to torchvision's layer3.0. */
function toOurKeys(spec: TwinSpec, sd: StateDict): StateDict {
  if (spec.core !== 'resnet50-layer3.0') return sd;
  const p = `${spec.backbonePrefix}0.`;
  return new Map([...sd].map(([k, v]) => [k.startsWith(p) ? `${spec.backbonePrefix}layer3.0.${k.slice(p.length)}` : k, v]));
}

export class TwinMember extends Module {
  readonly core: TwinCore;
  readonly readout: FullGaussian2d;
  constructor(readonly spec: TwinSpec, backend?: Backend) {
    super(backend);
    this.core = this.module('core', new TwinCore(spec, backend));
    this.readout = new FullGaussian2d(spec.coreShape[0], spec.neurons, backend);
    this.module('readout', new ModuleDict({ all_sessions: this.readout }, backend));
    this.eval();
  }

  set centered(v: boolean) { this.readout.centered = v; }
  get centered(): boolean { return this.readout.centered; }

  loadUpstream(sd: StateDict, source?: string): LoadReport {
    return this.loadStateDict(toOurKeys(this.spec, sd), { strict: true, source });
  }

  /** x (B, C, H, W) in model space -> responses (B, neurons), all > 0 */
  forward(x: Tensor): Tensor {
    checkInput(this.spec, x);
    const r = this.readout.forward(this.core.forward(x));
    return r.sub(1).elu(1).add(1);
  }
}

export function checkInput(spec: TwinSpec, x: Tensor): void {
  const [C, H, W] = spec.inputShape;
  if (x.rank !== 4 || x.shape[1] !== C || x.shape[2] !== H || x.shape[3] !== W) {
    throw new ShapeError(`the ${spec.id} twin (${spec.name}) takes input of shape (B, ${C}, ${H}, ${W}); got [${x.shape.join(', ')}]`);
  }
}

/** Several members evaluated on the same input; the output is the mean of their outputs. */
export class TwinEnsemble extends Module {
  constructor(readonly spec: TwinSpec, readonly members: TwinMember[], readonly memberIds: number[], backend?: Backend) {
    super(backend);
    members.forEach((m, i) => this.module(String(i), m));
  }
  set centered(v: boolean) { for (const m of this.members) m.centered = v; }
  get centered(): boolean { return this.members[0].centered; }
  /** the members' layers run once for all (stacked-v1.ts) where they can: the V1 twin in eval mode, centered */
  readonly stacked = new StackedV1();
  /**
   * true: stack where canStack allows; false: always run the members one after the other (tests compare both ways);
   * 'auto' (default): stack except on CPU adapters (lavapipe, SwiftShader), where the stacked step measured 1.5-2x
   * slower in wall time (larger working sets, per-member bias adds outside the matmul: docs/FUSED-KERNELS.md) while on
   * a GPU it saves ~700 dispatches of host time per synthesis step.
   */
  stacking: boolean | 'auto' = 'auto';
  forward(x: Tensor): Tensor {
    checkInput(this.spec, x);
    const stack = this.stacking === 'auto' ? !(x.backend as { isCpuAdapter?: boolean }).isCpuAdapter : this.stacking;
    if (stack && canStack(this.members)) return this.stacked.forward(this.members, x);
    let acc: Tensor | null = null;
    for (const m of this.members) {
      const y = m.forward(x);
      acc = acc ? acc.add(y) : y;
    }
    return acc!.mul(1 / this.members.length);
  }
  override dispose(): void { this.stacked.dispose(); super.dispose(); }
}

export function twinSpec(id: TwinId): TwinSpec { return TWINS[id]; }
