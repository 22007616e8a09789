// `dualneuron predict` end to end: outputs against the PyTorch fixtures, images, and clear failures that leave
// no output file behind.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { requireUpstream, withUpstream } from '../helpers/upstream.js';

const test = suite('cli predict');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-cli-'));

withUpstream(test)('--input: ensemble responses and --grad-out match PyTorch; run.json written', () => {
  const home = upstreamWeightsHome();
  const x = readNpy(fixture('twins', 'v1_inputs.npy'));
  const xin = join(tmp, 'x.npy');
  writeNpy(xin, { dtype: 'f32', shape: [2, 1, 93, 93], data: (x.data as Float32Array).subarray(0, 2 * 93 * 93) });
  const out = join(tmp, 'y.npy'), gout = join(tmp, 'g.npy');
  const r = cli(['predict', '--model', 'v1', '--input', xin, '--out', out, '--grad-neuron', '42', '--grad-out', gout, '--weights-dir', home]);
  assert.is(r.status, 0, r.stderr);
  const y = readNpy(out), want = readNpy(fixture('twins', 'v1_ensemble_centered.npy')).data as Float32Array;
  assert.equal(y.shape, [2, 458]);
  for (let i = 0; i < 2 * 458; i++) assert.ok(Math.abs((y.data as Float32Array)[i] - want[i]) <= 1e-4 * Math.abs(want[i]), `response ${i}`);
  const g = readNpy(gout).data as Float32Array, gw = readNpy(fixture('twins', 'v1_grads_centered_n0_n42.npy')).data as Float32Array;
  const per = 4 * 93 * 93;
  let scale = 0, err = 0;
  for (let i = 0; i < 2 * 93 * 93; i++) { scale = Math.max(scale, Math.abs(gw[per + i])); err = Math.max(err, Math.abs(g[i] - gw[per + i])); }
  assert.ok(err / scale < 1e-3, `gradient error ${err / scale}`);
  const rec = JSON.parse(readFileSync(join(tmp, 'y.run.json'), 'utf8'));
  assert.equal(rec.members, [1, 2, 3, 4, 5]);
  assert.ok(rec.weightsSha256.member_1.length === 64 && rec.adapter.includes('WebGPU'));
});

withUpstream(test)('--images and --member: PNG and JPEG files give one row each', () => {
  const home = upstreamWeightsHome();
  const dir = join(tmp, 'imgs');
  mkdirSync(dir, { recursive: true });
  for (const f of ['rgb_300x200.png', 'jpg_rgb420_300x200.jpg', 'l_37x53.png']) copyFileSync(fixture('images', 'inputs', f), join(dir, f));
  const out = join(tmp, 'yi.npy');
  const r = cli(['predict', '--model', 'v1', '--member', '2', '--images', dir, '--preset', 'rendered', '--out', out, '--weights-dir', home]);
  assert.is(r.status, 0, r.stderr);
  const y = readNpy(out);
  assert.equal(y.shape, [3, 458]);
  assert.ok((y.data as Float32Array).every((v) => v > 0 && Number.isFinite(v)));
  assert.equal(JSON.parse(readFileSync(join(tmp, 'yi.run.json'), 'utf8')).images.length, 3);
});

function assertFails(args: string[], pattern: RegExp, noFile: string, env: Record<string, string> = {}): void {
  const r = cli(args, env);
  assert.is.not(r.status, 0, `expected failure for ${args.join(' ')}`);
  assert.match(r.stderr, pattern);
  assert.not.ok(existsSync(noFile), `${noFile} must not exist after a failure`);
  assert.not.match(r.stderr, /unexpected error/);
}

