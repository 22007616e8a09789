// `dualneuron train` / `evaluate` / `predict --model DIR` end to end on a small linear-nonlinear population
// (ln-population.ts; 16 x 24 images): the same command twice gives byte-identical member files (bit-reproducible
// from the seed on one adapter), another seed other weights; a run killed with SIGKILL mid-training and started
// again resumes from its last checkpoint and ends with byte-identical member files; predict --model DIR equals the
// mean of its members' rates; bad data (a neuron without responses, a twin's neurons missing from the data, a
// folder trained with other settings, a twin's core of the wrong backbone) fails with a message naming the problem.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { cli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/upstream.js';
import { writeLnPopulation } from './ln-population.js';

const test = suite('dualneuron train / evaluate');
const tmp = mkdtempSync(join(tmpdir(), 'dn-train-'));
const data = join(tmp, 'data');
writeLnPopulation(data, { images: 120, neurons: 5, repeats: 3, h: 16, w: 24, seed: 11n, missing: 0.1 });
const args = (out: string, extra: string[] = []) => ['train', data, '--image-size', '16x24', '--hidden-channels', '6', '--layers', '2',
  '--epochs', '4', '--batch', '16', '--members', '2', '--clip', '50', '--out', out, ...extra];
const members = (dir: string) => [1, 2].map((k) => readFileSync(join(dir, `member_${k}.safetensors`)));
const checkpointEpoch = (dir: string): number => {
  try {
    const st = parseSafetensors(readFileSync(join(dir, 'checkpoints', 'member_1.safetensors')));
    return (JSON.parse(st.metadata.state!) as { earlyStopping: { epoch: number } }).earlyStopping.epoch;
  } catch { return 0; }
};

test('the same command twice gives byte-identical members; another seed other weights; twin.json describes the twin', () => {
  let r = cli(args(join(tmp, 'a')));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /member 2 epoch 4: loss/);
  r = cli(args(join(tmp, 'b')));
  assert.is(r.status, 0, r.stderr);
  const [a1, a2] = members(join(tmp, 'a')), [b1, b2] = members(join(tmp, 'b'));
  assert.ok(a1!.equals(b1!) && a2!.equals(b2!), 'member files are byte-identical');
  assert.not.ok(a1!.equals(a2!), 'the two members differ (own seeds)');
  r = cli(args(join(tmp, 's'), ['--seed', '5']));
  assert.is(r.status, 0, r.stderr);
  assert.not.ok(members(join(tmp, 's'))[0]!.equals(a1!), 'another seed: other weights');
  const m = JSON.parse(readFileSync(join(tmp, 'a', 'twin.json'), 'utf8'));
  assert.is(m.format, 'dualneuron-twin');
  assert.equal(m.input.shape, [1, 16, 24]);
  assert.equal(m.neurons.ids, ['n0', 'n1', 'n2', 'n3', 'n4']);
  assert.is(m.members.length, 2);
  assert.is(m.members[0].history.length, 4);
  assert.is(m.data.split.test_ids.length, 12);
  assert.ok(Number.isFinite(m.correlation.test) && m.test_per_neuron === undefined && m.correlation.test_per_neuron.length === 5, 'test correlations recorded');
});

test('SIGKILL mid-training, then the same command: resumes from the checkpoint and ends with byte-identical members', async () => {
  const out = join(tmp, 'k');
  const child = spawn(process.execPath, [resolve(repoRoot, 'dist/src/dualneuron/cli/main.js'), ...args(out)], { env: { ...process.env, DUALNEURON_QUIET: '1' }, stdio: 'ignore' });
  const sent = await new Promise<boolean>((res) => {
    const t = setInterval(() => { if (checkpointEpoch(out) >= 2) { clearInterval(t); child.kill('SIGKILL'); res(true); } }, 5);
    child.on('exit', () => { clearInterval(t); res(false); });
  });
  await new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res(null) : child.once('exit', res)));
  assert.ok(sent, 'SIGKILL was sent mid-run');
  const left = checkpointEpoch(out);
  assert.ok(left >= 2 && left < 4, `killed after epoch ${left} of 4 of member 1`);
  assert.not.ok(existsSync(join(out, 'member_1.safetensors')), 'member 1 was not finished');
  const r = cli(args(out));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`member 1: resuming after epoch ${left}`));
  const [a1, a2] = members(join(tmp, 'a')), [k1, k2] = members(out);
  assert.ok(a1!.equals(k1!) && a2!.equals(k2!), 'resumed members equal the uninterrupted run byte for byte');
  const again = cli(args(out));
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stderr, /member 1: already trained/);
  const other = cli(args(out, ['--lr', '0.01']));
  assert.is(other.status, 1);
  assert.match(other.stderr, /holds a training run made with other settings \(training differ/);
});

