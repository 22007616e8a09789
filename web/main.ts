// The example page (web/index.html): loads a twin from a weights folder URL (kept in the browser's Cache API,
// sha256-checked) or from picked files; makes a grating or takes dropped images (decoded by our own PNG/JPEG
// decoders and preprocessed exactly as `dualneuron predict --images`) or .npy arrays; runs predict on WebGPU and
// shows the responses; runs MEI/LEI synthesis live (image and activation trace redrawn after every step); offers
// the results as .npy and PNG downloads. Every failure is shown in the page (#status) with the library's message
// (which file, what is wrong, what to do), not only on the console.
// `window.dualneuron` exposes the same steps to scripts (the headless-Chromium test drives the page through it).
import {
  DualNeuronError, TWINS, type TwinId, type LoadedTwin, type HostArray, type InputPipeline, type Pole, encodeNpy, init, isTwinId,
  loadTwinFromBytes, parseNpy, predict, memberPath, maskPath, WeightsUrl, browserWeightsCache, decodeImage, makePipeline,
  imageToInput, scaleMask, synthesize, PixelParameterization, FourierParameterization, RECIPES, defaultRecipe,
  recipeOptions, runSeedOf, toDisplay, encodePNG,
} from '../src/index.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');

function say(text: string, error = false): void {
  status.textContent = text;
  status.className = error ? 'error' : '';
}

function explain(e: unknown): string {
  if (e instanceof DualNeuronError) return `${e.name}: ${e.message}`;
  return `Unexpected error: ${e instanceof Error ? e.message : String(e)}`;
}

/** Runs a step of the page, showing its failure in #status (and rethrowing for scripts). */
async function step<T>(what: string, f: () => Promise<T>): Promise<T> {
  say(`${what}…`);
  try {
    return await f();
  } catch (e) {
    say(`${what} failed.\n${explain(e)}`, true);
    throw e;
  }
}

interface State {
  twin: LoadedTwin | null; id: TwinId; input: Float32Array | null; batch: number; responses: Float32Array | null;
  /** the weights folder the twin came from (masks and priors are read from it too), or null for picked files */
  weights: WeightsUrl | null;
  /** picked .npy files of the weights cache (mask.npy, natural_gray.npy, natural_rgb.npy) by file name */
  picked: Map<string, Uint8Array>;
  /** files of the last load by origin */
  loaded: { network: number; cache: number };
  synthesis: { activations: number[]; image: Float32Array; shape: [number, number, number] } | null;
  stop: boolean;
}
const state: State = { twin: null, id: 'v1', input: null, batch: 1, responses: null, weights: null, picked: new Map(), loaded: { network: 0, cache: 0 }, synthesis: null, stop: false };

function parseMembers(text: string, id: TwinId): number[] | undefined {
  const t = text.trim();
  if (t === '' || t === 'all') return undefined;
  return t.split(/[\s,]+/).map(Number).filter((k) => k >= 1 && k <= TWINS[id].members.length);
}

function setTwin(t: LoadedTwin, id: TwinId): void {
  state.twin?.model.dispose();
  state.twin = t;
  state.id = id;
  $<HTMLButtonElement>('predict').disabled = false;
  $<HTMLButtonElement>('synthesize').disabled = false;
  const [C, H, W] = TWINS[id].inputShape;
  if (!state.input || state.input.length !== state.batch * C * H * W) makeGrating();
  say(`Loaded the ${id.toUpperCase()} twin (members ${t.model.memberIds.join(', ')}; ${TWINS[id].neurons} neurons; input ${C}×${H}×${W}).`);
}

/** Loads a twin from a weights folder URL (the layout of `dualneuron weights import`), through the cache if asked. */
async function loadFromUrl(url: string, id: TwinId, members?: number[]): Promise<void> {
  await step(`Loading the ${id.toUpperCase()} twin from ${url}`, async () => {
    await init();
    const loaded = { network: 0, cache: 0 };
    const cache = $<HTMLInputElement>('use-cache').checked && 'caches' in globalThis ? await browserWeightsCache() : undefined;
    const weights = await WeightsUrl.open(new URL(url, location.href).href, { cache, onFile: (_p, _n, from) => { loaded[from]++; } });
    const twin = await weights.twin(id, { members });
    state.weights = weights;
    state.picked.clear();
    state.loaded = loaded;
    setTwin(twin, id);
  });
}

