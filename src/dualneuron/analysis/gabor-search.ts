// The Gabor bank search (issue 15 item 2): every Gabor of a coarse grid is shown to the twin (one forward per
// batch gives every neuron's response at once), then each neuron's best few (pole 'most') and worst few
// ('least') grid Gabors are refined by a pattern search on the Gabor's parameters: each round tries one step up
// and one down along every parameter (whole pixels for the position, moving the envelope under a fixed carrier;
// multiplicative steps for wavelength, sigma and aspect), moves to the best candidate when it improves on the current Gabor and otherwise halves
// every step. The candidates of all runs (neurons x poles x starts) share batches. A local search rather than
// gradients because create_gabor is not differentiable in its whole-pixel shifts, and because the candidates of
// a round are independent forwards (one batch), which is what a GPU does well.
import { Tensor, noGrad, tidy } from '../../tensor/index.js';
import { InputError } from '../../errors.js';
import { Progress } from '../../util/progress.js';
import type { Model } from '../synthesis/engine.js';
import { GRID_AXES, gridPoint, gridSize, renderGabor, type GaborGrid, type Presentation, type SearchGabor } from './gabor-bank.js';
import { mostExcitingGabors } from './notebook-gabors.js';

export interface SearchOptions {
  model: Model;
  /** the model's outputs */
  outputs: number;
  neurons: number[];
  presentation: Presentation;
  grid: GaborGrid;
  /** grid Gabors refined per neuron and pole (default 2) */
  starts?: number;
  /** rounds of the pattern search (default 30; 0: the grid only) */
  iterations?: number;
  /** images per forward */
  batch: number;
  /**
   * Largest |value| a Gabor's model input may have (e.g. the pixel range the MEIs were held to); Gabors beyond it
   * are evaluated but never chosen. null: no limit (equal norm only).
   */
  maxValue?: number | null;
  progress?: boolean;
}

export interface PoleResult {
  gabor: SearchGabor;
  response: number;
  /** the best (worst) Gabor of the grid, before refinement */
  gridIndex: number;
  gridResponse: number;
  /** largest |value| of the model input */
  peak: number;
}

export interface NeuronGabors {
  neuron: number;
  best: PoleResult;
  worst: PoleResult;
  /** most_exc_gabors: grid indices of the three largest responses (within the value limit), largest first */
  top3: number[];
}

export interface SearchResult {
  results: NeuronGabors[];
  /** grid responses, G x neurons.length (row g: the responses of the searched neurons to grid Gabor g) */
  gridResponses: Float32Array;
  evaluations: number;
}

/** Evaluate Gabors in batches; returns count x outputs responses. */
export async function evaluateGabors(model: Model, outputs: number, pres: Presentation, gabors: readonly SearchGabor[], batch: number, onBatch?: (n: number) => void): Promise<{ responses: Float32Array; peaks: Float32Array }> {
  const per = pres.channels * pres.size * pres.size;
  const responses = new Float32Array(gabors.length * outputs);
  const peaks = new Float32Array(gabors.length);
  const scratch = new Float64Array(pres.size * pres.size);
  for (let s = 0; s < gabors.length; s += batch) {
    const n = Math.min(batch, gabors.length - s);
    const x = new Float32Array(n * per);
    for (let k = 0; k < n; k++) peaks[s + k] = renderGabor(gabors[s + k], pres, x, k * per, scratch);
    const y = noGrad(() => tidy(() => model.forward(Tensor.from(x, [n, pres.channels, pres.size, pres.size], { backend: model.backend }))));
    const v = await y.dataF32();
    y.dispose();
    if (v.length !== n * outputs) throw new InputError(`the model returned ${v.length} values for ${n} images; expected ${n} x ${outputs}`);
    responses.set(v, s * outputs);
    onBatch?.(n);
  }
  return { responses, peaks };
}

type Axis = (typeof GRID_AXES)[number];

