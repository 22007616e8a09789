// The evolution run loop (`dualneuron evolve`): every thread (neuron x seed x space) advances one generation at a
// time, all of them scored in one forward pass of the twin per generation (objective.ts). Per generation g:
//   forward g = every thread's population g, plus (g > 0) every thread's centre after tell g - 1;
//   [checkpoint point: generationsDone = g, every file complete for generations 0..g-1]
//   recording noise (if any), tell g, and the scores / best code / best image of generation g are kept.
// After the last generation one more forward scores the last centres. A checkpoint writes the thread files, then
// state.json (each atomically), every `saveEvery` seconds, on SIGINT/SIGTERM and at the end. Because a checkpoint
// is taken only where the optimisers and noise streams are between generations, and the forward it follows is
// recomputed identically on resume (same codes, same batch composition), a resumed run writes byte-identical
// files. Each thread's optimiser and noise are seeded from (neuron, seed, space) alone, so a thread does not
// depend on which other neurons or spaces share the run.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { Progress } from '../../util/progress.js';
import { configDiff, configHash, mismatchError, type ResultConfig } from '../result-config.js';
import { yieldToSignals } from '../output-folder.js';
import type { ImageSpace } from './spaces.js';
import type { Optimizer } from './optimizer.js';
import { restoreOptimizer } from './restore.js';
import { RecordingNoise, type RecordingNoiseOptions } from './recording-noise.js';
import type { DrawState } from './draws.js';
import { centreOf } from './optimizer-factory.js';
import { ThreadRecord } from './thread-files.js';
import type { TwinObjective } from './objective.js';
import { SignalCheckpoint } from './signal-checkpoint.js';
import { evolveJobs, type EvolveJob } from './shard.js';

export const STATE_VERSION = 1;

export interface EvolveState {
  version: number;
  optionsHash: string;
  options: ResultConfig;
  generationsDone: number;
  threads: Record<string, { optimizer: unknown; noise: DrawState | null }>;
}

/** "<neuron>/<seed>/<space>", the key of a thread in state.json */
export const threadKey = (neuron: number, seed: number, space: string) => `${neuron}/${seed}/${space}`;
/** the folder of a thread: OUT/n<neuron>/s<seed>/<space> */
export const threadDir = (out: string, neuron: number, seed: number, space: string) => join(out, `n${neuron}`, `s${seed}`, space);

export interface ThreadPlan {
  /** the optimiser of a new thread */
  optimizer: Optimizer;
  /** the most codes one generation asks (scores.npy columns) */
  width: number;
  /** the thread's space number in its optimiser and noise seeds (space-factory SPACE_STREAM) */
  stream: number;
}

export interface RunnerOptions {
  out: string;
  objective: TwinObjective;
  neurons: number[];
  /** seeds 0..seeds-1 */
  seeds: number;
  /** only these (neuron, seed) pairs, in this order (a shard: evolveJobs); default every neuron x seed */
  jobs?: readonly EvolveJob[];
  spaces: ImageSpace[];
  /** a fresh thread (not called for threads restored from state.json, except for their width and stream) */
  plan(neuron: number, seed: number, space: ImageSpace): ThreadPlan;
  generations: number;
  /** recording-like noise on the told scores, or null */
  noise: RecordingNoiseOptions | null;
  /** every option that affects the outputs; state.json made with others is refused (see prepareEvolveOutput) */
  config: ResultConfig;
  /** seconds between checkpoints (0: every generation) */
  saveEvery: number;
  /** checkpoint on SIGINT/SIGTERM and return (the CLI) */
  handleSignals?: boolean;
  /** stop (with a checkpoint) once this many generations are done: tests of resumption */
  stopAfter?: number;
  progress?: boolean;
  log?: (s: string) => void;
}

export interface RunResult {
  generationsDone: number;
  complete: boolean;
  /** codes told to optimisers over the whole run (resumed parts included) */
  evaluations: number;
  /** images through the twin in this process (centres included) */
  imagesThisProcess: number;
  interrupted: 'SIGINT' | 'SIGTERM' | null;
  resumedFrom: number;
}