/** A .npy of the weights folder (mask, prior): from the loaded URL, or from the picked files. */
async function weightNpy(path: string, what: string): Promise<HostArray> {
  if (state.weights) return state.weights.npy(path);
  const name = path.split('/').pop()!;
  const bytes = state.picked.get(name);
  if (!bytes) throw new DualNeuronError(`${what} needs ${path} of the weights folder: load the twin from a URL, or pick ${name} together with the member files`);
  return parseNpy(bytes, name);
}

/** Loads a twin from picked member_K.safetensors files. */
async function loadFromFiles(files: FileList, id: TwinId): Promise<void> {
  await step('Reading the picked weight files', async () => {
    await init();
    const bytes = new Map<number, Uint8Array>();
    const npys = new Map<string, Uint8Array>();
    for (const f of Array.from(files)) {
      const m = /^member_(\d+)\.safetensors$/.exec(f.name);
      if (/^(mask|natural_gray|natural_rgb)\.npy$/.test(f.name)) npys.set(f.name, new Uint8Array(await f.arrayBuffer()));
      else if (m) bytes.set(Number(m[1]), new Uint8Array(await f.arrayBuffer()));
      else throw new DualNeuronError(`${f.name}: not a file of the weights cache; expected member_K.safetensors (as in ${memberPath(id, 1)}), mask.npy, natural_gray.npy or natural_rgb.npy`);
    }
    if (bytes.size === 0) throw new DualNeuronError(`no member_K.safetensors among the picked files (${Array.from(files, (f) => f.name).join(', ')}); pick at least one member of the ${id.toUpperCase()} twin (${memberPath(id, 1)} of the weights cache)`);
    for (const [name, b] of npys) parseNpy(b, name); // a damaged mask or prior is reported now, by its name
    let twin: LoadedTwin;
    try {
      twin = loadTwinFromBytes(id, bytes);
    } catch (e) {
      // the library names the file by its place in the cache; say which picked files those were
      const names = Array.from(files, (f) => f.name).filter((n) => n.endsWith('.safetensors')).join(', ');
      if (e instanceof DualNeuronError) e.message = `the picked file(s) ${names} are not the ${id.toUpperCase()} twin's weights: ${e.message}`;
      throw e;
    }
    state.weights = null;
    state.picked = npys;
    setTwin(twin, id);
  });
}

function num(id: string): number { return Number($<HTMLInputElement>(id).value); }

function makeGrating(): void {
  const [C, H, W] = TWINS[state.id].inputShape;
  const th = (num('orientation') * Math.PI) / 180, period = num('period'), amp = num('amplitude');
  const x = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    x[(c * H + i) * W + j] = amp * Math.cos((2 * Math.PI * (j * Math.cos(th) + i * Math.sin(th))) / period);
  }
  setInput(x, 1);
}

function setInput(x: Float32Array, batch: number): void {
  state.input = x;
  state.batch = batch;
  drawInput();
}

/** Draws the first input of the batch, min..max mapped to black..white (gray or RGB). */
function drawInput(): void {
  const x = state.input!;
  const [C, H, W] = TWINS[state.id].inputShape;
  const canvas = $<HTMLCanvasElement>('input-canvas');
  canvas.width = W; canvas.height = H;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < C * H * W; i++) { lo = Math.min(lo, x[i]); hi = Math.max(hi, x[i]); }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const img = new ImageData(W, H);
  for (let p = 0; p < H * W; p++) for (let k = 0; k < 3; k++) img.data[4 * p + k] = (x[(C === 3 ? k : 0) * H * W + p] - lo) * scale;
  for (let p = 0; p < H * W; p++) img.data[4 * p + 3] = 255;
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}

const isNpy = (b: Uint8Array) => b.length >= 6 && b[0] === 0x93 && String.fromCharCode(...b.subarray(1, 6)) === 'NUMPY';

/**
 * Reads dropped or picked files as the input batch: .npy arrays (C, H, W) or (B, C, H, W) in model space, and
 * PNG/JPEG images (by content), decoded by our decoders and preprocessed as `dualneuron predict --images`
 * (the twin's aperture, the chosen preset).
 */
