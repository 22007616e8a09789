// `dualneuron evolve` end to end: every bad option fails before any work (no --out folder, no weights read), with
// a message naming the option; on the real V1 twin (../shared): the output layout, best scores equal to the twin
// scoring the saved best codes directly, a batched run equal to single-neuron runs, and SIGINT / SIGKILL then
// the same command giving byte-identical files.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Tensor } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { loadMask } from '../../src/models/weights/store.js';
import { scaleMask } from '../../src/dualneuron/input/pipeline.js';
import { cli } from '../helpers/cli.js';
import { gpu } from '../helpers/backends.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { repoRoot, requireUpstream, withUpstream } from '../helpers/upstream.js';
import { importDir } from '../../src/models/weights/import.js';
import { importDeepsimFc6, loadDeepsimFc6 } from '../../src/models/weights/deepsim-weights.js';
import { deepsimFc6Config } from '../../src/models/deepsim-fc6.js';
import { TWINS } from '../../src/models/twins/registry.js';
import { imageToInput, makePipeline } from '../../src/dualneuron/input/pipeline.js';
import type { RawImage } from '../../src/io/image/index.js';

const test = suite('cli evolve');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-evolve-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const noWeights = join(tmp, 'no-weights');

const base = (out: string) => ['evolve', '--model', 'v1', '--neurons', '0-1', '--spaces', 'pixel', '--generations', '3', '--out', out, '--weights-dir', noWeights];
function without(args: string[], opt: string): string[] {
  const i = args.indexOf(opt);
  return [...args.slice(0, i), ...args.slice(i + 2)];
}
function set(args: string[], opt: string, v: string): string[] {
  const i = args.indexOf(opt);
  return i < 0 ? [...args, opt, v] : [...args.slice(0, i + 1), v, ...args.slice(i + 2)];
}

test('bad options fail before any work, naming what was wrong', () => {
  const out = join(tmp, 'never');
  const b = base(out);
  const cases: [string[], RegExp][] = [
    [set(b, '--spaces', 'pixels'), /--spaces: unknown space 'pixels'; use one or more of fc6, biggan, pixel, fourier/],
    [set(b, '--spaces', 'pixel,pixel'), /'pixel' is given twice/],
    // generator spaces: missing generator weights are named with the command that fetches them
    [set(b, '--spaces', 'biggan'), /--spaces biggan: .*BigGAN.*not installed[^]*dualneuron weights pull biggan-deep-256/],
    [set(b, '--spaces', 'fc6'), /--spaces fc6: .*DeePSim fc6.*not installed[^]*dualneuron weights pull deepsim-fc6/],
    [set(b, '--optimizer', 'adam'), /--optimizer: unknown optimiser 'adam'; use one of cholcma, spherecma, ga, cma, hesscma/],
    [set(b, '--pop', '1'), /--pop must be an integer >= 2, got '1'/],
    [set(b, '--sigma0', '0'), /--sigma0 must be > 0, got 0/],
    [set(b, '--sigma0', '-1'), /--sigma0 must be > 0, got -1/],
    [set(b, '--neurons', '456-458'), /--neurons: neuron 458 is out of range \(0\.\.457\): the v1 twin has 458 neurons/],
    [set(b, '--neurons', 'a'), /--neurons: cannot read 'a'/],
    [set(b, '--generations', '0'), /--generations must be an integer >= 1/],
    [set(b, '--noise', '-0.1'), /--noise \(eta\) must be >= 0/],
    [set(b, '--poisson-window', '0'), /--poisson-window must be a positive number of seconds/],
    [set(b, '--seeds', '0'), /--seeds must be an integer >= 1/],
    [set(b, '--batch', '0'), /--batch must lie in 1\.\.8192/],
    [set(b, '--save-every', '-1'), /--save-every must be >= 0 seconds/],
    [set(b, '--shard', '3/3'), /--shard must be k\/n with 0 <= k < n in decimal digits \(e\.g\. 0\/3\), got '3\/3'/],
    [set(b, '--shard', '1/0'), /--shard n must be an integer >= 1, got '0'/],
    [set(b, '--shard', '-1/2'), /--shard must be k\/n .*got '-1\/2'/],
    [set(b, '--shard', '1'), /--shard must be k\/n .*got '1'/],
    [set(b, '--members', '6'), /--members: the v1 twin has members 1\.\.5, got 6/],
    [set(b, '--model', 'v2'), /unknown model 'v2'/],
    [set(b, '--optimizer', 'cma'), /--optimizer cma keeps a dense covariance matrix; the pixel space of the v1 twin has 8649 dimensions/],
    [set(b, '--optimizer', 'hesscma'), /hesscma preconditions the fc6 generator space only/],
    [set(b, '--hessian-eigvecs', 'x.npy'), /--hessian-eigvecs\/--hessian-eigvals are for --optimizer hesscma/],
    [without(b, '--out'), /evolve needs --out/],
    [without(b, '--neurons'), /evolve needs --neurons/],
    [without(b, '--generations'), /evolve needs --generations/],
    // every option right: the missing twin weights are named with the command that fetches them
    [b, /weights are not installed in .*\n.*dualneuron weights pull v1/],
    [set(b, '--spaces', 'fourier'), /Fourier magnitude priors are not installed.*\n.*dualneuron weights pull priors/],
  ];
  for (const [args, msg] of cases) {
    const r = cli(args);
    assert.is(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg, `${args.join(' ')}`);
    assert.not.match(r.stderr, /unexpected error/);
    assert.not.ok(existsSync(out), `${args.join(' ')}: --out was created`);
  }
});

