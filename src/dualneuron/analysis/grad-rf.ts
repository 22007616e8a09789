// Gradient receptive fields (Wang & Ponce's grad_RF_estim, written from its definition): for each neuron the mean
// over noise images of |d response / d pixel|, averaged over channels:
//   map[y, x] = (1 / count) * sum over images i with |r_i| > 1e-8 of mean_c |d r_i / d x_i[c, y, x]|.
// Images whose response is 0 (torch.isclose(act, 0): |r| <= 1e-8) are skipped as upstream does (a ReLU unit that
// the image leaves silent has no gradient). The noise images are the same for every neuron: uniform in
// [-amplitude, amplitude] (grad_RF_estim's torch.rand * 2 - 1 for amplitude 1) or normal with sd amplitude, from
// the library's seeded generator (the same numbers on WebGPU and on the float64 CPU backend).
// One forward/backward pass serves a batch of (neuron, image) pairs: the loss sum_b r[b, neuron_b] gives each
// image of the batch the gradient of its own neuron (images of a batch do not interact in eval mode).
import { type Backend, Generator, Tensor, rand, randn, tidy } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { Progress } from '../../util/progress.js';

export type RfNoise = 'uniform' | 'normal';

export interface GradRfOptions {
  /** (B, C, H, W) -> (B, outputs) */
  forward: (x: Tensor) => Tensor;
  backend: Backend;
  /** the model input (C, H, W) */
  shape: readonly [number, number, number];
  outputs: number;
  neurons: number[];
  /** noise images per neuron (grad_RF_estim: reps = 200) */
  images: number;
  noise: RfNoise;
  amplitude: number;
  seed: bigint;
  /** (neuron, image) pairs per forward/backward pass */
  batch: number;
  progress?: boolean;
}

export interface GradRf {
  /** per neuron, (H, W) float64 */
  maps: Float64Array[];
  /** per neuron, images with a non-zero response (the divisor) */
  counts: number[];
  /** per neuron, the mean response over the noise images */
  meanResponse: number[];
}

/** The noise images (images, C, H, W) on the host. */
export async function noiseImages(o: Pick<GradRfOptions, 'backend' | 'shape' | 'images' | 'noise' | 'amplitude' | 'seed'>): Promise<Float32Array> {
  const shape = [o.images, ...o.shape], generator = new Generator(o.seed);
  const t = o.noise === 'uniform' ? rand(shape, { generator, low: -o.amplitude, high: o.amplitude, backend: o.backend }) : randn(shape, { generator, std: o.amplitude, backend: o.backend });
  const v = Float32Array.from(await t.data());
  t.dispose();
  return v;
}

export async function gradientRf(o: GradRfOptions): Promise<GradRf> {
  const [C, H, W] = o.shape, per = C * H * W, hw = H * W;
  if (!(o.images >= 1)) throw new InputError(`gradient RF: --images must be >= 1, got ${o.images}`);
  for (const n of o.neurons) if (!Number.isInteger(n) || n < 0 || n >= o.outputs) throw new InputError(`gradient RF: neuron ${n} is out of range 0..${o.outputs - 1}`);
  const noise = await noiseImages(o);
  const maps = o.neurons.map(() => new Float64Array(hw)), counts = o.neurons.map(() => 0), sums = o.neurons.map(() => 0);
  const pairs: [number, number][] = [];
  o.neurons.forEach((_, k) => { for (let i = 0; i < o.images; i++) pairs.push([k, i]); });
  const bar = o.progress ? new Progress({ total: pairs.length, unit: 'images', label: 'gradient RF' }) : null;
  const B = Math.max(1, o.batch);
  for (let s = 0; s < pairs.length; s += B) {
    const chunk = pairs.slice(s, s + B), b = chunk.length;
    const x = new Float32Array(b * per), pick = new Float32Array(b * o.outputs);
    chunk.forEach(([k, i], j) => { x.set(noise.subarray(i * per, (i + 1) * per), j * per); pick[j * o.outputs + o.neurons[k]] = 1; });
    const { r, g } = tidy(() => {
      const xt = Tensor.from(x, [b, C, H, W], { backend: o.backend }).requiresGrad_();
      const y = o.forward(xt).mul(Tensor.from(pick, [b, o.outputs], { backend: o.backend }));
      y.sum().backward();
      return { r: y.sum(1).detach(), g: xt.grad!.abs().mean(1) };
    });
    const [rv, gv] = [await r.data(), await g.data()];
    r.dispose(); g.dispose();
    chunk.forEach(([k], j) => {
      sums[k] += rv[j];
      if (!(Math.abs(rv[j]) > 1e-8)) return;
      counts[k]++;
      const m = maps[k];
      for (let p = 0; p < hw; p++) m[p] += gv[j * hw + p];
    });
    bar?.tick(b);
  }
  bar?.finish();
  maps.forEach((m, k) => { if (counts[k]) for (let p = 0; p < hw; p++) m[p] /= counts[k]; });
  return { maps, counts, meanResponse: sums.map((v) => v / o.images) };
}