async function readInputFiles(files: File[]): Promise<void> {
  await step(`Reading ${files.map((f) => f.name).join(', ')}`, async () => {
    const [C, H, W] = TWINS[state.id].inputShape;
    const rows: Float32Array[] = [];
    let pipe: InputPipeline | null = null;
    let images = 0;
    for (const f of files) {
      const bytes = new Uint8Array(await f.arrayBuffer());
      if (isNpy(bytes)) {
        const a = parseNpy(bytes, f.name);
        const s = a.shape;
        const ok = (s.length === 3 || s.length === 4) && s.slice(-3).join() === [C, H, W].join();
        if (!ok) throw new DualNeuronError(`${f.name}: shape (${s.join(', ')}) is not (${C}, ${H}, ${W}) or (B, ${C}, ${H}, ${W}), the ${state.id.toUpperCase()} twin's input`);
        const x = Float32Array.from(a.data as ArrayLike<number>);
        for (let i = 0; i < x.length; i += C * H * W) rows.push(x.subarray(i, i + C * H * W));
      } else {
        const img = decodeImage(bytes, f.name); // an InputError naming the file when it is not a PNG/JPEG we read
        pipe ??= makePipeline(TWINS[state.id], await weightNpy(maskPath(state.id), 'preprocessing images'), $<HTMLSelectElement>('preset').value === 'imagenet' ? 'imagenet' : 'rendered');
        rows.push(imageToInput(pipe, img));
        images++;
      }
    }
    const x = new Float32Array(rows.length * C * H * W);
    rows.forEach((r, i) => x.set(r, i * C * H * W));
    setInput(x, rows.length);
    say(`Read ${files.length} file(s): ${rows.length} input(s)${images ? `, ${images} image(s) preprocessed (${pipe!.preset})` : ''}.`);
  });
}

/** Runs the twin on the current input; returns responses (batch × neurons). */
async function runPredict(): Promise<Float32Array> {
  return step('Predicting', async () => {
    if (!state.twin) throw new DualNeuronError('load a twin first (step 1)');
    const t0 = performance.now();
    const { responses } = await predict(state.twin.model, state.input!, state.batch);
    state.responses = responses;
    showResponses(responses, performance.now() - t0);
    return responses;
  });
}

