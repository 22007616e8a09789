// The per-seed figures of an evolve run (trajectory.svg, montage.png) made from fake thread folders with known
// scores and images: the plotted lines must be affine images of the best/mean scores computed here, and every
// chosen generation's best image, min-max scaled and upscaled as computed here, must appear in the decoded PNG.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../../src/io/npy.js';
import { readImage } from '../../src/io/image/index.js';
import { writeThreadFigures, montageGenerations } from '../../src/dualneuron/evolve/report.js';
import { drawText } from '../../src/dualneuron/plot/pixel-text.js';
import { FormatError, InputError } from '../../src/errors.js';

const test = suite('evolve figures');
const tmp = mkdtempSync(join(tmpdir(), 'dn-evolve-report-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const POP = 4;
/** a thread folder: scores row g = base(g) + k * step(g); best_image of generation g a ramp with a bright dot at g */
function writeThread(dir: string, G: number, C: number, S: number, base: (g: number) => number, clean = false) {
  mkdirSync(dir, { recursive: true });
  const scores = new Float32Array(G * POP);
  for (let g = 0; g < G; g++) for (let k = 0; k < POP; k++) scores[g * POP + k] = base(g) + k * (0.5 + 0.1 * g);
  writeNpy(join(dir, 'scores.npy'), { dtype: 'f32', shape: [G, POP], data: scores });
  if (clean) writeNpy(join(dir, 'clean_scores.npy'), { dtype: 'f32', shape: [G, POP], data: scores.map((v) => v * 0.9) });
  const imgs = new Float32Array(G * C * S * S);
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < S * S; i++) imgs[((g * C + c) * S * S) + i] = -1 + (i % S) * 0.01 * (c + 1) + Math.floor(i / S) * 0.003 + (i === (g * 7 + c) % (S * S) ? 3 + g : 0);
    }
  }
  writeNpy(join(dir, 'best_image.npy'), { dtype: 'f32', shape: [G, C, S, S], data: imgs });
  return { scores, imgs };
}

/** the expected 8-bit cell (H*up x W*up x channels) of image g: min-max over the image, nearest upscaling */
function expectedCell(imgs: Float32Array, g: number, C: number, S: number, up: number, channels: number): Uint8Array {
  const n = C * S * S, v = Array.from(imgs.subarray(g * n, (g + 1) * n));
  const lo = Math.min(...v), hi = Math.max(...v);
  const out = new Uint8Array(S * up * S * up * channels);
  for (let y = 0; y < S * up; y++) {
    for (let x = 0; x < S * up; x++) {
      for (let k = 0; k < channels; k++) {
        const val = v[(C === 1 ? 0 : k) * S * S + Math.floor(y / up) * S + Math.floor(x / up)];
        out[(y * S * up + x) * channels + k] = Math.round(((val - lo) / (hi - lo)) * 255);
      }
    }
  }
  return out;
}

/** top-left positions where `cell` (w x h) appears exactly in `img` */
function findCell(img: { width: number; height: number; data: Uint8Array }, ch: number, cell: Uint8Array, w: number, h: number): [number, number][] {
  const hits: [number, number][] = [];
  for (let y = 0; y + h <= img.height; y++) {
    for (let x = 0; x + w <= img.width; x++) {
      let ok = true;
      for (let yy = 0; yy < h && ok; yy++) {
        for (let i = 0; i < w * ch; i++) {
          if (img.data[((y + yy) * img.width + x) * ch + i] !== cell[yy * w * ch + i]) { ok = false; break; }
        }
      }
      if (ok) hits.push([x, y]);
    }
  }
  return hits;
}

/** the polylines of an SVG as lists of points, with their stroke attributes */
function polylines(svg: string): { attrs: string; pts: [number, number][] }[] {
  return [...svg.matchAll(/<polyline ([^>]*)points="([^"]*)"/g)].map((m) => ({ attrs: m[1], pts: m[2].split(' ').map((p) => p.split(',').map(Number) as [number, number]) }));
}

