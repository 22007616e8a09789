// The V1 twin's members run stacked (src/models/twins/stacked-v1.ts) against the same members run one after the
// other (the path test/models/v1-twin.test.ts checks against PyTorch), on random weights: outputs and input
// gradients, on WebGPU and the float64 CPU backend; and the cases that must fall back to the members as written.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, noGrad, cpu, type Backend } from '../../src/tensor/index.js';
import { TwinEnsemble, TwinMember } from '../../src/models/twins/twin.js';
import { TWINS } from '../../src/models/twins/registry.js';
import { canStack, STACKED_MAX_FLOATS } from '../../src/models/twins/stacked-v1.js';
import { withForwardHooks } from '../../src/nn/hooks.js';
import { gpu, seededValues, assertClose } from '../helpers/backends.js';

const test = suite('V1 twin: stacked members');
const spec = TWINS.v1;

/** An ensemble of `M` V1 members with seeded random weights (positive running variances). */
function ensemble(M: number, b: Backend): TwinEnsemble {
  const members = Array.from({ length: M }, (_, m) => {
    const mem = new TwinMember(spec, b);
    let k = 0;
    noGrad(() => tidy(() => {
      for (const [name, t] of mem.stateDict()) {
        if (t.dtype !== 'f32') continue;
        const n = t.size, seed = 1000 * m + k++;
        const v = name.endsWith('running_var') ? seededValues(n, seed, 0.5, 1.5) : name.includes('pwconv') || name.includes('_features') ? seededValues(n, seed, -0.15, 0.15) : seededValues(n, seed, -0.6, 0.6);
        t.copy_(Tensor.from(v, t.shape, { backend: b }));
      }
    }));
    mem.centered = true;
    return mem;
  });
  return new TwinEnsemble(spec, members, members.map((_, i) => i + 1), b);
}

/** outputs and the input gradient of sum(y * w), with the ensemble stacked or not */
async function run(model: TwinEnsemble, stacking: boolean, B: number): Promise<[Float32Array, Float32Array]> {
  const b = model.backend;
  model.stacking = stacking;
  const [, H, W] = spec.inputShape;
  const x = Tensor.from(seededValues(B * H * W, 7, -2, 2), [B, 1, H, W], { backend: b }).requiresGrad_();
  const w = Tensor.from(seededValues(B * spec.neurons, 8), [B, spec.neurons], { backend: b });
  const y = tidy(() => { const y = model.forward(x); y.mul(w).sum().backward(); return y.detach(); });
  const out: [Float32Array, Float32Array] = [await y.dataF32(), await x.grad!.dataF32()];
  [x, w, y].forEach((t) => t.dispose());
  return out;
}

for (const [what, backend, M, B, tol] of [['WebGPU', gpu, 3, 2, 2e-5], ['the float64 CPU backend', async () => cpu(), 2, 1, 1e-9]] as const) {
  test(`${M} members stacked = members one by one (${what}): outputs and input gradients`, async () => {
    const model = ensemble(M, await backend());
    assert.ok(canStack(model.members));
    const [y0, g0] = await run(model, false, B);
    const [y1, g1] = await run(model, true, B);
    assert.ok(y0.some((v) => Math.abs(v - 1) > 1e-3), 'the outputs vary');
    assertClose(y1, y0, { rtol: tol, atol: tol, what: `${what} outputs` });
    const scale = g0.reduce((p, q) => Math.max(p, Math.abs(q)), 0);
    assert.ok(scale > 0, 'the gradient is not zero');
    assertClose(g1, g0, { rtol: tol, atol: tol * scale, what: `${what} input gradients` });
    if (B > 1) {
      // changed weights are seen (the stacked copies are rebuilt)
      const bias = model.members[0]!.stateDict().get('readout.all_sessions.bias')!;
      noGrad(() => tidy(() => { bias.copy_(bias.add(0.25)); }));
      const [y2] = await run(model, false, B), [y3] = await run(model, true, B);
      assert.ok(Math.abs(y2[0]! - y0[0]!) > 1e-6, 'the bias change moved the output');
      assertClose(y3, y2, { rtol: tol, atol: tol, what: `${what} outputs after a weight change` });
      // a batch in chunks of one image (B = 2 > 1 chunk row, and > B / M) gives the same numbers
      model.stacked.maxFloats = 1;
      const [y4, g4] = await run(model, true, B);
      model.stacked.maxFloats = STACKED_MAX_FLOATS;
      const [y5, g5] = await run(model, true, B);
      assertClose(y4, y5, { rtol: tol, atol: tol, what: `${what} outputs in chunks` });
      assertClose(g4, g5, { rtol: tol, atol: tol * scale, what: `${what} input gradients in chunks` });
    }
    model.dispose();
  });
}

test('falls back to the members as written: learned positions, training, trainable weights, forward hooks', async () => {
  const model = ensemble(2, await gpu());
  const m0 = model.members[0]!;
  assert.ok(canStack(model.members));
  m0.centered = false;
  assert.not.ok(canStack(model.members), 'learned positions');
  m0.centered = true;
  m0.train();
  assert.not.ok(canStack(model.members), 'training');
  m0.eval();
  const w = m0.stateDict().get('core.features.OutBatchNorm.weight')!;
  w.requiresGrad_();
  assert.not.ok(canStack(model.members), 'a weight that requires its gradient');
  w.requiresGrad_(false);
  const seen: string[] = [];
  withForwardHooks(model, ['0.core.features.backbone.model.encoder.stages.0.layers.1.pwconv1'], (name) => seen.push(name), () => {
    assert.not.ok(canStack(model.members), 'a forward hook');
    tidy(() => { model.forward(Tensor.from(new Float32Array(93 * 93), [1, 1, 93, 93], { backend: model.backend })); });
  });
  assert.equal(seen.length, 1, 'the hooked layer reported its output');
  assert.ok(canStack(model.members));
  const empty = noGrad(() => model.forward(Tensor.from(new Float32Array(0), [0, 1, 93, 93], { backend: model.backend })));
  assert.equal(empty.shape, [0, spec.neurons], 'an empty batch');
  empty.dispose();
  model.dispose();
});

test.run();
