// `analyze axis`: (1) the semantic axis, projections and Spearman rho against NumPy / scipy.stats.spearmanr
// (tools/golden/semantic_axis.py: ties and a NaN response); (2) the command end to end with a micro DreamSim
// (fixture weights) on two .npy sets and a screen with held-out images: the written axis equals the axis of the
// in-process embeddings, the CSV's held-out responses are the screen's, rho is Spearman of the CSV's columns;
// (3) bad inputs give clear errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { embedInputs, project, semanticAxis, spearman } from '../../src/dualneuron/dream/axis.js';
import { arrayToEmbedInput } from '../../src/dualneuron/analysis/axis-sets.js';
import { makeEmbedPipeline } from '../../src/dualneuron/dream/preprocess.js';
import { importDreamsim, loadDreamsim } from '../../src/models/weights/dreamsim-weights.js';
import type { VitConfig } from '../../src/models/vit.js';
import type { BranchName } from '../../src/models/dreamsim.js';
import { gpu, seededValues } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { cli } from '../helpers/cli.js';

const test = suite('analysis: semantic axis');

interface Case { D: number; EA: number[]; EB: number[]; EH: number[]; axis: number[]; projections: number[]; responses: (number | null)[]; spearman: number }
const ref = JSON.parse(readFileSync(fixture('axis', 'semantic_axis.json'), 'utf8')) as { cases: Case[] };

test('axis, projections and Spearman rho equal NumPy and scipy.stats.spearmanr (ties, NaN omitted)', () => {
  for (const [i, c] of ref.cases.entries()) {
    const axis = semanticAxis(Float32Array.from(c.EA), Float32Array.from(c.EB), c.D);
    axis.forEach((v, j) => assert.ok(Math.abs(v - c.axis[j]) < 1e-6, `case ${i}: axis[${j}] ${v} vs ${c.axis[j]}`));
    const p = project(Float32Array.from(c.EH), axis);
    p.forEach((v, j) => assert.ok(Math.abs(v - c.projections[j]) < 1e-5, `case ${i}: projection ${j} ${v} vs ${c.projections[j]}`));
    const rho = spearman(p, c.responses.map((v) => (v === null ? NaN : v)));
    assert.ok(Math.abs(rho - c.spearman) < 1e-6, `case ${i}: rho ${rho} vs scipy ${c.spearman}`);
  }
});

const micro = { channels: 3, patchSize: 8, gridSize: 2, width: 16, depth: 1, heads: 2, mlpRatio: 4 };
const CONFIGS: Partial<Record<BranchName, VitConfig>> = {
  dino_vitb16: { ...micro, act: 'gelu', eps: 1e-6, lnPre: false, projDim: null, output: 'cls' },
  clip_vitb16: { ...micro, act: 'quick_gelu', eps: 1e-5, lnPre: true, projDim: 8, output: 'cls_proj' },
  open_clip_vitb16: { ...micro, act: 'gelu', eps: 1e-5, lnPre: true, projDim: 8, output: 'cls_proj' },
};

