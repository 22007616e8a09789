// The example page (web/) in headless Chromium with the real V1 twin from ../shared: the bundle that
// scripts/build-web.mjs makes loads the weights over HTTP (sha256-checked), runs predict on WebGPU (Chrome's
// SwiftShader) and must agree with Node/Dawn on the same input within 1e-5, and with the PyTorch oracle
// (tools/golden/v1_twin.py) within 1e-4; the page's canvases are read back from a screenshot and checked. Then,
// against the CLI run in Node on lavapipe: PNG/JPEG files picked in the page give `dualneuron predict --images`'s
// numbers; 4 steps of live synthesis give `dualneuron synthesize`'s activations (1e-4), its image on the canvas,
// in the .npy and PNG downloads, and a trace of 5 points. A corrupt or wrong weight file gives a message in the
// page naming the file; weights come from the Cache API on the next load (and offline), and a damaged cached copy
// is fetched again. Skipped, with the reason, where there is no ../shared or no Chromium that starts.
// The shapes are the twin's own (93x93) with one crop and one member for synthesis: SwiftShader compiles each
// pipeline slowly (most of this file's time), so the tests reuse what the first one compiled where they can.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decode as decodePng } from 'fast-png';
import type { Browser, Page } from 'puppeteer-core';
import { readNpy } from '../../src/io/npy.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { predict } from '../../src/dualneuron/predict.js';
import { gpu } from '../helpers/backends.js';
import { maxRelToScale } from '../helpers/compare.js';
import { fixture } from '../helpers/fixtures.js';
import { runIf } from '../helpers/skip.js';
import { repoRoot, upstreamDir, withUpstream } from '../helpers/upstream.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { chromium } from './chromium.js';
import { cliOk } from '../helpers/cli.js';
import { parseNpy } from '../../src/io/npy-format.js';
import { toDisplay } from '../../src/dualneuron/synthesis/display.js';
import { serve } from './serve.js';

const test = suite('web page in headless Chromium (real V1 twin)');

// Whether Chromium starts is found out now (a start and a close, about a second) so that the tests are skipped
// with the reason when it does not; the browser itself is started when the first test runs, not while the
// rest of the suite does. Only probed when the tests could run (they need the upstream weights).
const probe = upstreamDir() ? await chromium() : null;
if (probe && 'browser' in probe) await probe.browser.close();
const register = probe === null ? withUpstream(test) : runIf(test, 'browser' in probe, 'reason' in probe ? probe.reason : '');

let browser: Browser | null = null;

let page: Page;
let site: Awaited<ReturnType<typeof serve>>;
let out: string;
const consoleLines: string[] = [];
/** while true the server answers 404 to everything of the page and the weights (the last test) */
let serverGone = false;
const readIfFile = (p: string): Uint8Array | null => { try { return readFileSync(p); } catch { return null; } };
/** paths of /weights/ requested from the server */
const weightRequests: string[] = [];

interface PageApi {
  load(u: string, id: string, members?: number[]): Promise<void>;
  predict(x: number[], b: number): Promise<number[]>;
  responses(): number[] | null;
  status(): { text: string; error: boolean };
  synthesize(o: Record<string, unknown>): Promise<{ activations: number[]; tracePoints: number }>;
  loaded(): { network: number; cache: number };
  tracePoints(): number;
}
/** runs f(window.dualneuron, arg) in the page */
const api = <A, R>(f: (d: PageApi, a: A) => R | Promise<R>, arg: A): Promise<R> =>
  page.evaluate(`(${f.toString()})(window.dualneuron, ${JSON.stringify(arg)})`) as Promise<R>;
const pageStatus = () => api((d) => d.status(), null);
/** waits until #status says `re` (or shows an error) and returns it */
async function statusMatching(re: RegExp): Promise<{ text: string; error: boolean }> {
  await page.waitForFunction((src: string) => {
    const s = document.getElementById('status')!;
    return s.className === 'error' || new RegExp(src).test(s.textContent ?? '');
  }, { timeout: 600_000 }, re.source);
  return pageStatus();
}
/** the bytes behind a download link of the page (a blob: URL) */
const download = async (sel: string) => new Uint8Array(await page.$eval(sel, async (a) => Array.from(new Uint8Array(await (await fetch((a as HTMLAnchorElement).href)).arrayBuffer()))));

