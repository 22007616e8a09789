// PyTorch golden fixtures (tools/golden/tensor_ops.py): forward values and input gradients, on both backends.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { cpu, concat, stack, where } from '../../src/tensor/index.js';
import { gpu } from '../helpers/backends.js';
import { runGolden, type GoldenCase, type GoldenOp } from '../helpers/golden.js';
import { fixture } from '../helpers/fixtures.js';

const { cases } = JSON.parse(readFileSync(fixture('tensor', 'ops.json'), 'utf8')) as { cases: GoldenCase[] };

const OPS: Record<string, GoldenOp> = {
  slice_steps: (x) => x.slice([[1, 4, 2], [null, null, 3], [1, null]]),
  permute_contiguous: (x) => x.permute([2, 0, 1]).contiguous(),
  flip: (x) => x.flip([0, 2]),
  pad_reflect: (x) => x.pad([2, 3, 1, 2], 'reflect'),
  pad_replicate: (x) => x.pad([2, 3, 1, 2], 'replicate'),
  pad_constant: (x) => x.pad([1, 2, 0, 3], 'constant', 0.5),
  cat: (a, b) => concat([a, b], 0),
  stack: (a, b) => stack([a, b], 1),
  split: (x) => x.split(3, 0),
  gather: (x, i) => x.gather(1, i),
  index_select: (x, i) => x.indexSelect(1, i),
  expand_mul: (x, w) => x.expand([3, 4]).mul(w),
  broadcast_div: (a, b) => a.div(b),
  var_unbiased: (x) => x.var(1),
  std_keepdim: (x) => x.std([0, 2], { keepdim: true }),
  var_biased: (x) => x.var(0, { correction: 0 }),
  norm2: (x) => x.norm(2, -1),
  norm1: (x) => x.norm(1, 0),
  softmax: (x) => x.mul(3).softmax(-1),
  log_softmax: (x) => x.mul(3).logSoftmax(1),
  logsumexp: (x) => x.logsumexp([1]),
  mean: (x) => x.mean([0, 2]),
  amax: (x) => x.max(1),
  maximum_ties: (a, b) => a.maximum(b),
  matmul_broadcast: (a, b) => a.matmul(b),
  matmul_vec: (a, b) => a.matmul(b),
  gelu: (x) => x.mul(3).gelu(),
  gelu_tanh: (x) => x.mul(3).gelu('tanh'),
  elu: (x) => x.mul(2).elu(0.7),
  softplus: (x) => x.mul(8).softplus(1.5, 5),
  sigmoid_tanh: (x) => x.mul(3).sigmoid().mul(x.mul(2).tanh()),
  pow_sqrt_log: (a, b) => a.abs().add(0.5).pow(b).add(a.abs().add(0.1).sqrt().mul(a.abs().log1p())),
  clamp: (x) => x.clamp(-0.5, 0.8),
  where: (c, a, b) => where(c.gt(0), a, b),
};

const test = suite('PyTorch golden fixtures');

test('every fixture op is implemented', () => {
  for (const c of cases) assert.ok(OPS[c.name], `no TS op for fixture ${c.name}`);
});

for (const c of cases) {
  test(c.name, async () => {
    await runGolden(c, OPS[c.name], cpu(), 1e-9);
    await runGolden(c, OPS[c.name], await gpu(), 2e-5);
  });
}

test.run();
