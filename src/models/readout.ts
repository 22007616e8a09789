// FullGaussian2d readout of neuralpredictors in eval mode (what the DualNeuron twins use): each neuron reads
// the core's feature map at its learned position mu (clamped to [-1, 1]; bilinear grid_sample with
// align_corners=True and zero padding; sigma is unused at eval) and takes a weighted sum over channels plus bias.
// Parameter names and shapes as the checkpoints: _mu (1,N,1,2), sigma (1,N,1,1), _features (1,C,1,N), bias (N).
import { type Backend, Tensor, gridSample } from '../tensor/index.js';
import { Module } from '../nn/module.js';

export class FullGaussian2d extends Module {
  /** read every neuron at the centre of the feature map (upstream's centered=True: mu = 0) */
  centered = false;
  constructor(readonly channels: number, readonly neurons: number, backend?: Backend) {
    super(backend);
    this.param('_mu', [1, neurons, 1, 2]);
    this.param('sigma', [1, neurons, 1, 1]);
    this.param('_features', [1, channels, 1, neurons]);
    this.param('bias', [neurons]);
  }

  /** feat (B, C, H, W) -> (B, N) */
  forward(feat: Tensor): Tensor {
    const [B, C, H, W] = feat.shape;
    const F = this.get('_features').reshape([C, this.neurons]);
    let v: Tensor; // (B, C, N) or (B, C)
    if (this.centered && H % 2 === 1 && W % 2 === 1) {
      // grid (0, 0) with align_corners=True lands exactly on pixel ((H-1)/2, (W-1)/2): no interpolation
      v = feat.select(3, (W - 1) / 2).select(2, (H - 1) / 2); // (B, C)
      return v.matmul(F).add(this.get('bias'));
    }
    const mu = this.centered ? this.get('_mu').zerosLike() : this.get('_mu').clamp(-1, 1);
    const grid = mu.expand([B, this.neurons, 1, 2]);
    v = gridSample(feat, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: true }).reshape([B, C, this.neurons]);
    return v.mul(F).sum(1).add(this.get('bias'));
  }
}
