// `--model DIR` (a trained twin folder) in screen, synthesize, poles and evolve, end to end on a tiny twin trained
// here (ln-population.ts, 16 x 24 images, one member, 3 epochs). Oracles independent of the command under test:
// predict on the same image files (screen's orders and values, its top image = argmax of predict), predict on the
// written images (synthesis and evolution results, their recorded activations and scores), the twin's input map
// recomputed in float64 from twin.json (image.npy = (u - mean) / std; evolve's best image = sigmoid(code) mapped
// and scaled to norm sqrt(C*H*W)), sha256 of the member files computed here, and the screened images as a bar the
// MEI must clear (and the LEI stay under). Bad folders and options fail naming the folder and the problem.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { writePNG } from '../../src/io/image/index.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { toFloat32 } from '../../src/io/host-array.js';
import { cliFails, cliOk } from '../helpers/cli.js';
import { writeLnPopulation } from './ln-population.js';

const test = suite('--model DIR: screen, synthesize, poles, evolve on a trained twin');
const tmp = mkdtempSync(join(tmpdir(), 'dn-modeldir-'));
const twin = join(tmp, 'twin');
const H = 16, W = 24, N = 3;
let manifest: { input: { preprocessing: { mean: number; std: number } }; neurons: { ids: string[] }; members: { file: string }[] };
const imagesDir = join(tmp, 'images');
const IMAGES = 10;

const ok = (args: string[]) => cliOk(args);
const fails = (args: string[], re: RegExp) => { cliFails(args, re); };
const f32 = (p: string) => toFloat32(readNpy(p));
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

/** predict --input on a (B, 1, H, W) array; the responses (B, N) */
function predictArray(x: Float32Array, B: number, name: string): Float32Array {
  const inp = join(tmp, `${name}.npy`), out = join(tmp, `${name}.pred.npy`);
  writeNpy(inp, { dtype: 'f32', shape: [B, 1, H, W], data: x });
  ok(['predict', '--model', twin, '--input', inp, '--out', out]);
  return f32(out);
}

test.before(() => {
  const data = join(tmp, 'data');
  writeLnPopulation(data, { images: 80, neurons: N, repeats: 2, h: H, w: W, seed: 5n });
  ok(['train', data, '--image-size', `${H}x${W}`, '--hidden-channels', '4', '--layers', '2', '--epochs', '3', '--batch', '16', '--members', '1', '--clip', '50', '--out', twin]);
  manifest = JSON.parse(readFileSync(join(twin, 'twin.json'), 'utf8'));
  // image files of another size (32 x 48, RGB): screen and predict must preprocess them the same way
  mkdirSync(imagesDir);
  const rng = new HostRng(3n);
  for (let i = 0; i < IMAGES; i++) {
    const d = new Uint8Array(32 * 48 * 3);
    for (let k = 0; k < d.length; k++) d[k] = Math.floor(rng.uniform() * 256);
    writePNG(join(imagesDir, `im${i}.png`), { width: 48, height: 32, channels: 3, data: d });
  }
});

let screenedMax: number[] = [], screenedMin: number[] = [];

test('screen --model DIR: per-neuron orders equal predict on the same images; top image = argmax; run.json names the folder and member sha256', () => {
  const pred = join(tmp, 'pred.npy');
  ok(['predict', '--model', twin, '--images', imagesDir, '--out', pred]);
  const y = f32(pred);
  const out = join(tmp, 'screen');
  ok(['screen', '--model', twin, '--images', imagesDir, '--batch', '4', '--out', out]);
  const dirs = readdirSync(out);
  const respDir = dirs.find((d) => d.endsWith('_ordered_responses'))!, idxDir = dirs.find((d) => d.endsWith('_ordered_indices'))!;
  assert.ok(respDir.startsWith('twin_None_images'), respDir);
  for (let n = 0; n < N; n++) {
    const r = f32(join(out, respDir, `${n}.npy`)), idx = readNpy(join(out, idxDir, `${n}.npy`)).data as BigInt64Array;
    const col = Array.from({ length: IMAGES }, (_, i) => y[i * N + n]!);
    const arg = col.indexOf(Math.max(...col));
    assert.is(Number(idx[IMAGES - 1]), arg, `neuron ${n}: the screen's top image is predict's argmax`);
    for (let k = 0; k < IMAGES; k++) assert.ok(Math.abs(r[k]! - col[Number(idx[k])]!) <= 1e-5 * Math.max(1, Math.abs(r[k]!)), `neuron ${n} rank ${k}`);
    screenedMax.push(Math.max(...col)); screenedMin.push(Math.min(...col));
  }
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(rec.model, twin);
  assert.is(rec.weightsSha256.member_1, sha256(join(twin, 'member_1.safetensors')));
  assert.equal(rec.neuron_ids, manifest.neurons.ids);
  // plot poles shows the images as the twin saw them (16 x 24 gray), labelled with the screen's responses
  ok(['plot', 'poles', out, '--neuron', '1', '--k', '3', '--model', twin, '--out', join(tmp, 'poles1')]);
  const svg = readFileSync(join(tmp, 'poles1.svg'), 'utf8');
  const r1 = f32(join(out, respDir, '1.npy'));
  assert.ok(svg.includes(r1[IMAGES - 1]!.toFixed(6)) && svg.includes(r1[0]!.toFixed(6)), 'the highest and lowest responses label the figure');
});

