// Early stopping and the plateau learning-rate schedule on constructed validation curves, against
// tools/golden/train_step.py: neuralpredictors' early_stopping loop (written from its definition) driving PyTorch's
// own ReduceLROnPlateau. Compared: every epoch trained with its learning rate, the epochs after which the best
// weights are restored (end of a decay step), the epoch training stops at and the best epoch.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { EarlyStopping, PlateauLr } from '../../src/dualneuron/train/schedule.js';
import { epochOrder, batchesOf } from '../../src/dualneuron/train/shuffle.js';
import { fixture } from '../helpers/fixtures.js';

const test = suite('early stopping and plateau schedule');

interface Case {
  name: string; curve: (number | null)[]; trained: [number, number][]; restores: number[]; stop: number; best_epoch: number;
  options: { patience: number; max_iter: number; lr_decay_steps: number; tolerance: number; factor: number; min_lr: number; lr0: number };
}

const cases = JSON.parse(readFileSync(fixture('train', 'schedule.json'), 'utf8')) as Case[];

for (const c of cases) {
  test(`${c.name}: epochs, learning rates, restores and stop as neuralpredictors + torch`, () => {
    const o = c.options, curve = c.curve.map((v) => v ?? NaN);
    const es = new EarlyStopping({ patience: o.patience, maxEpochs: o.max_iter, decaySteps: o.lr_decay_steps, tolerance: o.tolerance }, curve[0]!);
    const lr = new PlateauLr({ factor: o.factor, patience: o.patience, threshold: o.tolerance, minLr: o.min_lr }, o.lr0);
    const trained: [number, number][] = [], restores: number[] = [];
    for (let guard = 0; guard < 1000; guard++) {
      const a = es.next();
      if (a === 'stop') break;
      if (a === 'restore-best') { restores.push(es.state.epoch); continue; }
      const epoch = es.state.epoch + 1;
      trained.push([epoch, lr.lr]);
      const v = curve[epoch] ?? NaN;
      lr.step(v);
      es.report(v);
    }
    assert.equal(trained.map(([e]) => e), c.trained.map(([e]) => e), 'epochs trained');
    trained.forEach(([e, l], k) => assert.ok(Math.abs(l - c.trained[k]![1]) <= 1e-15, `epoch ${e}: lr ${l} vs torch ${c.trained[k]![1]}`));
    assert.equal(restores, c.restores, 'best weights restored after these epochs');
    assert.is(es.state.epoch, c.stop, 'stop epoch');
    // upstream takes a NaN objective as a new best (NaN < x is false) and restores it; we keep the last finite best
    if (c.name !== 'nan') assert.is(es.state.bestEpoch, c.best_epoch, 'best epoch');
    else { assert.is(es.state.stopped, 'not-finite'); assert.is(es.state.bestEpoch, 2); }
  });
}

test('shuffling: each epoch a permutation of the training images, fixed by (seed, epoch), different across epochs and seeds', () => {
  const items = Array.from({ length: 50 }, (_, k) => k * 3);
  const a = epochOrder(items, 7n, 1), b = epochOrder(items, 7n, 1), c = epochOrder(items, 7n, 2), d = epochOrder(items, 8n, 1);
  assert.equal([...a].sort((x, y) => x - y), items, 'a permutation');
  assert.equal(a, b, 'same seed and epoch: same order');
  assert.not.equal(a, c, 'another epoch: another order');
  assert.not.equal(a, d, 'another seed: another order');
  assert.equal(batchesOf(a, 16).map((x) => x.length), [16, 16, 16, 2]);
});

test.run();