test('analyze axis end to end (micro DreamSim): two .npy sets, held-out screened images, and bad inputs', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dn-axis-'));
  try {
    const home = join(tmp, 'home');
    importDreamsim([fixture('vit', 'dreamsim', 'loose')], home, { types: ['ensemble'], configs: CONFIGS, force: true });
    const S = 93, per = S * S;
    const A = seededValues(3 * per, 11, -1, 1), B = seededValues(2 * per, 12, -0.2, 0.2);
    writeNpy(join(tmp, 'a.npy'), { dtype: 'f32', shape: [3, 1, S, S], data: A });
    writeNpy(join(tmp, 'b.npy'), { dtype: 'f32', shape: [2, S, S], data: B });
    const imgs = fixture('images', 'inputs');
    const files = readdirSync(imgs).filter((f) => /rgb|gray4|gray16/.test(f)).sort().slice(0, 7).map((f) => join(imgs, f));
    const screen = join(tmp, 'screen');
    mkdirSync(screen);
    writeFileSync(join(screen, 'images.txt'), files.map((p, i) => `${i}\t${p}`).join('\n') + '\n');
    const resp = new Float32Array(files.length * 2);
    for (let i = 0; i < files.length; i++) { resp[2 * i] = i; resp[2 * i + 1] = Math.cos(3 * i); }
    writeNpy(join(screen, 'responses.npy'), { dtype: 'f32', shape: [files.length, 2], data: resp });
    writeFileSync(join(screen, 'run.json'), JSON.stringify({ model: 'v1', options: { preset: 'rendered' } }));
    const out = join(tmp, 'out');
    const base = ['analyze', 'axis', '--model', 'v1', '--neuron', '1', '--no-mask', '--weights-dir', home, '--batch', '4'];
    let r = cli([...base, '--a', join(tmp, 'a.npy'), '--b', join(tmp, 'b.npy'), '--screen', screen, '--evaluate', 'all', '--out', out]);
    assert.is(r.status, 0, r.stderr);
    for (const f of ['axis.npy', 'projections.csv', 'axis.json', 'axis.svg', 'run.json']) assert.ok(existsSync(join(out, f)), f);
    const axis = readNpy(join(out, 'axis.npy')).data as Float32Array;
    // the axis of the same embeddings computed in this process
    const { model } = loadDreamsim('ensemble', { weightsDir: home, backend: await gpu() });
    const pipe = makeEmbedPipeline({ mask: null });
    const EA = await embedInputs(model, 3, (i) => arrayToEmbedInput(pipe, A.subarray(i * per, (i + 1) * per), 1, S, S));
    const EB = await embedInputs(model, 2, (i) => arrayToEmbedInput(pipe, B.subarray(i * per, (i + 1) * per), 1, S, S));
    model.dispose();
    const want = semanticAxis(EA, EB, model.dim);
    assert.is(axis.length, model.dim);
    want.forEach((v, j) => assert.ok(Math.abs(axis[j] - v) < 1e-5, `axis[${j}] ${axis[j]} vs ${v}`));
    const lines = readFileSync(join(out, 'projections.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    assert.equal(lines.map((l) => l[0]), ['a', 'a', 'a', 'b', 'b', ...files.map(() => 'held_out')]);
    const held = lines.filter((l) => l[0] === 'held_out');
    held.forEach((l, i) => assert.ok(Math.abs(Number(l[3]) - resp[2 * i + 1]) < 1e-6, `held-out response ${i}`));
    const info = JSON.parse(readFileSync(join(out, 'axis.json'), 'utf8')) as { spearman: number; heldOut: number };
    assert.is(info.heldOut, files.length);
    assert.ok(Math.abs(info.spearman - spearman(held.map((l) => Number(l[2])), held.map((l) => Number(l[3])))) < 1e-9);
    // bad inputs
    r = cli([...base, '--a', join(tmp, 'a.npy'), '--out', join(tmp, 'x1')]);
    assert.ok(r.status !== 0); assert.match(r.stderr, /give both --a and --b/);
    writeNpy(join(tmp, 'empty.npy'), { dtype: 'f32', shape: [0, S, S], data: new Float32Array(0) });
    r = cli([...base, '--a', join(tmp, 'empty.npy'), '--b', join(tmp, 'b.npy'), '--out', join(tmp, 'x2')]);
    assert.ok(r.status !== 0); assert.match(r.stderr, /holds no images/);
    r = cli([...base, '--a', join(tmp, 'a.npy'), '--b', join(tmp, 'b.npy'), '--evaluate', '5', '--out', join(tmp, 'x3')]);
    assert.ok(r.status !== 0); assert.match(r.stderr, /--evaluate needs --screen/);
    writeFileSync(join(screen, 'run.json'), JSON.stringify({ model: 'v4', options: { preset: 'rendered' } }));
    r = cli([...base, '--screen', screen, '--k', '2', '--out', join(tmp, 'x4')]);
    assert.ok(r.status !== 0); assert.match(r.stderr, /screened the v4 twin, not v1/);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
});

test.run();