function showResponses(r: Float32Array, ms: number): void {
  const N = TWINS[state.id].neurons, n = Math.min(Math.max(0, Math.floor(num('neuron'))), N - 1);
  const first = r.subarray(0, N);
  const top = Array.from(first.keys()).sort((a, b) => first[b] - first[a]).slice(0, 5);
  $('result').textContent = `neuron ${n}: ${first[n].toPrecision(6)}   (top: ${top.map((k) => `${k}: ${first[k].toFixed(3)}`).join(', ')}; ${(ms / 1000).toFixed(1)} s)`;
  const canvas = $<HTMLCanvasElement>('responses-canvas');
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fff'; g.fillRect(0, 0, canvas.width, canvas.height);
  const hi = Math.max(...first, 1e-12), w = canvas.width / N;
  for (let k = 0; k < N; k++) {
    g.fillStyle = k === n ? '#d00' : '#36c';
    const h = (Math.max(0, first[k]) / hi) * (canvas.height - 4);
    g.fillRect(k * w, canvas.height - h, Math.max(1, w), h);
  }
  const a = $<HTMLAnchorElement>('download');
  if (a.href) URL.revokeObjectURL(a.href);
  const npy = encodeNpy({ dtype: 'f32', shape: [state.batch, N], data: r });
  a.href = URL.createObjectURL(new Blob([npy as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  a.hidden = false;
  say('Done.');
}

// ---- synthesis, live ---------------------------------------------------------------------------------------

/** Stops a synthesis from its step callback (the engine disposes what it holds and rethrows it). */
class SynthesisStopped extends DualNeuronError {}

const TRACE = { w: 400, h: 186, pad: 12 };

/** Redraws the activation trace: one point per recorded step (0..steps), scaled to the values so far. */
function drawTrace(acts: number[], steps: number): void {
  const lo = Math.min(...acts), hi = Math.max(...acts), span = hi - lo || 1;
  const pts = acts.map((a, t) => {
    const x = TRACE.pad + (t / Math.max(1, steps)) * (TRACE.w - 2 * TRACE.pad);
    const y = TRACE.h - TRACE.pad - ((a - lo) / span) * (TRACE.h - 2 * TRACE.pad - 14);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  $('trace-line').setAttribute('points', pts.join(' '));
  $('trace-label').textContent = `activation: ${acts[acts.length - 1].toPrecision(5)} (step ${acts.length - 1} of ${steps})`;
}

function tracePoints(): number {
  const p = $('trace-line').getAttribute('points')?.trim() ?? '';
  return p === '' ? 0 : p.split(/\s+/).length;
}

/** Draws a (C, S, S) model-space image as the CLI's preview does (toDisplay: 0 is mid-gray). */
function drawImage(canvasId: string, x: Float32Array, C: number, S: number): Uint8Array {
  const u8 = toDisplay(x, C, S);
  const canvas = $<HTMLCanvasElement>(canvasId);
  canvas.width = S; canvas.height = S;
  const img = new ImageData(S, S);
  for (let p = 0; p < S * S; p++) {
    for (let k = 0; k < 3; k++) img.data[4 * p + k] = u8[p * C + (C === 3 ? k : 0)];
    img.data[4 * p + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(img, 0, 0);
  return u8;
}

function offer(id: string, bytes: Uint8Array, type: string): void {
  const a = $<HTMLAnchorElement>(id);
  if (a.href) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
  a.hidden = false;
}

/**
 * Runs one MEI/LEI synthesis with the form's options, as `dualneuron synthesize --model ID --neuron N --pole P
 * --seed S --steps T --crops K [--param pixel]` does on the loaded members, redrawing the image and the trace
 * after every step. Returns the activations (steps + 1).
 */
async function runSynthesis(): Promise<{ activations: number[] }> {
  return step('Synthesizing', async () => {
    if (!state.twin) throw new DualNeuronError('load a twin first (step 1)');
    const id = state.id, spec = TWINS[id];
    const [C, S] = [spec.inputShape[0], spec.inputShape[1]];
    const neuron = num('synth-neuron'), steps = num('steps'), crops = num('crops');
    if (!Number.isInteger(neuron) || neuron < 0 || neuron >= spec.neurons) throw new DualNeuronError(`neuron ${$<HTMLInputElement>('synth-neuron').value} is out of range: the ${id.toUpperCase()} twin has neurons 0..${spec.neurons - 1}`);
    if (!Number.isInteger(steps) || steps < 1) throw new DualNeuronError(`steps must be a positive integer, got ${$<HTMLInputElement>('steps').value}`);
    if (!Number.isInteger(crops) || crops < 1) throw new DualNeuronError(`crops must be a positive integer, got ${$<HTMLInputElement>('crops').value}`);
    const seedText = $<HTMLInputElement>('seed').value.trim();
    if (!/^[0-9]+$/.test(seedText) || BigInt(seedText) >= 1n << 64n) throw new DualNeuronError(`the seed must be an integer 0..2^64-1, got '${seedText}'`);
    const seed = BigInt(seedText);
    const pole: Pole = $<HTMLSelectElement>('pole').value === 'least' ? 'least' : 'most';
    const pixel = $<HTMLSelectElement>('recipe').value === 'pixel';
    const recipe = { ...RECIPES[defaultRecipe(id, pixel ? 'pixel' : undefined)], steps, nbCrops: crops };
    const param = recipe.param === 'pixel'
      ? new PixelParameterization({ channels: C, size: S, initStd: recipe.initStd, valuesRange: recipe.valuesRange, blurGradient: recipe.blurGradient })
      : new FourierParameterization({ prior: await weightNpy(`priors/${C === 3 ? 'natural_rgb' : recipe.prior}.npy`, 'Fourier synthesis'), size: S, valuesRange: recipe.valuesRange, rangeFn: recipe.rangeFn });
    const aperture = recipe.aperture ? Float32Array.from(scaleMask(await weightNpy(maskPath(id), 'synthesis through the aperture'), S)) : null;
    const acts: number[] = [];
    state.stop = false;
    $<HTMLButtonElement>('stop').disabled = false;
    $<HTMLButtonElement>('synthesize').disabled = true;
    const t0 = performance.now();
    try {
      const [r] = await synthesize(state.twin.model, param, [{ objective: { neuron }, pole, seed: runSeedOf(seed, pole) }], {
        ...recipeOptions(recipe, { aperture }),
        onRecord: async (t, a, images) => {
          acts.push(a[0]);
          drawImage('synth-canvas', images, C, S);
          drawTrace(acts, steps);
          say(`Synthesizing: neuron ${neuron}, ${pole} exciting, step ${t} of ${steps} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
          if (state.stop) throw new SynthesisStopped(`stopped after step ${t} of ${steps}`);
          await new Promise((ok) => setTimeout(ok, 0)); // let the page repaint
        },
      }, spec.neurons);
      state.synthesis = { activations: Array.from(r.activations), image: r.image, shape: [C, S, S] };
      offer('download-image', encodeNpy({ dtype: 'f32', shape: [C, S, S], data: r.image }), 'application/octet-stream');
      offer('download-activations', encodeNpy({ dtype: 'f32', shape: [r.activations.length], data: r.activations }), 'application/octet-stream');
      offer('download-png', encodePNG({ width: S, height: S, channels: C as 1 | 3, data: drawImage('synth-canvas', r.image, C, S) }), 'image/png');
      say(`Synthesis done: neuron ${neuron}, ${pole} exciting, activation ${r.activations[0].toPrecision(5)} -> ${r.activations[steps].toPrecision(5)} in ${steps} steps (${((performance.now() - t0) / 1000).toFixed(1)} s).`);
      return { activations: state.synthesis.activations };
    } catch (e) {
      if (e instanceof SynthesisStopped) { say(`Synthesis ${e.message}.`); return { activations: acts }; }
      throw e;
    } finally {
      param.dispose();
      $<HTMLButtonElement>('stop').disabled = true;
      $<HTMLButtonElement>('synthesize').disabled = false;
    }
  });
}

function twinChoice(): TwinId {
  const v = $<HTMLSelectElement>('twin').value;
  return isTwinId(v) ? v : 'v1';
}

$('load').addEventListener('click', () => { loadFromUrl($<HTMLInputElement>('weights-url').value, twinChoice(), parseMembers($<HTMLInputElement>('members').value, twinChoice())).catch(() => {}); });
$<HTMLInputElement>('weight-files').addEventListener('change', (ev) => { const f = (ev.target as HTMLInputElement).files; if (f?.length) loadFromFiles(f, twinChoice()).catch(() => {}); });
$('grating').addEventListener('click', () => makeGrating());
$('predict').addEventListener('click', () => { runPredict().catch(() => {}); });
$<HTMLInputElement>('input-file').addEventListener('change', (ev) => { const f = (ev.target as HTMLInputElement).files; if (f?.length) readInputFiles(Array.from(f)).catch(() => {}); });
const drop = $('drop');
drop.addEventListener('dragover', (ev) => ev.preventDefault());
drop.addEventListener('drop', (ev) => { ev.preventDefault(); const f = ev.dataTransfer?.files; if (f?.length) readInputFiles(Array.from(f)).catch(() => {}); });
$('synthesize').addEventListener('click', () => { runSynthesis().catch(() => {}); });
$('stop').addEventListener('click', () => { state.stop = true; });

// For scripts and the browser test: the page's own steps, on plain arrays.
(window as unknown as { dualneuron: unknown }).dualneuron = {
  load: (url: string, id: TwinId, members?: number[]) => loadFromUrl(url, id, members),
  predict: async (x: number[], batch: number) => { setInput(Float32Array.from(x), batch); return Array.from(await runPredict()); },
  responses: () => (state.responses ? Array.from(state.responses) : null),
  status: () => ({ text: status.textContent, error: status.className === 'error' }),
  /** sets the synthesis fields (those given) and runs it as the button does */
  synthesize: async (o: { neuron?: number; pole?: Pole; recipe?: '' | 'pixel'; steps?: number; crops?: number; seed?: number }) => {
    const set = (id: string, v: unknown) => { if (v !== undefined) $<HTMLInputElement>(id).value = String(v); };
    set('synth-neuron', o.neuron); set('pole', o.pole); set('recipe', o.recipe); set('steps', o.steps); set('crops', o.crops); set('seed', o.seed);
    const r = await runSynthesis();
    return { activations: r.activations, tracePoints: tracePoints() };
  },
  tracePoints: () => tracePoints(),
  loaded: () => state.loaded,
};
// the page's own files stay in the browser (the service worker) so that it opens offline once loaded
if ('serviceWorker' in navigator) navigator.serviceWorker.register('sw.js').catch((e: Error) => console.warn(`no offline copy of the page: ${e.message}`));
makeGrating();
say(typeof navigator !== 'undefined' && 'gpu' in navigator ? 'Ready: load a twin (step 1).' : 'This browser has no WebGPU (navigator.gpu): use a recent Chrome/Edge, or Firefox/Safari with WebGPU enabled.', !('gpu' in navigator));
