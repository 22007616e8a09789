// A tiny hand-made objective for the evolution runner tests (no ../shared needed): 6 x 6 gray images, a
// Gaussian aperture, norm 3, and a "twin" of K neurons r_k = elu(<x, w_k> - 1) + 1 with seeded weights w_k,
// so the runner is tested end to end and every score can be recomputed on the host in float64.
import { Tensor, type Backend } from '../../src/tensor/index.js';
import { PixelParameterization } from '../../src/dualneuron/synthesis/parameterization.js';
import { FourierParameterization } from '../../src/dualneuron/synthesis/fourier.js';
import { ParameterizationSpace, type ImageSpace } from '../../src/dualneuron/evolve/spaces.js';
import { TwinObjective, type ResponseModel } from '../../src/dualneuron/evolve/objective.js';
import { makeOptimizer, optimizerSeed } from '../../src/dualneuron/evolve/optimizer-factory.js';
import { spaceStream } from '../../src/dualneuron/evolve/space-factory.js';
import { runEvolution, type RunnerOptions } from '../../src/dualneuron/evolve/runner.js';
import type { OptimizerName } from '../../src/dualneuron/evolve/run-options.js';
import { seededValues } from '../helpers/backends.js';
import { join } from 'node:path';
import { shardConfig, shardPart, shardRecord } from '../../src/dualneuron/evolve/shard.js';
import { startRecord, finishRecord } from '../../src/dualneuron/run-record.js';
import type { ShardSpec } from '../../src/dualneuron/screening/screen.js';

export const S = 6, K = 5, NORM = 3;
export const RANGE: [number, number] = [-1, 1];
export const WEIGHTS = seededValues(K * S * S, 77);
export const APERTURE = Float32Array.from({ length: S * S }, (_, i) => {
  const y = Math.floor(i / S) - 2.5, x = (i % S) - 2.5;
  return Math.exp(-(x * x + y * y) / 8);
});

export class TinyTwin implements ResponseModel {
  private readonly w: Tensor;
  constructor(backend: Backend) { this.w = Tensor.from(WEIGHTS, [K, S * S], { backend }); }
  forward(x: Tensor): Tensor {
    const flat = x.reshape([x.shape[0], S * S]);
    const r = flat.matmul(this.w.transpose(0, 1)).sub(1).elu(1).add(1);
    flat.dispose();
    return r;
  }
  dispose(): void { this.w.dispose(); }
}

/** the tiny twin's responses to one model-space image, in float64 on the host (the oracle) */
export function hostResponses(img: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: K }, (_, k) => {
    let s = 0;
    for (let i = 0; i < S * S; i++) s += img[i] * WEIGHTS[k * S * S + i];
    const u = s - 1;
    return (u > 0 ? u : Math.expm1(u)) + 1;
  });
}

/** a pixel code's twin input in float64: sigmoid range, aperture, L2 norm NORM (finishForTwin's 1e-8 guard included) */
export function hostPixelImage(code: ArrayLike<number>): Float64Array {
  const y = Float64Array.from({ length: S * S }, (_, i) => (RANGE[0] + (RANGE[1] - RANGE[0]) / (1 + Math.exp(-code[i]))) * APERTURE[i]);
  const n = Math.sqrt(y.reduce((a, v) => a + v * v, 0)) + 1e-8;
  return y.map((v) => (NORM * v) / n);
}

export async function tinySpaces(backend: Backend, which: ('pixel' | 'fourier')[] = ['pixel', 'fourier']): Promise<ImageSpace[]> {
  const prior = { dtype: 'f32' as const, shape: [1, S, S], data: Float32Array.from({ length: S * S }, (_, i) => 1 / (1 + Math.hypot(Math.min(i % S, S - (i % S)), Math.min(Math.floor(i / S), S - Math.floor(i / S))))) };
  const out: ImageSpace[] = [];
  for (const w of which) {
    out.push(await ParameterizationSpace.create(w === 'pixel'
      ? new PixelParameterization({ channels: 1, size: S, initStd: 0.05, valuesRange: RANGE, blurGradient: false })
      : new FourierParameterization({ prior, size: S, valuesRange: [-2, 2], rangeFn: 'sigmoid' }), backend));
  }
  return out;
}

export interface TinyRun { out: string; neurons: number[]; seeds?: number; optimizer?: OptimizerName; generations: number; pop?: number; noise?: number; saveEvery?: number; stopAfter?: number; batch?: number; spaces?: ('pixel' | 'fourier')[]; handleSignals?: boolean;
  /** run shard k of n, and write run.json as the CLI does (what `merge` reads) */
  shard?: ShardSpec; record?: boolean }

/** one run of the runner on the tiny twin, with the CLI's thread plan (optimiser factory, seeds, widths) */
export async function tinyRun(r: TinyRun, backend: Backend) {
  const model = new TinyTwin(backend);
  const objective = new TwinObjective({ model, neurons: K, inputShape: [1, S, S], aperture: APERTURE, norm: NORM, batch: r.batch ?? 64, backend });
  const spaces = await tinySpaces(backend, r.spaces);
  const optimizer = r.optimizer ?? 'cholcma', pop = r.pop ?? 6, sigma0 = 0.5;
  const part = shardPart(r.neurons, r.seeds ?? 1, r.shard);
  const rec = startRecord('evolve', { ...r }, backend.describe());
  const o: RunnerOptions = {
    out: r.out, objective, neurons: r.neurons, seeds: r.seeds ?? 1, jobs: part.jobs, spaces, generations: r.generations,
    noise: r.noise ? { eta: r.noise } : null, config: shardConfig({ test: 'tiny', optimizer, pop, generations: r.generations, neurons: r.neurons, noise: r.noise ?? 0 }, r.shard),
    saveEvery: r.saveEvery ?? 60, stopAfter: r.stopAfter, handleSignals: r.handleSignals,
    plan: (neuron, seed, space) => {
      const stream = spaceStream(space.name);
      return {
        optimizer: makeOptimizer({ optimizer, dim: space.dim, init: space.initCode(), pop, sigma0, sphereNorm: sigma0 * Math.sqrt(space.dim), seed: optimizerSeed(neuron, stream, seed) }),
        width: optimizer === 'spherecma' ? pop + 1 : pop, stream,
      };
    },
  };
  try {
    const res = await runEvolution(o);
    if (r.record && res.complete) finishRecord(rec, join(r.out, 'run.json'), { config: o.config, generations: res.generationsDone, evaluations: res.evaluations, threads: part.jobs.length * spaces.length, ...shardRecord(part) });
    return res;
  } finally {
    for (const s of spaces) s.dispose();
    objective.dispose();
    model.dispose();
  }
}
