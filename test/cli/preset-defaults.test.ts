// Issue 12, items 17 and 18: one default preset for every command that preprocesses image files ('rendered', as
// upstream's screen_activations treats local folders), printed at start and recorded in run.json; and a default
// --axis-weight in the range the README calls useful.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { parseAxis, type SynthCli } from '../../src/dualneuron/cli/synthesize.js';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';

const test = suite('cli preset and defaults');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-preset-'));

withUpstream(test)("predict and screen default to 'rendered' (upstream's local-folder rule), say so and record it", () => {
  const home = upstreamWeightsHome();
  const imgs = join(tmp, 'imgs');
  mkdirSync(imgs, { recursive: true });
  // 300x200: the imagenet preset's resize of the short side to 256 changes what the crop sees
  copyFileSync(fixture('images', 'inputs', 'rgb_300x200.png'), join(imgs, 'a.png'));
  const run = (preset: string[], name: string) => {
    const out = join(tmp, `${name}.npy`);
    const r = cli(['predict', '--model', 'v1', '--member', '1', '--images', imgs, ...preset, '--out', out, '--weights-dir', home]);
    assert.is(r.status, 0, r.stderr);
    return { y: readNpy(out).data as Float32Array, stderr: r.stderr, rec: JSON.parse(readFileSync(join(tmp, `${name}.run.json`), 'utf8')) };
  };
  const def = run([], 'default'), rendered = run(['--preset', 'rendered'], 'rendered'), imagenet = run(['--preset', 'imagenet'], 'imagenet');
  assert.equal(Array.from(def.y), Array.from(rendered.y), 'the default is the rendered preset');
  assert.ok(imagenet.y.some((v, i) => v !== def.y[i]), 'imagenet preprocesses differently');
  assert.match(def.stderr, /preset: rendered/);
  assert.match(imagenet.stderr, /preset: imagenet/);
  assert.is(def.rec.preset, 'rendered');
  assert.is(imagenet.rec.preset, 'imagenet');

  const out = join(tmp, 'screen');
  const r = cli(['screen', '--model', 'v1', '--member', '1', '--images', imgs, '--workers', '0', '--out', out, '--weights-dir', home]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /preset: rendered/);
  assert.is(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).preset, 'rendered');
  assert.ok(readdirSync(out).includes('v1_None_rendered_ordered_responses'), readdirSync(out).join(', '));
  const resp = readNpy(join(out, 'responses.npy')).data as Float32Array;
  assert.equal(Array.from(resp), Array.from(def.y), 'screen and predict preprocess alike by default');
});

test('--axis-weight defaults to a weight the README calls useful (0.05-0.2), not 1', () => {
  const axis = join(tmp, 'axis.npy');
  writeNpy(axis, { dtype: 'f32', shape: [4], data: new Float32Array([1, 0, 0, 0]) });
  const g = parseAxis({ axis } as SynthCli)!;
  assert.ok(g.weight >= 0.05 && g.weight <= 0.2, `default weight ${g.weight}`);
  const help = cli(['synthesize', '--help']).stdout;
  assert.match(help, new RegExp(`--axis-weight <w>\\s+weight of the guidance term \\(default ${g.weight}`));
});

test.run();
