// The pixel space of a trained twin folder for evolution: a code p (C*H*W, the twin's own size, any aspect) is an
// image u = sigmoid(p) in [0, 1], then mapped into the twin's model space as its training images were,
// (u - mean) / std (twin.json). The square pixel parameterisation of the DualNeuron twins (synthesis) cannot
// take a trained twin's H x W; the start is the same: p ~ N(0, 0.05^2) from the init stream of seed 0.
import { Tensor, randomRows, type Backend } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { STREAM, streamSeed } from '../synthesis/parameterization.js';
import type { ImageSpace } from './spaces.js';

export class UnitPixelSpace implements ImageSpace {
  readonly name = 'pixel';
  readonly dim: number;
  private constructor(readonly shape: readonly [number, number, number], readonly mean: number, readonly std: number, private readonly init: Float32Array) {
    this.dim = shape[0] * shape[1] * shape[2];
  }

  static async create(shape: readonly [number, number, number], norm: { mean: number; std: number }, backend: Backend, initStd = 0.05): Promise<UnitPixelSpace> {
    if (!(norm.std > 0) || !Number.isFinite(norm.mean)) throw new InputError(`pixel space: the input normalisation needs a finite mean and a std > 0, got ${norm.mean}, ${norm.std}`);
    const p0 = randomRows('normal', [streamSeed(0n, STREAM.init)], shape, { backend, std: initStd });
    try { return new UnitPixelSpace(shape, norm.mean, norm.std, await p0.dataF32()); } finally { p0.dispose(); }
  }

  initCode(): Float64Array { return Float64Array.from(this.init); }

  images(codes: Tensor): Tensor {
    if (codes.shape.length !== 2 || codes.shape[1] !== this.dim) throw new InputError(`pixel space: codes must be (B, ${this.dim}), got [${codes.shape.join(', ')}]`);
    const p = codes.reshape([codes.shape[0]!, ...this.shape]);
    const u = p.sigmoid();
    const x = u.sub(this.mean).mul(1 / this.std);
    p.dispose(); u.dispose();
    return x;
  }

  dispose(): void {}
}
