// `dualneuron screen` from WebDataset .tar shards (written by Python's tarfile, tools/golden/webdataset_tar.py) and
// from .txt lists, on a tiny twin trained here (ln-population.ts) and, where ../shared is present, the V1 twin.
// Oracle: the same images screened from their folder. Two shards screen to the folder's bytes, with global
// indices across the shards and images.txt pointing at Python's data offsets; a member with a damaged header and
// an undecodable one are skipped by name, keeping their slots (NaN rows) while every other row stays the folder's;
// a sharded tar screen merges (streaming, merge in screen.ts) into the unsharded one, and a shard whose
// responses.npy is cut short is refused; a list file screens as the folder.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy } from '../../src/io/npy.js';
import { writePNG } from '../../src/io/image/index.js';
import { HostRng } from '../../src/dualneuron/render/rng.js';
import { cliFails, cliOk } from '../helpers/cli.js';
import { sameTree } from '../helpers/compare.js';
import { runIf } from '../helpers/skip.js';
import { withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { writeLnPopulation } from '../train/ln-population.js';
import { hasPython, pyListTar, pyWriteTar } from '../io/tar-py.js';
import { listImages } from '../../src/dualneuron/input/sources.js';

const test = suite('screen from .tar shards and .txt lists');
const withPy = runIf(test, hasPython, '/usr/bin/python3 missing: tar shards written by Python\'s tarfile');
const tmp = mkdtempSync(join(tmpdir(), 'dn-screen-tar-'));
const twin = join(tmp, 'twin');
const imgs = join(tmp, 'images');
const H = 16, W = 24, N = 3, IMAGES = 11;
const names = Array.from({ length: IMAGES }, (_, i) => `im${String(i).padStart(2, '0')}`);

const screen = (images: string[], out: string, extra: string[] = []) => cliOk(['screen', '--model', twin, '--images', ...images, '--batch', '4', '--out', join(tmp, out), ...extra]);
const file = (out: string, f: string) => readFileSync(join(tmp, out, f));
/** WebDataset samples: the image and a label member per key, from `from` */
const samples = (ids: number[], from = (i: number) => join(imgs, `${names[i]}.png`)): [string, string | null, number][] =>
  ids.flatMap((i) => [[`train/${names[i]}.png`, from(i), 0], [`train/${names[i]}.cls`, null, 2]] as [string, string | null, number][]);

test.before(() => {
  if (!hasPython) return;
  const data = join(tmp, 'data');
  writeLnPopulation(data, { images: 48, neurons: N, repeats: 2, h: H, w: W, seed: 7n });
  cliOk(['train', data, '--image-size', `${H}x${W}`, '--hidden-channels', '4', '--layers', '2', '--epochs', '1', '--batch', '16', '--members', '1', '--clip', '50', '--out', twin]);
  mkdirSync(imgs);
  const rng = new HostRng(11n);
  for (const n of names) {
    const d = new Uint8Array(20 * 30 * 3);
    for (let k = 0; k < d.length; k++) d[k] = Math.floor(rng.uniform() * 256);
    writePNG(join(imgs, `${n}.png`), { width: 30, height: 20, channels: 3, data: d });
  }
  screen([imgs], 'folder');
});

withPy('two shards (pax and GNU) screen to the bytes of the folder; indices run on across shards; images.txt has Python\'s offsets', () => {
  const a = join(tmp, 'shard-000.tar'), b = join(tmp, 'shard-001.tar');
  pyWriteTar(a, 'pax', [...samples([0, 1, 2, 3, 4, 5]), ['train/noimage.json', null, 40]]);
  pyWriteTar(b, 'gnu', samples([6, 7, 8, 9, 10]));
  const r = screen([a, b], 'tar');
  assert.match(r.stderr, /1 of 7 samples have no jpg, jpeg or png member/);
  for (const f of ['responses.npy', 'stats.csv', 'skipped.txt']) assert.ok(file('tar', f).equals(file('folder', f)), f);
  for (const d of readdirSync(join(tmp, 'folder')).filter((x) => x.includes('_ordered_'))) {
    for (let u = 0; u < N; u++) assert.ok(file('tar', join(d, `${u}.npy`)).equals(file('folder', join(d, `${u}.npy`))), `${d}/${u}`);
  }
  const lines = file('tar', 'images.txt').toString().trim().split('\n');
  assert.is(lines.length, IMAGES);
  const py = pyListTar(b).find(([n]) => n === 'train/im08.png')!;
  assert.is(lines[8], `8\t${b}::${py[1]}:${py[2]}:train/im08.png`);
  // a folder of shards is the shards in path order
  const dir = join(tmp, 'shards');
  mkdirSync(dir);
  copyFileSync(a, join(dir, 'shard-000.tar')); copyFileSync(b, join(dir, 'shard-001.tar'));
  screen([dir], 'tar-dir');
  assert.ok(file('tar-dir', 'responses.npy').equals(file('folder', 'responses.npy')));
});

withPy('a damaged header and an undecodable member are skipped by name; their slots stay (NaN), no other row moves', () => {
  const text = join(tmp, 'not-an-image.txt');
  writeFileSync(text, 'this is text, not a PNG\n');
  const t = join(tmp, 'broken.tar');
  pyWriteTar(t, 'pax', samples(names.map((_, i) => i), (i) => (i === 5 ? text : join(imgs, `${names[i]}.png`))));
  // spoil the stored checksum of im03.png's header
  const bytes = readFileSync(t);
  const off = pyListTar(t).find(([n]) => n === 'train/im03.png')![1] - 512;
  bytes[off + 150] = bytes[off + 150] === 0x31 ? 0x32 : 0x31;
  writeFileSync(t, bytes);
  const r = screen([t], 'broken');
  assert.match(r.stderr, /train\/im03\.png[^\n]*checksum/);
  assert.match(r.stderr, /train\/im05\.png/);
  const skipped = file('broken', 'skipped.txt').toString().trim().split('\n').map((l) => l.split('\t'));
  assert.equal(skipped.map((s) => s[0]), ['3', '5']);
  assert.ok(skipped[0]![1]!.endsWith(':train/im03.png') && skipped[1]![1]!.endsWith(':train/im05.png'), skipped.map((s) => s[1]).join(', '));
  const got = readNpy(join(tmp, 'broken', 'responses.npy')), want = readNpy(join(tmp, 'folder', 'responses.npy'));
  assert.equal(got.shape, [IMAGES, N]);
  const g = got.data as Float32Array, w = want.data as Float32Array;
  for (let i = 0; i < IMAGES; i++) for (let u = 0; u < N; u++) {
    if (i === 3 || i === 5) assert.ok(Number.isNaN(g[i * N + u]), `row ${i} is NaN`);
    else assert.is(g[i * N + u], w[i * N + u], `image ${i} unit ${u}`);
  }
});

withPy('a sharded screen of a tar merges into exactly the unsharded screen (an empty shard too)', () => {
  const t = join(tmp, 'shard-000.tar'), u = join(tmp, 'shard-001.tar');
  const dirs = [0, 1, 2, 3].map((k) => { screen([t, u], `tar-s${k}`, ['--shard', `${k}/4`]); return join(tmp, `tar-s${k}`); });
  cliOk(['merge', ...dirs, '--out', join(tmp, 'tar-merged')]);
  sameTree(join(tmp, 'tar'), join(tmp, 'tar-merged'));
  // 11 images in batches of 4 are 3 batches: one of the 4 shards is empty
  const N0 = dirs.map((d) => readNpy(join(d, 'responses.npy')).shape[0]);
  assert.equal(N0.reduce((a, b) => a + b, 0), IMAGES);
  assert.ok(N0.includes(0));
  // a shard whose responses.npy does not hold what its screen.json says is refused by name
  const cut = join(tmp, 'tar-s1', 'responses.npy');
  writeFileSync(cut, readFileSync(cut).subarray(0, readFileSync(cut).length - 4));
  cliFails(['merge', ...dirs, '--out', join(tmp, 'tar-merged-bad')], /tar-s1\/responses\.npy: expected 4 x 3 float32 responses/);
});

withPy('a .txt list (relative paths, comments, CRLF) screens as the folder', () => {
  const list = join(tmp, 'images', 'list.txt');
  writeFileSync(list, '# the images, relative to this list\r\n' + names.map((n) => `${n}.png`).join('\r\n') + '\r\n');
  screen([list], 'list');
  sameTree(join(tmp, 'folder'), join(tmp, 'list'));
});

withPy('listImages: a 200,000-line list in order (a .tar line expanded in place); commands without tar support refuse shards', () => {
  const dir = join(tmp, 'biglist');
  mkdirSync(dir);
  const lines = Array.from({ length: 200_000 }, (_, i) => `sub/img-${i}.png`);
  lines.splice(1000, 0, join(tmp, 'shard-001.tar'));
  const list = join(dir, 'big.txt');
  writeFileSync(list, lines.join('\n') + '\n');
  const got = listImages([list], { tar: true });
  assert.is(got.length, 200_000 + 5);
  assert.is(got[0], join(dir, 'sub/img-0.png'));
  assert.is(got[999], join(dir, 'sub/img-999.png'));
  assert.ok(got[1000]!.startsWith(`${join(tmp, 'shard-001.tar')}::`) && got[1000]!.endsWith(':train/im06.png'), got[1000]);
  assert.is(got[1005], join(dir, 'sub/img-1000.png'));
  assert.is(got[200_004], join(dir, 'sub/img-199999.png'));
  assert.throws(() => listImages([join(tmp, 'shard-001.tar')]), /\.tar shards are read by `dualneuron screen`/);
  cliFails(['predict', '--model', twin, '--images', join(tmp, 'shard-001.tar'), '--out', join(tmp, 'p.npy')], /\.tar shards are read by `dualneuron screen`/);
});

withUpstream(test)('the V1 twin (decoding in worker threads) screens a tar as its folder', () => {
  const home = upstreamWeightsHome();
  const t = join(tmp, 'v1.tar');
  pyWriteTar(t, 'pax', samples([0, 1, 2, 3, 4]));
  const dir = join(tmp, 'v1-images');
  mkdirSync(dir);
  for (const i of [0, 1, 2, 3, 4]) copyFileSync(join(imgs, `${names[i]}.png`), join(dir, `${names[i]}.png`));
  const args = (images: string, out: string) => ['screen', '--model', 'v1', '--member', '1', '--images', images, '--preset', 'rendered', '--batch', '2', '--workers', '2', '--out', join(tmp, out)];
  cliOk(args(t, 'v1-tar'), { DUALNEURON_HOME: home });
  cliOk(args(dir, 'v1-folder'), { DUALNEURON_HOME: home });
  assert.ok(file('v1-tar', 'responses.npy').equals(file('v1-folder', 'responses.npy')));
  assert.is(file('v1-tar', 'skipped.txt').length, 0);
});

test.run();
