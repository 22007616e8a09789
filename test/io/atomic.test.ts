import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.js';
import { ensureDir, readFileBytes, writeFileAtomic } from '../../src/io/atomic.js';
import { assertThrowsWith, tempDir, thrown } from './io-helpers.js';

const test = suite('io/atomic');

test('writeFileAtomic writes and replaces, leaving no temporary files', () => {
  const { dir, cleanup } = tempDir();
  try {
    const p = join(dir, 'a.bin');
    writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    assert.equal([...readFileSync(p)], [1, 2, 3]);
    writeFileAtomic(p, 'text');
    assert.is(readFileSync(p, 'utf8'), 'text');
    assert.equal(readdirSync(dir), ['a.bin']);
  } finally {
    cleanup();
  }
});

test('a failed write leaves neither the target nor a temporary file', () => {
  const { dir, cleanup } = tempDir();
  try {
    const target = join(dir, 'sub'); // a directory: the rename over it fails
    ensureDir(join(target, 'inner'));
    const err = thrown(() => writeFileAtomic(target, new Uint8Array(4)));
    assert.ok(err instanceof Error);
    assert.equal(readdirSync(dir), ['sub']);
    const missing = join(dir, 'no', 'such', 'dir', 'x.bin');
    thrown(() => writeFileAtomic(missing, new Uint8Array(1)));
    assert.not.ok(existsSync(join(dir, 'no')));
  } finally {
    cleanup();
  }
});

test('ensureDir is recursive and idempotent; readFileBytes names a missing file', () => {
  const { dir, cleanup } = tempDir();
  try {
    const d = join(dir, 'x', 'y');
    ensureDir(d);
    ensureDir(d);
    assert.ok(existsSync(d));
    writeFileAtomic(join(d, 'f'), new Uint8Array([9]));
    assert.equal([...readFileBytes(join(d, 'f'))], [9]);
    assertThrowsWith(() => readFileBytes(join(d, 'nope.npy'), '.npy file'), InputError, 'nope.npy', '.npy file not found');
    assertThrowsWith(() => readFileBytes(d), InputError, d, 'is a directory');
  } finally {
    cleanup();
  }
});

test.run();
