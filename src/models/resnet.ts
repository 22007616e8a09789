// torchvision's ResNet with Bottleneck blocks (v1.5: stride on the 3x3 conv) and its state-dict key names
// (conv1, bn1, layer1.0.conv1, ..., layerN.0.downsample.{0,1}, fc). `truncateAfter` keeps everything up to and
// including a named module, as upstream's clip_model('layer3.0') does for the V4 twins.
import { type Backend, Tensor } from '../tensor/index.js';
import { Module, Sequential } from '../nn/module.js';
import { BatchNorm2d, Conv2d, Linear, MaxPool2d, ReLU } from '../nn/layers.js';
import { Cut } from './truncation.js';
import { FoldedSequential } from '../nn/folded-sequential.js';
import { ShapeError } from '../errors.js';

export class Bottleneck extends Module {
  static readonly expansion = 4;
  private readonly parts: { conv1: Conv2d; bn1: BatchNorm2d; conv2: Conv2d; bn2: BatchNorm2d; conv3: Conv2d; bn3: BatchNorm2d; relu: ReLU };
  private readonly downsample: FoldedSequential | null;
  constructor(inplanes: number, planes: number, stride: number, downsample: boolean, backend?: Backend) {
    super(backend);
    const out = planes * Bottleneck.expansion;
    this.parts = {
      conv1: this.module('conv1', new Conv2d(inplanes, planes, 1, { bias: false }, backend)),
      bn1: this.module('bn1', new BatchNorm2d(planes, 1e-5, 0.1, backend)),
      conv2: this.module('conv2', new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false }, backend)),
      bn2: this.module('bn2', new BatchNorm2d(planes, 1e-5, 0.1, backend)),
      conv3: this.module('conv3', new Conv2d(planes, out, 1, { bias: false }, backend)),
      bn3: this.module('bn3', new BatchNorm2d(out, 1e-5, 0.1, backend)),
      // torchvision calls its one `relu` module three times; only the last call (the block's output) goes through
      // the module here, so a hook on layerN.i.relu sees what PyTorch's forward hook keeps last
      relu: this.module('relu', new ReLU(backend)),
    };
    if (downsample) {
      const conv = new Conv2d(inplanes, out, 1, { stride, bias: false }, backend), bn = new BatchNorm2d(out, 1e-5, 0.1, backend);
      this.downsample = this.module('downsample', new FoldedSequential([conv, bn], backend)); // keys downsample.0, downsample.1
    } else this.downsample = null;
  }
  forward(x: Tensor): Tensor {
    const p = this.parts;
    // (bn.after(conv, x) = bn(conv(x)), folded into one convolution in eval mode)
    let h = p.bn1.after(p.conv1, x).relu();
    h = p.bn2.after(p.conv2, h).relu();
    h = p.bn3.after(p.conv3, h);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return p.relu.forward(h.add(identity));
  }
}

export const RESNET_LAYERS: Record<string, number[]> = { resnet50: [3, 4, 6, 3], resnet101: [3, 4, 23, 3], resnet152: [3, 8, 36, 3] };

export class ResNet extends Module {
  private readonly seq: Module[] = [];
  private readonly fc: Linear | null = null;
  constructor(layers: number[], opts: { numClasses?: number; truncateAfter?: string; backend?: Backend } = {}) {
    super(opts.backend);
    const b = opts.backend;
    const cut = new Cut({ after: opts.truncateAfter });
    const add = <M extends Module>(name: string, m: () => M): M | null => {
      if (!cut.keeps(name)) return null;
      const mod = this.module(name, m());
      this.seq.push(mod);
      return mod;
    };
    add('conv1', () => new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }, b));
    add('bn1', () => new BatchNorm2d(64, 1e-5, 0.1, b));
    add('relu', () => new ReLU(b));
    add('maxpool', () => new MaxPool2d(3, 2, 1, b));
    let inplanes = 64;
    layers.forEach((n, li) => {
      const name = `layer${li + 1}`;
      if (!cut.keeps(name)) return;
      const planes = 64 * 2 ** li, stride = li === 0 ? 1 : 2;
      const blocks: Bottleneck[] = [];
      for (let i = 0; i < n; i++) {
        if (!cut.keeps(`${name}.${i}`)) break;
        blocks.push(new Bottleneck(inplanes, planes, i === 0 ? stride : 1, i === 0, b));
        for (const sub of ['conv1', 'bn1', 'conv2', 'bn2', 'conv3', 'bn3', 'relu', ...(i === 0 ? ['downsample', 'downsample.0', 'downsample.1'] : [])]) cut.keeps(`${name}.${i}.${sub}`);
        inplanes = planes * Bottleneck.expansion;
      }
      const layer = this.module(name, new Sequential(blocks, b));
      this.seq.push(layer);
    });
    add('avgpool', () => new GlobalAvgPool(b));
    if (cut.keeps('fc')) this.fc = this.module('fc', new Linear(inplanes, opts.numClasses ?? 1000, true, b));
    if (opts.truncateAfter && !cut.isCut) throw new ShapeError(`ResNet: no module named '${opts.truncateAfter}' to truncate after`);
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.seq.length; i++) {
      const m = this.seq[i], next = this.seq[i + 1];
      if (m instanceof Conv2d && next instanceof BatchNorm2d) { h = next.after(m, h); i++; } // the stem, folded in eval mode
      else h = m.forward(h);
    }
    return this.fc ? this.fc.forward(h.flatten(1)) : h;
  }
}

class GlobalAvgPool extends Module { forward(x: Tensor): Tensor { return x.mean([2, 3], true); } }

export function resnet50(opts: { truncateAfter?: string; backend?: Backend; numClasses?: number } = {}): ResNet {
  return new ResNet(RESNET_LAYERS.resnet50, opts);
}
