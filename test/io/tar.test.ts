// The tar reader (src/io/tar.ts) against Python's tarfile: the same regular files with the same data offsets and
// sizes for pax, GNU (././@LongLink) and ustar (prefix) archives with long and non-ASCII names; damaged headers
// are reported by name and the walk resumes at the next member; GNU base-256 sizes; the chunked line reader
// (src/io/lines.ts) holds a chunk, never the file.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSource, memorySource } from '../../src/io/byte-source.js';
import { parseTarHeader, tarNumber, walkTar, type TarItem } from '../../src/io/tar.js';
import { forEachLine } from '../../src/io/lines.js';
import { runIf } from '../helpers/skip.js';
import { hasPython, pyListTar, pyWriteTar } from './tar-py.js';

const test = suite('tar reader');
const tmp = mkdtempSync(join(tmpdir(), 'dn-tar-'));
const withPy = runIf(test, hasPython, '/usr/bin/python3 missing: the tarfile oracle of the tar reader');

const MEMBERS: [string, null, number][] = [
  ['s/000.jpg', null, 700], ['s/000.cls', null, 3], ['s/001.png', null, 0], ['s/001.json', null, 1025],
  [`${'d'.repeat(120)}/${'long-name-'.repeat(12)}.seg.png`, null, 512], ['ünï/cødé 2.jpeg', null, 1500], [`${'p'.repeat(130)}/short.jpg`, null, 10], ['s/003.jpg', null, 4096],
];

const walk = (path: string): TarItem[] => { const s = fileSource(path); try { return [...walkTar(s, path)]; } finally { s.close(); } };

for (const format of ['pax', 'gnu', 'ustar'] as const) {
  withPy(`${format}: the same members, offsets and sizes as Python's tarfile`, () => {
    const tar = join(tmp, `${format}.tar`);
    // ustar cannot hold a name component over 100 bytes: leave the long one out there
    pyWriteTar(tar, format, MEMBERS.filter(([n]) => format !== 'ustar' || Buffer.byteLength(n.split('/').pop()!) <= 100));
    const want = pyListTar(tar);
    const got = walk(tar).map((i) => { assert.is(i.kind, 'file'); return i.kind === 'file' ? [i.name, i.offset, i.size] : []; });
    assert.equal(got, want);
    assert.ok(want.length >= 6);
  });
}

withPy('a damaged header (bad checksum) is reported by name and the walk continues at the next member', () => {
  const tar = join(tmp, 'pax.tar');
  const want = pyListTar(tar);
  const bytes = new Uint8Array(readFileSync(tar));
  const k = 3; // s/001.json
  const hdr = want[k]![1] - 512;
  bytes[hdr + 150] = bytes[hdr + 150] === 0x31 ? 0x32 : 0x31; // a digit of the stored checksum
  const items = [...walkTar(memorySource(bytes))];
  assert.equal(items.map((i) => i.name), want.map((w) => w[0]));
  assert.is(items[k]!.kind, 'damaged');
  assert.match((items[k] as { reason: string }).reason, /checksum/);
  for (const [j, it] of items.entries()) if (j !== k) assert.equal(it.kind === 'file' ? [it.name, it.offset, it.size] : null, want[j]);
});

withPy('a damaged header whose size is unreadable too: the walk scans forward to the next valid header', () => {
  const tar = join(tmp, 'gnu.tar');
  const want = pyListTar(tar);
  const bytes = new Uint8Array(readFileSync(tar));
  const k = 0;
  const hdr = want[k]![1] - 512;
  bytes.fill(0x39, hdr + 124, hdr + 135); // '9' is not octal: size unreadable, checksum wrong
  const items = [...walkTar(memorySource(bytes))];
  assert.is(items[0]!.kind, 'damaged');
  assert.is(items[0]!.name, 's/000.jpg');
  assert.equal(items.slice(1).map((i) => i.kind === 'file' ? [i.name, i.offset, i.size] : null), want.slice(1));
});

withPy('a damaged header whose size became larger than the archive: the walk still finds the members after it', () => {
  const tar = join(tmp, 'pax.tar');
  const want = pyListTar(tar);
  const bytes = new Uint8Array(readFileSync(tar));
  const k = 1;
  const hdr = want[k]![1] - 512;
  bytes.set(Buffer.from('77777777777'), hdr + 124); // a valid octal size of 8 GiB, checksum now wrong
  const items = [...walkTar(memorySource(bytes))];
  assert.equal(items.map((i) => i.name), want.map((w) => w[0]));
  assert.is(items[k]!.kind, 'damaged');
  assert.equal(items.slice(k + 1).map((i) => i.kind === 'file' ? [i.name, i.offset, i.size] : null), want.slice(k + 1));
});

withPy('an archive cut inside a member reports that member and stops', () => {
  const tar = join(tmp, 'ustar.tar');
  const want = pyListTar(tar);
  const last = want[want.length - 1]!;
  const items = [...walkTar(memorySource(new Uint8Array(readFileSync(tar)).subarray(0, last[1] + 100)))];
  assert.equal(items.slice(0, -1).map((i) => i.kind === 'file' ? [i.name, i.offset, i.size] : null), want.slice(0, -1));
  assert.is(items[items.length - 1]!.kind, 'damaged');
  assert.is(items[items.length - 1]!.name, last[0]);
});

test('numeric fields: octal with padding, and GNU base-256 for sizes of 8 GiB and more', () => {
  const b = new Uint8Array(12);
  b.set(Buffer.from('00000001750\0'));
  assert.is(tarNumber(b, 0, 12), 0o1750);
  const big = new Uint8Array(12);
  big[0] = 0x80; big[7] = 0x02; big[8] = 0x00; big[9] = 0x00; big[10] = 0x01; big[11] = 0x00; // 2 * 256^4 + 256
  assert.is(tarNumber(big, 0, 12), 2 * 256 ** 4 + 256);
  assert.is(tarNumber(Buffer.from('12x4'), 0, 4), null);
  const h = new Uint8Array(512);
  h.set(Buffer.from('x.png'), 0);
  assert.is(parseTarHeader(h).checksumOk, false);
});

test('forEachLine: every line in order (CRLF, no final newline, UTF-8 split across chunks) holding one chunk', () => {
  const lines = Array.from({ length: 200_000 }, (_, i) => `images/ünï-${String(i).padStart(6, '0')}.png`);
  const p = join(tmp, 'list.txt');
  writeFileSync(p, lines.join('\r\n'));
  const got: string[] = [];
  const stats = forEachLine(p, (l, n) => { assert.is(n, got.length + 1); got.push(l); }, { chunkBytes: 4096 });
  assert.is(got.length, lines.length);
  for (const i of [0, 1, 77_777, 199_999]) assert.is(got[i], lines[i]);
  assert.ok(got.every((l, i) => l === lines[i]));
  const size = Buffer.byteLength(lines.join('\r\n'));
  assert.is(stats.bytes, size);
  // the chunk plus at most one unfinished line, never the file (about 7 MB)
  assert.ok(stats.maxBuffered <= 4096 + 64, `held ${stats.maxBuffered} bytes of ${size}`);
});

test.run();