test('--help explains every option', () => {
  const r = cli(['evolve', '--help']);
  assert.is(r.status, 0);
  for (const o of ['--model', '--members', '--neurons', '--spaces', '--optimizer', '--generations', '--pop', '--sigma0', '--noise', '--poisson-window', '--seeds', '--batch', '--save-every', '--overwrite', '--weights-dir', '--out', '--hessian-eigvecs', '--hessian-eigvals', '--shard']) {
    assert.ok(r.stdout.includes(o), `--help lists ${o}`);
  }
});

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => { for (const e of readdirSync(d).sort()) { const p = join(d, e); if (statSync(p).isDirectory()) walk(p); else out.push(relative(dir, p)); } };
  walk(dir);
  return out.filter((f) => f !== 'run.json' && !f.startsWith('.dualneuron'));
}
const f32 = (p: string) => { const a = readNpy(p); return { shape: a.shape, data: a.data as Float32Array }; };
const run = (out: string, extra: string[] = [], neurons = '0,3') =>
  ['evolve', '--model', 'v1', '--members', '1', '--neurons', neurons, '--spaces', 'pixel,fourier', '--generations', '4', '--pop', '4', '--save-every', '0', '--out', out, ...extra];

withUpstream(test)('real V1 twin: layout; the twin scoring the saved best codes (pixel) and best images directly gives the best scores; batched == single within 1e-5', async () => {
  const home = upstreamWeightsHome();
  const out = join(tmp, 'real');
  let r = cli(run(out), { DUALNEURON_HOME: home });
  assert.is(r.status, 0, r.stderr);
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(rec.evaluations, 2 * 2 * (1 + 3 * 4));
  for (const n of [0, 3]) {
    // the figures of each neuron: one trajectory line pair per space, a PNG montage
    const svg = readFileSync(join(out, `n${n}`, 's0', 'trajectory.svg'), 'utf8');
    for (const space of ['pixel', 'fourier']) assert.ok(svg.includes(space), `trajectory.svg of n${n} names ${space}`);
    assert.ok(readFileSync(join(out, `n${n}`, 's0', 'montage.png')).subarray(1, 4).toString() === 'PNG');
  }
  const g = await gpu();
  const { model } = loadTwin('v1', { members: [1], backend: g, weightsDir: home });
  const ap = scaleMask(loadMask('v1', home), 93);
  try {
    for (const n of [0, 3]) for (const space of ['pixel', 'fourier']) {
      const d = join(out, `n${n}`, 's0', space);
      const scores = f32(join(d, 'scores.npy')), codes = f32(join(d, 'best_codes.npy')), best = f32(join(d, 'best_image.npy'));
      assert.equal(scores.shape, [4, 4]); assert.equal(codes.shape, [4, 8649]); assert.equal(best.shape, [4, 1, 93, 93]);
      assert.equal(f32(join(d, 'mean_image.npy')).shape, [4, 1, 93, 93]); assert.equal(f32(join(d, 'mean_scores.npy')).shape, [4]);
      const imgs = new Float32Array(4 * 8649);
      for (let k = 0; k < 4; k++) {
        if (space === 'pixel') {
          // the pixel code made into the twin input on the host: sigmoid to [-1, 1], aperture, L2 norm 12
          const y = Array.from({ length: 8649 }, (_, i) => (2 / (1 + Math.exp(-codes.data[k * 8649 + i])) - 1) * ap[i]);
          const nn = Math.sqrt(y.reduce((a, v) => a + v * v, 0)) + 1e-8;
          y.forEach((v, i) => { imgs[k * 8649 + i] = (12 * v) / nn; });
        } else imgs.set(best.data.slice(k * 8649, (k + 1) * 8649), k * 8649);
      }
      const x = Tensor.from(imgs, [4, 1, 93, 93], { backend: g });
      const y = model.forward(x);
      const resp = await y.dataF32();
      x.dispose(); y.dispose();
      for (let k = 0; k < 4; k++) {
        const row = Array.from(scores.data.slice(k * 4, (k + 1) * 4)).filter((v) => !Number.isNaN(v));
        const want = resp[k * 458 + n];
        assert.ok(Math.abs(Math.max(...row) - want) <= 1e-5 * Math.abs(want), `n${n} ${space} generation ${k}: best ${Math.max(...row)} vs twin ${want}`);
      }
    }
  } finally { model.dispose(); }
  // each neuron alone
  let worst = 0;
  for (const n of [0, 3]) {
    const one = join(tmp, `real-${n}`);
    r = cli(run(one, [], String(n)), { DUALNEURON_HOME: home });
    assert.is(r.status, 0, r.stderr);
    for (const f of files(one).filter((p) => p.endsWith('.npy'))) {
      const a = f32(join(one, f)), b = f32(join(out, f));
      assert.equal(a.shape, b.shape, f);
      a.data.forEach((v, i) => { if (!Number.isNaN(v)) worst = Math.max(worst, Math.abs(v - b.data[i]) / Math.max(1, Math.abs(v))); });
    }
  }
  assert.ok(worst <= 1e-5, `batched vs single: worst relative difference ${worst}`);
});

