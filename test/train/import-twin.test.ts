// `dualneuron import-twin` end to end on models built and saved by neuralpredictors itself
// (tools/golden/import_neuralpredictors.py; test/fixtures/import/): the imported twin folder, through
// `predict --model DIR`, gives the rates neuralpredictors' own modules computed in float64 (within 1e-4) for a
// PointPyramid2d model (plain state dict, and a checkpoint dict with 'model_state_dict' and an optimizer), a
// multi-readout FullGaussian2d model with elu_offset saved in the legacy format (--data-key), the Allen notebook's
// conv_core model, and the same state dict as .safetensors; and bad inputs fail with errors naming the problem:
// several data keys without --data-key, an unknown data key, unknown / missing keys, a shape that contradicts the
// configuration, an unknown configuration name, no input size, a Stacked2dCore_pooling without pooling, an
// existing twin; --images on a twin with two input channels.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { encodeSafetensors, parseSafetensors } from '../../src/io/safetensors.js';
import { readTorchCheckpoint } from '../../src/io/pytorch.js';
import { toFloat64, type HostArray } from '../../src/io/host-array.js';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';

const test = suite('dualneuron import-twin');
const tmp = mkdtempSync(join(tmpdir(), 'dn-import-'));
const fx = (name: string) => fixture('import', name);
const ref = parseSafetensors(readFileSync(fx('reference.safetensors'))).tensors;

/** import, then predict on the fixture's inputs; returns the max |ours - neuralpredictors| and the folder */
function importAndPredict(name: string, file: string, args: string[]): { err: number; dir: string; stderr: string } {
  const dir = join(tmp, name);
  let r = cli(['import-twin', file, '--out', dir, ...args]);
  assert.is(r.status, 0, r.stderr);
  const base = name.split('-')[0]!;
  const x = ref.get(`input_${base}`)!, want = toFloat64(ref.get(`rate_${base}`)!);
  const xin = join(tmp, `${name}-x.npy`), yout = join(tmp, `${name}-y.npy`);
  writeNpy(xin, x);
  const stderr = r.stderr;
  r = cli(['predict', '--model', dir, '--input', xin, '--out', yout]);
  assert.is(r.status, 0, r.stderr);
  const y = readNpy(yout);
  assert.equal(y.shape, ref.get(`rate_${base}`)!.shape);
  const got = toFloat64(y);
  return { err: Math.max(...got.map((v, i) => Math.abs(v - want[i]!))), dir, stderr };
}

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'twin.json'), 'utf8'));
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('PointPyramid2d model (plain state dict): predict equals neuralpredictors within 1e-4; twin.json records the source', () => {
  const { err, dir, stderr } = importAndPredict('pyramid', fx('pyramid.pt'), ['--config', fx('pyramid.json')]);
  assert.ok(err < 1e-4, `max |error| ${err}`);
  assert.match(stderr, /scale_n 2 from readout\.features/);
  const m = manifest(dir);
  assert.is(m.format, 'dualneuron-twin');
  assert.equal(m.input.shape, [1, 20, 28]);
  assert.equal(m.input.preprocessing, { kind: 'notebook', size: [20, 28], mean: 0.4, std: 0.2 });
  assert.equal(m.neurons.ids, ['n7', 'n9', 'n12']);
  assert.is(m.imported.sha256, sha256(fx('pyramid.pt')));
  assert.is(m.imported.state_dict_key, null);
  assert.is(m.imported.readout_class, 'PointPyramid2d');
  assert.is(m.architecture.readout.type, 'gauss3x3');
  assert.is(m.members[0].sha256, sha256(join(dir, 'member_1.safetensors')));
  assert.ok(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).source_sha256 === m.imported.sha256, 'run.json written');
});

test('checkpoint dict (model_state_dict + optimizer state): the key used is reported and recorded', () => {
  const { err, dir, stderr } = importAndPredict('pyramid-ckpt', fx('pyramid_ckpt.pt'), ['--config', fx('pyramid.json')]);
  assert.ok(err < 1e-4, `max |error| ${err}`);
  assert.match(stderr, /state dict under 'model_state_dict'/);
  assert.is(manifest(dir).imported.state_dict_key, 'model_state_dict');
});

test('multi-readout FullGaussian2d with elu_offset, legacy torch.save format: --data-key sessB', () => {
  const { err, dir } = importAndPredict('gaussian', fx('gaussian.pt'), ['--config', fx('gaussian.json'), '--data-key', 'sessB']);
  assert.ok(err < 1e-4, `max |error| ${err}`);
  const m = manifest(dir);
  assert.equal([m.imported.format, m.imported.data_key, m.imported.data_keys], ['pytorch-legacy', 'sessB', ['sessA', 'sessB']]);
  assert.equal([m.architecture.readout.kind, m.architecture.readout.gaussType, m.architecture.eluOffset], ['gaussian', 'uncorrelated', -0.3]);
  // two input channels: images (one gray channel) are refused, model-space input is asked for
  const r = cli(['predict', '--model', dir, '--images', fixture('images', 'inputs', 'gray4_150x90.png'), '--out', join(tmp, 'g-img.npy')]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /takes 2-channel input; .*--input x\.npy of shape \(B, 2, 16, 18\)/);
});

