// Hessian-vector products of the image-space distance d(z) = ||G(z) - G(z0)||^2 of the DeePSim fc6 generator at
// z0: H = 2 J^T J, J = dG/dz at z0 (G the [0, 1] RGB image, 3 x 256 x 256 per code). HessCMA takes the top-k
// eigenvectors of H (Lanczos, lanczos.ts) as its search space (upstream HessCMAES.set_Hessian; the GAN-geometry
// work of the same authors computes these Hessians by the same products).
//
// H v = 2 J^T (J v):
//  - J^T u is exact: one backward pass of <G(z0), u> through our autodiff.
//  - J v: our autodiff is reverse-mode only and its backward pass runs without recording a graph
//    (src/tensor/autograd.ts: VJPs run under noGrad), so there is no double backward and no forward mode to get it.
//    Two ways here: jv 'tangent' (default, exact; below) and jv 'fd', a central finite difference (upstream's
//    "ForwardIter" method), described next.
// The generator is piecewise linear in z (Linear, transposed convolutions, LeakyReLU, clamp), so the central
// difference is exact except where a LeakyReLU or the clamp changes side between z0 - eps v and z0 + eps v. The
// clamp is taken out of the difference: J v = M (raw(z0 + eps v) - raw(z0 - eps v)) / (2 eps 255), M the 0/1 mask of
// the pixels not clamped at z0, which is what the autodiff's clamp gradient uses. The rounding of the float32 codes
// z0 +- eps v is corrected exactly (applyBatch). What is left: LeakyReLU kinks crossed (an error ~ eps) against the
// float32 rounding of the activations (~ 1e-6 / eps on our WebGPU path). Measured on the width-1/32 generator
// (||z0|| 24, test/dualneuron/gan-hessian.test.ts) against the exact float64 Hessian, top-8 eigenvalues: WebGPU
// eps 1e-2: 4.5e-3, 3e-3: 3.5e-3, 1e-3: 1.5e-3, 3e-4: 6e-3, 1e-4: 1e-2 (rounding); float64 CPU backend eps 1e-4:
// 1e-4. Hence eps = DEFAULT_EPS_REL x max(1, rms(z0)), about 1e-3 for codes of unit-order entries.
//
// jv 'tangent' (the default) computes J v exactly instead (2e-7 on the same test, WebGPU), by forward-mode differentiation written out for this
// network: the tangent goes through each Linear and transposed convolution without its bias, times the LeakyReLU
// slope at z0 (1 or 0.3), flipped to RGB and masked by the clamp. It relies on the generator being DeePSim fc6
// (a chain of affine maps and LeakyReLUs); 'fd' only on G being a function of the code.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, InputError, ShapeError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { type Backend, Tensor, convTranspose2d, keep, linear, noGrad, tidy } from '../../tensor/index.js';
import { DEEPSIM_FC6_DECONVS, DEEPSIM_FC6_LINEARS, DEEPSIM_MEAN_RGB, DEEPSIM_NEGATIVE_SLOPE, type DeepSimFc6, leakyRelu } from '../../models/deepsim-fc6.js';

/** eps = DEFAULT_EPS_REL * max(1, rms(z0)), rms the root mean square of the code's entries */
export const DEFAULT_EPS_REL = 1e-3;

/** how J v is computed: exactly by a tangent pass (DeePSim fc6), or by central finite differences */
export type JvMethod = 'tangent' | 'fd';

export function defaultHessianEps(z0: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < z0.length; i++) s += z0[i] * z0[i];
  return DEFAULT_EPS_REL * Math.max(1, Math.sqrt(s / Math.max(1, z0.length)));
}

/** The operator v -> H v = 2 J^T J v of the DeePSim fc6 generator at z0, on the generator's backend. */
export class ImageDistanceHessian {
  readonly dimension: number;
  /** products computed so far (each is four codes through the generator and one forward + backward) */
  products = 0;
  private readonly z0: Float32Array;
  private maskScale: Tensor | null = null;

  private constructor(readonly model: DeepSimFc6, z0: ArrayLike<number>, readonly eps: number, readonly jv: JvMethod, private readonly backend: Backend) {
    this.dimension = model.codeDim;
    if (z0.length !== this.dimension) throw new ShapeError(`Hessian: the code has ${z0.length} values, the generator takes ${this.dimension}`);
    this.z0 = Float32Array.from(z0);
  }

