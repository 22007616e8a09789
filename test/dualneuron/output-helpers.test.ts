// The pieces behind safe output folders, without a GPU or weights: the escaped images.txt format, which options
// differ between a stored result and a rerun, statistics of an empty shard, and plain messages for OS errors.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { escapeField, formatRows, parseImagesTxt, parseRows } from '../../src/dualneuron/screening/images-list.js';
import { configDiff, configHash } from '../../src/dualneuron/result-config.js';
import { statsCsv, unitStats } from '../../src/dualneuron/screening/stats.js';
import { ensureDir, writeError, writeFileAtomic } from '../../src/io/atomic.js';
import { InputError } from '../../src/errors.js';
import { mergeShards } from '../../src/dualneuron/screening/screen.js';
import { mountTmpfs, withTmpfs } from '../helpers/tmpfs.js';

const test = suite('output helpers');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-outputs-'));

test('images.txt: tabs, newlines and backslashes in names are escaped and read back', () => {
  const name = '/data/a\tb\nc\\d\re.png';
  // expected text written out by hand (the format README documents)
  assert.is(formatRows([[7, name]]), '7\t/data/a\\tb\\nc\\\\d\\re.png\n');
  assert.is(escapeField('plain/name.png'), 'plain/name.png');
  const text = formatRows([[0, 'x.png'], [1, name], [2, 'C:\\new\\tab']]);
  assert.is(text.split('\n').length, 4, 'one line per image');
  assert.equal([...parseImagesTxt(text)], [[0, 'x.png'], [1, name], [2, 'C:\\new\\tab']]);
  assert.equal(parseRows('3\ta\\tb\treason with\\ttab\n'), [['3', 'a\tb', 'reason with\ttab']]);
  assert.is(formatRows([]), '');
});

test('configDiff names each differing option with both values; the hash ignores key order', () => {
  const done = { '--steps': 1, '--recipe': 'v1', '--range': [-2, 2], w: { a: '1' } };
  const asked = { '--recipe': 'v1-pixel', '--steps': 4, '--range': [-2, 2], w: { a: '1' } };
  // in the order of the options asked for
  assert.equal(configDiff(done, asked), ['--recipe: done with v1, asked v1-pixel', '--steps: done with 1, asked 4']);
  assert.equal(configDiff(done, { ...done }), []);
  assert.is(configHash({ a: 1, b: { c: 2, d: 3 } }), configHash({ b: { d: 3, c: 2 }, a: 1 }));
  assert.is.not(configHash({ a: 1 }), configHash({ a: 2 }));
  assert.equal(configDiff({ a: 1 }, { a: 1, b: null }), ['b: done with (not recorded), asked null']);
});

test('statistics of a unit with no responses (an empty shard) are NaN, not a crash', () => {
  const s = unitStats(4, new Float32Array(0));
  assert.is(s.active, false);
  for (const k of ['gini', 'mean', 'std', 'max', 'q95', 'q05', 'skewness', 'cv', 'range'] as const) assert.ok(Number.isNaN(s[k]), k);
  const csv = statsCsv([s, unitStats(2, new Float32Array(0))]);
  assert.is(csv.split('\n')[1], '2,NaN,NaN,NaN,NaN,NaN,NaN,NaN,NaN,NaN,False');
});

test('writeError: no space names the path and the bytes; read-only and a file in the way say so', () => {
  const nospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const e = writeError(nospc, '/out/responses.npy', 3 * 2 ** 20);
  assert.instance(e, InputError);
  assert.match((e as Error).message, /no space left on the device writing \/out\/responses\.npy \(3145728 bytes, 3\.0 MiB being written\)/);
  const rofs = writeError(Object.assign(new Error('x'), { code: 'EROFS' }), '/ro/x');
  assert.is((rofs as Error).message, 'cannot write to /ro/x: read-only file system');
  const other = new Error('something else');
  assert.is(writeError(other, '/x'), other, 'other errors are left alone');
  writeFileSync(join(tmp, 'afile'), 'x');
  try { ensureDir(join(tmp, 'afile', 'sub')); assert.unreachable(); } catch (err) {
    assert.instance(err, InputError);
    assert.match((err as Error).message, /afile is a file; a folder is needed there/);
  }
});

withTmpfs(test)('on a read-only file system ensureDir reports EROFS (Node says ENOENT) and a full one ENOSPC with the size', () => {
  const ro = mountTmpfs(tmp, '64k');
  const full = join(ro, 'x.bin');
  try { writeFileAtomic(full, new Uint8Array(200_000)); assert.unreachable(); } catch (err) {
    assert.instance(err, InputError);
    assert.match((err as Error).message, new RegExp(`no space left on the device writing ${full} \\(200000 bytes`));
  }
  assert.equal(readdirSync(ro), [], 'no temporary file is left behind');
  assert.is(spawnSync('mount', ['-o', 'remount,ro', ro]).status, 0);
  try { ensureDir(join(ro, 'a', 'b')); assert.unreachable(); } catch (err) {
    assert.instance(err, InputError);
    assert.match((err as Error).message, /read-only file system/);
  }
});

test('merge refuses a shard whose screen.json names a folder prefix with a path in it (nothing written outside --out)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'dualneuron-merge-prefix-'));
  const shard = join(root, 'shard');
  mkdirSync(shard);
  const meta = { range: [0, 1], total: 1, units: 1, prefix: '../../escape', configKey: 'k', listHash: 'h', batch: 1, shard: null };
  writeFileSync(join(shard, 'screen.json'), JSON.stringify(meta));
  const out = join(root, 'a', 'b', 'out');
  try { await mergeShards([shard], out); assert.unreachable('merge accepted the prefix'); } catch (err) {
    assert.instance(err, InputError);
    assert.match((err as Error).message, /screen\.json: its folder prefix "\.\.\/\.\.\/escape" is not a plain name/);
  }
  assert.not.ok(existsSync(join(root, 'escape_ordered_responses')));
  assert.not.ok(existsSync(out), 'nothing was written');
});

test.run();
