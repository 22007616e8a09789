// `dualneuron import h5` / `export h5` end to end. Oracles: a file h5py wrote in upstream's layout
// (tools/golden/h5_poles.py, committed with the arrays np.save recorded) imports to those arrays exactly; what we
// export is read by the same script as upstream's DualNeuronDataset reads it and compared with our .npy files (run
// when /usr/bin/python3 has h5py, else skipped by name); import then export gives upstream's datasets and
// attributes back bit for bit; bad inputs are refused with messages that say what is wrong.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { readFileBytes, writeFileAtomic } from '../../src/io/atomic.js';
import { createH5, openH5, type H5Reader, type H5Value } from '../../src/io/hdf5.js';
import { Command } from 'commander';
import { cli } from '../helpers/cli.js';
import { registerH5 } from '../../src/dualneuron/cli/h5.js';
import { DualNeuronError } from '../../src/errors.js';
import { fixture } from '../helpers/fixtures.js';
import { repoRoot } from '../helpers/upstream.js';
import { runIf } from '../helpers/skip.js';

const test = suite('dualneuron h5');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-h5-'));
const PY = '/usr/bin/python3';
const hasH5py = existsSync(PY) && spawnSync(PY, ['-c', 'import h5py'], { encoding: 'utf8' }).status === 0;
const withH5py = runIf(test, hasH5py, '/usr/bin/python3 has no h5py (apt-get install python3-h5py): the h5py check of exported files');
const S = 93, HW = S * S;
const UPSTREAM = fixture('h5', 'upstream_v1.h5');
const ENTRIES: [number, number, 'least' | 'most'][] = [];
for (const n of [3, 10]) for (const s of [42, 1234]) for (const p of ['least', 'most'] as const) ENTRIES.push([n, s, p]);
const pad = (x: number) => String(x).padStart(4, '0');
const resultDir = (dir: string, n: number, s: number | bigint, p: string) => join(dir, `neuron_${pad(n)}`, `seed_${String(s).padStart(4, '0')}`, p);

// In-process runs of the commands through commander (as main.ts registers them): the CLI's parsing and actions
// without a Node start per call; one test below runs the built CLI itself.
async function run(args: string[]): Promise<{ error: Error | null; log: string }> {
  const program = new Command('dualneuron').exitOverride();
  registerH5(program);
  const lines: string[] = [];
  const orig = console.error;
  console.error = (...a: unknown[]) => { lines.push(a.join(' ')); };
  try {
    await program.parseAsync([...args, '--no-progress'], { from: 'user' });
    return { error: null, log: lines.join('\n') };
  } catch (e) {
    return { error: e as Error, log: lines.join('\n') };
  } finally {
    console.error = orig;
  }
}
async function ok(args: string[]): Promise<string> {
  const r = await run(args);
  assert.is(r.error, null, `dualneuron ${args.join(' ')}: ${r.error?.stack}`);
  return r.log;
}
async function fails(args: string[], ...parts: string[]): Promise<string> {
  const { error } = await run(args);
  assert.ok(error, `dualneuron ${args.join(' ')} should fail`);
  assert.instance(error, DualNeuronError, `a typed error, got ${error!.stack}`);
  for (const p of parts) assert.ok(error!.message.includes(p), `message ${JSON.stringify(error!.message)} should contain ${JSON.stringify(p)}`);
  return error!.message;
}
function pyCheck(file: string, poles: string): void {
  const r = spawnSync(PY, [join(repoRoot, 'tools/golden/h5_poles.py'), 'check', file, poles], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const res = JSON.parse(r.stdout.trim()) as { ok: boolean; problems: string[]; checked: number };
  assert.equal(res.problems, []);
  assert.ok(res.ok && res.checked > 0, r.stdout);
}

/** A poles folder in our format, as `dualneuron poles` writes it: (1,93,93) images, signed traces of steps + 1. */
function makePolesFolder(dir: string, o: { neurons?: number[]; seeds?: bigint[]; model?: string; skip?: string; shape?: number[] } = {}): void {
  const neurons = o.neurons ?? [0, 7], seeds = o.seeds ?? [0n, 5n, 2n ** 63n + 9n];
  const shape = o.shape ?? [1, S, S];
  let k = 0;
  for (const n of neurons) for (const s of seeds) for (const pole of ['least', 'most'] as const) {
    k++;
    if (o.skip === `${n}/${s}/${pole}`) continue;
    const d = resultDir(dir, n, s, pole);
    mkdirSync(d, { recursive: true });
    const m = shape.reduce((a, b) => a * b, 1);
    writeNpy(join(d, 'image.npy'), { dtype: 'f32', shape, data: Float32Array.from({ length: m }, (_, i) => Math.sin(i * 0.01 * k) * 0.3) });
    writeNpy(join(d, 'alpha.npy'), { dtype: 'f32', shape, data: Float32Array.from({ length: m }, (_, i) => ((i * 7 + k) % 101) / 100) });
    writeNpy(join(d, 'activations.npy'), { dtype: 'f32', shape: [5], data: Float32Array.from({ length: 5 }, (_, t) => (pole === 'most' ? 1 : 0.5) + 0.1 * t * (pole === 'most' ? 1 : -1) + 0.001 * k) });
    const done = { neuron: n, seed: s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s.toString(), pole, final: 1, initial: 0.5, steps: 4, configHash: 'abc', config: { '--model': o.model ?? 'v1', '--members': [1, 2, 3, 4, 5] } };
    writeFileSync(join(d, 'done.json'), JSON.stringify(done) + '\n');
  }
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ command: 'poles', model: o.model ?? 'v1', members: [1, 2, 3, 4, 5] }) + '\n');
}

