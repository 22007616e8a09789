// `synthesize` / `poles` on units of a torchvision network (the tiny VGG16-BN imported from torchvision's .pth):
// the MEI of an internal unit raises it, and the value done.json records for the final image is what `predict`
// reads for that unit on image.npy (two code paths: the synthesis readout and predict's unit); poles over channels;
// every bad unit or objective fails before --out is created.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { importTorchvision } from '../../src/models/weights/torchvision-weights.js';
import { cliFails, cliOk } from '../helpers/cli.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';

const test = suite('synthesize and poles on units of a torchvision network (CLI)');
let home = '';
const fast = ['--steps', '8', '--crops', '1', '--batch', '4', '--size', '64'];

test.before(async () => {
  await gpu();
  home = mkdtempSync(join(tmpdir(), 'dn-synunits-'));
  importTorchvision(fixture('torchvision', 'vgg16_bn_tiny-0be9fa3a.pth'), home, { variant: 'tiny' });
});
test.after(() => rmSync(home, { recursive: true, force: true }));

test('an internal unit\'s MEI: it rises, and done.json\'s final value is predict\'s value of the unit on image.npy', () => {
  const out = join(home, 'mei');
  cliOk(['synthesize', '--model', 'vgg16_bn', '--layer', 'features.10', '--channel', '2', '--location', 'mean', '--pole', 'most', ...fast, '--weights-dir', home, '--out', out]);
  const dir = join(out, 'neuron_0002', 'seed_0000', 'most');
  const done = JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8')) as { final: number; initial: number; config: { objective: { '--layer': string } } };
  assert.is(done.config.objective['--layer'], 'features.10');
  assert.ok(done.final > done.initial, `MEI: ${done.initial} -> ${done.final}`);
  const img = readNpy(join(dir, 'image.npy'));
  assert.equal(img.shape, [3, 64, 64]);
  const x = join(home, 'x.npy'), y = join(home, 'y.npy');
  writeNpy(x, { dtype: 'f32', shape: [1, 3, 64, 64], data: img.data as Float32Array });
  cliOk(['predict', '--model', 'vgg16_bn', '--input', x, '--out', y, '--weights-dir', home, '--layer', 'features.10', '--channel', '2', '--location', 'mean']);
  const v = (readNpy(y).data as Float32Array)[0];
  assert.ok(Math.abs(v - done.final) <= 1e-4 * Math.max(1, Math.abs(v)), `predict ${v} vs done.json ${done.final}`);
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { objective: { readout: { layer: string } } };
  assert.is(run.objective.readout.layer, 'features.10');
});

test('poles over channels, with a contrast: one result per channel and pole', () => {
  const out = join(home, 'poles');
  cliOk(['poles', '--model', 'vgg16_bn', '--layer', 'features.10', '--channels', '0-1', '--contrast', '3', '--contrast-scale', '0.5', ...fast, '--steps', '2', '--weights-dir', home, '--out', out]);
  for (const c of ['0000', '0001']) for (const p of ['most', 'least']) assert.ok(existsSync(join(out, `neuron_${c}`, 'seed_0000', p, 'done.json')), `${c} ${p}`);
});

test('screen on a torchvision network: a unit\'s responses are predict\'s values of the unit on the same images; the logits are the units without --layer', () => {
  const list = join(home, 'images.txt');
  writeFileSync(list, readdirSync(fixture('images', 'inputs')).filter((f) => f.endsWith('.png')).slice(0, 3).map((f) => fixture('images', 'inputs', f)).join('\n') + '\n');
  const unit = ['--layer', 'features.10', '--channel', '2', '--location', 'mean'];
  cliOk(['screen', '--model', 'vgg16_bn', '--images', list, ...unit, '--batch', '2', '--weights-dir', home, '--out', join(home, 'scr')]);
  const got = readNpy(join(home, 'scr', 'responses.npy'));
  cliOk(['predict', '--model', 'vgg16_bn', '--images', list, ...unit, '--weights-dir', home, '--out', join(home, 'pu.npy')]);
  const want = readNpy(join(home, 'pu.npy')).data as Float32Array;
  assert.is(got.data.length, 3);
  (got.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])), `image ${i}: screen ${v} vs predict ${want[i]}`));
  cliOk(['screen', '--model', 'vgg16_bn', '--images', list, '--batch', '3', '--weights-dir', home, '--out', join(home, 'scr2')]);
  assert.equal(readNpy(join(home, 'scr2', 'responses.npy')).shape, [3, 10]);
  cliFails(['screen', '--model', 'vgg16_bn', '--images', list, '--layer', 'features.10', '--channel', '9', '--weights-dir', home, '--out', join(home, 'scr3')], /--channel 9 is out of range/);
  assert.not.ok(existsSync(join(home, 'scr3')));
});

test('--plateau stops a batch early: done.json records the steps made', () => {
  const out = join(home, 'plateau');
  cliOk(['synthesize', '--model', 'vgg16_bn', '--neuron', '1', '--pole', 'most', ...fast, '--plateau', '1', '--plateau-delta', '1e9', '--weights-dir', home, '--out', out]);
  const dir = join(out, 'neuron_0001', 'seed_0000', 'most');
  assert.is((JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8')) as { steps: number }).steps, 1);
  assert.equal(readNpy(join(dir, 'activations.npy')).shape, [2]);
});

test('bad units and objectives fail before --out exists', () => {
  const out = join(home, 'never');
  const fails = (extra: string[], re: RegExp) => {
    cliFails(['synthesize', '--model', 'vgg16_bn', ...fast, '--weights-dir', home, '--out', out, ...extra], re);
    assert.not.ok(existsSync(out), `${extra.join(' ')} created --out`);
  };
  fails(['--layer', 'features.100', '--channel', '0'], /no such module\. Nearest names: features\.10/);
  fails(['--layer', 'features.10', '--channel', '99'], /--channel 99 is out of range: the readout has channels of features\.10 0\.\.3/);
  fails(['--layer', 'features.10', '--channel', '0', '--location', '40,0'], /outside the 32x32 map of features\.10/);
  fails(['--neuron', '10'], /--neuron 10 is out of range: the readout has outputs 0\.\.9/);
  const w = join(home, 'w.npy');
  writeNpy(w, { dtype: 'f32', shape: [3], data: new Float32Array([1, 2, 3]) });
  fails(['--weights', w], /--weights has 3 values; the readout has 10 outputs/);
  fails(['--layer', 'features.10', '--direction', w], /--direction has 3 values; the readout has 4 channels of features\.10/);
  fails(['--neuron', '3', '--contrast', '3'], /--contrast 3 is the unit being optimised/);
  fails(['--neuron', '3', '--diversity', '1'], /--diversity compares the images' activations in a module: give --diversity-layer/);
  fails(['--neuron', '3', '--diversity', '1', '--diversity-layer', 'features.10'], /give --seeds K with K >= 2/);
  fails(['--neurons', '3,4'], /--neurons names a set: add --objective mean/);
  fails(['--layer', 'features.10', '--neuron', '3'], /--layer features\.10 optimises channels of that module: give --channel C/);
  fails(['--neuron', '3', '--member', '2'], /--member is an option of the twins/);
});

test.run();
