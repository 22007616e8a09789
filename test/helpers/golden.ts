// PyTorch golden fixtures (tools/golden/*.py): runs a case's op on a backend, backpropagates the fixture's
// cotangents and compares outputs, gradients and extra tensors.
import * as assert from 'uvu/assert';
import { Tensor, tidy, type Backend } from '../../src/tensor/index.js';
import { assertClose } from './backends.js';

export interface Enc { shape: number[]; dtype: 'f32' | 'i32'; data: number[] }
export interface GoldenCase { name: string; inputs: Enc[]; outputs: Enc[]; cotangents: number[][]; grads: (number[] | null)[]; extra?: Record<string, Enc> }

export type GoldenOp = (...xs: Tensor[]) => Tensor | Tensor[];

/**
 * Runs `op` on the case's inputs on backend `b`; inputs with a fixture gradient require gradients. `extra`
 * maps extra fixture tensors to the inputs that hold them after the call (e.g. running statistics).
 */
export async function runGolden(c: GoldenCase, op: GoldenOp, b: Backend, tol: number, extra: Record<string, number> = {}): Promise<void> {
  const xs = c.inputs.map((e, k) => {
    const t = Tensor.from(e.dtype === 'f32' ? Float64Array.from(e.data) : Int32Array.from(e.data), e.shape, { backend: b, dtype: e.dtype });
    return c.grads[k] ? t.requiresGrad_() : t;
  });
  const outs = tidy(() => {
    const r = op(...xs);
    const list = Array.isArray(r) ? r : [r];
    if (c.grads.some((g) => g)) {
      const loss = list.map((o, k) => o.mul(Tensor.from(Float64Array.from(c.cotangents[k]), o.shape, { backend: b })).sum()).reduce((p, q) => p.add(q));
      loss.backward();
    }
    return list.map((o) => o.detach());
  });
  assert.is(outs.length, c.outputs.length, `${c.name}: number of outputs`);
  for (let k = 0; k < outs.length; k++) {
    assert.equal([...outs[k].shape], c.outputs[k].shape, `${c.name}: output ${k} shape`);
    assertClose(await outs[k].data(), c.outputs[k].data, { rtol: tol, atol: tol, what: `${c.name} (${b.name}) output ${k}` });
  }
  for (let k = 0; k < c.grads.length; k++) {
    const want = c.grads[k];
    if (!want) continue;
    const got = xs[k].grad ? await xs[k].grad!.data() : new Float64Array(want.length);
    assertClose(got, want, { rtol: tol, atol: tol, what: `${c.name} (${b.name}) grad of input ${k}` });
  }
  for (const [key, at] of Object.entries(extra)) {
    const want = c.extra?.[key];
    assert.ok(want, `${c.name}: fixture has no extra '${key}'`);
    assertClose(await xs[at].data(), want.data, { rtol: tol, atol: tol, what: `${c.name} (${b.name}) ${key}` });
  }
  xs.forEach((x) => x.dispose());
  outs.forEach((o) => o.dispose());
}