withUpstream(test)('real V1 twin: SIGINT checkpoints and exits 130, SIGKILL leaves the last checkpoint; the same command then gives byte-identical files', async () => {
  const home = upstreamWeightsHome();
  const full = join(tmp, 'full');
  const args = (out: string) => ['evolve', '--model', 'v1', '--members', '1', '--neurons', '0,3', '--spaces', 'pixel,fourier', '--generations', '10', '--pop', '6', '--save-every', '0', '--noise', '0.2', '--out', out];
  let r = cli(args(full), { DUALNEURON_HOME: home });
  assert.is(r.status, 0, r.stderr);
  for (const sig of ['SIGINT', 'SIGKILL'] as const) {
    const out = join(tmp, `sig-${sig}`);
    const a = spawn(process.execPath, [resolve(repoRoot, 'dist/src/dualneuron/cli/main.js'), ...args(out)], { env: { ...process.env, DUALNEURON_HOME: home, DUALNEURON_QUIET: '1' }, stdio: 'ignore' });
    const state = join(out, 'state.json');
    const done = () => { try { return JSON.parse(readFileSync(state, 'utf8')).generationsDone as number; } catch { return 0; } };
    const sent = await new Promise<boolean>((res) => {
      const t = setInterval(() => { if (done() >= 2) { clearInterval(t); a.kill(sig); res(true); } }, 10);
      a.on('exit', () => { clearInterval(t); res(false); });
    });
    await new Promise((res) => (a.exitCode !== null || a.signalCode !== null ? res(null) : a.once('exit', res)));
    assert.ok(sent, `${sig} was sent mid-run`);
    if (sig === 'SIGINT') {
      assert.is(a.exitCode, 130, 'SIGINT: checkpoint, then exit status 130');
      assert.not.ok(existsSync(join(out, '.dualneuron.lock')), 'the lock is released');
    } else assert.is(a.signalCode, 'SIGKILL');
    const left = done();
    assert.ok(left >= 2 && left < 10, `${sig}: a checkpoint of ${left} of 10 generations`);
    r = cli(args(out), { DUALNEURON_HOME: home });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`resuming the evolution run in .* after generation ${left} of 10`));
    assert.equal(files(out), files(full));
    for (const f of files(full)) assert.ok(readFileSync(join(full, f)).equals(readFileSync(join(out, f))), `${sig}: ${f} differs`);
  }
  // the same command on the finished run does nothing; other options are refused, naming them
  r = cli(args(full), { DUALNEURON_HOME: home });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /already holds the finished run/);
  r = cli(set(args(full), '--noise', '0.3'), { DUALNEURON_HOME: home });
  assert.is(r.status, 1);
  assert.match(r.stderr, /The evolution run in .* was made with other options:\n {2}--noise: done with 0.2, asked 0.3/);
});