/** asserts y = alpha + beta * v for some beta < 0 (screen y grows downwards) */
function assertAffine(ys: number[], v: number[], what: string) {
  const beta = (ys[ys.length - 1] - ys[0]) / (v[v.length - 1] - v[0]);
  assert.ok(beta < 0, `${what}: slope ${beta}`);
  ys.forEach((y, i) => assert.ok(Math.abs(y - (ys[0] + beta * (v[i] - v[0]))) < 0.02, `${what} point ${i}: ${y} vs ${ys[0] + beta * (v[i] - v[0])}`));
}

test('montage generations: 0, b, 2b, ... and the last', () => {
  assert.equal(montageGenerations(100), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 99]);
  assert.equal(montageGenerations(25), [0, 3, 6, 9, 12, 15, 18, 21, 24]);
  assert.equal(montageGenerations(5), [0, 1, 2, 3, 4]);
  assert.equal(montageGenerations(1), [0]);
});

test('pixel text: the glyph of "1" at scale 2', () => {
  const img = { width: 8, height: 12, channels: 1, data: new Uint8Array(96) };
  drawText(img, 1, 1, '1', 2, [200]);
  const rows = ['.#.', '##.', '.#.', '.#.', '###'];
  for (let y = 0; y < 12; y++) {
    for (let x = 0; x < 8; x++) {
      const gx = Math.floor((x - 1) / 2), gy = Math.floor((y - 1) / 2);
      const set = x >= 1 && y >= 1 && gx < 3 && gy < 5 && rows[gy][gx] === '#';
      assert.is(img.data[y * 8 + x], set ? 200 : 0, `pixel ${x},${y}`);
    }
  }
});

test('gray twin, two spaces with noise: trajectory lines follow the scores; montage holds the chosen generations', () => {
  const seedDir = join(tmp, 'run1', 'n4', 's1');
  const G = 23, S = 24; // up-scaling 96 / 24 = 4
  const a = writeThread(join(seedDir, 'fc6'), G, 1, S, (g) => 10 - 8 * Math.exp(-g / 5), true);
  const b = writeThread(join(seedDir, 'pixel'), G, 1, S, (g) => 2 + 0.1 * g + Math.sin(g), true);
  const { trajectory, montage } = writeThreadFigures(seedDir);
  assert.equal(readdirSync(seedDir).sort(), ['fc6', 'montage.png', 'pixel', 'trajectory.svg']); // no temporaries left
  const svg = readFileSync(trajectory, 'utf8');
  assert.ok(svg.includes('neuron 4, seed 1'));
  for (const l of ['fc6 best', 'fc6 mean', 'fc6 best, noiseless', 'pixel mean, noiseless']) assert.ok(svg.includes(`>${l}<`), l);
  // data lines: points with G entries (legend samples have 2); order per space: clean best, clean mean, mean, best
  const lines = polylines(svg).filter((p) => p.pts.length === G);
  assert.is(lines.length, 8);
  const stats = [a, b].map((t) => {
    const best: number[] = [], mean: number[] = [], cbest: number[] = [], cmean: number[] = [];
    for (let g = 0; g < G; g++) {
      const row = Array.from(t.scores.subarray(g * POP, (g + 1) * POP)), crow = row.map((v) => Math.fround(v * 0.9));
      best.push(Math.max(...row)); mean.push(row.reduce((x, y) => x + y, 0) / POP);
      cbest.push(Math.max(...crow)); cmean.push(crow.reduce((x, y) => x + y, 0) / POP);
    }
    return { best, mean, cbest, cmean };
  });
  // all eight lines (per space: noiseless best, noiseless mean, mean, best) are one affine image of their values:
  // one y axis for every space and kind, and each line drawn from its own statistic
  const expectedLines = stats.flatMap((st) => [st.cbest, st.cmean, st.mean, st.best]);
  assertAffine(lines.flatMap((l) => l.pts.map((p) => p[1])), expectedLines.flat(), 'all lines on one axis');
  lines.forEach((l) => assertAffine(l.pts.map((p) => p[0]), Array.from({ length: G }, (_, g) => -g), 'x = generation'));
  for (const si of [0, 1]) {
    const [cb, cm, m, bs] = lines.slice(si * 4, si * 4 + 4);
    assert.ok(m.attrs.includes('stroke-dasharray="6,4"') && !bs.attrs.includes('dasharray'), 'mean dashed, best solid');
    assert.ok(cb.attrs.includes('stroke-dasharray="1,3"') && cm.attrs.includes('stroke-dasharray="1,3"'), 'noiseless dotted');
  }
  const png = readImage(montage);
  assert.is(png.mode, 'L');
  const gens = montageGenerations(G);
  for (const [ri, t] of [a, b].entries()) {
    const pos = gens.map((g) => {
      const hits = findCell(png as { width: number; height: number; data: Uint8Array }, 1, expectedCell(t.imgs, g, 1, S, 4, 1), S * 4, S * 4);
      assert.ok(hits.length >= 1, `space ${ri} generation ${g} not found in the montage`);
      return hits[0];
    });
    // left to right in generation order, one row per space
    for (let i = 1; i < pos.length; i++) assert.ok(pos[i][0] > pos[i - 1][0] && pos[i][1] === pos[0][1], `order at ${gens[i]}`);
    if (ri === 1) assert.ok(pos[0][1] > 0);
  }
});

