// `dualneuron embed`, `dualneuron axis` and `synthesize --axis` end to end with a micro DreamSim imported from
// upstream-format files (test/fixtures/vit/dreamsim), plus the axis arithmetic, Spearman and the cv2 mask resize.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { importDir } from '../../src/models/weights/import.js';
import { importDreamsim, loadDreamsim } from '../../src/models/weights/dreamsim-weights.js';
import type { VitConfig } from '../../src/models/vit.js';
import type { BranchName } from '../../src/models/dreamsim.js';
import { resizeLinearCv2, makeEmbedPipeline, imageToEmbedInput } from '../../src/dualneuron/dream/preprocess.js';
import { semanticAxis, spearman, project, embedFiles } from '../../src/dualneuron/dream/axis.js';
import { readImage } from '../../src/io/image/index.js';
import { cli } from '../helpers/cli.js';
import { gpu } from '../helpers/backends.js';
import { fixture } from '../helpers/fixtures.js';
import { requireUpstream, withUpstream } from '../helpers/upstream.js';

const test = suite('embed, axis, guided synthesize (CLI)');

const micro = { channels: 3, patchSize: 8, gridSize: 2, width: 16, depth: 1, heads: 2, mlpRatio: 4 };
const CONFIGS: Partial<Record<BranchName, VitConfig>> = {
  dino_vitb16: { ...micro, act: 'gelu', eps: 1e-6, lnPre: false, projDim: null, output: 'cls' },
  clip_vitb16: { ...micro, act: 'quick_gelu', eps: 1e-5, lnPre: true, projDim: 8, output: 'cls_proj' },
  open_clip_vitb16: { ...micro, act: 'gelu', eps: 1e-5, lnPre: true, projDim: 8, output: 'cls_proj' },
};

