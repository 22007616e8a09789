// `dualneuron analyze gabor` end to end on the real V1 twin (member 1, as recorded by the poles folder) with a
// tiny grid: every output is written with its documented shape; the MEI/LEI responses are the twin's responses to
// the poles' images (here blank images, whose member-1 response is in the PyTorch fixture
// test/fixtures/twins/v1_members_centered.npy from tools/golden/v1_twin.py), and the ratios are what they say.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { toFloat32 } from '../../src/io/host-array.js';

const test = suite('cli analyze gabor (V1 twin)');

withUpstream(test)('outputs, MEI responses and ratios on blank poles', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-analyze-gabor-'));
  try {
    const poles = join(tmp, 'poles');
    for (const n of [3]) for (const pole of ['most', 'least']) {
      const d = join(poles, `neuron_${String(n).padStart(4, '0')}`, 'seed_0000', pole);
      mkdirSync(d, { recursive: true });
      writeNpy(join(d, 'image.npy'), { dtype: 'f32', shape: [1, 93, 93], data: new Float32Array(93 * 93) });
      writeFileSync(join(d, 'done.json'), JSON.stringify({ neuron: n, seed: 0, pole, final: 0, initial: 0, steps: 0, configHash: 'x', config: { '--model': 'v1', '--members': [1], '--centered': true, '--target-norm': 12, '--aperture': false } }));
    }
    const out = join(tmp, 'out');
    const r = cli(['analyze', 'gabor', '--model', 'v1', '--poles', poles, '--shifts', '0', '--orientations', '2', '--wavelengths', '10', '--phases', '2', '--sigmas', '8', '--aspects', '1',
      '--starts', '1', '--iterations', '1', '--weights-dir', upstreamWeightsHome(), '--out', out]);
    assert.is(r.status, 0, r.stderr);
    for (const f of ['gabors.csv', 'best_gabors.npy', 'worst_gabors.npy', 'mean_gabors.npy', 'grid_responses.npy', 'grid.json', 'gabors.svg', 'run.json']) assert.ok(existsSync(join(out, f)), f);
    assert.equal(readNpy(join(out, 'best_gabors.npy')).shape, [1, 1, 93, 93]);
    assert.equal(readNpy(join(out, 'grid_responses.npy')).shape, [4, 1]);
    const best = toFloat32(readNpy(join(out, 'best_gabors.npy')));
    assert.ok(Math.abs(Math.hypot(...best) - 12) < 1e-3, 'best Gabor at the poles\' norm');
    const [head, row] = readFileSync(join(out, 'gabors.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const v = (k: string) => Number(row[head.indexOf(k)]);
    const blank = toFloat32(readNpy(fixture('twins', 'v1_members_centered.npy')))[0 * 4 * 458 + 0 * 458 + 3]; // member 1, zeros input, neuron 3
    assert.ok(Math.abs(v('mei_response') - blank) < 1e-4 * Math.abs(blank), `MEI response ${v('mei_response')} vs PyTorch ${blank}`);
    assert.ok(Math.abs(v('lei_response') - blank) < 1e-4 * Math.abs(blank));
    assert.ok(Math.abs(v('mei_over_best_gabor') - v('mei_response') / v('best_response')) < 1e-9);
    assert.ok(Math.abs(v('lei_over_worst_gabor') - v('lei_response') / v('worst_response')) < 1e-9);
    const grid = toFloat32(readNpy(join(out, 'grid_responses.npy')));
    assert.ok(v('best_response') >= Math.max(...grid) - 1e-6 && v('worst_response') <= Math.min(...grid) + 1e-6, 'refinement never loses the grid\'s best/worst');
    assert.is(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).members.join(), '1');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