test('RGB images make an RGB montage; errors name the file', () => {
  const seedDir = join(tmp, 'run2', 'n0', 's0');
  const G = 6, S = 32; // up-scaling 3
  const t = writeThread(join(seedDir, 'fc6'), G, 3, S, (g) => g);
  const { montage } = writeThreadFigures(seedDir);
  const png = readImage(montage);
  assert.is(png.mode, 'RGB');
  for (const g of montageGenerations(G)) {
    assert.ok(findCell(png as { width: number; height: number; data: Uint8Array }, 3, expectedCell(t.imgs, g, 3, S, 3, 3), S * 3, S * 3).length === 1, `generation ${g}`);
  }
  // fewer generations asked: the montage stops there
  writeThreadFigures(seedDir, { generations: 3 });
  const p3 = readImage(montage);
  assert.ok(findCell(p3 as { width: number; height: number; data: Uint8Array }, 3, expectedCell(t.imgs, 5, 3, S, 3, 3), S * 3, S * 3).length === 0, 'generation 5 is beyond the 3 asked');
  assert.ok(findCell(p3 as { width: number; height: number; data: Uint8Array }, 3, expectedCell(t.imgs, 2, 3, S, 3, 3), S * 3, S * 3).length === 1);
  // errors
  rmSync(join(seedDir, 'fc6', 'best_image.npy'));
  assert.throws(() => writeThreadFigures(seedDir), (e: unknown) => e instanceof FormatError && (e as Error).message.includes(join(seedDir, 'fc6', 'best_image.npy')));
  writeNpy(join(seedDir, 'fc6', 'best_image.npy'), { dtype: 'f32', shape: [G, 2, S, S], data: new Float32Array(G * 2 * S * S) });
  assert.throws(() => writeThreadFigures(seedDir), /expected float \(generations, 1 or 3, H, W\)/);
  assert.throws(() => writeThreadFigures(join(tmp, 'run2', 'n0')), (e: unknown) => e instanceof InputError);
});

test("a run's own spaces only: a folder another run left beside them (too few generations) is not read", () => {
  const seedDir = join(tmp, 'run3', 'n0', 's0');
  writeThread(join(seedDir, 'fourier'), 6, 1, 16, (g) => g);
  writeThread(join(seedDir, 'pixel'), 3, 1, 16, (g) => -g); // a stale folder of an earlier, shorter run
  assert.throws(() => writeThreadFigures(seedDir, { generations: 6 }), /pixel/);
  const { trajectory } = writeThreadFigures(seedDir, { generations: 6, spaces: ['fourier'] });
  const svg = readFileSync(trajectory, 'utf8');
  assert.ok(svg.includes('fourier'));
  assert.not.ok(svg.includes('pixel'), 'the stale space is not drawn');
});

test.run();