const num = (v: H5Value) => Array.from(v.data as ArrayLike<number | bigint>);
/** upstream's part of a file: every pole group's datasets (values, dtype, shape) and its five attributes */
function upstreamView(r: H5Reader): unknown {
  const out: Record<string, unknown> = {};
  for (const n of r.keys('/')) for (const s of r.keys(n)) for (const p of r.keys(`${n}/${s}`)) {
    const g = `${n}/${s}/${p}`, a = r.attrs(g);
    out[g] = {
      ...Object.fromEntries(['image', 'alpha', 'activations'].map((d) => { const v = r.read(`${g}/${d}`); return [d, { dtype: v.dtype, shape: v.shape, data: num(v) }]; })),
      attrs: Object.fromEntries(['model', 'neuron_id', 'seed', 'weight', 'type'].map((k) => [k, { dtype: a[k].dtype, data: num(a[k]) }])),
    };
  }
  return out;
}
const view = async (file: string) => { const r = await openH5(readFileBytes(file), file); try { return upstreamView(r); } finally { r.close(); } };

test('import h5: a file h5py wrote in upstream\'s layout gives the arrays h5py wrote', async () => {
  const out = join(tmp, 'imported');
  await ok(['import', 'h5', UPSTREAM, '--out', out]);
  const images = readNpy(fixture('h5', 'expected_images.npy')).data as Float32Array;
  const alphas = readNpy(fixture('h5', 'expected_alphas.npy')).data as Float32Array;
  const acts = readNpy(fixture('h5', 'expected_activations.npy')).data as Float64Array;
  ENTRIES.forEach(([n, s, p], k) => {
    const d = resultDir(out, n, s, p);
    const im = readNpy(join(d, 'image.npy')), al = readNpy(join(d, 'alpha.npy')), ac = readNpy(join(d, 'activations.npy'));
    assert.equal([im.dtype, im.shape], ['f32', [1, S, S]]);
    assert.equal(Array.from(im.data as Float32Array), Array.from(images.subarray(k * HW, (k + 1) * HW)), `image ${d}`);
    assert.equal(Array.from(al.data as Float32Array), Array.from(alphas.subarray(k * HW, (k + 1) * HW)), `alpha ${d}`);
    // upstream records |objective| after each step only: float64, NaN before the first step
    assert.equal([ac.dtype, ac.shape], ['f64', [7]]);
    assert.ok(Number.isNaN(ac.data[0] as number));
    assert.equal(Array.from((ac.data as Float64Array).subarray(1)), Array.from(acts.subarray(k * 6, (k + 1) * 6)));
    const done = JSON.parse(readFileSync(join(d, 'done.json'), 'utf8'));
    assert.equal([done.neuron, done.seed, done.pole, done.steps, done.final], [n, s, p, 6, acts[k * 6 + 5]]);
    assert.ok(existsSync(join(d, 'preview.png')));
  });
  const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.equal([run.command, run.model, run.results, run.neurons, run.seeds], ['import h5', 'v1', 8, [3, 10], ['42', '1234']]);
});