test('cv2 INTER_LINEAR resize, Spearman with ties, semantic axis', () => {
  const r = resizeLinearCv2(Float64Array.from([0, 1, 2, 3]), 2, 2, 4, 4);
  assert.equal(Array.from(r.slice(0, 4)), [0, 0.25, 0.75, 1]);
  assert.equal(Array.from(r.slice(12, 16)), [2, 2.25, 2.75, 3]);
  // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).correlation = 0.8207826816681233
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12);
  assert.ok(Math.abs(spearman([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  const a = semanticAxis(Float32Array.from([1, 0, 3, 0]), Float32Array.from([0, 0, 0, 2]), 2);
  // centroids (2, 0) and (0, 1): axis (2, -1) / sqrt(5)
  assert.ok(Math.abs(a[0] - 2 / Math.sqrt(5)) < 1e-6 && Math.abs(a[1] + 1 / Math.sqrt(5)) < 1e-6, `axis ${a}`);
  assert.ok(Math.abs(project(Float32Array.from([1, 1]), a)[0] - 1 / Math.sqrt(5)) < 1e-6);
});

withUpstream(test)('embed, axis (with held-out Spearman) and synthesize --axis on the V1 twin', async () => {
  const up = requireUpstream();
  const tmp = mkdtempSync(join(tmpdir(), 'dn-dream-cli-'));
  try {
    const home = join(tmp, 'home');
    importDir(up, home, { targets: ['v1', 'priors'] });
    importDreamsim([fixture('vit', 'dreamsim', 'loose')], home, { types: ['ensemble'], configs: CONFIGS, force: true });
    const imgs = fixture('images', 'inputs');
    const files = readdirSync(imgs).filter((f) => /rgb|gray4|gray16/.test(f)).sort().slice(0, 8).map((f) => join(imgs, f));
    // embed
    const E = join(tmp, 'E.npy');
    let r = cli(['embed', '--images', ...files, '--area', 'v1', '--weights-dir', home, '--out', E, '--batch', '3']);
    assert.is(r.status, 0, r.stderr);
    const e = readNpy(E);
    assert.equal(e.shape, [files.length, 32]);
    const ours = e.data as Float32Array;
    const { model } = loadDreamsim('ensemble', { weightsDir: home, backend: await gpu() });
    const pipe = makeEmbedPipeline({ mask: readNpy(join(home, 'V1GrayTaskDriven', 'mask.npy')) });
    const direct = await embedFiles(model, files, pipe, { batch: 8 });
    model.dispose();
    let d = 0;
    for (let i = 0; i < direct.length; i++) d = Math.max(d, Math.abs(direct[i] - ours[i]));
    assert.ok(d < 1e-5, `CLI vs in-process embeddings differ by ${d}`);
    const x = imageToEmbedInput(pipe, readImage(files[0]));
    assert.ok(x.every((v) => v >= 0 && v <= 1), 'inputs clipped to [0, 1]');
    assert.ok(existsSync(E.replace('.npy', '.run.json')));
    // a screening output with two units
    const screen = join(tmp, 'screen');
    mkdirSync(screen);
    writeFileSync(join(screen, 'images.txt'), files.map((p, i) => `${i}\t${p}`).join('\n') + '\n');
    const resp = new Float32Array(files.length * 2);
    for (let i = 0; i < files.length; i++) { resp[2 * i] = i; resp[2 * i + 1] = Math.sin(i); }
    writeNpy(join(screen, 'responses.npy'), { dtype: 'f32', shape: [files.length, 2], data: resp });
    writeFileSync(join(screen, 'run.json'), JSON.stringify({ model: 'v1', options: { preset: 'rendered' } }));
    const A = join(tmp, 'axis.npy');
    r = cli(['axis', '--screen', screen, '--neuron', '1', '--k', '2', '--evaluate', 'all', '--weights-dir', home, '--out', A]);
    assert.is(r.status, 0, r.stderr);
    const a = readNpy(A).data as Float32Array;
    assert.is(a.length, 32);
    assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-5, 'unit axis');
    const info = JSON.parse(readFileSync(join(tmp, 'axis.json'), 'utf8')) as { mais: { index: number }[]; lais: { index: number }[]; evaluation: { heldOut: number; spearman: number } };
    const order = Array.from({ length: files.length }, (_, i) => i).sort((p, q) => Math.sin(p) - Math.sin(q));
    assert.equal(info.mais.map((m) => m.index), [order[files.length - 1], order[files.length - 2]]);
    assert.equal(info.lais.map((m) => m.index), [order[0], order[1]]);
    assert.is(info.evaluation.heldOut, files.length - 4);
    assert.ok(Number.isFinite(info.evaluation.spearman));
    // guided synthesis through the CLI
    const out = join(tmp, 'mei');
    r = cli(['synthesize', '--model', 'v1', '--members', '1', '--neuron', '3', '--seed', '0', '--pole', 'most', '--steps', '2', '--crops', '1',
      '--axis', A, '--axis-weight', '0.15', '--weights-dir', home, '--out', out]);
    assert.is(r.status, 0, r.stderr);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { guidance: { weight: number; embedder: string } };
    assert.equal([run.guidance.weight, run.guidance.embedder], [0.15, 'ensemble']);
    // an axis of the wrong length is refused with the reason
    writeNpy(join(tmp, 'bad.npy'), { dtype: 'f32', shape: [5], data: new Float32Array(5).fill(0.1) });
    r = cli(['synthesize', '--model', 'v1', '--neuron', '3', '--steps', '1', '--axis', join(tmp, 'bad.npy'), '--weights-dir', home, '--out', join(tmp, 'bad')]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /5 dims.*32/);
    // without DreamSim weights: the pull command
    r = cli(['embed', '--images', files[0], '--no-mask', '--type', 'dino_vitb16', '--weights-dir', home, '--out', join(tmp, 'E2.npy')]);
    assert.is(r.status, 1);
    assert.match(r.stderr, /weights pull dreamsim-dino_vitb16/);
  } finally { rmSync(tmp, { recursive: true, force: true }); }
});

test.run();
