// Image spaces for evolution: a space maps a batch of codes (B, dim) to images. Pixel and Fourier spaces reuse
// synthesis's parameterisations (their image-from-parameters path), so their images are already in model space;
// generator spaces (fc6; BigGAN later) implement the same interface and pass their (B, 3, 256, 256) [0, 1] images
// through the twin's screening preprocessing. finishForTwin is the last step every space shares: the aperture,
// then each image's L2 norm set to the twin's norm, as synthesis does with --aperture.
import { Tensor, type Backend } from '../../tensor/index.js';
import type { Parameterization } from '../synthesis/parameterization.js';
import { normalizeEach } from '../synthesis/transforms.js';
import { InputError } from '../../errors.js';

export interface ImageSpace {
  readonly name: string;
  /** length of one code */
  readonly dim: number;
  /** the code evolution starts from (dim values) */
  initCode(): Float64Array;
  /** images (B, C, S, S) from codes (B, dim); before the aperture and norm */
  images(codes: Tensor): Tensor;
  dispose(): void;
}

/** A pixel or Fourier parameterisation of synthesis as an evolution space: the code is the flattened parameters. */
export class ParameterizationSpace implements ImageSpace {
  readonly name: string;
  readonly dim: number;
  private constructor(readonly param: Parameterization, private readonly paramShape: number[], private readonly init: Float32Array) {
    this.name = param.kind;
    this.dim = paramShape.reduce((a, b) => a * b, 1);
  }
  /** the space of `param`; its init code is the parameterisation's own start for `seed` */
  static async create(param: Parameterization, backend: Backend, seed = 0n): Promise<ParameterizationSpace> {
    const p0 = param.init([seed], backend);
    try { return new ParameterizationSpace(param, p0.shape.slice(1), await p0.dataF32()); } finally { p0.dispose(); }
  }
  initCode(): Float64Array { return Float64Array.from(this.init); }
  images(codes: Tensor): Tensor {
    if (codes.shape.length !== 2 || codes.shape[1] !== this.dim) throw new InputError(`${this.name} space: codes must be (B, ${this.dim}), got [${codes.shape.join(', ')}]`);
    const p = codes.reshape([codes.shape[0], ...this.paramShape]);
    const img = this.param.image(p);
    p.dispose();
    return img;
  }
  dispose(): void { this.param.dispose(); }
}

/** aperture (1, 1, S, S) or null, then each image's L2 norm set to `norm` */
export function finishForTwin(images: Tensor, aperture: Tensor | null, norm: number): Tensor {
  if (!(norm > 0)) throw new InputError(`the twin's norm must be > 0, got ${norm}`);
  if (!aperture) return normalizeEach(images, norm);
  const masked = images.mul(aperture);
  const out = normalizeEach(masked, norm);
  masked.dispose();
  return out;
}