test('import then export round-trips: upstream\'s datasets and attributes come back bit for bit', async () => {
  const out = join(tmp, 'roundtrip');
  await ok(['import', 'h5', UPSTREAM, '--out', out]);
  const file = join(tmp, 'roundtrip.h5');
  await ok(['export', 'h5', '--poles', out, '--out', file]);
  assert.equal(await view(file), await view(UPSTREAM));
  const r = await openH5(readFileBytes(file), file);
  try {
    assert.is(r.gzipLevel('neuron_0003/seed_42/most/image'), 4);
    assert.equal(r.attrs('/').dualneuron_model.data, ['v1']);
  } finally { r.close(); }
  assert.ok(existsSync(join(tmp, 'roundtrip.run.json')));
});

test('export h5 then import h5: our folder comes back exactly (arrays, signed traces, done.json); seeds >= 2^63 as uint64', async () => {
  const src = join(tmp, 'ours');
  makePolesFolder(src);
  const file = join(tmp, 'ours.h5');
  await ok(['export', 'h5', '--poles', src, '--out', file]);
  const r = await openH5(readFileBytes(file), file);
  try {
    assert.equal(r.keys('neuron_0007'), ['seed_0', 'seed_5', 'seed_9223372036854775817']);
    const a = r.attrs('neuron_0007/seed_5/least');
    assert.equal([a.model.data, num(a.neuron_id), num(a.seed), num(a.weight), a.type.data], [['V1GrayTaskDriven'], [7n], [5n], [-1n], ['least']]);
    assert.is(a.seed.dtype, 'i64');
    assert.equal(r.attrs('neuron_0007/seed_9223372036854775817/most').seed, { dtype: 'u64', shape: [], data: BigUint64Array.of(2n ** 63n + 9n) });
    const root = r.attrs('/');
    assert.equal([root.model.data, num(root.neurons), num(root.members)], [['V1GrayTaskDriven'], [0n, 7n], [1n, 2n, 3n, 4n, 5n]]);
    assert.equal(JSON.parse((root.dualneuron_run.data as string[])[0]).command, 'poles');
  } finally { r.close(); }
  const back = join(tmp, 'ours-back');
  await ok(['import', 'h5', file, '--out', back]);
  for (const n of [0, 7]) for (const s of [0n, 5n, 2n ** 63n + 9n]) for (const p of ['least', 'most']) {
    for (const f of ['image.npy', 'alpha.npy', 'activations.npy']) {
      assert.ok(readFileSync(join(resultDir(back, n, s, p), f)).equals(readFileSync(join(resultDir(src, n, s, p), f))), `${f} of ${n}/${s}/${p}`);
    }
    assert.equal(JSON.parse(readFileSync(join(resultDir(back, n, s, p), 'done.json'), 'utf8')), JSON.parse(readFileSync(join(resultDir(src, n, s, p), 'done.json'), 'utf8')));
  }
});