async function setUp(): Promise<void> {
  if (site) return;
  out = mkdtempSync(join(tmpdir(), 'dualneuron-web-'));
  const { buildWeb } = (await import(pathToFileURL(join(repoRoot, 'scripts/build-web.mjs')).href)) as { buildWeb: (o: { out: string; quiet: boolean }) => Promise<Record<string, number>> };
  await buildWeb({ out, quiet: true });
  const home = upstreamWeightsHome();
  const member1 = 'V1GrayTaskDriven/member_1.safetensors';
  site = await serve({
    '/app/': (p) => (serverGone ? null : readIfFile(join(out, p))),
    '/weights/': (p) => {
      weightRequests.push(p);
      return serverGone ? null : readIfFile(join(home, p));
    },
    // the same folder with member 1 damaged: one byte of its data flipped
    '/corrupt/': (p) => {
      if (p !== member1) return p === 'manifest.json' ? readFileSync(join(home, p)) : null;
      const b = new Uint8Array(readFileSync(join(home, p)));
      b[b.length - 100] ^= 0xff;
      return b;
    },
  });
  const started = await chromium();
  if ('reason' in started) throw new Error(started.reason);
  browser = started.browser;
  page = await browser.newPage();
  page.on('console', (m) => consoleLines.push(m.text()));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${(e as Error).message}`));
  await page.goto(`${site.url}/app/index.html`);
  await page.waitForFunction('window.dualneuron !== undefined');
}

test.after(async () => {
  await browser?.close();
  await site?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

register('V1 ensemble predictions equal Node/Dawn (1e-5) and PyTorch (1e-4); canvases drawn', async () => {
  await setUp();
  // fixture input 1 (input 0 is blank); one image, as the page's own Predict button sends, so the pipelines
  // SwiftShader compiles (slowly: most of this test's time) serve both predictions below
  const fx = readNpy(fixture('twins', 'v1_inputs.npy'));
  const per = 93 * 93, N = 458, B = 1, row = 1;
  const x = (fx.data as Float32Array).slice(row * per, (row + 1) * per);
  const inputs = Array.from(x);
  try {
    await page.evaluate((u) => (window as unknown as { dualneuron: { load(u: string, id: string): Promise<void> } }).dualneuron.load(u, 'v1'), '/weights/');
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${consoleLines.join('\n')}`);
  }
  const t0 = performance.now();
  const got = await page.evaluate((a, b) => (window as unknown as { dualneuron: { predict(x: number[], b: number): Promise<number[]> } }).dualneuron.predict(a, b), inputs, B);
  const browserSeconds = (performance.now() - t0) / 1000;

  const { model } = loadTwin('v1', { backend: await gpu(), weightsDir: upstreamWeightsHome() });
  const node = (await predict(model, x, B)).responses;
  const vsNode = maxRelToScale(got, node);
  const torch = (readNpy(fixture('twins', 'v1_ensemble_centered.npy')).data as Float32Array).slice(row * N, (row + 1) * N);
  const vsTorch = maxRelToScale(got, torch);
  console.log(`  browser vs Node/Dawn: ${vsNode.scaled.toExponential(2)} of scale (elementwise ${vsNode.rel.toExponential(2)}); vs PyTorch ${vsTorch.scaled.toExponential(2)}; browser predict ${browserSeconds.toFixed(1)} s`);
  assert.ok(vsNode.scaled < 1e-5 && vsNode.rel < 1e-5, `browser vs Node: ${JSON.stringify(vsNode)}`);
  assert.ok(vsTorch.scaled < 1e-4, `browser vs PyTorch: ${JSON.stringify(vsTorch)}`);

  // As a user would: make the default grating (45 deg, period 12 px, amplitude 1), pick the most responsive
  // neuron, press Predict; then read the screenshot of what the page drew.
  const [H, W] = [93, 93];
  const grating = new Float32Array(H * W);
  const th = Math.PI / 4;
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) grating[i * W + j] = Math.cos((2 * Math.PI * (j * Math.cos(th) + i * Math.sin(th))) / 12);
  const nodeG = (await predict(model, grating, 1)).responses;
  model.dispose();
  let best = 0;
  for (let k = 1; k < nodeG.length; k++) if (nodeG[k] > nodeG[best]) best = k;
  await page.click('#grating');
  await page.$eval('#neuron', (e, n) => { (e as HTMLInputElement).value = String(n); }, best);
  const t1 = performance.now();
  await page.click('#predict');
  await page.waitForFunction(() => document.getElementById('status')!.textContent === 'Done.', { timeout: 600_000 });
  console.log(`  the page's Predict button on a grating: ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  const gotG = await page.evaluate(() => (window as unknown as { dualneuron: { responses(): number[] } }).dualneuron.responses());
  const vsNodeG = maxRelToScale(gotG, nodeG);
  assert.ok(vsNodeG.scaled < 1e-5, `grating: browser vs Node ${JSON.stringify(vsNodeG)}`);
  if (process.env.DUALNEURON_WEB_SHOTS) writeFileSync(join(process.env.DUALNEURON_WEB_SHOTS, 'page.png'), await page.screenshot({ type: 'png', fullPage: true }));

  const shot = (sel: string) => page.$(sel).then((h) => h!.screenshot({ type: 'png' })).then((b) => decodePng(new Uint8Array(b)));
  const inImg = await shot('#input-canvas');
  // the element is 2x the input (pixelated) inside a border; sample the centre of each input pixel
  const ch = inImg.channels, bw = (inImg.width - 2 * W) / 2;
  let worst = 0, lo = 255, hi = 0;
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    const px = inImg.data[((bw + 2 * i + 1) * inImg.width + bw + 2 * j + 1) * ch];
    worst = Math.max(worst, Math.abs(px - ((grating[i * W + j] + 1) * 255) / 2));
    lo = Math.min(lo, px); hi = Math.max(hi, px);
  }
  assert.ok(hi - lo > 200, `the input canvas is (nearly) blank: gray levels ${lo}..${hi}`);
  assert.ok(worst <= 3, `the input canvas differs from the grating by ${worst.toFixed(1)} gray levels`);

  // the bars: one per neuron, blue, the chosen (most responsive) one red and full height (116 px)
  const bars = await shot('#responses-canvas');
  const at = (x: number, y: number, c: number) => bars.data[(y * bars.width + x) * bars.channels + c];
  let blue = 0, redColumn = 0;
  for (let x = 0; x < bars.width; x++) {
    let red = 0;
    for (let y = 0; y < bars.height; y++) {
      if (at(x, y, 0) > 150 && at(x, y, 1) < 128 && at(x, y, 2) < 128) red++;
      if (at(x, y, 2) > 150 && at(x, y, 0) < 128) blue++;
    }
    redColumn = Math.max(redColumn, red);
  }
  assert.ok(blue > 1000, `the response bars are missing: ${blue} blue pixels`);
  assert.ok(Math.abs(redColumn - 116) <= 3, `the chosen neuron's bar is ${redColumn} px tall, expected 116 (the largest response)`);
  const status = await page.evaluate(() => (window as unknown as { dualneuron: { status(): { text: string; error: boolean } } }).dualneuron.status());
  assert.is(status.error, false, status.text);
});