function readState(out: string): EvolveState | null {
  const p = join(out, 'state.json');
  if (!existsSync(p)) return null;
  let s: EvolveState;
  try { s = JSON.parse(readFileSync(p, 'utf8')) as EvolveState; } catch (e) {
    throw new FormatError(`${p} cannot be read as JSON (${(e as Error).message}); rerun with --overwrite to start again`);
  }
  if (typeof s !== 'object' || s === null || typeof s.optionsHash !== 'string' || !Number.isInteger(s.generationsDone) || typeof s.threads !== 'object') {
    throw new FormatError(`${p} is not an evolution checkpoint (no optionsHash, generationsDone or threads); rerun with --overwrite to start again`);
  }
  return s;
}

/**
 * Whether `out` already holds the finished run (its checkpoint has `generations` generations and run.json is
 * written); says so. A run killed after its last checkpoint but before run.json is not finished: it goes on
 * (no generation is computed again).
 */
export function finishedAlready(out: string, done: number, generations: number, log: (s: string) => void = (s) => console.error(s)): boolean {
  if (done < generations || !existsSync(join(out, 'run.json'))) return false;
  log(`${out} already holds the finished run (${done} generations) made with these options; nothing to do`);
  return true;
}

/**
 * Before any GPU work: a checkpoint in `out` made with other options is refused, naming the differences, unless
 * `overwrite` (then it and the thread folders are removed). Returns the generations a matching checkpoint holds.
 */
export function prepareEvolveOutput(out: string, config: ResultConfig, overwrite = false, log: (s: string) => void = (s) => console.error(s)): number {
  const s = readState(out);
  if (!s) return 0;
  if (s.version === STATE_VERSION && s.optionsHash === configHash(config)) return s.generationsDone;
  const diffs = s.options ? configDiff(s.options, config) : [];
  if (!overwrite) throw mismatchError(out, 'The evolution run', diffs, 'was');
  log(`--overwrite: removing the evolution run in ${out} (made with other options)`);
  removeEvolveOutputs(out);
  return 0;
}

/** state.json (atomically): the one way a checkpoint is written, by a run and by `merge` of shards */
export function writeEvolveState(out: string, state: EvolveState): void {
  ensureDir(out); // an empty shard has no thread folder that made it
  writeFileAtomic(join(out, 'state.json'), JSON.stringify(state) + '\n');
}

function removeEvolveOutputs(out: string): void {
  rmSync(join(out, 'state.json'), { force: true });
  for (const f of ['run.json', 'summary.csv', 'summary.svg']) rmSync(join(out, f), { force: true });
  for (const e of readdirSync(out, { withFileTypes: true })) if (e.isDirectory() && /^n[0-9]+$/.test(e.name)) rmSync(join(out, e.name), { recursive: true, force: true });
}

interface Thread {
  key: string; neuron: number; seed: number; space: ImageSpace;
  opt: Optimizer; noise: RecordingNoise | null; rec: ThreadRecord;
}

function argmaxFirst(v: ArrayLike<number>): number {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return b;
}

