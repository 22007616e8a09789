// Peak memory of screening WebDataset .tar shards (issue 19: a 10,000-image tar screens with peak RSS within 10%
// of a 1,000-image one). Each size is screened by the CLI in a child process under /usr/bin/time -v, whose
// "Maximum resident set size" is the figure. Not a test: it writes thousands of members and screens them.
//
//   node dist/bench/screen-tar-rss.js [--model v1|TWIN_DIR] [--sizes 1000,10000] [--side 32] [--batch 32] [--via tar|list]
//                                    [--node-flags=--optimize-for-size]
//
// `--via list` screens a .txt list of the same images instead (the PNG files named in turn), for comparison.
//
// Without --model, a tiny twin is trained first (16 x 24 gray, the one the tests use), so the figure is the
// screening machinery's (listing, decoding, checkpoints, outputs) rather than a large model's weights.
//
// What the figure measures: the live JS heap after a full collection is the same whatever the size (18-21 MB at
// 1,000 and 10,000 images, node --trace-gc). Before `screen` set V8's --optimize-for-size itself (screen.ts,
// collectGarbageEarly), V8's old-space slack grew with a run's length (277 vs 370 MiB; 3,000 / 10,000 / 20,000
// listed images: 327 / 358 / 368 MiB); now 237 vs 248 MiB at the same speed. `--node-flags` passes flags to the child.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writePNG } from '../src/io/image/index.js';
import { HostRng } from '../src/dualneuron/render/rng.js';
import { writeLnPopulation } from '../test/train/ln-population.js';
import { repoRoot } from './harness.js';

const { values: a } = parseArgs({ options: { model: { type: 'string' }, sizes: { type: 'string', default: '1000,10000' }, side: { type: 'string', default: '32' }, batch: { type: 'string', default: '32' }, keep: { type: 'boolean', default: false }, via: { type: 'string', default: 'tar' }, 'node-flags': { type: 'string', default: '' } } });
const sizes = a.sizes!.split(',').map(Number);
const side = Number(a.side);
const main = resolve(repoRoot, 'dist/src/dualneuron/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'dn-tar-rss-'));
const env = { ...process.env, DUALNEURON_QUIET: '1' };

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, input, maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} ... failed (${r.status}):\n${r.stderr}`);
  return r.stderr;
}

let model = a.model;
if (!model) {
  const data = join(tmp, 'data');
  writeLnPopulation(data, { images: 48, neurons: 3, repeats: 2, h: 16, w: 24, seed: 7n });
  model = join(tmp, 'twin');
  run(process.execPath, [main, 'train', data, '--image-size', '16x24', '--hidden-channels', '4', '--layers', '2', '--epochs', '1', '--batch', '16', '--members', '1', '--clip', '50', '--out', model]);
}
const extra = model === 'v1' || model === 'v4' || model === 'v4g' ? ['--member', '1', '--preset', 'rendered'] : [];

// 256 distinct PNGs, cycled through the members (each member a sample of its own key, with a label member)
const pngs = join(tmp, 'png');
mkdirSync(pngs);
const rng = new HostRng(1n);
const sources = Array.from({ length: 256 }, (_, i) => {
  const d = new Uint8Array(side * side * 3);
  for (let k = 0; k < d.length; k++) d[k] = Math.floor(rng.uniform() * 256);
  const p = join(pngs, `${i}.png`);
  writePNG(p, { width: side, height: side, channels: 3, data: d });
  return p;
});

console.log(`# screen from one ${a.via === 'list' ? '.txt list' : 'WebDataset tar'}: peak RSS by size (model ${a.model ?? 'tiny trained twin'}, ${side}x${side} PNG members, batch ${a.batch}${a['node-flags'] ? `, node ${a['node-flags']}` : ''})`);
const rows: { n: number; rssMiB: number; seconds: number }[] = [];
for (const n of sizes) {
  const tar = join(tmp, a.via === 'list' ? `list-${n}.txt` : `shard-${n}.tar`);
  const members = Array.from({ length: n }, (_, i) => [[`s/${String(i).padStart(7, '0')}.png`, sources[i % sources.length], 0], [`s/${String(i).padStart(7, '0')}.cls`, null, 2]]).flat();
  if (a.via === 'list') writeFileSync(tar, Array.from({ length: n }, (_, i) => sources[i % sources.length]).join('\n') + '\n');
  else run('/usr/bin/python3', [join(repoRoot, 'tools/golden/webdataset_tar.py'), 'write', tar, 'pax'], JSON.stringify(members));
  const out = join(tmp, `screen-${n}`);
  const t0 = performance.now();
  const err = run('/usr/bin/time', ['-v', process.execPath, ...a['node-flags']!.split(' ').filter(Boolean), main, 'screen', '--model', model, ...extra, '--images', tar, '--batch', a.batch!, '--out', out]);
  const seconds = (performance.now() - t0) / 1000;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  if (!m) throw new Error(`no peak RSS in /usr/bin/time's report:\n${err}`);
  rows.push({ n, rssMiB: Number(m[1]) / 1024, seconds });
  console.log(`${String(n).padStart(7)} images  peak RSS ${(Number(m[1]) / 1024).toFixed(1)} MiB  (${seconds.toFixed(1)} s, ${(n / seconds).toFixed(0)} images/s)`);
  if (!existsSync(join(out, 'responses.npy'))) throw new Error(`${out}: no responses.npy`);
  rmSync(tar, { force: true });
}
if (rows.length >= 2) {
  const r = rows[rows.length - 1]!.rssMiB / rows[0]!.rssMiB;
  console.log(`ratio ${rows[rows.length - 1]!.n} / ${rows[0]!.n} images: ${r.toFixed(3)} (${r <= 1.1 ? 'within' : 'NOT within'} 10%)`);
}
if (!a.keep) rmSync(tmp, { recursive: true, force: true });