withH5py('h5py reads what export h5 writes as upstream\'s DualNeuronDataset does, equal to our .npy files (made here and imported)', async () => {
  const src = join(tmp, 'for-h5py');
  makePolesFolder(src, { seeds: [0n, 5n] });
  const file = join(tmp, 'for-h5py.h5');
  await ok(['export', 'h5', '--poles', src, '--out', file]);
  pyCheck(file, src);
  const imported = join(tmp, 'imported-for-h5py');
  await ok(['import', 'h5', UPSTREAM, '--out', imported]);
  const file2 = join(tmp, 'imported-for-h5py.h5');
  await ok(['export', 'h5', '--poles', imported, '--out', file2]);
  pyCheck(file2, imported);
});

test('export h5 refuses incomplete folders, mixed or mismatched models, wrong shapes, and empty folders', async () => {
  const missing = join(tmp, 'missing');
  makePolesFolder(missing, { skip: '7/5/most' });
  await fails(['export', 'h5', '--poles', missing, '--out', join(tmp, 'x.h5')], 'missing 1 result', 'neuron 7 seed 5 most', 'dualneuron poles');
  const unfinished = join(tmp, 'unfinished');
  makePolesFolder(unfinished);
  rmSync(join(resultDir(unfinished, 0, 5n, 'least'), 'done.json'));
  await fails(['export', 'h5', '--poles', unfinished, '--out', join(tmp, 'x.h5')], '1 result is unfinished', 'resumes');
  const v4 = join(tmp, 'v4folder');
  makePolesFolder(v4, { model: 'v4' });
  await fails(['export', 'h5', '--poles', v4, '--out', join(tmp, 'x.h5')], "image.npy has shape [1, 93, 93]; the v4 twin's images are [3, 100, 100]");
  await fails(['export', 'h5', '--poles', missing.replace('missing', 'ours'), '--model', 'v4', '--out', join(tmp, 'x.h5')], '--model v4 does not match', 'made with the v1 twin');
  const mixed = join(tmp, 'mixed');
  makePolesFolder(mixed);
  const d = JSON.parse(readFileSync(join(resultDir(mixed, 7, 0n, 'most'), 'done.json'), 'utf8'));
  writeFileSync(join(resultDir(mixed, 7, 0n, 'most'), 'done.json'), JSON.stringify({ ...d, config: { ...d.config, '--model': 'v4g' } }));
  await fails(['export', 'h5', '--poles', mixed, '--out', join(tmp, 'x.h5')], 'mixes results of different twins');
  const small = join(tmp, 'small');
  makePolesFolder(small, { shape: [1, 20, 20] });
  await fails(['export', 'h5', '--poles', small, '--out', join(tmp, 'x.h5')], 'image.npy has shape [1, 20, 20]', '[1, 93, 93]');
  mkdirSync(join(tmp, 'empty'));
  await fails(['export', 'h5', '--poles', join(tmp, 'empty'), '--out', join(tmp, 'x.h5')], 'holds no results');
  await fails(['export', 'h5', '--poles', join(tmp, 'nope'), '--out', join(tmp, 'x.h5')], 'poles folder not found');
  assert.not.ok(existsSync(join(tmp, 'x.h5')));
});

