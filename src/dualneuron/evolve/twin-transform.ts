// The twin's screening preprocessing (`screen --preset rendered`: src/dualneuron/input/pipeline.ts and
// src/io/image/preprocess.ts) as differentiable tensor ops on a batch of generator images (B, 3, S, S) in [0, 1], so
// evolved images reach the twin as screened images do. Steps, as the host path: centre crop (torchvision CenterCrop
// on a PIL image: offset Python round((S - crop) / 2), halves to even; zero padding when crop > S), resize to the
// twin's size with PIL's antialiased bilinear filter, PIL 'L' grey for gray twins, ImageNet normalisation (one
// channel: 0.449 / 0.226). The aperture and the norm come after, in finishForTwin (spaces.ts), as for every space.
//
// Crop and resize are one linear map per axis: a (size x S) matrix whose row i holds PIL's bilinear weights for output
// i (bilinearCoeffs, the same formula the host resize uses) at the columns of the cropped window; columns outside
// the image are dropped, which is the zero padding. It is applied as two matmuls, X Mᵀ then M (X Mᵀ).
//
// Deliberate differences from the host path, which works on uint8: no rounding. PIL rounds to uint8 after each
// resize pass (in 22-bit fixed-point weights) and after convert('L'); here values stay float32, and the grey
// weights are PIL's exactly (19595, 38470, 7471) / 65536 without its rounding. Grey is taken before the resize
// (the host converts after it): both steps are linear, so without rounding the order does not matter, and one channel
// is cheaper to resize than three. A uint8 image gives the host's values within its rounding: at most 1/255
// per pixel for RGB twins and 1.5/255 for gray twins before normalisation (test/dualneuron/evolve-twin-transform).
import { Tensor, keep, tidy, type Backend } from '../../tensor/index.js';
import { bilinearCoeffs } from '../../io/image/resize.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../input/pipeline.js';
import type { TwinSpec } from '../../models/twins/registry.js';
import { InputError, ShapeError } from '../../errors.js';

/** The part of a twin spec the preprocessing reads: TwinSpec['screening']. */
export type ScreeningSpec = Pick<TwinSpec['screening'], 'crop' | 'size' | 'gray'>;

/** PIL's convert('L') weights (ITU-R 601-2 luma in 16-bit fixed point), exactly as the host's lumaPIL uses them. */
export const PIL_LUMA = [19595 / 65536, 38470 / 65536, 7471 / 65536] as const;
/** ImageNet normalisation of one grey channel, as the host pipeline. */
export const GRAY_MEAN = 0.449, GRAY_STD = 0.226;

/** torchvision CenterCrop's first kept index on a PIL image of `inSize` (negative: zero padding before the image). */
export function centerCropStart(inSize: number, crop: number): number {
  if (crop <= inSize) return halfRoundEven(inSize - crop);
  // padded by floor((crop - in) / 2) before, then cropped at round((padded - crop) / 2) = 0
  return -Math.floor((crop - inSize) / 2);
}

function halfRoundEven(d: number): number {
  if (d % 2 === 0) return d / 2;
  const k = (d - 1) / 2;
  return k % 2 === 0 ? k : k + 1;
}

/**
 * The (size x inSize) matrix, row-major, of centre crop to `crop` then PIL bilinear resize to `size`, in float64.
 * Without a resize (crop === size) it is the crop's selection matrix, as the host skips the resize.
 */
export function cropResizeMatrix(inSize: number, crop: number, size: number): Float64Array {
  for (const [k, v] of [['image size', inSize], ['crop', crop], ['size', size]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new InputError(`twin transform: ${k} must be a positive integer, got ${v}`);
  }
  const m = new Float64Array(size * inSize);
  const start = centerCropStart(inSize, crop);
  if (crop === size) {
    for (let i = 0; i < size; i++) { const j = start + i; if (j >= 0 && j < inSize) m[i * inSize + j] = 1; }
    return m;
  }
  const c = bilinearCoeffs(crop, size);
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < c.count[i]; k++) {
      const j = start + c.start[i] + k;
      if (j >= 0 && j < inSize) m[i * inSize + j] = c.weights[i * c.kmax + k];
    }
  }
  return m;
}

/** The screening preprocessing of one twin for generator images of one size; owns its small constant tensors. */
export class TwinTransform {
  /** output channels (1 for gray twins, else 3) */
  readonly channels: number;
  private constructor(
    readonly screening: ScreeningSpec,
    readonly imageSize: number,
    readonly backend: Backend,
    private readonly resize: Tensor, // (size, S)
    private readonly resizeT: Tensor, // (S, size)
    private readonly luma: Tensor | null, // (1, 3, 1, 1)
    private readonly mean: Tensor, // (1, C, 1, 1)
    private readonly std: Tensor, // (1, C, 1, 1)
  ) { this.channels = screening.gray ? 1 : 3; }

  /** `screening` is the twin spec's screening field; `imageSize` the generator's square image side (256). */
  static create(screening: ScreeningSpec, imageSize: number, backend: Backend): TwinTransform {
    const { crop, size, gray } = screening;
    const m = cropResizeMatrix(imageSize, crop, size);
    const mt = new Float64Array(m.length);
    for (let i = 0; i < size; i++) for (let j = 0; j < imageSize; j++) mt[j * size + i] = m[i * imageSize + j];
    const C = gray ? 1 : 3;
    // owned by the transform (disposed by dispose()), so kept out of any enclosing tidy scope
    const t = (v: ArrayLike<number>, shape: number[]) => keep(Tensor.from(v, shape, { backend }));
    return new TwinTransform(
      { crop, size, gray }, imageSize, backend,
      t(m, [size, imageSize]), t(mt, [imageSize, size]),
      gray ? t(PIL_LUMA, [1, 3, 1, 1]) : null,
      t(gray ? [GRAY_MEAN] : IMAGENET_MEAN, [1, C, 1, 1]),
      t(gray ? [GRAY_STD] : IMAGENET_STD, [1, C, 1, 1]),
    );
  }

  /** (B, 3, S, S) in [0, 1] -> (B, C, size, size) in model space, before the aperture and the norm. Differentiable. */
  apply(images: Tensor): Tensor {
    const S = this.imageSize;
    if (images.rank !== 4 || images.shape[1] !== 3 || images.shape[2] !== S || images.shape[3] !== S) {
      throw new ShapeError(`twin transform: images must be (B, 3, ${S}, ${S}) RGB in [0, 1], got [${images.shape.join(', ')}]`);
    }
    const run = () => {
      const x = this.luma ? images.mul(this.luma).sum(1, true) : images;
      const resized = this.resize.matmul(x.matmul(this.resizeT)); // rows: M (X Mᵀ)
      return resized.sub(this.mean).div(this.std);
    };
    // temporaries are disposed at once unless a gradient will flow back through them (then the caller's tidy does)
    return images.requiresGrad ? run() : tidy(run);
  }

  dispose(): void {
    for (const t of [this.resize, this.resizeT, this.luma, this.mean, this.std]) t?.dispose();
  }
}