test('synthesize --model DIR (allen): image = (u - mean)/std; its response (predict) = the recorded final; MEI above and LEI below every screened image', () => {
  const out = join(tmp, 'synth');
  ok(['synthesize', '--model', twin, '--neuron', '0', '--steps', '40', '--seed', '0', '--out', out]);
  const { mean, std } = manifest.input.preprocessing;
  for (const pole of ['most', 'least'] as const) {
    const dir = join(out, 'neuron_0000', 'seed_0000', pole);
    const img = readNpy(join(dir, 'image.npy')), u = f32(join(dir, 'image_unit.npy'));
    assert.equal(img.shape, [1, H, W]);
    const x = toFloat32(img);
    for (let k = 0; k < x.length; k++) assert.ok(Math.abs(x[k]! - (u[k]! - mean) / std) < 1e-4, `input map at ${k}`);
    const resp = predictArray(x, 1, `synth-${pole}`)[0]!;
    const done = JSON.parse(readFileSync(join(dir, 'done.json'), 'utf8'));
    const final = done.final; // the allen loop records the response r itself for both poles
    assert.ok(Math.abs(resp - final) <= 1e-4 * Math.max(1, Math.abs(resp)), `${pole}: predict ${resp} vs recorded ${final}`);
    if (pole === 'most') assert.ok(resp > screenedMax[0]!, `MEI ${resp} > best screened ${screenedMax[0]}`);
    else assert.ok(resp < screenedMin[0]!, `LEI ${resp} < least screened ${screenedMin[0]}`);
  }
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(rec.model, twin);
  assert.is(rec.weightsSha256.member_1, sha256(join(twin, 'member_1.safetensors')));
  assert.is(rec.recipe.name, 'allen');
  assert.is(rec.recipe.contrastTarget, manifest.input.preprocessing.std, 'c* defaults to the training pixel std');
});

test('poles --model DIR: neurons by index and by id; --mask zeroes the input outside it', () => {
  const out = join(tmp, 'poles');
  const mask = new Float32Array(H * W);
  for (let y = 4; y < 12; y++) for (let x = 6; x < 18; x++) mask[y * W + x] = 1;
  const m = join(tmp, 'mask.npy');
  writeNpy(m, { dtype: 'f32', shape: [H, W], data: mask });
  ok(['poles', '--model', twin, '--neurons', `1,${manifest.neurons.ids[2]}`, '--steps', '5', '--mask', m, '--out', out]);
  for (const n of ['neuron_0001', 'neuron_0002']) {
    const x = f32(join(out, n, 'seed_0000', 'most', 'image.npy'));
    assert.ok(mask.every((v, k) => v === 1 || x[k] === 0), `${n}: zero outside the mask`);
    assert.ok(x.some((v) => v !== 0));
  }
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal(rec.neurons, [1, 2]);
  assert.is(rec.recipe.mask.sha256, createHash('sha256').update(new Uint8Array(mask.buffer)).digest('hex'));
});