/** an h5 file in upstream's layout with one change, written by our writer */
async function variant(name: string, change: { dropSeed?: [number, number]; shape?: number[]; rootDataset?: boolean; dropAttr?: string; weight?: number; empty?: boolean }): Promise<string> {
  const w = await createH5();
  const str = (s: string): H5Value => ({ dtype: 'str', shape: [], data: [s] });
  const int = (v: number): H5Value => ({ dtype: 'i64', shape: [], data: BigInt64Array.of(BigInt(v)) });
  if (change.rootDataset) w.dataset('/images', { dtype: 'f32', shape: [2], data: new Float32Array(2) });
  if (!change.empty) {
    for (const n of [1, 2]) for (const s of [11, 12]) {
      if (change.dropSeed && change.dropSeed[0] === n && change.dropSeed[1] === s) continue;
      for (const [p, wt] of [['least', -1], ['most', 1]] as const) {
        const g = `/neuron_${pad(n)}/seed_${s}/${p}`;
        const attrs: Record<string, H5Value> = { model: str('V1GrayTaskDriven'), neuron_id: int(n), seed: int(s), weight: int(change.weight ?? wt), type: str(p) };
        if (change.dropAttr) delete attrs[change.dropAttr];
        w.group(g, attrs);
        const shape = change.shape ?? [1, S, S];
        const m = shape.reduce((a, b) => a * b, 1);
        w.dataset(`${g}/image`, { dtype: 'f32', shape, data: new Float32Array(m) }, { gzip: 4 });
        w.dataset(`${g}/alpha`, { dtype: 'f32', shape, data: new Float32Array(m) }, { gzip: 4 });
        w.dataset(`${g}/activations`, { dtype: 'f64', shape: [3], data: Float64Array.of(1, 2, 3) });
      }
    }
  }
  const file = join(tmp, `${name}.h5`);
  writeFileAtomic(file, w.finish());
  return file;
}

test('import h5 refuses files not in upstream\'s layout, with missing seeds, wrong shapes or attributes, another model, and upstream\'s broken V4 file', async () => {
  await fails(['import', 'h5', await variant('noseed', { dropSeed: [2, 12] }), '--out', join(tmp, 'y')], 'missing seeds', 'neuron 2 lacks 12');
  await fails(['import', 'h5', await variant('shape', { shape: [3, 100, 100] }), '--out', join(tmp, 'y')], "the V1GrayTaskDriven twin's are [1, 93, 93]");
  await fails(['import', 'h5', await variant('rootds', { rootDataset: true }), '--out', join(tmp, 'y')], "not upstream's layout", "'images'");
  await fails(['import', 'h5', await variant('noattr', { dropAttr: 'seed' }), '--out', join(tmp, 'y')], 'lacks the attribute seed');
  await fails(['import', 'h5', await variant('weight', { weight: 5 }), '--out', join(tmp, 'y')], 'weight is 5');
  await fails(['import', 'h5', await variant('empty', { empty: true }), '--out', join(tmp, 'y')], 'holds no neuron_NNNN groups');
  await fails(['import', 'h5', UPSTREAM, '--model', 'v4', '--out', join(tmp, 'y')], '--model v4 does not match', 'V1GrayTaskDriven');
  await fails(['import', 'h5', fixture('h5', 'v4_broken.h5'), '--out', join(tmp, 'y')], 'holds a string, not an image', 'fourier_ascending returns a dict');
  const notH5 = join(tmp, 'not.h5');
  writeFileSync(notH5, 'hello');
  await fails(['import', 'h5', notH5, '--out', join(tmp, 'y')], 'not an HDF5 file');
  await fails(['import', 'h5', join(tmp, 'absent.h5'), '--out', join(tmp, 'y')], 'HDF5 file not found');
  assert.not.ok(existsSync(join(tmp, 'y', 'neuron_0001')));
  // results already there: refused without --overwrite, replaced with it
  const out = join(tmp, 'twice');
  await ok(['import', 'h5', UPSTREAM, '--out', out]);
  await fails(['import', 'h5', UPSTREAM, '--out', out], 'already holds 8 of the 8 results', '--overwrite');
  copyFileSync(UPSTREAM, join(tmp, 'again.h5'));
  await ok(['import', 'h5', join(tmp, 'again.h5'), '--out', out, '--overwrite']);
});

test('the built CLI: import h5 and export h5 are registered; a refused input prints its message and exits 1', () => {
  const out = join(tmp, 'via-cli');
  const r = cli(['import', 'h5', UPSTREAM, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.ok(existsSync(join(resultDir(out, 10, 42, 'most'), 'done.json')));
  const bad = cli(['export', 'h5', '--poles', join(tmp, 'nope'), '--out', join(tmp, 'z.h5')]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /^dualneuron: poles folder not found: /m);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