test('predict --model DIR is the mean of the members; evaluate writes per-neuron correlations and fractions of oracle', () => {
  const dir = join(tmp, 'a');
  const x = new Float32Array(3 * 16 * 24).map((_, i) => Math.sin(i * 0.37));
  writeNpy(join(tmp, 'x.npy'), { dtype: 'f32', shape: [3, 1, 16, 24], data: x });
  const ys = ['', '1', '2'].map((k) => {
    const out = join(tmp, `y${k}.npy`);
    const r = cli(['predict', '--model', dir, '--input', join(tmp, 'x.npy'), '--out', out, ...(k ? ['--member', k] : [])]);
    assert.is(r.status, 0, r.stderr);
    return readNpy(out).data as Float32Array;
  });
  assert.is(ys[0]!.length, 15);
  for (let i = 0; i < 15; i++) assert.ok(Math.abs(ys[0]![i]! - (ys[1]![i]! + ys[2]![i]!) / 2) <= 1e-6 * Math.abs(ys[0]![i]!), `rate ${i}`);
  const ev = join(tmp, 'ev');
  const r = cli(['evaluate', data, '--model', dir, '--out', ev]);
  assert.is(r.status, 0, r.stderr);
  const csv = readFileSync(join(ev, 'evaluate.csv'), 'utf8').trim().split(/\r?\n/);
  assert.is(csv[0], 'neuron_index,neuron_id,data_index,images,correlation,oracle,fraction_of_oracle,skip');
  assert.is(csv.length, 6);
  const j = JSON.parse(readFileSync(join(ev, 'evaluate.json'), 'utf8'));
  const m = JSON.parse(readFileSync(join(dir, 'twin.json'), 'utf8'));
  // the manifest's test correlations were measured by the same loader on the same images
  j.per_neuron.forEach((n: { correlation: number; oracle: number; fraction_of_oracle: number }, k: number) => {
    assert.ok(Math.abs(n.correlation - m.correlation.test_per_neuron[k]) < 1e-12, `neuron ${k} correlation`);
    assert.ok(Math.abs(n.fraction_of_oracle - n.correlation / n.oracle) < 1e-12, `neuron ${k} fraction`);
  });
  assert.ok(existsSync(join(ev, 'evaluate.svg')));
});

test('bad data and requests give clear errors', () => {
  // a neuron without any recorded response
  const bad = join(tmp, 'bad');
  writeLnPopulation(bad, { images: 40, neurons: 3, repeats: 2, h: 16, w: 24, seed: 1n });
  const resp = readNpy(join(bad, 'responses.npy'));
  const d = resp.data as Float32Array;
  for (let k = 1; k < d.length; k += 3) d[k] = NaN;
  writeNpy(join(bad, 'responses.npy'), resp);
  let r = cli(['train', bad, '--image-size', '16x24', '--out', join(tmp, 'o1')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /neuron n1 \(index 1\) has no recorded response \(all NaN\) to image/);
  // a twin evaluated on data of other neurons
  const other = join(tmp, 'other');
  writeLnPopulation(other, { images: 40, neurons: 5, repeats: 2, h: 16, w: 24, seed: 2n });
  const meta = JSON.parse(readFileSync(join(other, 'dataset.json'), 'utf8'));
  meta.neuron_ids = ['x0', 'x1', 'x2', 'x3', 'x4'];
  writeFileSync(join(other, 'dataset.json'), JSON.stringify(meta));
  r = cli(['evaluate', other, '--model', join(tmp, 'a'), '--split', 'all', '--out', join(tmp, 'o2')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /neuron id\(s\) n0, n1, n2, n3, n4 of the twin .* are not in the data/);
  // one repeat per image: correlations exist, the oracle does not: a named skip, no NaN
  const one = join(tmp, 'one');
  writeLnPopulation(one, { images: 30, neurons: 5, repeats: 1, h: 16, w: 24, seed: 3n });
  r = cli(['evaluate', one, '--model', join(tmp, 'a'), '--split', 'all', '--out', join(tmp, 'o5')]);
  assert.is(r.status, 0, r.stderr);
  const rows = readFileSync(join(tmp, 'o5', 'evaluate.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
  assert.is(rows.length, 5);
  for (const row of rows) {
    assert.match(row, /,,,"no oracle \(fewer than 2 images with 2\+ repeats, or constant responses\)"$/);
    assert.not.match(row, /NaN/);
  }
  r = cli(['train', data, '--arch', 'convnext-finetune', '--core-from', 'v4', '--out', join(tmp, 'o3')]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /the v4 twin's core is resnet50-layer3.0, not a ConvNeXtV2; use --arch resnet-finetune/);
  r = cli(['train', data, '--image-size', '16by24', '--out', join(tmp, 'o4')]);
  assert.match(r.stderr, /--image-size must be HxW/);
  r = cli(['predict', '--model', join(tmp, 'a'), '--input', join(tmp, 'x.npy'), '--grad-neuron', '9', '--grad-out', join(tmp, 'g.npy'), '--out', join(tmp, 'y9.npy')]);
  assert.match(r.stderr, /--grad-neuron 9 is out of range: the twin .* has neurons 0..4/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
