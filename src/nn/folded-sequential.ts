// A Sequential in which a Conv2d followed by a BatchNorm2d runs as one folded convolution in eval mode
// (BatchNorm2d.after): torchvision's VGG-BN `features` and ResNet's `downsample`, with PyTorch's keys and names.
import type { Tensor } from '../tensor/index.js';
import { Sequential } from './module.js';
import { BatchNorm2d, Conv2d } from './layers.js';

export class FoldedSequential extends Sequential {
  override forward(x: Tensor): Tensor {
    const f = this.layers;
    let h = x;
    for (let i = 0; i < f.length; i++) {
      const m = f[i], next = f[i + 1];
      if (m instanceof Conv2d && next instanceof BatchNorm2d) { h = next.after(m, h); i++; } else h = m.forward(h);
    }
    return h;
  }
}