  /** The operator at z0 (rounded to float32, as the generator sees it). */
  static async create(model: DeepSimFc6, z0: ArrayLike<number>, opts: { eps?: number; jv?: JvMethod } = {}): Promise<ImageDistanceHessian> {
    const eps = opts.eps ?? defaultHessianEps(z0);
    const jv = opts.jv ?? 'tangent';
    if (jv !== 'tangent' && jv !== 'fd') throw new ShapeError(`Hessian: jv must be 'tangent' or 'fd', got '${jv}'`);
    if (!(eps > 0) || !Number.isFinite(eps)) throw new ShapeError(`Hessian: eps must be a positive number, got ${eps}`);
    const h = new ImageDistanceHessian(model, z0, eps, jv, model.backend);
    await h.makeMask();
    return h;
  }

  /** M / 255: 1/255 where 0 < raw + mean < 255 at z0 (the clamp passes the gradient), 0 where it clamps */
  private async makeMask(): Promise<void> {
    const raw = noGrad(() => tidy(() => this.model.rawRgb(Tensor.from(this.z0, [1, this.dimension], { backend: this.backend }))));
    const d = await raw.dataF32();
    raw.dispose();
    const plane = d.length / 3, m = new Float32Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const x = d[i] + DEEPSIM_MEAN_RGB[Math.floor(i / plane)];
      m[i] = x > 0 && x < 255 ? 1 / 255 : 0;
    }
    this.maskScale = keep(Tensor.from(m, [1, ...raw.shape.slice(1)], { backend: this.backend }));
  }

  /** the fraction of pixels clamped at z0 (their rows of J are zero) */
  async clampedFraction(): Promise<number> {
    const m = await this.maskScale!.dataF32();
    return m.reduce((s, x) => s + (x === 0 ? 1 : 0), 0) / m.length;
  }

  async apply(v: Float64Array): Promise<Float64Array> {
    return (await this.applyBatch([v]))[0];
  }

  /** H v for several v at once: J v of all (a tangent pass of b + 1, or 4b codes through the generator), then one forward + backward of b codes. */
  async applyBatch(vs: readonly Float64Array[]): Promise<Float64Array[]> {
    const N = this.dimension, b = vs.length;
    if (!this.maskScale) throw new ShapeError('Hessian: the operator was disposed');
    const base = new Float32Array(b * N);
    for (let r = 0; r < b; r++) base.set(this.z0, r * N);
    for (const v of vs) if (v.length !== N) throw new ShapeError(`Hessian: a vector has ${v.length} values, the code ${N}`);
    const u = this.jv === 'tangent' ? this.tangent(vs) : this.finiteDifference(vs);
    return this.vjp(base, u, b);
  }

  /** J v exactly: the tangent of the raw output along each v (forward mode through the affine layers and slopes) */
  private tangent(vs: readonly Float64Array[]): Tensor {
    const N = this.dimension, b = vs.length, mask = this.maskScale!;
    const t0 = new Float32Array(b * N);
    vs.forEach((v, r) => t0.set(v, r * N));
    const sd = this.model.stateDict();
    const c = this.model.config.channels;
    return noGrad(() => tidy(() => {
      let h = Tensor.from(this.z0, [1, N], { backend: this.backend });
      let t = Tensor.from(t0, [b, N], { backend: this.backend });
      const slope = (pre: Tensor) => pre.gt(0).where(1, DEEPSIM_NEGATIVE_SLOPE);
      for (const name of DEEPSIM_FC6_LINEARS) {
        const pre = linear(h, sd.get(`${name}.weight`)!, sd.get(`${name}.bias`)!);
        t = linear(t, sd.get(`${name}.weight`)!, null).mul(slope(pre));
        h = leakyRelu(pre);
      }
      h = h.reshape([1, c[0], 4, 4]);
      t = t.reshape([b, c[0], 4, 4]);
      DEEPSIM_FC6_DECONVS.forEach(([name, k], i) => {
        const o = { stride: k === 4 ? 2 : 1, padding: 1 };
        const pre = convTranspose2d(h, sd.get(`${name}.weight`)!, sd.get(`${name}.bias`)!, o);
        t = convTranspose2d(t, sd.get(`${name}.weight`)!, null, o);
        if (i < DEEPSIM_FC6_DECONVS.length - 1) {
          t = t.mul(slope(pre));
          h = leakyRelu(pre);
        }
      });
      return t.flip([1]).mul(mask);
    }));
  }

  /** J v by central differences (see the header), refined for the rounding of the float32 codes */
  private finiteDifference(vs: readonly Float64Array[]): Tensor {
    const N = this.dimension, b = vs.length, eps = this.eps;
    // Float32 codes round z0 +- eps v: the difference of the two codes is 2 eps (v - r) with a small r (|r| / |v| ~
    // 1e-7 ||z0|| / eps), which would bias J v by J r. So each difference is refined once: r is known exactly
    // (float64 from the two float32 codes), and J r = |r| J (r / |r|) by a second central difference with the same
    // eps, whose own rounding leaves an error of order |r|^2. Four codes per vector, one generator call.
    const codes = new Float32Array(4 * b * N), rNorm = new Float32Array(b);
    const put = (block: number, r: number, dir: ArrayLike<number>) => {
      for (let i = 0; i < N; i++) {
        codes[(block * b + r) * N + i] = this.z0[i] + eps * dir[i];
        codes[((block + 1) * b + r) * N + i] = this.z0[i] - eps * dir[i];
      }
    };
    vs.forEach((v, r) => {
      put(0, r, v);
      const rest = new Float64Array(N);
      let rn = 0;
      for (let i = 0; i < N; i++) {
        rest[i] = v[i] - (codes[r * N + i] - codes[(b + r) * N + i]) / (2 * eps);
        rn += rest[i] * rest[i];
      }
      rn = Math.sqrt(rn);
      if (rn > 0) for (let i = 0; i < N; i++) rest[i] /= rn;
      put(2, r, rest);
      rNorm[r] = rn;
    });
    const mask = this.maskScale!;
    // u = J v (masked, scaled to the [0, 1] image) for each v
    return noGrad(() => tidy(() => {
      const raw = this.model.rawRgb(Tensor.from(codes, [4 * b, N], { backend: this.backend }));
      const pm = raw.reshape([4, b, ...raw.shape.slice(1)]);
      const refine = pm.select(0, 2).sub(pm.select(0, 3)).mul(Tensor.from(rNorm, [b, 1, 1, 1], { backend: this.backend }));
      return pm.select(0, 0).sub(pm.select(0, 1)).add(refine).mul(mask).mul(1 / (2 * eps));
    }));
  }

  /** 2 J^T u for each row of u: the gradient of sum(G(z0) * u) */
  private async vjp(base: Float32Array, u: Tensor, b: number): Promise<Float64Array[]> {
    const N = this.dimension;
    // J^T u: the gradient of sum(G(z0) * u) for each row
    const z = Tensor.from(base, [b, N], { backend: this.backend }).requiresGrad_();
    try {
      tidy(() => { this.model.forward(z).mul(u).sum().backward(); });
      const g = await z.grad!.dataF32();
      this.products += b;
      return Array.from({ length: b }, (_, r) => Float64Array.from(g.subarray(r * N, (r + 1) * N), (x) => 2 * x));
    } finally {
      z.grad?.dispose();
      z.dispose();
      u.dispose();
    }
  }

  dispose(): void {
    this.maskScale?.dispose();
    this.maskScale = null;
  }
}