withUpstream(test)('fc6 space end to end (a width-1/32 generator with deterministic weights installed as deepsim-fc6): the twin scoring the host-preprocessed generator images of the best codes gives the best scores', async () => {
  const home = join(tmp, 'fc6-home');
  importDir(requireUpstream(), home, { targets: ['v1'] });
  importDeepsimFc6(join(repoRoot, 'test/fixtures/deepsim/fc6_s32.pt'), home, { config: deepsimFc6Config(32) });
  const out = join(tmp, 'fc6');
  const r = cli(['evolve', '--model', 'v1', '--members', '1', '--neurons', '5', '--spaces', 'fc6', '--generations', '3', '--pop', '4', '--out', out, '--weights-dir', home]);
  assert.is(r.status, 0, r.stderr);
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.ok(/^[0-9a-f]{64}$/.test(rec.config['generator sha256'].fc6), 'run.json records the generator file');
  const d = join(out, 'n5', 's0', 'fc6');
  const scores = f32(join(d, 'scores.npy')), codes = f32(join(d, 'best_codes.npy'));
  assert.equal(scores.shape, [3, 4]);
  assert.equal(codes.shape, [3, 128]);
  assert.ok(Array.from(codes.data.slice(0, 128)).every((v) => v === 0), 'generation 0 is the zero code');
  const g = await gpu();
  const gen = loadDeepsimFc6({ weightsDir: home, backend: g }).model;
  const { model } = loadTwin('v1', { members: [1], backend: g, weightsDir: home });
  try {
    // oracle: the generator's own images, quantised to 8 bits and preprocessed by the host screening path
    // (PIL-exact crop, resize, gray, normalisation, aperture, norm 12) -- not by the space's tensor transform
    const c = Tensor.from(codes.data, [3, 128], { backend: g });
    const img = gen.forward(c);
    const px = await img.dataF32();
    c.dispose(); img.dispose();
    const pipe = makePipeline(TWINS.v1, loadMask('v1', home), 'rendered');
    const x = new Float32Array(3 * 8649);
    for (let k = 0; k < 3; k++) {
      const rgb = new Uint8Array(256 * 256 * 3);
      for (let i = 0; i < 256 * 256; i++) for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.round(255 * px[(k * 3 + ch) * 65536 + i]);
      x.set(imageToInput(pipe, { width: 256, height: 256, mode: 'RGB', data: rgb } as RawImage), k * 8649);
    }
    const xt = Tensor.from(x, [3, 1, 93, 93], { backend: g });
    const y = model.forward(xt);
    const resp = await y.dataF32();
    xt.dispose(); y.dispose();
    for (let k = 0; k < 3; k++) {
      const row = Array.from(scores.data.slice(k * 4, (k + 1) * 4)).filter((v) => !Number.isNaN(v));
      const want = resp[k * 458 + 5];
      // the host path rounds to 8 bits after the resize and the gray conversion; the space does not
      assert.ok(Math.abs(Math.max(...row) - want) <= 0.02 * Math.abs(want), `generation ${k}: best ${Math.max(...row)} vs host-preprocessed ${want}`);
    }
  } finally { gen.dispose(); model.dispose(); }
});

test.run();
