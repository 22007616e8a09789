// Output folders with the real V1 twin: a rerun with other options is refused (synthesize, demo, screen) naming
// what differs, --overwrite replaces; two screens into one folder cannot mix; an empty shard finishes and merges
// byte-identically; file names with a tab and a newline survive images.txt, merge and `plot poles`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { cli } from '../helpers/cli.js';
import { repoRoot, withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { sameTree } from '../helpers/compare.js';

const test = suite('output folders');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-outputs-'));


const synth = (out: string, extra: string[]) => ['synthesize', '--model', 'v1', '--members', '1', '--neuron', '3', '--out', out, ...extra];
const doneOf = (out: string, pole = 'most') => JSON.parse(readFileSync(join(out, 'neuron_0003', 'seed_0000', pole, 'done.json'), 'utf8'));

withUpstream(test)('synthesize: a rerun with other options is refused before any work, naming them; --overwrite replaces', () => {
  const home = upstreamWeightsHome();
  const env = { DUALNEURON_HOME: home };
  const out = join(tmp, 'r1');
  let r = cli(synth(out, ['--steps', '1']), env);
  assert.is(r.status, 0, r.stderr);
  const before = readFileSync(join(out, 'neuron_0003', 'seed_0000', 'most', 'done.json'), 'utf8');
  const runJson = readFileSync(join(out, 'run.json'), 'utf8');
  // the case: same folder, --steps 4 --recipe v1-pixel
  r = cli(synth(out, ['--steps', '4', '--recipe', 'v1-pixel']), env);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /2 of the 2 results .* were made with other options/);
  assert.match(r.stderr, /--steps: done with 1, asked 4/);
  assert.match(r.stderr, /--recipe: done with v1, asked v1-pixel/);
  assert.match(r.stderr, /--overwrite/);
  assert.match(r.stderr, /new --out/);
  assert.not.match(r.stderr, /synthesis|results computed/, 'no work started');
  assert.is(readFileSync(join(out, 'neuron_0003', 'seed_0000', 'most', 'done.json'), 'utf8'), before, 'results untouched');
  assert.is(readFileSync(join(out, 'run.json'), 'utf8'), runJson, 'run.json still describes the results');
  // --batch does not change results, so it does not count as a difference
  r = cli(synth(out, ['--steps', '1', '--batch', '1']), env);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /0 results computed \(2 were already done\)/);
  // --overwrite recomputes with the new options
  r = cli(synth(out, ['--steps', '4', '--recipe', 'v1-pixel', '--overwrite']), env);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /2 results computed \(0 were already done\)/);
  for (const pole of ['most', 'least']) {
    const d = doneOf(out, pole);
    assert.is(d.steps, 4);
    assert.is(d.config['--recipe'], 'v1-pixel');
    assert.is(readNpy(join(out, 'neuron_0003', 'seed_0000', pole, 'activations.npy')).shape[0], 5);
  }
});

withUpstream(test)('synthesize: results of an older version (no recorded options) are refused as such', () => {
  const home = upstreamWeightsHome();
  const out = join(tmp, 'r1');
  if (!existsSync(out)) return;
  const p = join(out, 'neuron_0003', 'seed_0000', 'least', 'done.json');
  const { neuron, seed, pole, final, initial, steps } = JSON.parse(readFileSync(p, 'utf8'));
  writeFileSync(p, JSON.stringify({ neuron, seed, pole, final, initial, steps }) + '\n');
  const r = cli(synth(out, ['--steps', '4', '--recipe', 'v1-pixel']), { DUALNEURON_HOME: home });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /1 of the 2 results .* made by an older version of dualneuron that did not record their options/);
  assert.match(r.stderr, /--overwrite/);
});

withUpstream(test)('demo goes through the same check', () => {
  const home = upstreamWeightsHome();
  const out = join(tmp, 'demo');
  let r = cli(['demo', '--neurons', '1', '--steps', '1', '--weights-dir', home, '--out', out]);
  assert.is(r.status, 0, r.stderr);
  r = cli(['demo', '--neurons', '1', '--steps', '2', '--weights-dir', home, '--out', out]);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /--steps: done with 1, asked 2/);
  r = cli(['demo', '--neurons', '1', '--steps', '2', '--weights-dir', home, '--out', out, '--overwrite']);
  assert.is(r.status, 0, r.stderr);
});

// ---- screening
let list = '';
const scr = (out: string, extra: string[] = [], images = list, member = '1') => ['screen', '--model', 'v1', '--member', member, '--images', images, '--preset', 'rendered', '--batch', '8', '--workers', '1', '--out', out, ...extra];

function scenes(): string {
  if (list) return list;
  const dir = join(tmp, 'scenes');
  const r = cli(['render', '--count', '20', '--size', '120', '--seed', '3', '--out', dir]);
  assert.is(r.status, 0, r.stderr);
  list = join(tmp, 'list.txt');
  writeFileSync(list, readdirSync(dir).sort().map((f) => join(dir, f)).join('\n') + '\n');
  return list;
}

