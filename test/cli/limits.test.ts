// Issue 12, items 5, 9, 10 and 13: names that become paths cannot leave --out; workers, results, image sizes and
// synthesis batches are bounded before any work; out-of-range units are named as such.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { upstreamDir, withUpstream } from '../helpers/upstream.js';
import { gpu } from '../helpers/backends.js';
import { WebGPUBackend } from '../../src/tensor/backend/webgpu/webgpu-backend.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { loadPrior } from '../../src/models/weights/store.js';
import { RECIPES, recipeOptions } from '../../src/dualneuron/synthesis/recipes.js';
import { FourierParameterization } from '../../src/dualneuron/synthesis/fourier.js';
import { synthesize } from '../../src/dualneuron/synthesis/engine.js';
import { maxRunsPerBatch } from '../../src/dualneuron/cli/limits.js';

const test = suite('cli limits');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-limits-'));
const noWeights = join(tmp, 'no-weights');

/** every file under dir (recursive) */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

test('screen --dataset / --layer with path separators or .. exit 1 and write nothing outside --out', () => {
  const root = join(tmp, 'trav');
  const out = join(root, 'a', 'b', 'c', 'out');
  const imgs = join(root, 'imgs');
  mkdirSync(imgs, { recursive: true });
  copyFileSync(fixture('images', 'inputs', 'rgb_300x200.png'), join(imgs, 'x.png'));
  const home = upstreamDir() ? upstreamWeightsHome() : noWeights;   // with weights, the old code wrote outside --out
  for (const [opt, v] of [['--dataset', 'a/../../../escape'], ['--dataset', '..'], ['--dataset', ''], ['--dataset', 'a\\b'], ['--layer', '../../x']]) {
    const r = cli(['screen', '--model', 'v1', '--member', '1', '--images', imgs, '--workers', '0', opt, v, '--out', out, '--weights-dir', home]);
    assert.is(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(opt), r.stderr);
    assert.not.match(r.stderr, /unexpected error/);
  }
  assert.equal(files(root).filter((f) => !f.startsWith(imgs)), [], 'no file anywhere but the images');
});

test('--workers above cores and memory is refused with the cap named', () => {
  const out = join(tmp, 'w');
  const r = cli(['screen', '--model', 'v1', '--images', fixture('images', 'inputs', 'rgb_300x200.png'), '--workers', '1000', '--out', out, '--weights-dir', noWeights]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /--workers 1000 .*at most \d+/);
  const cap = Number(/at most (\d+)/.exec(r.stderr)![1]);
  assert.ok(cap >= 1 && cap <= os.availableParallelism(), `cap ${cap}`);
  assert.not.ok(existsSync(out));
});

test('--seeds 1000000000 and neurons x seeds beyond the limit are refused up front', () => {
  const out = join(tmp, 's');
  // a small heap: without the check this aborts with a V8 out-of-memory instead of a message
  const env = { NODE_OPTIONS: '--max-old-space-size=256' };
  let r = cli(['poles', '--model', 'v1', '--neurons', '0-3', '--seeds', '1000000000', '--out', out, '--weights-dir', noWeights], env, 120_000);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /1,000,000,000 results; one command computes at most 1,000,000/);
  r = cli(['poles', '--model', 'v1', '--neurons', '0-457', '--seeds', '5000', '--out', out, '--weights-dir', noWeights], env, 120_000);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /458 neurons x 5000 seeds x 2 poles asks for 4,580,000 results/);
  assert.not.ok(existsSync(out));
});

test('render/patches --size and --count are bounded', () => {
  const out = join(tmp, 'r');
  for (const args of [['--size', '100000'], ['--size', '4097'], ['--size', '15'], ['--count', '1000001']]) {
    const r = cli(['render', '--count', '1', ...args, '--out', out]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${args[0]} must lie in`));
    assert.not.match(r.stderr, /unexpected error/);
  }
  const r = cli(['patches', '--count', '1', '--size', '100000', '--from', join(tmp), '--out', out]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /--size must lie in 16\.\.4096/);
  assert.not.ok(existsSync(out));
});

test('demo --neurons beyond the twin is refused before any download or work', () => {
  const out = join(tmp, 'demo');
  const r = cli(['demo', '--neurons', '9999', '--out', out, '--weights-dir', noWeights], {}, 60_000);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /--neurons 9999: the V1 twin has 458 neurons/);
  assert.not.ok(existsSync(out) || existsSync(noWeights));
});

test('plot neuron/poles: a unit beyond the screen is "out of range", not "file not found"', () => {
  const dir = join(tmp, 'screen');
  for (const kind of ['responses', 'indices']) {
    const d = join(dir, `v1_None_rendered_ordered_${kind}`);
    mkdirSync(d, { recursive: true });
    for (let u = 0; u < 3; u++) {
      if (kind === 'responses') writeNpy(join(d, `${u}.npy`), { dtype: 'f32', shape: [2], data: new Float32Array([0, 1]) });
      else writeNpy(join(d, `${u}.npy`), { dtype: 'i64', shape: [2], data: new BigInt64Array([0n, 1n]) });
    }
  }
  writeFileSync(join(dir, 'images.txt'), '0\ta.png\n1\tb.png\n');
  for (const args of [['plot', 'neuron', dir, '--neuron', '3'], ['plot', 'poles', dir, '--neuron', '3', '--model', 'v1', '--weights-dir', noWeights]]) {
    const r = cli(args);
    assert.is(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(`--neuron 3 is out of range: ${dir} has units 0..2`), r.stderr);
  }
});

withUpstream(test)("synthesis batches fit the adapter's buffers: the estimate bounds the largest tensor of a real step", async () => {
  const home = upstreamWeightsHome();
  const g = await gpu() as WebGPUBackend;
  // the largest allocation of one full V1 step (4 crops), measured by watching the backend allocate
  let largest = 0;
  const alloc = g.alloc.bind(g);
  g.alloc = (n: number) => { largest = Math.max(largest, n); return alloc(n); };
  const { model } = loadTwin('v1', { backend: g, weightsDir: home, members: [1] });
  const r = RECIPES.v1;
  const param = new FourierParameterization({ prior: loadPrior('natural_gray', home), size: 93, valuesRange: r.valuesRange, rangeFn: r.rangeFn });
  const runs = [0, 1].map((k) => ({ objective: { neuron: k }, pole: 'most' as const, seed: BigInt(k) }));
  try {
    await synthesize(model, param, runs, { ...recipeOptions(r), steps: 1 }, 458);
  } finally {
    g.alloc = alloc;
    model.dispose(); param.dispose();
  }
  const perRun = largest / runs.length;
  for (const limit of [128 * 2 ** 20, 2 ** 31, 2 ** 32 - 4]) {
    const cap = maxRunsPerBatch('v1', { channels: 1, size: 93, nbCrops: r.nbCrops, oversample: r.oversample, guided: false }, limit);
    assert.ok(cap * perRun * 4 <= limit, `${cap} runs need ${cap * perRun * 4} bytes > ${limit}`);
    assert.ok(cap * perRun * 4 > limit / 4, `the cap ${cap} wastes more than 3/4 of ${limit} bytes`);
  }
});

test.run();
