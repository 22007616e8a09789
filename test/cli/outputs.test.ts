// Output folders from the command line, without weights: a second writer is refused while a live process holds
// the lock, a stale lock of a dead process is taken over, --out that is a file or read-only or full gives a
// plain message before any work, and temporary files of an interrupted run are removed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { mountTmpfs, withTmpfs } from '../helpers/tmpfs.js';

const test = suite('cli outputs');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-cli-outputs-'));
const noWeights = { DUALNEURON_HOME: join(tmp, 'no-weights') };

const lockOf = (pid: number, host = hostname()) => JSON.stringify({ pid, host, startedAt: '2026-01-01T00:00:00.000Z', command: 'screen' });
/** The pid of a process that has finished (so it no longer runs). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

const commands: [string, (out: string) => string[]][] = [
  ['render', (out) => ['render', '--count', '2', '--size', '16', '--out', out]],
  ['screen', (out) => ['screen', '--model', 'v1', '--images', join(tmp, 'nothing'), '--out', out]],
  ['synthesize', (out) => ['synthesize', '--model', 'v1', '--neuron', '3', '--steps', '1', '--out', out]],
  ['poles', (out) => ['poles', '--model', 'v1', '--neurons', '0-1', '--out', out]],
  ['merge', (out) => ['merge', join(tmp, 'nothing'), '--out', out]],
  ['demo', (out) => ['demo', '--out', out]],
];

for (const [name, args] of commands) {
  test(`${name}: a folder locked by a live process is refused; nothing is written`, () => {
    const out = join(tmp, `live-${name}`);
    mkdirSync(out);
    const lock = lockOf(process.pid); // this test process: alive
    writeFileSync(join(out, '.dualneuron.lock'), lock);
    const r = cli(args(out), noWeights);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`--out ${out} is being written by process ${process.pid} on ${hostname()} \\('screen', started 2026-01-01T00:00:00.000Z\\)\\. Wait for it to finish, or choose another --out\\.`));
    assert.not.match(r.stderr, /unexpected error/);
    assert.is(readFileSync(join(out, '.dualneuron.lock'), 'utf8'), lock, 'the lock is left alone');
    assert.equal(readdirSync(out), ['.dualneuron.lock']);
  });
}

test('a lock from another host is refused with how to remove it', () => {
  const out = join(tmp, 'other-host');
  mkdirSync(out);
  writeFileSync(join(out, '.dualneuron.lock'), lockOf(1, 'some-other-machine'));
  const r = cli(commands[0][1](out));
  assert.is(r.status, 1);
  assert.match(r.stderr, /being written by process 1 on some-other-machine/);
  assert.match(r.stderr, new RegExp(`If that run is gone .*delete ${join(out, '.dualneuron.lock')} and rerun`));
});

test('a stale lock (its process has ended) is taken over with a note, and removed at the end', () => {
  const out = join(tmp, 'stale');
  mkdirSync(out);
  const pid = deadPid();
  writeFileSync(join(out, '.dualneuron.lock'), lockOf(pid));
  const r = cli(commands[0][1](out));
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`taking over a stale lock .*process ${pid}.*is no longer running`));
  assert.ok(existsSync(join(out, 'scene_000001.png')));
  assert.not.ok(existsSync(join(out, '.dualneuron.lock')), 'released at exit');
});

test('temporary files of a killed run are removed on the next run (those of live processes are kept)', () => {
  const out = join(tmp, 'stray');
  mkdirSync(join(out, 'v1_None_x_ordered_responses'), { recursive: true });
  const dead = deadPid();
  const strays = [`scene_000000.png.tmp-${dead}-0a1b2c3d4e5f`, join('v1_None_x_ordered_responses', `17.npy.tmp-${dead}-abcdef012345`)];
  const live = `other.npy.tmp-${process.pid}-abcdef012345`;
  for (const f of [...strays, live]) writeFileSync(join(out, f), 'partial');
  const r = cli(commands[0][1](out));
  assert.is(r.status, 0, r.stderr);
  for (const f of strays) assert.not.ok(existsSync(join(out, f)), `${f} removed`);
  assert.ok(existsSync(join(out, live)), 'a live process\'s temporary file is kept');
  assert.match(r.stderr, new RegExp(`removed 2 temporary files left by an interrupted run in ${out}`));
});

test('--out that is a file: a plain message before any work (synthesize, screen, render)', () => {
  const f = join(tmp, 'a-file');
  writeFileSync(f, 'x');
  for (const [name, args] of commands.slice(0, 3)) {
    const r = cli(args(f), noWeights);
    assert.is(r.status, 1, name);
    assert.match(r.stderr, new RegExp(`--out ${f} is a file; give a folder`), name);
    assert.not.match(r.stderr, /unexpected error/);
  }
});

withTmpfs(test)('a read-only --out: "read-only file system", not ENOENT, before any work', () => {
  const ro = mountTmpfs(tmp, '64k');
  mkdirSync(join(ro, 'existing'));
  assert.is(spawnSync('mount', ['-o', 'remount,ro', ro]).status, 0);
  for (const out of [join(ro, 'new', 'deeper'), join(ro, 'existing')]) {
    for (const [name, args] of commands.slice(0, 3)) {
      const r = cli(args(out), noWeights);
      assert.is(r.status, 1, name);
      assert.match(r.stderr, /--out: cannot write to .*: read-only file system/, `${name}: ${r.stderr}`);
      assert.not.match(r.stderr, /ENOENT|unexpected error/);
    }
  }
});

withTmpfs(test)('no space left: the message names the file and the bytes being written', () => {
  const small = mountTmpfs(tmp, '64k');
  const out = join(small, 'scenes');
  const r = cli(['render', '--count', '3', '--size', '236', '--out', out]);
  assert.is(r.status, 1);
  assert.match(r.stderr, new RegExp(`no space left on the device writing ${out}/scene_00000\\d\\.png \\(\\d+ bytes, [\\d.]+ KiB being written\\)`));
  assert.not.match(r.stderr, /unexpected error/);
  assert.not.ok(readdirSync(out).some((f) => f.includes('.tmp-')), 'no temporary file left');
});

test.run();
