// `dualneuron analyze sheet` end to end on small folders in the formats of poles / screen / analyze gabor /
// analyze rf (test/helpers/sheet-folders.ts): the SVG is well formed, holds one <image> per panel with pixels that
// decode back to the source .npy (or the image file for MAIs/LAIs), the traces are polylines of one point per step
// placed linearly in the activation, and the MEI/LEI chosen are the seeds with the highest/lowest final activation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { cliFails, cliOk } from '../helpers/cli.js';
import { readImage, resizeBilinearPIL } from '../../src/io/image/index.js';
import { MAX_PICTURE_SIDE } from '../../src/dualneuron/analysis/sheet-inputs.js';
import { HW, gaborFolder, pattern, polesFolder, rfFolder, screenFolder, trace } from '../helpers/sheet-folders.js';

const test = suite('cli analyze sheet');
const tmp = mkdtempSync(join(tmpdir(), 'dualneuron-sheet-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/** Well-formedness: every opened element is closed in order (attributes quoted, no stray '<'). */
export function checkXml(svg: string): void {
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/g;
  let pos = 0;
  for (let m; (m = re.exec(body)); ) {
    assert.is(m.index, pos, `unparseable SVG at ${body.slice(pos, pos + 60)}`);
    pos = re.lastIndex;
    if (m[5] !== undefined) continue;
    if (m[1]) assert.is(stack.pop(), m[2], `</${m[2]}> closes another element`);
    else if (!m[4]) stack.push(m[2]);
  }
  assert.is(pos, body.length, 'the whole SVG parsed');
  assert.equal(stack, [], 'every element closed');
}

export function svgImages(svg: string): { x: number; y: number; w: number; h: number; png: Uint8Array }[] {
  return [...svg.matchAll(/<image x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"[^>]*href="data:image\/png;base64,([^"]+)"\/>/g)]
    .map((m) => ({ x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), h: Number(m[4]), png: Buffer.from(m[5], 'base64') }));
}

export function polylines(svg: string): { color: string; points: [number, number][] }[] {
  return [...svg.matchAll(/<polyline fill="none" stroke="([^"]+)"[^>]* points="([^"]+)"\/>/g)]
    .map((m) => ({ color: m[1], points: m[2].split(' ').map((p) => p.split(',').map(Number) as [number, number]) }));
}

/** A trace's polyline: as many points as values, x evenly spaced, y an exact decreasing affine map of the values (to the SVG's 2 decimals). */
export function assertTracePolyline(points: [number, number][], values: Float32Array): void {
  assert.is(points.length, values.length, 'one point per step');
  const dx = points[1][0] - points[0][0];
  points.forEach((p, i) => assert.ok(Math.abs(p[0] - points[0][0] - i * dx) < 0.02, `x of step ${i}`));
  // y = a - b v with b > 0: fit b from the extremes, check every point
  let lo = 0, hi = 0;
  values.forEach((v, i) => { if (v < values[lo]) lo = i; if (v > values[hi]) hi = i; });
  const b = (points[lo][1] - points[hi][1]) / (values[hi] - values[lo]);
  assert.ok(b > 0, 'higher activation is drawn higher');
  values.forEach((v, i) => assert.ok(Math.abs(points[i][1] - (points[hi][1] + b * (values[hi] - v))) < 0.02, `y of step ${i}`));
}

/** pixels of a stretched panel: round(255 (0.5 + 0.5 v / max|v|)) for every value of the .npy */
function assertStretched(png: Uint8Array, v: Float32Array): void {
  const img = decode(png);
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  assert.is(img.data.length, v.length);
  let bad = 0;
  for (let i = 0; i < v.length; i++) if (img.data[i] !== Math.round(255 * (0.5 + 0.5 * (v[i] / m)))) bad++;
  assert.is(bad, 0, `${bad} pixels differ from the .npy`);
  // and the decoded panel gives the values back within half a step
  for (let i = 0; i < v.length; i += 97) assert.ok(Math.abs((img.data[i] / 255 - 0.5) * 2 * m - v[i]) <= m / 255 + 1e-7);
}

test('a full sheet: MEI, LEI, best Gabor, RF, MAIs and LAIs, traces', () => {
  const poles = join(tmp, 'poles'), scr = join(tmp, 'screen'), gab = join(tmp, 'gabor'), rf = join(tmp, 'rf');
  polesFolder(poles, [2, 3], [0, 1, 2], { steps: 8 });
  const paths = screenFolder(scr, 4, 9);
  gaborFolder(gab, [1, 3]);
  rfFolder(rf, [3, 2]);
  const out = join(tmp, 'out');
  cliOk(['analyze', 'sheet', '--poles', poles, '--neurons', '3', '--screen', scr, '--gabor', gab, '--rf', rf, '--top', '3', '--out', out]);
  const svg = readFileSync(join(out, 'sheet_0003.svg'), 'utf8');
  checkXml(svg);
  const side = JSON.parse(readFileSync(join(out, 'sheet_0003.json'), 'utf8')) as { panels: { name: string; file: string; display: string; scale: number | null }[] };
  const imgs = svgImages(svg);
  assert.is(imgs.length, 2 + 1 + 1 + 3 + 3, 'MEI, LEI, Gabor, RF, 3 MAIs, 3 LAIs');
  assert.equal(side.panels.map((p) => p.name), ['MEI', 'LEI', 'best Gabor', 'gradient RF', 'MAI 0', 'MAI 1', 'MAI 2', 'LAI 0', 'LAI 1', 'LAI 2']);
  // seeds: MEI final rises with the seed (seed 2 best), LEI final falls with it (seed 2 lowest)
  const k = (s: number, pole: 'most' | 'least') => 3 * 7 + s * 2 + (pole === 'most' ? 0 : 1);
  assertStretched(imgs[0].png, pattern(k(2, 'most')));
  assertStretched(imgs[1].png, pattern(k(2, 'least')));
  assert.match(side.panels[0].file, /neuron_0003\/seed_0002\/most\/image\.npy$/);
  assert.ok(Math.abs(side.panels[0].scale! - Math.max(...Array.from(pattern(k(2, 'most')), Math.abs))) < 1e-7);
  // neuron 3 is the second row of the Gabor folder
  assertStretched(imgs[2].png, pattern(201));
  // RF map: round(255 v / max v), the first row of the rf folder
  const rfMap = Float32Array.from(pattern(300), Math.abs);
  const mx = Math.max(...rfMap);
  const rfPx = decode(imgs[3].png).data;
  let bad = 0;
  for (let i = 0; i < HW; i++) if (rfPx[i] !== Math.round((255 * rfMap[i]) / mx)) bad++;
  assert.is(bad, 0, 'RF map pixels');
  // MAIs: unit 3 has odd order (indices reversed): highest rank 8 -> image 0, then 1, 2; LAIs: images 8, 7, 6
  const file = (i: number) => decode(readFileSync(paths[i])).data;
  [0, 1, 2].forEach((img, j) => assert.equal([...decode(imgs[4 + j].png).data], [...file(img)], `MAI ${j}`));
  [8, 7, 6].forEach((img, j) => assert.equal([...decode(imgs[7 + j].png).data], [...file(img)], `LAI ${j}`));
  assert.match(svg, />29\.0</, 'the top MAI\'s response (rank 8 of unit 3: 8 * 4 - 3)');
  // traces: one polyline of 9 points per pole, linear in the activations of the chosen seeds
  const tr = polylines(svg).filter((p) => p.points.length === 9);
  assert.is(tr.length, 2, 'the MEI and LEI traces');
  assertTracePolyline(tr[0].points, trace('most', 2, 8));
  assertTracePolyline(tr[1].points, trace('least', 2, 8));
  // the RF fit's ellipses (49 points each) are drawn
  assert.is(polylines(svg).filter((p) => p.points.length === 49).length, 2);
  const rec = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  assert.is(rec.command, 'analyze sheet');
});

test('poles alone: two panels and the traces; every neuron of the folder by default', () => {
  const poles = join(tmp, 'poles2');
  polesFolder(poles, [0, 1], [4, 5], { steps: 3 });
  const out = join(tmp, 'out2');
  cliOk(['analyze', 'sheet', '--poles', poles, '--out', out]);
  for (const n of [0, 1]) {
    const svg = readFileSync(join(out, `sheet_000${n}.svg`), 'utf8');
    checkXml(svg);
    assert.is(svgImages(svg).length, 2);
    assert.is(polylines(svg).filter((p) => p.points.length === 4).length, 2);
  }
});

test('screen images larger than the limit are shrunk (PIL bilinear) and marked resized', () => {
  const poles = join(tmp, 'poles-big'), scr = join(tmp, 'screen-big');
  polesFolder(poles, [1], [0]);
  const paths = screenFolder(scr, 2, 4, [300, 200]);
  const out = join(tmp, 'out-big');
  cliOk(['analyze', 'sheet', '--poles', poles, '--screen', scr, '--top', '1', '--out', out]);
  const svg = readFileSync(join(out, 'sheet_0001.svg'), 'utf8');
  const side = JSON.parse(readFileSync(join(out, 'sheet_0001.json'), 'utf8')) as { panels: { name: string; display: string }[] };
  assert.equal(side.panels.slice(2).map((p) => p.display), ['resized', 'resized']);
  const mai = decode(svgImages(svg)[2].png);
  assert.equal([mai.width, mai.height], [MAX_PICTURE_SIDE, 128]);
  // unit 1 reverses the order: its MAI is image 0
  const want = resizeBilinearPIL(readImage(paths[0]), MAX_PICTURE_SIDE, 128);
  assert.equal([...mai.data], [...want.data]);
});

test('bad inputs: a Gabor or RF folder without the neuron, a screen that is not one, a bad --top', () => {
  const poles = join(tmp, 'poles3'), gab = join(tmp, 'gabor3'), rf = join(tmp, 'rf3');
  polesFolder(poles, [5], [0, 1]);
  gaborFolder(gab, [1, 2]);
  rfFolder(rf, [4]);
  cliFails(['analyze', 'sheet', '--poles', poles, '--gabor', gab, '--out', join(tmp, 'o1')], /--gabor .* has no results for neuron 5 \(it holds 1, 2\)/);
  cliFails(['analyze', 'sheet', '--poles', poles, '--rf', rf, '--out', join(tmp, 'o2')], /--rf .* has no results for neuron 5/);
  cliFails(['analyze', 'sheet', '--poles', poles, '--screen', gab, '--out', join(tmp, 'o3')], /no \*_ordered_responses folder/);
  cliFails(['analyze', 'sheet', '--poles', poles, '--top', '0', '--out', join(tmp, 'o4')], /--top/);
  cliFails(['analyze', 'sheet', '--poles', poles, '--neurons', '7', '--out', join(tmp, 'o5')], /no results for neuron 7/);
});

test.run();
