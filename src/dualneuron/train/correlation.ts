// Per-neuron correlation of predicted and recorded responses over images (Pearson, float64 on the host), the
// measure early stopping follows and `evaluate` reports. A neuron whose predictions or responses are constant
// over the images has no correlation (null); the validation objective counts it as 0 (as neuralpredictors'
// correlation with its eps does), and evaluate names it.
import { pearson } from '../reliability/oracle.js';

/** pred and target: (images, neurons) row-major */
export function perNeuronCorrelation(pred: ArrayLike<number>, target: ArrayLike<number>, images: number, neurons: number): (number | null)[] {
  const out: (number | null)[] = [];
  const x = new Float64Array(images), y = new Float64Array(images);
  for (let n = 0; n < neurons; n++) {
    for (let i = 0; i < images; i++) { x[i] = pred[i * neurons + n]!; y[i] = target[i * neurons + n]!; }
    out.push(pearson(x, y));
  }
  return out;
}

export function meanCorrelation(c: readonly (number | null)[]): number {
  return c.length ? c.reduce<number>((s, v) => s + (v ?? 0), 0) / c.length : 0;
}