register('PNG and JPEG files picked in the page give the numbers of `dualneuron predict --images`', async () => {
  await setUp();
  const dir = join(repoRoot, 'test/fixtures/images/inputs');
  const files = ['rgb_300x200.png', 'jpg_rgb420_300x200.jpg'].map((f) => join(dir, f));
  const y = join(out, 'cli-predict.npy');
  cliOk(['predict', '--model', 'v1', '--images', ...files, '--out', y, '--weights-dir', upstreamWeightsHome()]);
  const N = 458;
  const cliY = parseNpy(new Uint8Array(readFileSync(y)), y).data as Float32Array;
  const input = (await page.$('#input-file'))!;
  // one image per Predict: a batch of one reuses the pipelines the first test compiled (a new batch size would not)
  for (const [i, f] of files.entries()) {
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(f);
    const read = await statusMatching(/^Read 1 file/);
    assert.is(read.error, false, read.text);
    assert.match(read.text, '1 image(s) preprocessed (rendered)');
    await page.click('#predict');
    const done = await statusMatching(/^Done\.$/);
    assert.is(done.error, false, done.text);
    const got = (await api((d) => d.responses(), null))!;
    const e = maxRelToScale(got, cliY.subarray(i * N, (i + 1) * N));
    console.log(`  picked ${f.split('/').pop()}: page vs CLI predict ${e.scaled.toExponential(2)} of scale`);
    assert.ok(e.scaled < 1e-5, `${f}: page vs CLI ${JSON.stringify(e)}`);
  }
  // a file that is not an image: the decoder's message, naming it
  const bad = join(out, 'notes.png');
  writeFileSync(bad, 'just some text\n');
  await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(bad);
  const st = await statusMatching(/^Read/);
  assert.ok(st.error, st.text);
  assert.match(st.text, /InputError: image notes\.png is a text file/);
});

