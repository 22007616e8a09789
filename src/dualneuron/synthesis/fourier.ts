// Fourier-phase parameterisation (upstream synthesis/ascend.py `buffer` and `precondition`, after Horama's
// MACO): a fixed natural-image magnitude spectrum M (unshifted full fft2 layout) and a learned phase phi;
// image = range(recolour(Re(ifft2(M * exp(i phi))))). phi is not Hermitian-symmetric; the real part symmetrises
// it. Three-channel images are decorrelated back to RGB with Horama's colour matrix.
import { Tensor, keep, polar, ifft2, fft2, real, angle, colorMatrix, interpolate, randomRows, type Backend } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import type { HostArray } from '../../io/host-array.js';
import { toFloat32 } from '../../io/host-array.js';
import { applyRange, repeatRows, STREAM, streamSeed, type Parameterization, type RangeFn } from './parameterization.js';

/** Horama's colour correlation: out_j = sum_i in_i * K[i][j] */
export const COLOR_CORRELATION = [
  [0.56282854, 0.5844758, 0.5844758],
  [0.19482528, 0, -0.19482528],
  [0.0432945, -0.10823626, 0.06494176],
];

export interface FourierOptions {
  /** magnitude spectrum (C, H, W) from priors/natural_{gray,rgb}.npy */
  prior: HostArray;
  /** image size; the prior is resized bilinearly (align_corners=False) when it differs, as upstream */
  size?: number;
  valuesRange: [number, number];
  rangeFn: RangeFn;
  /** optional (C, S, S) images whose Fourier phases start the runs (one per run, or one for all) */
  initImages?: Float32Array[];
  /** explicit initial phase (C*S*S, for every run) */
  initPhase?: Float32Array;
}

export class FourierParameterization implements Parameterization {
  readonly kind = 'fourier' as const;
  readonly shape: [number, number, number];
  private magnitude: Tensor | null = null;

  constructor(readonly opts: FourierOptions) {
    const p = opts.prior;
    if (p.shape.length !== 3 || (p.shape[0] !== 1 && p.shape[0] !== 3) || p.shape[1] !== p.shape[2]) {
      throw new InputError(`a Fourier prior must be (1 or 3, S, S); got [${p.shape.join(', ')}]`);
    }
    const size = opts.size ?? p.shape[1];
    if (!Number.isInteger(size) || size < 2) throw new InputError(`image size ${opts.size} cannot be made from a ${p.shape[1]}x${p.shape[2]} prior`);
    this.shape = [p.shape[0], size, size];
  }

  private mag(b: Backend): Tensor {
    if (!this.magnitude) {
      const p = this.opts.prior;
      let m = Tensor.from(toFloat32(p), p.shape, { backend: b });
      if (p.shape[1] !== this.shape[1]) {
        const r = interpolate(m.unsqueeze(0), { size: [this.shape[1], this.shape[2]], mode: 'bilinear', alignCorners: false }).squeeze(0);
        m.dispose();
        m = r;
      }
      this.magnitude = keep(m);
    }
    return this.magnitude;
  }

  init(seeds: readonly bigint[], backend: Backend): Tensor {
    this.mag(backend);
    if (this.opts.initPhase) return repeatRows(this.opts.initPhase, seeds.length, this.shape, backend);
    const init = this.opts.initImages;
    if (init && init.length) {
      const [C, S] = this.shape;
      if (init.length !== 1 && init.length !== seeds.length) throw new InputError(`give one init image or one per run (${seeds.length}), got ${init.length}`);
      const imgs = seeds.map((_, k) => init[init.length === 1 ? 0 : k]);
      for (const im of imgs) if (im.length !== C * S * S) throw new InputError(`an init image has ${im.length} values, expected ${C}x${S}x${S}`);
      const x = Tensor.from(Float32Array.from(imgs.flatMap((im) => Array.from(im))), [seeds.length, C, S, S], { backend });
      const z = fft2(x.unsqueeze(-1).pad([0, 1]));
      const phase = angle(z);
      x.dispose(); z.dispose();
      return phase;
    }
    return randomRows('uniform', seeds.map((s) => streamSeed(s, STREAM.init)), this.shape, { backend, low: -Math.PI, high: Math.PI });
  }

  image(phase: Tensor): Tensor {
    const M = this.mag(phase.backend);
    let img = real(ifft2(polar(M.expand(phase.shape), phase)));
    if (this.shape[0] === 3) img = colorMatrix(img, COLOR_CORRELATION);
    return applyRange(img, this.opts.rangeFn, this.opts.valuesRange);
  }

  gradient(g: Tensor): Tensor { return g; }

  dispose(): void {
    this.magnitude?.dispose();
    this.magnitude = null;
  }
}