/** Initial and smallest step of each parameter, from the grid's spacing (log steps for scale parameters). */
function stepPlan(g: GaborGrid): Record<Axis, { init: number; min: number; log: boolean }> {
  const spacing = (v: number[], log: boolean) => {
    if (v.length < 2) return 0;
    const s = [...v].sort((a, b) => a - b);
    let m = Infinity;
    for (let i = 1; i < s.length; i++) m = Math.min(m, log ? Math.log(s[i] / s[i - 1]) : s[i] - s[i - 1]);
    return m;
  };
  const orient = spacing(g.orientation, false) || 22.5;
  return {
    dy: { init: Math.max(1, Math.round((spacing(g.dy, false) || 4) / 2)), min: 1, log: false },
    dx: { init: Math.max(1, Math.round((spacing(g.dx, false) || 4) / 2)), min: 1, log: false },
    orientation: { init: orient / 2, min: 0.1, log: false },
    wavelength: { init: (spacing(g.wavelength, true) || Math.log(1.6)) / 2, min: 0.002, log: true },
    phase: { init: (spacing(g.phase, false) || 90) / 2, min: 0.5, log: false },
    sigma: { init: (spacing(g.sigma, true) || Math.log(1.8)) / 2, min: 0.002, log: true },
    aspect: { init: (spacing(g.aspect, true) || Math.log(2)) / 2, min: 0.005, log: true },
  };
}

/** The search's limits: wavelength >= 2 px (Nyquist), sigma in [0.5, S], aspect in [0.2, 5], centre in the image. */
function clampGabor(g: SearchGabor, S: number): SearchGabor | null {
  const half = Math.floor(S / 2);
  if (Math.abs(g.dy) > half || Math.abs(g.dx) > half) return null;
  if (g.wavelength < 2 || g.sigma < 0.5 || g.sigma > S || g.aspect < 0.2 || g.aspect > 5) return null;
  // orientation theta + 180 is the same Gabor as theta with the carrier mirrored about the centre (phase 180 - p)
  const turns = Math.floor(g.orientation / 180);
  const phase = turns % 2 === 0 ? g.phase : 180 - g.phase;
  return { ...g, orientation: g.orientation - 180 * turns, phase: ((phase % 360) + 360) % 360 };
}

interface Run { neuron: number; column: number; sign: 1 | -1; current: SearchGabor; value: number; peak: number; steps: Record<Axis, number>; done: boolean; start: number }