test('evolve --model DIR (pixel): best image = sigmoid(code) mapped and scaled to sqrt(C*H*W); its response (predict) = the best score', () => {
  const out = join(tmp, 'evolve');
  ok(['evolve', '--model', twin, '--neurons', '2', '--spaces', 'pixel', '--generations', '4', '--pop', '6', '--save-every', '0', '--out', out]);
  const dir = join(out, 'n2', 's0', 'pixel');
  const sc = readNpy(join(dir, 'scores.npy')), width = sc.shape[1]!, scores = toFloat32(sc), codes = f32(join(dir, 'best_codes.npy')), best = f32(join(dir, 'best_image.npy'));
  const { mean, std } = manifest.input.preprocessing;
  const px = H * W, norm = Math.sqrt(px);
  const y = predictArray(best, 4, 'evolve-best');
  for (let g = 0; g < 4; g++) {
    const x = Float64Array.from({ length: px }, (_, k) => (1 / (1 + Math.exp(-codes[g * px + k]!)) - mean) / std);
    const s = Math.sqrt(x.reduce((a, v) => a + v * v, 0));
    for (let k = 0; k < px; k++) assert.ok(Math.abs(best[g * px + k]! - (x[k]! * norm) / s) < 1e-4, `generation ${g} pixel ${k}`);
    const row = Array.from(scores.subarray(g * width, (g + 1) * width)).filter((v) => !Number.isNaN(v));
    assert.ok(row.length === (g === 0 ? 1 : 6), `generation ${g}: ${row.length} scores (generation 0 scores the start)`);
    const top = Math.max(...row);
    assert.ok(Math.abs(y[g * N + 2]! - top) <= 1e-4 * Math.max(1, top), `generation ${g}: predict ${y[g * N + 2]} vs best score ${top}`);
  }
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(rec.model, twin);
  assert.is(rec.weightsSha256.member_1, sha256(join(twin, 'member_1.safetensors')));
  assert.ok(Math.abs(rec.norm - norm) < 1e-12);
});

test('bad folders and options: no twin.json, a changed member file, neuron out of range or unknown id, fixed-twin options', () => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  const o = (name: string) => join(tmp, `bad-${name}`);
  fails(['screen', '--model', empty, '--images', imagesDir, '--out', o('1')], /is a folder without twin\.json/);
  fails(['synthesize', '--model', empty, '--neuron', '0', '--out', o('2')], /is a folder without twin\.json/);
  fails(['evolve', '--model', join(tmp, 'nowhere'), '--neurons', '0', '--spaces', 'pixel', '--generations', '1', '--out', o('3')], /unknown model .*no folder/);
  const changed = join(tmp, 'changed');
  cpSync(twin, changed, { recursive: true });
  const f = join(changed, 'member_1.safetensors');
  const b = readFileSync(f);
  b[b.length - 1] ^= 1;
  writeFileSync(f, b);
  fails(['screen', '--model', changed, '--images', imagesDir, '--out', o('4')], /member_1\.safetensors: sha256 [0-9a-f]+ differs from twin\.json's/);
  fails(['synthesize', '--model', twin, '--neuron', '3', '--out', o('5')], new RegExp(`neuron 3 is out of range: the twin ${twin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has neurons 0\\.\\.2`));
  fails(['poles', '--model', twin, '--neurons', 'n9', '--out', o('6')], /'n9' is neither a neuron index nor one of the neuron ids/);
  fails(['evolve', '--model', twin, '--neurons', '0-5', '--spaces', 'pixel', '--generations', '1', '--out', o('7')], /neuron 5 is out of range/);
  fails(['synthesize', '--model', twin, '--neuron', '0', '--recipe', 'v1', '--out', o('8')], /synthesises with --recipe allen/);
  fails(['evolve', '--model', twin, '--neurons', '0', '--spaces', 'fourier', '--generations', '1', '--out', o('9')], /evolves in the pixel space only/);
  fails(['screen', '--model', twin, '--images', imagesDir, '--no-centered', '--out', o('10')], /--no-centered is an option of the DualNeuron twins/);
  fails(['synthesize', '--model', twin, '--neuron', '0', '--members', '2', '--out', o('11')], /has members 1; got 2/);
  fails(['poles', '--model', twin, '--neurons', '0', '--no-aperture', '--mask', join(tmp, 'mask.npy'), '--out', o('14')], /--no-aperture and --mask contradict/);
  fails(['screen', '--model', 'v1', '--images', imagesDir, '--mask', join(tmp, 'mask.npy'), '--out', o('12')], /--mask is for trained twin folders/);
  const wrong = join(tmp, 'mask-wrong.npy');
  writeNpy(wrong, { dtype: 'f32', shape: [W, H], data: new Float32Array(H * W).fill(1) });
  fails(['predict', '--model', twin, '--images', imagesDir, '--mask', wrong, '--out', o('13.npy')], /--mask .*shape \(24, 16\), expected \(16, 24\)/);
});

test.run();
