// Running a twin on batches of model-space inputs held on the host, optionally with input gradients.
import { Tensor, tidy, noGrad, type Backend } from '../tensor/index.js';
import { ShapeError } from '../errors.js';
import { Progress } from '../util/progress.js';

export interface PredictOptions {
  batch?: number;
  /** also return d(sum over the batch of neuron N's output)/d(input) */
  gradNeuron?: number;
  progress?: boolean;
}

/** what predict needs of a twin: the DualNeuron ensembles and trained twins (train/trained-twin.ts) both fit */
export interface PredictableTwin { spec: { id: string; inputShape: readonly [number, number, number] | [number, number, number]; neurons: number }; backend: Backend; forward(x: Tensor): Tensor }

export interface PredictResult { responses: Float32Array; grad?: Float32Array }

/** x: B*C*H*W float32 (C, H, W the twin's input shape) -> responses B*neurons (and gradients B*C*H*W). */
export async function predict(model: PredictableTwin, x: Float32Array, B: number, opts: PredictOptions = {}): Promise<PredictResult> {
  const [C, H, W] = model.spec.inputShape;
  const per = C * H * W, N = model.spec.neurons;
  if (x.length !== B * per) throw new ShapeError(`predict: ${x.length} values are not ${B} inputs of shape (${C}, ${H}, ${W})`);
  if (opts.gradNeuron !== undefined && (!Number.isInteger(opts.gradNeuron) || opts.gradNeuron < 0 || opts.gradNeuron >= N)) {
    throw new ShapeError(`--grad-neuron ${opts.gradNeuron} is out of range: the ${model.spec.id} twin has neurons 0..${N - 1}`);
  }
  const backend: Backend = model.backend;
  const bs = Math.max(1, opts.batch ?? 16);
  const responses = new Float32Array(B * N);
  const grad = opts.gradNeuron !== undefined ? new Float32Array(B * per) : undefined;
  const progress = opts.progress ? new Progress({ total: B, unit: 'img', label: 'predict' }) : null;
  for (let s = 0; s < B; s += bs) {
    const n = Math.min(bs, B - s);
    const xb = Tensor.from(x.subarray(s * per, (s + n) * per), [n, C, H, W], { backend });
    if (grad) {
      xb.requiresGrad_();
      const y = tidy(() => {
        const out = model.forward(xb);
        out.select(1, opts.gradNeuron!).sum().backward();
        return out.detach();
      });
      responses.set(await y.dataF32(), s * N);
      grad.set(await xb.grad!.dataF32(), s * per);
      y.dispose();
    } else {
      const y = noGrad(() => tidy(() => model.forward(xb)));
      responses.set(await y.dataF32(), s * N);
      y.dispose();
    }
    xb.dispose();
    progress?.tick(n);
  }
  progress?.finish();
  return { responses, grad };
}
