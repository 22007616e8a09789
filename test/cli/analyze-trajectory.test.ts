// `dualneuron analyze trajectory` end to end on a small poles folder made "with --save-all-steps"
// (test/helpers/sheet-folders.ts): every frame of the animated PNG is decoded (IDAT / fdAT inflated) and its image
// equals the step's images_all_steps.npy entry under the documented stretch, the trace points up to the step are
// drawn in the sign's colour and the rest dimmed, the marker sits on the step's point, the trace .npy equals
// activations.npy; a folder without every step's images is refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliFails, cliOk } from '../helpers/cli.js';
import { readNpy } from '../../src/io/npy.js';
import { toFloat32 } from '../../src/io/host-array.js';
import { HW, S, pattern, polesFolder, trace } from '../helpers/sheet-folders.js';

const test = suite('cli analyze trajectory');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-traj-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Every frame of an APNG written with filter 0 rows, as RGB bytes. */
function apngFrames(png: Uint8Array): { width: number; height: number; frames: Uint8Array[] } {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0, height = 0;
  const frames: Uint8Array[] = [];
  for (let o = 8; o < png.length;) {
    const len = dv.getUint32(o), type = String.fromCharCode(...png.subarray(o + 4, o + 8)), data = png.subarray(o + 8, o + 8 + len);
    if (type === 'IHDR') { width = dv.getUint32(o + 8); height = dv.getUint32(o + 12); assert.is(data[9], 2, 'RGB'); }
    if (type === 'IDAT' || type === 'fdAT') {
      const raw = inflateSync(type === 'IDAT' ? data : data.subarray(4));
      const f = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) { assert.is(raw[y * (1 + width * 3)], 0); f.set(raw.subarray(y * (1 + width * 3) + 1, (y + 1) * (1 + width * 3)), y * width * 3); }
      frames.push(f);
    }
    o += 12 + len;
  }
  return { width, height, frames };
}

interface Layout { width: number; height: number; image: { x: number; y: number; zoom: number; scale: number }; plot: { x0: number; y0: number; w: number; h: number; ylo: number; yhi: number; steps: number }; markerRadius: number }

const CYAN = [0, 212, 255], MAGENTA = [255, 0, 128], DIM = [60, 60, 60], WHITE = [255, 255, 255];

function checkAnimation(base: string, pole: 'most' | 'least', k: number, seed: number, steps: number, wantShown: number[]): void {
  const side = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { steps: number[]; layout: Layout };
  assert.equal(side.steps, wantShown);
  const L = side.layout;
  const { width, height, frames } = apngFrames(readFileSync(`${base}.png`));
  assert.equal([width, height], [L.width, L.height]);
  assert.is(frames.length, wantShown.length, 'one frame per shown step');
  const tr = trace(pole, seed, steps);
  assert.equal(Array.from(toFloat32(readNpy(`${base}_trace.npy`))), Array.from(tr), 'the trace .npy is activations.npy');
  // the images' common scale: the largest |value| over the frames shown
  let m = 0;
  for (const t of wantShown) for (const v of pattern(k + 100 + t)) m = Math.max(m, Math.abs(v));
  assert.ok(Math.abs(L.image.scale - m) < 1e-7, 'scale');
  const px = (f: Uint8Array, x: number, y: number) => Array.from(f.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
  const X = (i: number) => L.plot.x0 + Math.round((i * (L.plot.w - 1)) / (L.plot.steps - 1));
  const Y = (v: number) => L.plot.y0 + Math.round(((L.plot.yhi - v) / (L.plot.yhi - L.plot.ylo)) * (L.plot.h - 1));
  assert.is(L.plot.steps, steps + 1);
  wantShown.forEach((t, fi) => {
    const f = frames[fi], img = pattern(k + 100 + t);
    let bad = 0;
    for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) {
      const want = Math.round(255 * (0.5 + 0.5 * (img[r * S + c] / m)));
      // one sample per magnified pixel, at its last row and column
      const p = px(f, L.image.x + c * L.image.zoom + L.image.zoom - 1, L.image.y + r * L.image.zoom + L.image.zoom - 1);
      if (p[0] !== want || p[1] !== want || p[2] !== want) bad++;
    }
    assert.is(bad, 0, `frame ${fi} (step ${t}): ${bad} of ${HW} image pixels differ`);
    const near = (i: number) => Math.abs(X(i) - X(t)) <= L.markerRadius + 1 && Math.abs(Y(tr[i]) - Y(tr[t])) <= L.markerRadius + 1;
    for (let i = 0; i <= steps; i++) {
      if (near(i)) continue;
      const want = i < t ? (tr[i] >= 0 ? CYAN : MAGENTA) : DIM;
      assert.equal(px(f, X(i), Y(tr[i])), want, `frame ${fi} (step ${t}): point of step ${i}`);
    }
    assert.equal(px(f, X(t), Y(tr[t])), WHITE, `frame ${fi}: the marker on step ${t}`);
  });
}

test('frames, trace and marker of MEI and LEI trajectories decode back', () => {
  const poles = join(tmp, 'poles');
  polesFolder(poles, [2], [0, 1], { steps: 12, frames: true });
  const out = join(tmp, 'out');
  cliOk(['analyze', 'trajectory', '--poles', poles, '--pole', 'both', '--seeds', '1', '--frames', '5', '--out', out]);
  const shown = [0, 3, 6, 9, 12];
  checkAnimation(join(out, 'trajectory_0002_seed_0001_most'), 'most', 2 * 7 + 2, 1, 12, shown);
  // the LEI's trace crosses 0 after step 4: magenta from there on
  checkAnimation(join(out, 'trajectory_0002_seed_0001_least'), 'least', 2 * 7 + 2 + 1, 1, 12, shown);
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(rec.written.length, 2);
});

test('every step when --frames is larger than the run', () => {
  const poles = join(tmp, 'poles2');
  polesFolder(poles, [0], [3], { steps: 4, frames: true });
  const out = join(tmp, 'out2');
  cliOk(['analyze', 'trajectory', '--poles', poles, '--out', out]);
  checkAnimation(join(out, 'trajectory_0000_seed_0003_most'), 'most', 6, 3, 4, [0, 1, 2, 3, 4]);
});

test('bad inputs: no per-step images, an unknown seed', () => {
  const poles = join(tmp, 'poles3');
  polesFolder(poles, [1], [0]);
  cliFails(['analyze', 'trajectory', '--poles', poles, '--out', join(tmp, 'o1')], /images_all_steps\.npy is missing: .*--save-all-steps/);
  const p4 = join(tmp, 'poles4');
  polesFolder(p4, [1], [0], { frames: true });
  cliFails(['analyze', 'trajectory', '--poles', p4, '--seeds', '9', '--out', join(tmp, 'o2')], /no seed 9 \(it has 0\)/);
});

test.run();
