// Configuration (issue 12, item 24): every DUALNEURON_* variable is read and checked by src/config.ts, nothing
// else in src reads process.env for them, and the tensor core loads and computes where there is no `process`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readConfig, config } from '../../src/config.js';
import { InputError } from '../../src/errors.js';
import { runIf } from '../helpers/skip.js';

const test = suite('config');
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

test('defaults for an empty environment (empty strings count as unset)', () => {
  const c = readConfig({ DUALNEURON_HOME: '', DUALNEURON_QUIET: '' });
  assert.equal(c, {
    home: null, upstream: null, quiet: false, offline: false, syncKernels: false, flushEvery: 128, poolMB: 2048, matmul: 'auto',
    dawnFlags: [], fftMaxRadix: 16, fftMaxPrime: 31, svg2png: null, dreamsimMirror: null, deepsimMirror: null,
  });
});

test('values from a given environment, typed', () => {
  const c = readConfig({
    DUALNEURON_HOME: '/w/home', DUALNEURON_UPSTREAM: '/w/up', DUALNEURON_QUIET: '1', DUALNEURON_OFFLINE: '1', DUALNEURON_SYNC_KERNELS: '0',
    DUALNEURON_FLUSH_EVERY: '7', DUALNEURON_POOL_MB: '0', DUALNEURON_MATMUL: 'vec4', DUALNEURON_DAWN_FLAGS: ' --a  --b ',
    DUALNEURON_FFT_MAX_RADIX: '8', DUALNEURON_FFT_MAX_PRIME: '13', DUALNEURON_SVG2PNG: 'inkscape --export-type=png',
    DUALNEURON_DREAMSIM_MIRROR: 'http://mirror/x', DUALNEURON_DEEPSIM_MIRROR: 'http://mirror/d', OTHER: 'ignored',
  });
  assert.equal(c, {
    home: '/w/home', upstream: '/w/up', quiet: true, offline: true, syncKernels: false, flushEvery: 7, poolMB: 0, matmul: 'vec4',
    dawnFlags: ['--a', '--b'], fftMaxRadix: 8, fftMaxPrime: 13, svg2png: ['inkscape', '--export-type=png'],
    dreamsimMirror: 'http://mirror/x', deepsimMirror: 'http://mirror/d',
  });
});

test('a malformed value is an InputError naming the variable, the value and what it should be', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ DUALNEURON_FLUSH_EVERY: 'abc' }, /DUALNEURON_FLUSH_EVERY="abc": expected an integer >= 1/],
    [{ DUALNEURON_FLUSH_EVERY: '0' }, /DUALNEURON_FLUSH_EVERY="0": expected an integer >= 1/],
    [{ DUALNEURON_FLUSH_EVERY: '1e3' }, /DUALNEURON_FLUSH_EVERY="1e3"/],
    [{ DUALNEURON_POOL_MB: '-5' }, /DUALNEURON_POOL_MB="-5": expected an integer >= 0/],
    [{ DUALNEURON_QUIET: 'yes' }, /DUALNEURON_QUIET="yes": expected 1 \(on\) or 0 \(off\)/],
    [{ DUALNEURON_MATMUL: 'fast' }, /DUALNEURON_MATMUL="fast": expected one of auto, naive, tiled, vec4, vec4nt/],
    [{ DUALNEURON_FFT_MAX_RADIX: '1' }, /DUALNEURON_FFT_MAX_RADIX="1": expected an integer >= 2/],
  ];
  for (const [env, message] of cases) {
    try {
      readConfig(env);
      assert.unreachable(JSON.stringify(env));
    } catch (e) {
      assert.instance(e, InputError, String(e));
      assert.match((e as Error).message, message);
    }
  }
});

test('config() of this process reflects process.env', () => {
  assert.is(config().quiet, process.env.DUALNEURON_QUIET === '1');
});

test('no file under src reads a DUALNEURON_ variable from process.env except src/config.ts', () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : n.endsWith('.ts') ? [p] : [];
  });
  const offenders = files(join(repoRoot, 'src'))
    .filter((f) => !f.endsWith(join('src', 'config.ts')))
    .filter((f) => /process\??\.env\??\.?\[?['"]?DUALNEURON_/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(repoRoot, f));
  assert.equal(offenders, []);
});

// (a Node child with Dawn: under Deno, process.execPath is Deno, which has no `node -e` nor the Dawn bindings)
runIf(test, !('Deno' in globalThis), 'spawns a Node child process with Dawn (Node only)')('the tensor core imports and computes with no `process` global (CPU, and WebGPU with an injected GPU)', () => {
  const index = pathToFileURL(join(repoRoot, 'dist/src/tensor/index.js')).href;
  // the child takes Dawn's GPU object while `process` exists (the 'webgpu' package is Node's), deletes the global,
  // then loads the core fresh and computes a gradient on each backend; results go out through console.log
  const script = `
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    const w = await import('webgpu');
    Object.assign(globalThis, w.globals);
    const gpu = w.create([]);
    delete globalThis.process;
    if (typeof process !== 'undefined') throw new Error('process is still defined');
    const t = await import(${JSON.stringify(index)});
    const out = {};
    for (const kind of ['cpu', 'webgpu']) {
      await t.init(kind, { gpu });
      const x = t.Tensor.from([1, 2, 3], [3]).requiresGrad_();
      x.square().sum().backward();
      out[kind] = Array.from(await x.grad.data());
    }
    await t.shutdownAll();
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000, cwd: repoRoot });
  assert.is(r.status, 0, `child failed: ${r.stderr}`);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!), { cpu: [2, 4, 6], webgpu: [2, 4, 6] });
});

test.run();
