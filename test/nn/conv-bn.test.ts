// BatchNorm2d.after(conv, x) = bn(conv(x)): folded into one convolution in eval mode with frozen weights, the two
// layers as written otherwise. Oracle: the float64 CPU backend running the two layers unfolded.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, noGrad, cpu, grad, type Backend } from '../../src/tensor/index.js';
import { BatchNorm2d, Conv2d } from '../../src/nn/layers.js';
import { gpu, assertClose, seededValues } from '../helpers/backends.js';

const test = suite('conv + batch norm folding');

function layers(b: Backend, withBias: boolean): { conv: Conv2d; bn: BatchNorm2d } {
  const conv = new Conv2d(3, 5, 3, { stride: 2, padding: 1, bias: withBias }, b);
  const bn = new BatchNorm2d(5, 1e-5, 0.1, b);
  const sd = new Map<string, Tensor>([['weight', Tensor.from(seededValues(5 * 3 * 9, 1), [5, 3, 3, 3], { backend: b })]]);
  if (withBias) sd.set('bias', Tensor.from(seededValues(5, 2), [5], { backend: b }));
  conv.loadStateDict(sd);
  bn.loadStateDict(new Map([
    ['weight', Tensor.from(seededValues(5, 3, 0.5, 2), [5], { backend: b })], ['bias', Tensor.from(seededValues(5, 4), [5], { backend: b })],
    ['running_mean', Tensor.from(seededValues(5, 5), [5], { backend: b })], ['running_var', Tensor.from(seededValues(5, 6, 0.2, 3), [5], { backend: b })],
    ['num_batches_tracked', Tensor.from([0], [], { backend: b, dtype: 'i32' })],
  ]));
  return { conv, bn };
}

test('eval mode: the folded convolution equals conv then batch norm, values and input gradients', async () => {
  const g = await gpu();
  for (const withBias of [false, true]) {
    const G = layers(g, withBias), C = layers(cpu(), withBias);
    G.bn.eval(); C.bn.eval();
    const xv = seededValues(2 * 3 * 9 * 9, 7);
    const x = Tensor.from(xv, [2, 3, 9, 9], { backend: g }), xc = Tensor.from(xv, [2, 3, 9, 9], { backend: cpu() });
    const y = noGrad(() => G.bn.after(G.conv, x)), yc = noGrad(() => C.bn.forward(C.conv.forward(xc)));
    assertClose(await y.data(), await yc.data(), { rtol: 1e-5, atol: 1e-6, what: `values, conv bias ${withBias}` });
    // the gradient to the input flows through the folded weights
    const [gx] = grad((t: Tensor) => G.bn.after(G.conv, t).square().sum())(x);
    const [gxc] = grad((t: Tensor) => C.bn.forward(C.conv.forward(t)).square().sum())(xc);
    assertClose(await gx.data(), await gxc.data(), { rtol: 1e-4, atol: 1e-5, what: 'input gradient' });
    // an in-place change of the running statistics is seen (the folded weights are rebuilt)
    tidy(() => { G.bn['get']('running_var').copy_(G.bn['get']('running_var').mul(2)); C.bn['get']('running_var').copy_(C.bn['get']('running_var').mul(2)); });
    const y2 = noGrad(() => G.bn.after(G.conv, x)), yc2 = noGrad(() => C.bn.forward(C.conv.forward(xc)));
    assertClose(await y2.data(), await yc2.data(), { rtol: 1e-5, atol: 1e-6, what: 'after copy_ into running_var' });
    assert.ok(Math.abs((await y2.data())[0] - (await y.data())[0]) > 1e-4, 'the output changed');
    [x, xc, y, yc, gx, gxc, y2, yc2].forEach((t) => t.dispose());
    G.conv.dispose(); G.bn.dispose(); C.conv.dispose(); C.bn.dispose();
  }
});

test('training mode and trainable weights run unfolded: batch statistics, running updates, weight gradients', async () => {
  const g = await gpu();
  const G = layers(g, false), C = layers(cpu(), false);
  const xv = seededValues(2 * 3 * 9 * 9, 8);
  const x = Tensor.from(xv, [2, 3, 9, 9], { backend: g }), xc = Tensor.from(xv, [2, 3, 9, 9], { backend: cpu() });
  G.bn.train(); C.bn.train();
  const y = noGrad(() => G.bn.after(G.conv, x)), yc = noGrad(() => C.bn.forward(C.conv.forward(xc)));
  assertClose(await y.data(), await yc.data(), { rtol: 1e-4, atol: 1e-5, what: 'training-mode values' });
  assertClose(await G.bn['get']('running_mean').data(), await C.bn['get']('running_mean').data(), { rtol: 1e-5, atol: 1e-6, what: 'running mean updated' });
  // eval mode but a trainable conv weight: its gradient must exist
  G.bn.eval(); C.bn.eval();
  G.conv.requiresGrad_(true); C.conv.requiresGrad_(true);
  const [gw] = grad((w: Tensor) => { void w; return G.bn.after(G.conv, x).sum(); })(G.conv.weight);
  const [gwc] = grad((w: Tensor) => { void w; return C.bn.forward(C.conv.forward(xc)).sum(); })(C.conv.weight);
  assertClose(await gw.data(), await gwc.data(), { rtol: 1e-4, atol: 1e-4, what: 'weight gradient' });
  [x, xc, y, yc, gw, gwc].forEach((t) => t.dispose());
  G.conv.dispose(); G.bn.dispose(); C.conv.dispose(); C.bn.dispose();
});

test.run();
