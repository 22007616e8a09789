// Gradient checks. For a function f of tensors, with L = sum(f(x) * w) for a fixed random cotangent w:
//  1. the float64 CPU oracle's VJP matches central finite differences of L (computed on the CPU oracle), and
//  2. the WebGPU VJP matches the oracle's VJP.
import { Tensor, noGrad, tidy, type Backend } from '../../src/tensor/index.js';
import { cpu } from '../../src/tensor/index.js';
import { assertClose, seededValues } from './backends.js';

export interface GradInput { shape: number[]; lo?: number; hi?: number; values?: ArrayLike<number> }
export interface GradcheckOptions { seed?: number; h?: number; fdTol?: number; gpuRtol?: number; gpuAtol?: number }

function makeInputs(specs: GradInput[], b: Backend, seed: number): Tensor[] {
  return specs.map((s, k) => {
    const n = s.shape.reduce((p, q) => p * q, 1);
    const vals = s.values ?? Float64Array.from(seededValues(n, seed * 31 + k + 1, s.lo ?? -1, s.hi ?? 1));
    return Tensor.from(Float64Array.from(vals), s.shape, { backend: b, dtype: 'f32' }).requiresGrad_();
  });
}

async function lossAndGrads(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], w: ArrayLike<number>): Promise<Float64Array[]> {
  const b = xs[0].backend;
  tidy(() => {
    const y = f(...xs);
    const wt = Tensor.from(Float64Array.from(w), y.shape, { backend: b, dtype: 'f32' });
    y.mul(wt).sum().backward();
  });
  const grads: Float64Array[] = [];
  for (const x of xs) grads.push(x.grad ? Float64Array.from(await x.grad.data()) : new Float64Array(x.size));
  return grads;
}

export async function gradcheck(name: string, f: (...xs: Tensor[]) => Tensor, specs: GradInput[], gpu: Backend, opts: GradcheckOptions = {}): Promise<void> {
  const seed = opts.seed ?? 7;
  const h = opts.h ?? 1e-6;
  const c = cpu();
  const xc = makeInputs(specs, c, seed);
  const outShape = noGrad(() => tidy(() => f(...xc).shape.slice()));
  const w = Float64Array.from(seededValues(outShape.reduce((p, q) => p * q, 1), seed + 99, -1, 1));
  const gc = await lossAndGrads(f, xc, w);

  // finite differences on the oracle
  const hostVals = await Promise.all(xc.map(async (x) => Float64Array.from(await x.data())));
  const L = async (vals: Float64Array[]) => {
    const ins = vals.map((v, k) => Tensor.from(v, specs[k].shape, { backend: c, dtype: 'f32' }));
    const y = noGrad(() => tidy(() => f(...ins).mul(Tensor.from(w, outShape, { backend: c, dtype: 'f32' })).sum()));
    const v = await y.item();
    y.dispose(); ins.forEach((t) => t.dispose());
    return v;
  };
  for (let k = 0; k < specs.length; k++) {
    const fd = new Float64Array(hostVals[k].length);
    for (let i = 0; i < fd.length; i++) {
      const plus = hostVals.map((v) => v.slice()), minus = hostVals.map((v) => v.slice());
      plus[k][i] += h; minus[k][i] -= h;
      fd[i] = ((await L(plus)) - (await L(minus))) / (2 * h);
    }
    assertClose(gc[k], fd, { rtol: opts.fdTol ?? 1e-5, atol: opts.fdTol ?? 1e-5, what: `${name}: oracle VJP vs finite differences (input ${k})` });
  }
  xc.forEach((x) => x.dispose());

  // WebGPU VJP against the oracle's
  const xg = specs.map((s, k) => Tensor.from(Float32Array.from(hostVals[k]), s.shape, { backend: gpu, dtype: 'f32' }).requiresGrad_());
  const gg = await lossAndGrads(f, xg, w);
  for (let k = 0; k < specs.length; k++) {
    assertClose(gg[k], gc[k], { rtol: opts.gpuRtol ?? 1e-4, atol: opts.gpuAtol ?? 1e-5, what: `${name}: WebGPU VJP vs oracle (input ${k})` });
  }
  xg.forEach((x) => x.dispose());
}
