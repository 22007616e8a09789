// The simulated population as differentiable tensor ops (neuron.ts has the formula and the float64 host
// version): one matrix of filters (4 per neuron: excitatory cos/sin, suppressive cos/sin) and per-neuron
// coefficients. forward() gives every neuron's rate to every image, so the population can stand in for a twin
// (it has the synthesis engine's Model shape); perNeuron() gives each neuron's rate to its own images only, which
// is what the MEI/LEI optimisation of many neurons at once needs (4 dot products per image instead of 4N).
import { Tensor, keep, type Backend } from '../../tensor/index.js';
import { ShapeError } from '../../errors.js';
import { HostNeuron, type NeuronParams } from './neuron.js';

export class PopulationModel {
  readonly count: number;
  /** (N, 4, S*S): per neuron e cos, e sin, s cos, s sin */
  private readonly filters: Tensor;
  /** (N) each: kappa_e, kappa_s, alpha_e, alpha_s, beta, rho */
  private readonly coef: Record<'ke' | 'ks' | 'ae' | 'as' | 'beta' | 'rho', Tensor>;

  constructor(readonly params: readonly NeuronParams[], readonly size: number, readonly backend: Backend) {
    const N = params.length, P = size * size;
    this.count = N;
    const f = new Float32Array(N * 4 * P);
    params.forEach((p, n) => new HostNeuron(p, size).filters.forEach((g, j) => f.set(g, (n * 4 + j) * P)));
    this.filters = keep(Tensor.from(f, [N, 4, P], { backend }));
    const vec = (get: (p: NeuronParams) => number) => keep(Tensor.from(params.map(get), [N], { backend }));
    this.coef = {
      ke: vec((p) => p.excitatory.invariance), ks: vec((p) => p.suppressive.invariance),
      ae: vec((p) => p.exc_gain), as: vec((p) => p.sup_gain), beta: vec((p) => p.baseline_drive), rho: vec((p) => p.rate_scale),
    };
  }

  private flat(x: Tensor): Tensor {
    const P = this.size * this.size;
    if (x.size % P !== 0 || x.shape.slice(-2).join() !== `${this.size},${this.size}`) {
      throw new ShapeError(`simulated population: images must be (..., ${this.size}, ${this.size}), got [${x.shape.join(', ')}]`);
    }
    return x.reshape([x.size / P, P]);
  }

  /** rates (or drives) from projections (..., 4) and coefficients broadcast to (...) */
  private static rates(proj: Tensor, c: Record<'ke' | 'ks' | 'ae' | 'as' | 'beta' | 'rho', Tensor>, output: 'rate' | 'drive' = 'rate'): Tensor {
    const [ce, qe, cs, qs] = [0, 1, 2, 3].map((j) => proj.select(-1, j));
    const sub = (cc: Tensor, qq: Tensor, k: Tensor) => cc.square().add(qq.square()).mul(k).add(cc.relu().square().mul(k.neg().add(1)));
    const u = c.beta.add(sub(ce, qe, c.ke).mul(c.ae)).sub(sub(cs, qs, c.ks).mul(c.as));
    return output === 'drive' ? u : u.softplus().mul(c.rho);
  }

  // No tidy inside forward/diagonal: disposing intermediates would cut the autograd graph; callers tidy.

  /** Rates (spikes/s) of every neuron to contrast images (B, [1,] S, S) -> (B, N). */
  forward(x: Tensor): Tensor {
    const xf = this.flat(x), B = xf.shape[0];
    const proj = xf.matmul(this.filters.reshape([this.count * 4, this.size * this.size]), { transB: true }).reshape([B, this.count, 4]);
    return PopulationModel.rates(proj, this.coef);
  }

  /**
   * Rates (or drives) of images (M, K, [1,] S, S) -> (M, K), image (m, k) seen by neuron first + m only: the
   * MEI/LEI optimisation's K runs per neuron. Elementwise products and a sum (the filters are a view, not
   * copied); a batched matmul of (4 x P) by (P x K) per neuron was 100x slower on lavapipe.
   */
  perNeuron(x: Tensor, first: number, output: 'rate' | 'drive' = 'rate'): Tensor {
    const P = this.size * this.size, M = x.shape[0];
    if (x.rank < 3 || !Number.isInteger(first) || first < 0 || first + M > this.count || x.size % (M * P) !== 0) {
      throw new ShapeError(`simulated population: perNeuron takes (M, K, ${this.size}, ${this.size}) images for neurons first..first+M-1 of ${this.count}, got [${x.shape.join(', ')}] from ${first}`);
    }
    const K = x.size / (M * P);
    this.flat(x);
    const F = this.filters.slice([[first, first + M]]).reshape([M, 1, 4, P]);
    const proj = x.reshape([M, K, 1, P]).mul(F).sum(3); // (M, K, 4)
    const c = Object.fromEntries(Object.entries(this.coef).map(([k, v]) => [k, v.slice([[first, first + M]]).reshape([M, 1])])) as typeof this.coef;
    return PopulationModel.rates(proj, c, output);
  }

  dispose(): void {
    this.filters.dispose();
    Object.values(this.coef).forEach((t) => t.dispose());
  }
}