register('4 steps of live synthesis on neuron 0 equal `dualneuron synthesize` (1e-4); canvas, trace and downloads checked', async () => {
  await setUp();
  const home = upstreamWeightsHome();
  const tmp = join(out, 'cli-synth');
  cliOk(['synthesize', '--model', 'v1', '--members', '1', '--neuron', '0', '--seed', '0', '--pole', 'most', '--steps', '4', '--crops', '1', '--weights-dir', home, '--out', tmp]);
  const res = join(tmp, 'neuron_0000', 'seed_0000', 'most');
  const cliActs = parseNpy(new Uint8Array(readFileSync(join(res, 'activations.npy'))), 'activations.npy').data as Float32Array;
  const cliImage = parseNpy(new Uint8Array(readFileSync(join(res, 'image.npy'))), 'image.npy').data as Float32Array;

  await api((d) => d.load('/weights/', 'v1', [1]), null);
  const t0 = performance.now();
  const r = await api((d) => d.synthesize({ neuron: 0, pole: 'most', recipe: '', steps: 4, crops: 1, seed: 0 }), null).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${(await pageStatus()).text}\n${consoleLines.join('\n')}`);
  });
  const e = maxRelToScale(r.activations, cliActs);
  console.log(`  synthesis in the page: ${((performance.now() - t0) / 1000).toFixed(1)} s; activations ${r.activations.map((a) => a.toFixed(4)).join(' ')}; vs CLI ${e.scaled.toExponential(2)} of scale`);
  assert.is(r.activations.length, 5);
  assert.ok(e.scaled < 1e-4, `page vs CLI activations: ${JSON.stringify(e)} (page ${r.activations}, CLI ${Array.from(cliActs)})`);
  assert.ok(cliActs[4] > cliActs[0], `the CLI's MEI activation did not rise: ${Array.from(cliActs)}`);
  assert.is(r.tracePoints, 5, 'the trace has one point per recorded step (0..4)');
  const st = await pageStatus();
  assert.is(st.error, false, st.text);
  assert.match(st.text, /^Synthesis done: neuron 0/);

  // the downloads: image.npy equals the CLI's image, activations.npy the page's activations, the PNG its display
  const S = 93;
  const img = parseNpy(await download('#download-image'), 'image.npy');
  assert.equal(img.shape, [1, S, S]);
  const ei = maxRelToScale(img.data as Float32Array, cliImage);
  assert.ok(ei.scaled < 1e-4, `downloaded image.npy vs the CLI's: ${JSON.stringify(ei)}`);
  assert.equal(Array.from(parseNpy(await download('#download-activations'), 'activations.npy').data as Float32Array), r.activations);
  const want = toDisplay(cliImage, 1, S);
  const png = decodePng(await download('#download-png'));
  assert.is(png.width, S);
  let worstPng = 0;
  for (let i = 0; i < S * S; i++) worstPng = Math.max(worstPng, Math.abs(png.data[i * png.channels] - want[i]));
  assert.ok(worstPng <= 2, `the PNG download differs from the CLI image's display by ${worstPng} gray levels`);

  // the canvas, from a screenshot: the image (2x, pixelated, in a 1 px border), not blank
  const shot = decodePng(new Uint8Array(await (await page.$('#synth-canvas'))!.screenshot({ type: 'png' })));
  const bw = (shot.width - 2 * S) / 2;
  let worst = 0, lo = 255, hi = 0;
  for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) {
    const px = shot.data[((bw + 2 * i + 1) * shot.width + bw + 2 * j + 1) * shot.channels];
    worst = Math.max(worst, Math.abs(px - want[i * S + j]));
    lo = Math.min(lo, px); hi = Math.max(hi, px);
  }
  assert.ok(hi - lo > 100, `the synthesis canvas is (nearly) blank: gray levels ${lo}..${hi}`);
  assert.ok(worst <= 3, `the synthesis canvas differs from the CLI image by ${worst} gray levels`);
  // the trace, from a screenshot: red pixels spread over the plot's width
  const trace = decodePng(new Uint8Array(await (await page.$('#trace'))!.screenshot({ type: 'png' })));
  const columns = new Set<number>();
  for (let y = 0; y < trace.height; y++) for (let x = 0; x < trace.width; x++) {
    const k = (y * trace.width + x) * trace.channels;
    if (trace.data[k] > 150 && trace.data[k + 1] < 100 && trace.data[k + 2] < 100) columns.add(x);
  }
  assert.ok(columns.size > 300, `the trace line covers ${columns.size} columns of 400`);
  if (process.env.DUALNEURON_WEB_SHOTS) writeFileSync(join(process.env.DUALNEURON_WEB_SHOTS, 'synthesis.png'), await page.screenshot({ type: 'png', fullPage: true }));

  // Stop, as a user would: a long run stopped after its second step keeps the steps it made (trace and status)
  await page.$eval('#steps', (e) => { (e as HTMLInputElement).value = '500'; });
  await page.click('#synthesize');
  await statusMatching(/step ([2-9]|\d\d+) of 500/);
  await page.click('#stop');
  const stopped = await statusMatching(/^Synthesis stopped/);
  assert.is(stopped.error, false, stopped.text);
  const m = /stopped after step (\d+) of 500/.exec(stopped.text);
  assert.ok(m && Number(m[1]) >= 2 && Number(m[1]) < 500, stopped.text);
  assert.is(await api((d) => d.tracePoints(), null), Number(m![1]) + 1);
});