withUpstream(test)('an empty shard (more shards than batches) finishes, and the shards merge into the single run\'s bytes', () => {
  const home = upstreamWeightsHome();
  const env = { DUALNEURON_HOME: home };
  scenes();
  let r = cli(scr(join(tmp, 'single')), env);
  assert.is(r.status, 0, r.stderr);
  // 20 images at batch 8 are 3 batches; of 4 shards, shard 0 gets none
  for (const k of [0, 1, 2, 3]) {
    r = cli(scr(join(tmp, `shard${k}`), ['--shard', `${k}/4`]), env);
    assert.is(r.status, 0, `shard ${k}: ${r.stderr}`);
    assert.ok(existsSync(join(tmp, `shard${k}`, 'screen.json')), `shard ${k} finished`);
  }
  assert.equal(JSON.parse(readFileSync(join(tmp, 'shard0', 'screen.json'), 'utf8')).range, [0, 0]);
  assert.equal(readNpy(join(tmp, 'shard0', 'responses.npy')).shape, [0, 458]);
  r = cli(['merge', ...[0, 1, 2, 3].map((k) => join(tmp, `shard${k}`)), '--out', join(tmp, 'merged')]);
  assert.is(r.status, 0, r.stderr);
  sameTree(join(tmp, 'single'), join(tmp, 'merged'));
});

withUpstream(test)('screen: a finished output made with another --member is refused, naming it; --overwrite replaces it', () => {
  const home = upstreamWeightsHome();
  assert.ok(existsSync(join(tmp, 'single', 'screen.json')), 'the empty-shard test before this one writes the single run');
  const out = join(tmp, 'single');
  let r = cli(scr(out, [], list, '2'), { DUALNEURON_HOME: home });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /The screening outputs in .* were made with other options:\n {2}--members: done with \[1\], asked \[2\]/);
  assert.match(r.stderr, /--overwrite/);
  assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).members, [1]);
  r = cli(scr(out, ['--overwrite'], list, '2'), { DUALNEURON_HOME: home });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).members, [2]);
});

withUpstream(test)('two screens into one folder: the second is refused while the first runs; a killed run\'s checkpoint is not resumed with other options', async () => {
  const home = upstreamWeightsHome();
  scenes();
  // a longer list, so that the first run is still going when the second starts
  const long = join(tmp, 'long.txt');
  writeFileSync(long, readFileSync(list, 'utf8').repeat(20));
  const out = join(tmp, 'concurrent');
  const a = spawn(process.execPath, [resolve(repoRoot, 'dist/src/dualneuron/cli/main.js'), ...scr(out, [], long)], { env: { ...process.env, DUALNEURON_HOME: home, DUALNEURON_QUIET: '1' }, stdio: 'ignore' });
  const state = join(out, '.partial', 'state.json');
  const started = await new Promise<boolean>((res) => {
    const t = setInterval(() => { if (existsSync(state)) { clearInterval(t); res(true); } }, 20);
    a.on('exit', () => { clearInterval(t); res(false); });
  });
  assert.ok(started, 'the first run wrote a checkpoint');
  const b = cli(scr(out, [], long, '2'), { DUALNEURON_HOME: home });
  const aRunning = a.exitCode === null;
  a.kill('SIGKILL');
  await new Promise((res) => (a.exitCode !== null || a.signalCode !== null ? res(null) : a.once('exit', res)));
  assert.ok(aRunning, 'the first run was still running during the second');
  assert.is(b.status, 1, b.stderr);
  assert.match(b.stderr, new RegExp(`is being written by process ${a.pid} `));
  // the first run is gone (SIGKILL: its lock stays, stale); the checkpoint it left was made with --member 1
  const c = cli(scr(out, [], long, '2'), { DUALNEURON_HOME: home });
  assert.is(c.status, 1, c.stderr);
  assert.match(c.stderr, /taking over a stale lock/);
  assert.match(c.stderr, /The interrupted screening run in .* was made with other options:\n {2}--members: done with \[1\], asked \[2\]/);
});

withUpstream(test)('file names with a tab and a newline: images.txt escapes them; merge and plot poles read them back', () => {
  const home = upstreamWeightsHome();
  scenes();
  const dir = join(tmp, 'odd names');
  mkdirSync(dir);
  const names = ['a.png', 'b\tc\nd.png', 'e\\f.png'];
  const src = readFileSync(list, 'utf8').trim().split('\n');
  names.forEach((n, i) => copyFileSync(src[i], join(dir, n)));
  const sorted = readdirSync(dir).sort().map((n) => join(dir, n));
  const args = (out: string, extra: string[] = []) => ['screen', '--model', 'v1', '--member', '1', '--images', dir, '--preset', 'rendered', '--batch', '1', '--workers', '1', '--out', out, ...extra];
  let r = cli(args(join(tmp, 'odd')), { DUALNEURON_HOME: home });
  assert.is(r.status, 0, r.stderr);
  const text = readFileSync(join(tmp, 'odd', 'images.txt'), 'utf8');
  // expected lines written by hand: fields escaped as \t, \n, \\ (README)
  const want = sorted.map((p, i) => `${i}\t${p.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n')}\n`).join('');
  assert.is(text, want);
  assert.is(text.split('\n').length, 4);
  for (const k of [0, 1]) {
    r = cli(args(join(tmp, `odd${k}`), ['--shard', `${k}/2`]), { DUALNEURON_HOME: home });
    assert.is(r.status, 0, r.stderr);
  }
  r = cli(['merge', join(tmp, 'odd0'), join(tmp, 'odd1'), '--out', join(tmp, 'odd-merged')]);
  assert.is(r.status, 0, r.stderr);
  sameTree(join(tmp, 'odd'), join(tmp, 'odd-merged'));
  // plot poles opens every image by its name (k = 3: all of them)
  r = cli(['plot', 'poles', join(tmp, 'odd'), '--neuron', '0', '--k', '3', '--model', 'v1', '--preset', 'rendered', '--weights-dir', home]);
  assert.is(r.status, 0, r.stderr);
});

test.run();
