// `dualneuron demo` on the embedded twin (weights/default-twin, issue 14 item 7): chosen explicitly, and chosen
// by itself when the V1 twin can be neither downloaded (DUALNEURON_OFFLINE) nor imported (DUALNEURON_UPSTREAM
// pointing nowhere) nor found in the weights cache; it says which twin it used. The files are checked against
// independent computations: the twin's rates at the written images by a forward pass of the twin loaded here, the
// cosines by cosineInAperture on the written images and the committed truth, the neurons by twin.json's test
// correlations.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/upstream.js';
import { gpu } from '../helpers/backends.js';
import { readNpy } from '../../src/io/npy.js';
import { parseCsv } from '../../src/io/csv.js';
import { Tensor, noGrad } from '../../src/tensor/index.js';
import { loadTrainedTwin } from '../../src/dualneuron/train/trained-twin.js';
import { cosineInAperture, readTruth } from '../../src/dualneuron/simulate/truth.js';

const test = suite('cli demo (embedded twin)');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-demo-emb-'));
const twinDir = resolve(repoRoot, 'weights/default-twin');
const offline = (home: string) => ({ DUALNEURON_OFFLINE: '1', DUALNEURON_UPSTREAM: join(tmp, 'no-upstream-here'), DUALNEURON_HOME: home });

test('--twin embedded: the best-predicted neurons, their rates and cosines as recomputed here', async () => {
  const out = join(tmp, 'explicit');
  const r = cli(['demo', '--twin', 'embedded', '--neurons', '2', '--steps', '24', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /twin: the embedded twin/);
  assert.match(r.stdout, /twin: embedded/);
  const table = parseCsv(readFileSync(join(out, 'recovery.csv')), join(out, 'recovery.csv'));
  const rows = table.rows.map((r) => Object.fromEntries(table.header.map((h, k) => [h, r[k]])) as Record<string, string>);
  assert.is(rows.length, 2);
  const manifest = JSON.parse(readFileSync(join(twinDir, 'twin.json'), 'utf8'));
  const corr: number[] = manifest.correlation.test_per_neuron;
  const best = corr.map((c, i) => [c, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 2).map(([, i]) => manifest.neurons.ids[i]);
  assert.equal(rows.map((q) => q.id), best.map(String));
  const truth = readTruth(join(twinDir, 'simulation'));
  const S = truth.size, P = S * S;
  const mei = readNpy(join(out, 'mei.npy')).data as Float32Array, lei = readNpy(join(out, 'lei.npy')).data as Float32Array;
  const { model } = loadTrainedTwin(twinDir, { backend: await gpu() });
  try {
    const { mean, std } = model.manifest.input.preprocessing;
    const images = new Float32Array(5 * P);
    images.set(mei.subarray(0, P), 0); images.set(mei.subarray(P, 2 * P), P); images.set(lei.subarray(0, P), 2 * P); images.set(lei.subarray(P, 2 * P), 3 * P);
    for (let k = 0; k < 5 * P; k++) images[k] = (images[k] + 0.5 - mean) / std; // the fifth: blank (x = 0)
    const y = noGrad(() => model.forward(Tensor.from(images, [5, 1, S, S])));
    const rates = await y.dataF32();
    y.dispose();
    const col = (id: string) => model.neuronIds.map(String).indexOf(id);
    rows.forEach((q, j) => {
      const t = Number(q.neuron), c = col(q.id);
      const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what} of neuron ${q.id}: file ${a}, recomputed ${b}`);
      close(Number(q.twin_mei_rate), rates[j * model.spec.neurons + c], 'MEI rate');
      close(Number(q.twin_lei_rate), rates[(2 + j) * model.spec.neurons + c], 'LEI rate');
      close(Number(q.twin_baseline), rates[4 * model.spec.neurons + c], 'baseline');
      assert.ok(Number(q.twin_mei_rate) > Number(q.twin_baseline) && Number(q.twin_baseline) > Number(q.twin_lei_rate), `neuron ${q.id}: MEI > baseline > LEI on the twin`);
      close(Number(q.mei_cosine), cosineInAperture(mei.subarray(j * P, (j + 1) * P), truth.mei.subarray(t * P, (t + 1) * P), truth.aperture), 'MEI cosine');
      close(Number(q.lei_cosine), cosineInAperture(lei.subarray(j * P, (j + 1) * P), truth.lei.subarray(t * P, (t + 1) * P), truth.aperture), 'LEI cosine');
      let nn = 0;
      for (let k = 0; k < P; k++) nn += mei[j * P + k] ** 2;
      close(Math.sqrt(nn), truth.norm, 'MEI norm');
    });
  } finally {
    model.dispose();
  }
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(run.twin, 'embedded');
});

test('auto: offline, nothing installed, no upstream folder: falls back to the embedded twin and says so; --twin v1 fails instead', () => {
  const home = mkdtempSync(join(tmp, 'home-'));
  const r = cli(['demo', '--neurons', '1', '--steps', '4', '--out', join(tmp, 'auto')], offline(home));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /DUALNEURON_OFFLINE/);
  assert.match(r.stderr, /uses the embedded twin instead/);
  assert.match(r.stdout, /twin: embedded/);
  const v1 = cli(['demo', '--twin', 'v1', '--neurons', '1', '--steps', '4', '--out', join(tmp, 'v1')], offline(home));
  assert.is.not(v1.status, 0);
  assert.match(v1.stderr, /The demo needs the V1 twin/);
  const many = cli(['demo', '--twin', 'embedded', '--neurons', '61', '--out', join(tmp, 'many')]);
  assert.is.not(many.status, 0);
  assert.match(many.stderr, /the embedded twin has 60 neurons/);
});

test.run();