export async function searchGabors(o: SearchOptions): Promise<SearchResult> {
  const { model, outputs, neurons, presentation: pres, grid } = o;
  const starts = o.starts ?? 2, iterations = o.iterations ?? 30;
  for (const n of neurons) if (!Number.isInteger(n) || n < 0 || n >= outputs) throw new InputError(`neuron ${n} is out of range: the model has outputs 0..${outputs - 1}`);
  if (neurons.length === 0) throw new InputError('no neurons to search');
  const G = gridSize(grid);
  if (G === 0) throw new InputError('the Gabor grid is empty: every axis needs at least one value');
  const gabors = Array.from({ length: G }, (_, i) => gridPoint(grid, i));
  const bar1 = o.progress ? new Progress({ total: G, unit: 'gabors', label: 'gabor grid' }) : null;
  const { responses, peaks } = await evaluateGabors(model, outputs, pres, gabors, o.batch, (n) => bar1?.tick(n));
  bar1?.finish();
  let evaluations = G;
  const gridResponses = new Float32Array(G * neurons.length);
  for (let g = 0; g < G; g++) neurons.forEach((n, j) => { gridResponses[g * neurons.length + j] = responses[g * outputs + n]; });

  const maxValue = o.maxValue ?? null;
  const admissible = (peak: number) => maxValue === null || peak <= maxValue;
  const allowed = Array.from({ length: G }, (_, g) => g).filter((g) => admissible(peaks[g]));
  if (!allowed.length) throw new InputError(`no Gabor of the grid stays within the value limit ${maxValue} at this norm: raise the limit or give larger --sigmas`);
  /** grid indices of the k best Gabors within the limit for pole sign */
  const ranked = (r: Float32Array, sign: 1 | -1, k: number) => mostExcitingGabors(allowed.map((g) => sign * r[g]), k).map((i) => allowed[i]);
  const plan = stepPlan(grid);
  const runs: Run[] = [];
  const col = (j: number) => Float32Array.from({ length: G }, (_, g) => gridResponses[g * neurons.length + j]);
  neurons.forEach((n, j) => {
    const r = col(j);
    for (const sign of [1, -1] as const) {
      const order = ranked(r, sign, starts);
      for (const g of order) runs.push({ neuron: n, column: j, sign, current: gabors[g], value: r[g], peak: peaks[g], steps: Object.fromEntries(GRID_AXES.map((a) => [a, plan[a].init])) as Record<Axis, number>, done: false, start: g });
    }
  });

  const bar2 = o.progress && iterations > 0 ? new Progress({ total: iterations, unit: 'rounds', label: 'gabor refine' }) : null;
  for (let it = 0; it < iterations; it++) {
    const active = runs.filter((r) => !r.done);
    if (!active.length) break;
    const cands: { run: Run; g: SearchGabor }[] = [];
    for (const r of active) {
      for (const a of GRID_AXES) {
        const st = r.steps[a];
        if (st < plan[a].min) continue;
        for (const d of [1, -1]) {
          const g = { ...r.current };
          if (plan[a].log) g[a] = g[a] * Math.exp(d * st);
          else g[a] = g[a] + d * st;
          // a move of the position keeps the carrier where it is in the image (only the envelope moves): else a
          // one-pixel shift also turns the phase by 360 / wavelength degrees and never looks better alone
          if (a === 'dy' || a === 'dx') {
            const t = (g.orientation * Math.PI) / 180;
            g.phase += ((360 * d * st) / g.wavelength) * (a === 'dy' ? Math.cos(t) : Math.sin(t));
          }
          const c = clampGabor(g, pres.size);
          if (c) cands.push({ run: r, g: c });
        }
      }
    }
    const { responses: rv, peaks: pk } = await evaluateGabors(model, outputs, pres, cands.map((c) => c.g), o.batch);
    evaluations += cands.length;
    const bestOf = new Map<Run, { k: number; v: number }>();
    cands.forEach((c, k) => {
      if (!admissible(pk[k])) return;
      const v = c.run.sign * rv[k * outputs + c.run.neuron];
      const b = bestOf.get(c.run);
      if (!b || v > b.v) bestOf.set(c.run, { k, v });
    });
    for (const r of active) {
      const b = bestOf.get(r);
      if (b && b.v > r.sign * r.value) {
        r.current = cands[b.k].g; r.value = r.sign * b.v; r.peak = pk[b.k];
      } else {
        for (const a of GRID_AXES) r.steps[a] = a === 'dy' || a === 'dx' ? (r.steps[a] >= 2 ? Math.floor(r.steps[a] / 2) : 0) : r.steps[a] / 2;
        if (GRID_AXES.every((a) => r.steps[a] < plan[a].min)) r.done = true;
      }
    }
    bar2?.tick(1, `${active.length} runs, ${cands.length} Gabors`);
  }
  bar2?.finish();

  const results: NeuronGabors[] = neurons.map((n, j) => {
    const r = col(j);
    const pick = (sign: 1 | -1): PoleResult => {
      const mine = runs.filter((x) => x.column === j && x.sign === sign);
      const best = mine.reduce((a, b) => (sign * b.value > sign * a.value ? b : a));
      const gi = ranked(r, sign, 1)[0];
      return { gabor: best.current, response: best.value, gridIndex: gi, gridResponse: r[gi], peak: best.peak };
    };
    return { neuron: n, best: pick(1), worst: pick(-1), top3: ranked(r, 1, 3) };
  });
  return { results, gridResponses, evaluations };
}