test('the Allen notebook\'s model (conv_core.*, Stacked2dCore_pooling with pooling 2)', () => {
  const { err, stderr } = importAndPredict('notebook', fx('notebook.pt'), ['--config', fx('notebook.json')]);
  assert.ok(err < 1e-4, `max |error| ${err}`);
  assert.match(stderr, /stride ignored/);
});

// the pyramid state dict as .safetensors, as read from the .pt (an independent reader's view of the same file)
const pyramidSd = readTorchCheckpoint(fx('pyramid.pt'));
const writeSd = (name: string, edit: (m: Map<string, HostArray>) => void): string => {
  const m = new Map(pyramidSd);
  edit(m);
  const p = join(tmp, name);
  writeFileSync(p, encodeSafetensors(m));
  return p;
};

test('.safetensors state dict imports the same', () => {
  const { err } = importAndPredict('pyramid-st', writeSd('pyramid.safetensors', () => {}), ['--config', fx('pyramid.json')]);
  assert.ok(err < 1e-4, `max |error| ${err}`);
});

const fails = (args: string[]) => {
  const r = cli(['import-twin', ...args]);
  assert.is(r.status, 1, `expected failure: ${r.stderr}`);
  return r.stderr;
};

test('several data keys without --data-key, and an unknown data key, name the data keys', () => {
  assert.match(fails([fx('gaussian.pt'), '--config', fx('gaussian.json'), '--out', join(tmp, 'e1')]), /one readout per data key \(sessA, sessB\); choose .* --data-key/);
  assert.match(fails([fx('gaussian.pt'), '--config', fx('gaussian.json'), '--data-key', 'sessC', '--out', join(tmp, 'e1')]), /--data-key sessC is not a readout .*: sessA, sessB/);
});

test('unknown and missing keys are listed under the file\'s names', () => {
  const extra = writeSd('extra.safetensors', (m) => { m.set('readout.extra', pyramidSd.get('readout.bias')!); });
  assert.match(fails([extra, '--config', fx('pyramid.json'), '--out', join(tmp, 'e2')]), /unknown keys \(1\): readout\.extra/);
  const shifter = writeSd('shifter.safetensors', (m) => { m.set('shifter.sess.mlp.0.weight', pyramidSd.get('readout.bias')!); });
  assert.match(fails([shifter, '--config', fx('pyramid.json'), '--out', join(tmp, 'e2')]), /unknown state-dict entries outside the core and the readout: shifter\.sess\.mlp\.0\.weight/);
  const missing = writeSd('missing.safetensors', (m) => { m.delete('core.features.layer2.norm.running_var'); });
  assert.match(fails([missing, '--config', fx('pyramid.json'), '--out', join(tmp, 'e2')]), /missing keys \(1\): core\.features\.layer2\.norm\.running_var/);
});

test('a configuration that contradicts the shapes: key, shape found, shape expected', () => {
  const cfg = join(tmp, 'bad-kern.json');
  writeFileSync(cfg, JSON.stringify({ core: { hidden_kern: 5, stack: -2 }, input: { size: [20, 28] } }));
  const e = fails([fx('pyramid.pt'), '--config', cfg, '--out', join(tmp, 'e3')]);
  assert.match(e, /core\.features\.layer1\.conv\.weight: found \[4, 4, 3, 3\], expected \[4, 4, 5, 5\]/);
  assert.match(e, /core\.features\.layer2\.conv\.weight: found \[4, 4, 3, 3\], expected \[4, 4, 5, 5\]/);
});

test('configuration errors: unknown name, no input size, Stacked2dCore_pooling without pooling; an existing twin is kept', () => {
  const cfg = join(tmp, 'typo.json');
  writeFileSync(cfg, JSON.stringify({ core: { hidden_kernel: 3 } }));
  assert.match(fails([fx('pyramid.pt'), '--config', cfg, '--out', join(tmp, 'e4')]), /unknown name\(s\) in "core": hidden_kernel/);
  assert.match(fails([fx('pyramid.pt'), '--out', join(tmp, 'e4')]), /input size is not in a state dict: give --image-size HxW/);
  const nb = join(tmp, 'nb.json');
  writeFileSync(nb, JSON.stringify({ input: { size: [18, 26] } }));
  assert.match(fails([fx('notebook.pt'), '--config', nb, '--out', join(tmp, 'e4')]), /"core\.pooling" is missing: Stacked2dCore_pooling requires it/);
  assert.match(fails([fx('pyramid.pt'), '--config', fx('pyramid.json'), '--out', join(tmp, 'pyramid')]), /already holds a twin \(twin\.json\); give another --out, or --overwrite/);
});

test.run();
