// Resuming from a checkpoint in process (WebGPU), for the Gaussian readout whose training samples positions from
// its own generator: a member stopped after epoch 2 (an exception from afterEpoch, as a crash) and trained again
// from its checkpoint ends with exactly the weights of an uninterrupted run (every tensor bit for bit), which
// needs the sampler's offset, Adam's moments and step, the schedule and the best weights restored; a resumed run
// that forgot the sampler offset would draw other positions and differ.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRecorded } from '../../src/dualneuron/recorded/load.js';
import { stacked2dArchitecture } from '../../src/dualneuron/train/architecture.js';
import { prepareTrainingData } from '../../src/dualneuron/train/data.js';
import { DEFAULT_TRAIN, type TrainOptions } from '../../src/dualneuron/train/options.js';
import { trainMember } from '../../src/dualneuron/train/trainer.js';
import { gpu } from '../helpers/backends.js';
import { writeLnPopulation } from './ln-population.js';

const test = suite('checkpoint and resume with a Gaussian readout');
const tmp = mkdtempSync(join(tmpdir(), 'dn-resume-'));

test('crash after epoch 2, resume: the same weights as an uninterrupted run, bit for bit', async () => {
  const backend = await gpu();
  writeLnPopulation(join(tmp, 'data'), { images: 60, neurons: 4, repeats: 2, h: 16, w: 24, seed: 4n });
  const rec = loadRecorded(join(tmp, 'data'));
  const options: TrainOptions = { ...DEFAULT_TRAIN, seed: 9n, maxEpochs: 4, batch: 16, clip: 20 };
  const data = prepareTrainingData(rec, { size: [16, 24], seed: options.seed, validation: 0.2, test: 0.1 });
  const arch = stacked2dArchitecture(4, [16, 24], { hiddenChannels: 4, layers: 2 }, { kind: 'gaussian', gaussType: 'isotropic', featureRegWeight: 0.1 });
  const run = (checkpoint: string, afterEpoch?: (e: number) => void) => trainMember({ arch, data, member: 2, options, backend, checkpoint, afterEpoch });
  const full = await run(join(tmp, 'full.safetensors'));
  const ck = join(tmp, 'crash.safetensors');
  let thrown = false;
  try { await run(ck, (e) => { if (e === 2) throw new Error('crash'); }); } catch { thrown = true; }
  assert.ok(thrown, 'the first run stopped after epoch 2');
  const resumed = await run(ck);
  assert.is(resumed.epochs, full.epochs);
  assert.equal(resumed.history, full.history, 'the same history (losses, correlations, learning rates)');
  for (const [k, v] of full.weights) {
    const w = resumed.weights.get(k)!;
    assert.ok(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength).equals(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength)), `${k} differs`);
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