register('a corrupt weight file gives a message in the page naming the file', async () => {
  await setUp();
  const failed = await page.evaluate((u) => (window as unknown as { dualneuron: { load(u: string, id: string, m: number[]): Promise<void> } }).dualneuron.load(u, 'v1', [1]).then(() => false, () => true), '/corrupt/');
  assert.ok(failed, 'loading a corrupt member did not fail');
  const status = await page.evaluate(() => (window as unknown as { dualneuron: { status(): { text: string; error: boolean } } }).dualneuron.status());
  assert.ok(status.error, 'the status is not shown as an error');
  assert.match(status.text, 'WeightsError');
  assert.match(status.text, 'V1GrayTaskDriven/member_1.safetensors');
  assert.match(status.text, 'sha256');
  // and a missing folder: HTTP 404 on the manifest
  await page.evaluate((u) => (window as unknown as { dualneuron: { load(u: string, id: string): Promise<void> } }).dualneuron.load(u, 'v1').catch(() => {}), '/nowhere/');
  const missing = await page.evaluate(() => (window as unknown as { dualneuron: { status(): { text: string; error: boolean } } }).dualneuron.status());
  assert.match(missing.text, /manifest\.json.*HTTP 404/s);
});

register('weights come from the Cache API next time and offline; a damaged cached copy is fetched again', async () => {
  await setUp();
  const member = 'V1GrayTaskDriven/member_1.safetensors';
  // member 1 was fetched (and cached) by the first test
  weightRequests.length = 0;
  await api((d) => d.load('/weights/', 'v1', [1]), null);
  assert.equal(await api((d) => d.loaded(), null), { network: 0, cache: 1 });
  assert.equal(weightRequests, ['manifest.json'], 'only the manifest is asked for again');
  // damage the cached copy: it fails the sha256 check, is dropped and fetched again
  await page.evaluate(async (u) => { await (await caches.open('dualneuron-weights')).put(u, new Response(new Uint8Array([1, 2, 3]))); }, `${site.url}/weights/${member}`);
  await api((d) => d.load('/weights/', 'v1', [1]), null);
  assert.equal(await api((d) => d.loaded(), null), { network: 1, cache: 0 });
  assert.ok(weightRequests.includes(member));
  // offline: the manifest and the member from the cache
  await page.setOfflineMode(true);
  try {
    await api((d) => d.load('/weights/', 'v1', [1]), null);
  } finally {
    await page.setOfflineMode(false);
  }
  assert.equal(await api((d) => d.loaded(), null), { network: 0, cache: 1 });
  const st = await pageStatus();
  assert.is(st.error, false, st.text);
});

