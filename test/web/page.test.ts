// The example page (web/) in headless Chromium with the real V1 twin from ../shared: the bundle that
// scripts/build-web.mjs makes loads the weights over HTTP (sha256-checked), runs predict on WebGPU (Chrome's
// SwiftShader) and must agree with Node/Dawn on the same input within 1e-5, and with the PyTorch oracle
// (tools/golden/v1_twin.py) within 1e-4; the page's canvases are read back from a screenshot and checked; a
// corrupt weight file must give a message in the page naming the file. Skipped, with the reason, where there is
// no ../shared or no Chromium that starts.
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

async function setUp(): Promise<void> {
  if (site) return;
  out = mkdtempSync(join(tmpdir(), 'dualneuron-web-'));
  const { buildWeb } = (await import(pathToFileURL(join(repoRoot, 'scripts/build-web.mjs')).href)) as { buildWeb: (o: { out: string; quiet: boolean }) => Promise<Record<string, number>> };
  await buildWeb({ out, quiet: true });
  const home = upstreamWeightsHome();
  const member1 = 'V1GrayTaskDriven/member_1.safetensors';
  site = await serve({
    '/app/': out,
    '/weights/': home,
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

test.run();