/**
 * What `dualneuron gan-hessian` wrote in `dir`, in the layout HessCMA.create takes: eigenvalues descending (k) and
 * eigenvectors N x k row-major (column j belongs to eigenvalue j; the file stores them as rows, k x N). Use as
 * HessCMA.create({ dimension: N, eigenvalues, eigenvectors, topK, exponent, ... }).
 */
export function readGanHessian(dir: string): { eigenvalues: Float64Array; eigenvectors: Float64Array; k: number; n: number; info: Record<string, unknown> } {
  const where = (f: string) => join(dir, f);
  for (const f of ['eigvals.npy', 'eigvecs.npy']) {
    if (!existsSync(where(f))) throw new InputError(`${dir} has no ${f}: not a \`dualneuron gan-hessian --out\` folder, or that run did not finish`);
  }
  const ev = readNpy(where('eigvals.npy')), V = readNpy(where('eigvecs.npy'));
  if (ev.shape.length !== 1 || V.shape.length !== 2 || V.shape[0] !== ev.shape[0]) {
    throw new FormatError(`${dir}: eigvals.npy [${ev.shape.join(', ')}] and eigvecs.npy [${V.shape.join(', ')}] must be (k) and (k, N)`);
  }
  const [k, n] = V.shape;
  const eigenvalues = Float64Array.from(ev.data as ArrayLike<number>);
  const rows = V.data as ArrayLike<number>, eigenvectors = new Float64Array(n * k);
  for (let r = 0; r < k; r++) for (let i = 0; i < n; i++) eigenvectors[i * k + r] = rows[r * n + i];
  let info: Record<string, unknown> = {};
  if (existsSync(where('hessian.json'))) info = JSON.parse(readFileSync(where('hessian.json'), 'utf8')) as Record<string, unknown>;
  return { eigenvalues, eigenvectors, k, n, info };
}
