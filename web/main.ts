// The example page (web/index.html): loads a twin from a weights folder URL (or picked files), makes or takes a
// model-space input, runs predict on WebGPU and shows the responses. Every failure is shown in the page (#status)
// with the library's message (which file, what is wrong, what to do), not only on the console.
// `window.dualneuron` exposes the same steps to scripts (the headless-Chromium test drives the page through it).
import {
  DualNeuronError, TWINS, type TwinId, type LoadedTwin, encodeNpy, fetchTwin, init, isTwinId, loadTwinFromBytes,
  parseNpy, predict, memberPath,
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

interface State { twin: LoadedTwin | null; id: TwinId; input: Float32Array | null; batch: number; responses: Float32Array | null }
const state: State = { twin: null, id: 'v1', input: null, batch: 1, responses: null };

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
  const [C, H, W] = TWINS[id].inputShape;
  if (!state.input || state.input.length !== state.batch * C * H * W) makeGrating();
  say(`Loaded the ${id.toUpperCase()} twin (members ${t.model.memberIds.join(', ')}; ${TWINS[id].neurons} neurons; input ${C}×${H}×${W}).`);
}

/** Loads a twin from a weights folder URL (the layout of `dualneuron weights import`). */
async function loadFromUrl(url: string, id: TwinId, members?: number[]): Promise<void> {
  await step(`Loading the ${id.toUpperCase()} twin from ${url}`, async () => {
    await init();
    setTwin(await fetchTwin(id, new URL(url, location.href).href, { members }), id);
  });
}

/** Loads a twin from picked member_K.safetensors files. */
async function loadFromFiles(files: FileList, id: TwinId): Promise<void> {
  await step('Reading the picked weight files', async () => {
    await init();
    const bytes = new Map<number, Uint8Array>();
    for (const f of Array.from(files)) {
      const m = /^member_(\d+)\.safetensors$/.exec(f.name);
      if (!m) throw new DualNeuronError(`${f.name}: expected files named member_K.safetensors (as in ${memberPath(id, 1)} of the weights cache)`);
      bytes.set(Number(m[1]), new Uint8Array(await f.arrayBuffer()));
    }
    setTwin(loadTwinFromBytes(id, bytes), id);
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

async function readNpyFile(f: File): Promise<void> {
  await step(`Reading ${f.name}`, async () => {
    const a = parseNpy(new Uint8Array(await f.arrayBuffer()), f.name);
    const [C, H, W] = TWINS[state.id].inputShape;
    const s = a.shape;
    const ok = (s.length === 3 || s.length === 4) && s.slice(-3).join() === [C, H, W].join();
    if (!ok) throw new DualNeuronError(`${f.name}: shape (${s.join(', ')}) is not (${C}, ${H}, ${W}) or (B, ${C}, ${H}, ${W}), the ${state.id.toUpperCase()} twin's input`);
    setInput(Float32Array.from(a.data as ArrayLike<number>), s.length === 4 ? s[0] : 1);
    say(`Read ${f.name}: ${s.length === 4 ? s[0] : 1} input(s).`);
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

function twinChoice(): TwinId {
  const v = $<HTMLSelectElement>('twin').value;
  return isTwinId(v) ? v : 'v1';
}

$('load').addEventListener('click', () => { loadFromUrl($<HTMLInputElement>('weights-url').value, twinChoice(), parseMembers($<HTMLInputElement>('members').value, twinChoice())).catch(() => {}); });
$<HTMLInputElement>('weight-files').addEventListener('change', (ev) => { const f = (ev.target as HTMLInputElement).files; if (f?.length) loadFromFiles(f, twinChoice()).catch(() => {}); });
$('grating').addEventListener('click', () => makeGrating());
$('predict').addEventListener('click', () => { runPredict().catch(() => {}); });
$<HTMLInputElement>('input-file').addEventListener('change', (ev) => { const f = (ev.target as HTMLInputElement).files?.[0]; if (f) readNpyFile(f).catch(() => {}); });
const drop = $('drop');
drop.addEventListener('dragover', (ev) => ev.preventDefault());
drop.addEventListener('drop', (ev) => { ev.preventDefault(); const f = ev.dataTransfer?.files[0]; if (f) readNpyFile(f).catch(() => {}); });

// For scripts and the browser test: the page's own steps, on plain arrays.
(window as unknown as { dualneuron: unknown }).dualneuron = {
  load: (url: string, id: TwinId, members?: number[]) => loadFromUrl(url, id, members),
  predict: async (x: number[], batch: number) => { setInput(Float32Array.from(x), batch); return Array.from(await runPredict()); },
  responses: () => (state.responses ? Array.from(state.responses) : null),
  status: () => ({ text: status.textContent, error: status.className === 'error' }),
};
makeGrating();
say(typeof navigator !== 'undefined' && 'gpu' in navigator ? 'Ready: load a twin (step 1).' : 'This browser has no WebGPU (navigator.gpu): use a recent Chrome/Edge, or Firefox/Safari with WebGPU enabled.', !('gpu' in navigator));