register('wrong weight files picked in the page: a message naming the file and what is wrong', async () => {
  await setUp();
  const pick = async (files: Record<string, Uint8Array | string>): Promise<{ text: string; error: boolean }> => {
    const dir = mkdtempSync(join(out, 'pick-'));
    for (const [name, b] of Object.entries(files)) writeFileSync(join(dir, name), b);
    const input = (await page.$('#weight-files'))! as unknown as { uploadFile(...p: string[]): Promise<void> };
    await input.uploadFile(...Object.keys(files).map((n) => join(dir, n)));
    return statusMatching(/^Loaded|failed/);
  };
  const mask = readFileSync(join(upstreamWeightsHome(), 'V1GrayTaskDriven', 'mask.npy'));
  // a .npy saved under a member's name
  const notSafetensors = await pick({ 'member_1.safetensors': mask });
  assert.ok(notSafetensors.error, notSafetensors.text);
  assert.match(notSafetensors.text, 'member_1.safetensors');
  assert.match(notSafetensors.text, /FormatError|WeightsError/);
  // a file that is no part of the weights cache
  const stray = await pick({ 'weights.bin': 'x' });
  assert.ok(stray.error, stray.text);
  assert.match(stray.text, 'weights.bin: not a file of the weights cache');
  // a damaged mask with a good member: the mask is named
  const member = readFileSync(join(upstreamWeightsHome(), 'V1GrayTaskDriven', 'member_1.safetensors'));
  const badMask = await pick({ 'member_1.safetensors': member, 'mask.npy': mask.subarray(0, 40) });
  assert.ok(badMask.error, badMask.text);
  assert.match(badMask.text, 'mask.npy');
});

register('with its server gone the page opens again (service worker) and loads its twin from the Cache API', async () => {
  await setUp();
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  serverGone = true;
  try {
    const res = await page.reload();
    assert.ok(res?.fromServiceWorker(), 'the page did not come from its service worker');
    await page.waitForFunction('window.dualneuron !== undefined', { timeout: 60_000 });
    assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the page is not controlled by its service worker');
    weightRequests.length = 0;
    await api((d) => d.load('/weights/', 'v1', [1]), null);
    assert.equal(await api((d) => d.loaded(), null), { network: 0, cache: 1 });
    assert.equal(weightRequests, ['manifest.json'], 'the server was asked for the manifest (and answered 404)');
    const st = await pageStatus();
    assert.is(st.error, false, st.text);
  } finally {
    serverGone = false;
  }
});

test.run();