export async function runEvolution(o: RunnerOptions): Promise<RunResult> {
  const log = o.log ?? ((s: string) => console.error(s));
  const hash = configHash(o.config);
  const saved = readState(o.out);
  if (saved && saved.optionsHash !== hash) throw mismatchError(o.out, 'The evolution run', saved.options ? configDiff(saved.options, o.config) : [], 'was');
  const start = saved?.generationsDone ?? 0;
  const [C, H, W] = o.objective.o.inputShape;
  const threads: Thread[] = [];
  for (const { neuron, seed } of o.jobs ?? evolveJobs(o.neurons, o.seeds)) {
    for (const space of o.spaces) {
      const key = threadKey(neuron, seed, space.name);
      const dir = threadDir(o.out, neuron, seed, space.name);
      const p = o.plan(neuron, seed, space);
      const shape = { width: p.width, dim: space.dim, image: [C, H, W] as const, noisy: o.noise !== null };
      let opt = p.optimizer, noise: RecordingNoise | null = null, rec: ThreadRecord;
      if (saved) {
        const t = saved.threads[key];
        if (!t) throw new FormatError(`${join(o.out, 'state.json')} has no thread ${key}; rerun with --overwrite to start again`);
        opt = restoreOptimizer(t.optimizer);
        if (o.noise) noise = new RecordingNoise(o.noise, neuron, p.stream, seed, t.noise ?? undefined);
        rec = ThreadRecord.read(dir, shape, start);
      } else {
        if (o.noise) noise = new RecordingNoise(o.noise, neuron, p.stream, seed);
        rec = new ThreadRecord(dir, shape);
      }
      threads.push({ key, neuron, seed, space, opt, noise, rec });
    }
  }
  if (saved && start > 0) log(`resuming the evolution run in ${o.out} after generation ${start} of ${o.generations}`);

  let evaluations = threads.reduce((a, t) => a + t.rec.told.slice(0, start).reduce((b, r) => b + r.filter((v) => !Number.isNaN(v)).length, 0), 0);
  const images0 = o.objective.imagesEvaluated;
  let lastSaved = start;
  const checkpoint = (g: number) => {
    for (const t of threads) t.rec.write(g);
    const state: EvolveState = {
      version: STATE_VERSION, optionsHash: hash, options: o.config, generationsDone: g,
      threads: Object.fromEntries(threads.map((t) => [t.key, { optimizer: t.opt.state(), noise: t.noise ? t.noise.state() : null }])),
    };
    writeEvolveState(o.out, state);
    lastSaved = g;
    lastTime = performance.now();
  };
  let lastTime = performance.now();
  const guard = o.handleSignals ? new SignalCheckpoint() : null;
  const progress = o.progress ? new Progress({ total: o.generations, unit: 'gen', label: 'evolve', resumedAt: start }) : null;
  progress?.set(start);
  const t0 = performance.now();
  let evalsHere = 0;
  let best = -Infinity;
  const result = (g: number, interrupted: RunResult['interrupted']): RunResult => ({
    generationsDone: g, complete: g >= o.generations, evaluations, imagesThisProcess: o.objective.imagesEvaluated - images0, interrupted, resumedFrom: start,
  });
  try {
    if (threads.length === 0) {
      // an empty shard (more shards than (neuron, seed) jobs): no forward pass, a checkpoint with no threads
      checkpoint(o.generations);
      progress?.finish();
      return result(o.generations, null);
    }
    for (let g = start; g < o.generations; g++) {
      const asks = threads.map((t) => t.opt.ask());
      const res = await o.objective.evaluate(threads.map((t, i) => ({ space: t.space, neuron: t.neuron, codes: asks[i], extra: g > 0 ? [centreOf(t.opt)] : [] })));
      // (a resumed run recomputes this forward for its population; the centre row g - 1 is already in the files)
      threads.forEach((t, i) => { if (g > 0 && t.rec.meanScores.length === g - 1) t.rec.addMean(res[i].extraImages[0], res[i].extraScores[0]); });
      // checkpoint point: files complete for generations 0..g-1, optimisers and noise between generations
      if (g > lastSaved && (guard?.signal || g === o.stopAfter || (performance.now() - lastTime) / 1000 >= o.saveEvery)) {
        checkpoint(g);
        if (guard?.signal) {
          log(`\n${guard.signal}: saved ${g} of ${o.generations} generations in ${o.out}; rerun the same command to resume`);
          return result(g, guard.signal);
        }
        if (g === o.stopAfter) return result(g, null);
      }
      threads.forEach((t, i) => {
        const told = t.noise ? t.noise.apply(res[i].clean) : res[i].clean;
        const b = argmaxFirst(told);
        t.rec.addGeneration({ told, clean: res[i].clean, bestCode: asks[i][b], bestImage: res[i].images[b] });
        t.opt.tell(told);
        evaluations += told.length;
        evalsHere += told.length;
        if (told[b] > best) best = told[b];
      });
      progress?.set(g + 1, `${(evalsHere / ((performance.now() - t0) / 1000)).toFixed(1)} evals/s, best ${best.toPrecision(5)}`);
      await yieldToSignals();
    }
    if (lastSaved < o.generations) {
      const res = await o.objective.evaluate(threads.map((t) => ({ space: t.space, neuron: t.neuron, codes: [], extra: [centreOf(t.opt)] })));
      threads.forEach((t, i) => t.rec.addMean(res[i].extraImages[0], res[i].extraScores[0]));
      checkpoint(o.generations);
    }
    progress?.finish();
    return result(o.generations, null);
  } finally {
    guard?.release();
  }
}
