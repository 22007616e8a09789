// The real V1 twin (upstream checkpoints from ../shared) against an independent PyTorch implementation
// (tools/golden/v1_twin.py, torch's own conv2d / layer_norm / gelu / grid_sample): every member and the
// ensemble, centered and with learned positions, and input gradients.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, noGrad } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';

const test = suite('V1 twin vs PyTorch (real weights)');
const fx = (n: string) => readNpy(fixture('twins', `v1_${n}.npy`));

function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]) / Math.abs(want[i]));
  return m;
}

withUpstream(test)('member outputs and ensemble, centered and learned positions', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const x = fx('inputs');
  const xt = Tensor.from(x.data as Float32Array, x.shape, { backend: g });
  for (const centered of [true, false]) {
    const tag = centered ? 'centered' : 'learned';
    const want = fx(`members_${tag}`).data as Float32Array;
    for (let k = 1; k <= 5; k++) {
      const { model } = loadTwin('v1', { members: [k], centered, backend: g, weightsDir: home });
      const y = noGrad(() => tidy(() => model.forward(xt)));
      const err = maxRelErr(await y.data(), want.subarray((k - 1) * 4 * 458, k * 4 * 458));
      assert.ok(err < 1e-4, `member ${k} ${tag}: max relative error ${err.toExponential(2)}`);
      y.dispose(); model.dispose();
    }
    const { model } = loadTwin('v1', { centered, backend: g, weightsDir: home });
    const y = noGrad(() => tidy(() => model.forward(xt)));
    const err = maxRelErr(await y.data(), fx(`ensemble_${tag}`).data as Float32Array);
    console.log(`    ensemble ${tag}: max relative error ${err.toExponential(2)}`);
    assert.ok(err < 1e-4, `ensemble ${tag}: max relative error ${err.toExponential(2)}`);
    y.dispose(); model.dispose();
  }
  xt.dispose();
});

withUpstream(test)('spec anchor: member 1, centered, zero input', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const { model } = loadTwin('v1', { members: [1], backend: g, weightsDir: home });
  const y = noGrad(() => tidy(() => model.forward(Tensor.from(new Float32Array(93 * 93), [1, 1, 93, 93], { backend: g }))));
  const got = (await y.data()).slice(0, 5);
  [1.0294452, 1.4663332, 0.21388483, 0.39590693, 2.4267159].forEach((w, i) => assert.ok(Math.abs(got[i] - w) / w < 2e-5, `output ${i}: ${got[i]} vs ${w}`));
  model.dispose();
});

withUpstream(test)('ensemble input gradients of neurons 0 and 42', async () => {
  const home = upstreamWeightsHome();
  const g = await gpu();
  const x = fx('inputs');
  const want = fx('grads_centered_n0_n42').data as Float32Array;
  const per = 4 * 93 * 93;
  const { model } = loadTwin('v1', { backend: g, weightsDir: home });
  [0, 42].forEach(() => {});
  for (const [j, n] of [[0, 0], [1, 42]]) {
    const xt = Tensor.from(x.data as Float32Array, x.shape, { backend: g }).requiresGrad_();
    tidy(() => model.forward(xt).select(1, n).sum().backward());
    const got = await xt.grad!.data();
    const w = want.subarray(j * per, (j + 1) * per);
    let scale = 0, err = 0, worstRel = 0, cnt = 0;
    for (let i = 0; i < per; i++) scale = Math.max(scale, Math.abs(w[i]));
    for (let i = 0; i < per; i++) {
      err = Math.max(err, Math.abs(got[i] - w[i]));
      if (Math.abs(w[i]) > 0.1 * scale) { worstRel = Math.max(worstRel, Math.abs(got[i] - w[i]) / Math.abs(w[i])); cnt++; }
    }
    console.log(`    neuron ${n}: max |error| / max |gradient| = ${(err / scale).toExponential(2)}; max relative error where |g| > 10% of max (${cnt} px) = ${worstRel.toExponential(2)}`);
    assert.ok(err / scale < 1e-3, `neuron ${n}: gradient error ${err / scale} of the largest gradient`);
    // the stride-4 stem never reads row 92 and column 92
    for (let b = 0; b < 4; b++) for (let t = 0; t < 93; t++) {
      assert.is(got[b * 93 * 93 + 92 * 93 + t], 0);
      assert.is(got[b * 93 * 93 + t * 93 + 92], 0);
    }
    xt.dispose();
  }
  model.dispose();
});

test.run();