test('bad inputs fail clearly before any output is written (and before weights are looked up)', () => {
  const home = join(tmp, 'empty-home');
  const out = join(tmp, 'never.npy');
  const bad = join(tmp, 'bad-shape.npy');
  writeNpy(bad, { dtype: 'f32', shape: [2, 3, 93, 93], data: new Float32Array(2 * 3 * 93 * 93) });
  assertFails(['predict', '--model', 'v1', '--input', bad, '--out', out, '--weights-dir', home], /bad-shape\.npy: shape \(2, 3, 93, 93\), expected \(B, 1, 93, 93\)/, out);
  const f64 = join(tmp, 'f64.npy');
  writeNpy(f64, { dtype: 'f64', shape: [1, 1, 93, 93], data: new Float64Array(93 * 93) });
  assertFails(['predict', '--model', 'v1', '--input', f64, '--out', out, '--weights-dir', home], /f64\.npy: dtype f64, expected float32/, out);
  assertFails(['predict', '--model', 'v1', '--images', join(tmp, 'missing.png'), '--out', out, '--weights-dir', home], /image source not found: .*missing\.png/, out);
  assertFails(['predict', '--model', 'v1', '--images', fixture('images', 'bad', 'truncated.png'), '--out', out, '--weights-dir', home], /truncated\.png/, out);
  assertFails(['predict', '--model', 'v9', '--input', bad, '--out', out], /unknown model 'v9'/, out);
  assertFails(['predict', '--model', 'v1', '--input', bad, '--out', out, '--grad-neuron', '500', '--grad-out', join(tmp, 'g2.npy'), '--weights-dir', home], /out of range.*0\.\.457/, out);
  assertFails(['predict', '--model', 'v1', '--input', f64, '--out', out, '--weights-dir', join(tmp, 'no-weights-here')], /./, out);
});

test('missing weights say which command fetches them', () => {
  const x = join(tmp, 'x1.npy');
  writeNpy(x, { dtype: 'f32', shape: [1, 1, 93, 93], data: new Float32Array(93 * 93) });
  const out = join(tmp, 'nw.npy');
  assertFails(['predict', '--model', 'v1', '--input', x, '--out', out, '--weights-dir', join(tmp, 'no-weights')], /dualneuron weights pull v1/, out);
});

withUpstream(test)('corrupt checkpoints and safetensors fail with the file named', () => {
  const up = requireUpstream();
  // a truncated upstream checkpoint is refused at import (checksum) and, with --force, at conversion
  const src = join(tmp, 'corrupt-src', 'V1GrayTaskDriven');
  mkdirSync(src, { recursive: true });
  const bytes = readFileSync(join(up, 'V1GrayTaskDriven', 'v1_convnext_1.pth.tar'));
  writeFileSync(join(src, 'v1_convnext_1.pth.tar'), bytes.subarray(0, 5000));
  const home = join(tmp, 'corrupt-home');
  let r = cli(['weights', 'import', join(tmp, 'corrupt-src'), '--weights-dir', home]);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /v1_convnext_1\.pth\.tar does not match upstream.*size 5000|5000 bytes/);
  r = cli(['weights', 'import', join(tmp, 'corrupt-src'), '--weights-dir', home, '--force']);
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /v1_convnext_1\.pth\.tar/);
  assert.not.match(r.stderr, /unexpected error/);
  // a cache whose safetensors header is damaged
  const good = upstreamWeightsHome();
  const home2 = join(tmp, 'damaged-home');
  mkdirSync(join(home2, 'V1GrayTaskDriven'), { recursive: true });
  for (const f of ['manifest.json']) copyFileSync(join(good, f), join(home2, f));
  for (const f of ['mask.npy', 'correlations.npy', 'member_2.safetensors', 'member_3.safetensors', 'member_4.safetensors', 'member_5.safetensors']) copyFileSync(join(good, 'V1GrayTaskDriven', f), join(home2, 'V1GrayTaskDriven', f));
  const st = readFileSync(join(good, 'V1GrayTaskDriven', 'member_1.safetensors'));
  st.writeUInt32LE(0x7fffffff, 0);
  writeFileSync(join(home2, 'V1GrayTaskDriven', 'member_1.safetensors'), st);
  const x = join(tmp, 'x2.npy');
  writeNpy(x, { dtype: 'f32', shape: [1, 1, 93, 93], data: new Float32Array(93 * 93) });
  const out = join(tmp, 'dmg.npy');
  assertFails(['predict', '--model', 'v1', '--input', x, '--out', out, '--weights-dir', home2], /member_1\.safetensors/, out);
});

test.run();
