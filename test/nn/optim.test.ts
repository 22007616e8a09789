// Optimisers and the cosine schedule against PyTorch trajectories (tools/golden/optim.py).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { Tensor, tidy, cpu, type Backend } from '../../src/tensor/index.js';
import { Adam, SGD, CosineAnnealing, type Optimizer } from '../../src/nn/optim.js';
import { gpu, assertClose } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';

interface Run { p0: number[]; target: number[]; w: number[]; traj: number[][]; lrs: number[] }
const runs = JSON.parse(readFileSync(fixture('nn', 'optim.json'), 'utf8')) as Record<string, Run>;
const test = suite('optimisers vs PyTorch');

/** the PyTorch run `kind` under our optimiser; `adam_scaled`: lr 0.05 with lrScale 2 must follow the lr 0.1 run */
async function follow(kind: string, b: Backend, tol: number): Promise<void> {
  const r = runs[kind === 'adam_scaled' ? 'adam' : kind];
  const p = Tensor.from(Float64Array.from(r.p0), [7], { backend: b }).requiresGrad_();
  const target = Tensor.from(Float64Array.from(r.target), [7], { backend: b });
  const w = Tensor.from(Float64Array.from(r.w), [7], { backend: b });
  const opt: Optimizer = kind === 'adam' ? new Adam([p], { lr: 0.1 })
    : kind === 'adam_scaled' ? new Adam([p], { lr: 0.05, lrScale: [2] })
    : kind === 'adam_wd_max' ? new Adam([p], { lr: 0.05, weightDecay: 0.01, maximize: true })
    : kind === 'sgd_nesterov_wd' ? new SGD([p], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })
    : kind === 'sgd_damp_max' ? new SGD([p], { lr: 0.05, momentum: 0.8, dampening: 0.3, maximize: true })
    : kind === 'sgd_plain' ? new SGD([p], { lr: 0.05 })
    : new SGD([p], { lr: 0.05, momentum: 0.9 });
  const sched = new CosineAnnealing(opt, 20, kind === 'adam_scaled' ? 0.0005 : 0.001);
  for (let s = 0; s < 20; s++) {
    opt.zeroGrad();
    tidy(() => {
      const loss = p.sub(target).square().mul(w).sum().add(p.mul(3).sin().sum().mul(0.3));
      (kind.endsWith('_max') ? loss.neg() : loss).backward();
    });
    opt.step();
    sched.step();
    assertClose(await p.data(), r.traj[s], { rtol: tol, atol: tol, what: `${kind} (${b.name}) step ${s + 1}` });
    assertClose([opt.lr * (kind === 'adam_scaled' ? 2 : 1)], [r.lrs[s]], { rtol: 1e-12, atol: 1e-15, what: `${kind} lr step ${s + 1}` });
  }
  opt.dispose();
  p.dispose(); target.dispose(); w.dispose();
}

for (const kind of ['adam', 'adam_scaled', 'adam_wd_max', 'sgd', 'sgd_nesterov_wd', 'sgd_damp_max', 'sgd_plain']) {
  test(kind, async () => {
    await follow(kind, cpu(), 1e-9);
    await follow(kind, await gpu(), 1e-5);
  });
}

test('parameters keep their identity; optimiser state is freed by dispose', async () => {
  const g = await gpu();
  const p = Tensor.from([1, 2, 3], [3], { backend: g }).requiresGrad_();
  const opt = new Adam([p], { lr: 0.1 });
  tidy(() => p.square().sum().backward());
  const before = g.memory().bytesInUse;
  opt.step();
  assert.ok(g.memory().bytesInUse > before, 'moments allocated');
  opt.dispose();
  g.flush();
  assert.is(g.memory().bytesInUse, before);
  assert.not.ok(p.isDisposed);
});

test.run();
