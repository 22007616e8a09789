// Many results at once: the MEI and LEI of many neurons over several seeds, optimised in batches of runs,
// written as DIR/neuron_NNNN/seed_SSSS/{most,least}/..., each run finished by a done.json so an interrupted job
// resumes where it stopped. A run's seed stream depends only on (seed, pole), so results do not depend on the
// batch they were computed in.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import { Progress } from '../../util/progress.js';
import { synthesize, type Model, type Objective, type RunSpec, type SynthesisOptions, type RunResult } from './engine.js';
import type { Parameterization } from './parameterization.js';
import { synthesizeAllen, type AllenOptions } from './allen.js';
import { writeRunResult, type ImageSize } from './outputs.js';
import { polesFigure } from '../plot/charts.js';
import { saveFigure } from '../plot/save.js';
import { toDisplay } from './outputs.js';
import { configDiff, configHash, mismatchError, type ResultConfig } from '../result-config.js';

export { runSeedOf, type Pole } from './run-seed.js';
import { runSeedOf, type Pole } from './run-seed.js';

/** seed: 0..2^64-1, exact (a folder seed_SSSS and the run's streams come from it) */
export interface Job { neuron: number; seed: bigint; pole: Pole }

export function jobDir(out: string, j: Job): string {
  return join(out, `neuron_${String(j.neuron).padStart(4, '0')}`, `seed_${String(j.seed).padStart(4, '0')}`, j.pole);
}

/** done.json: the result's summary, and the options it was made with (readable, and hashed); the seed is a number
 * when it is exact as one (below 2^53), else a decimal string. */
export interface Done { neuron: number; seed: number | string; pole: Pole; final: number; initial: number; steps: number; configHash?: string; config?: ResultConfig }

export function isDone(out: string, j: Job): boolean { return existsSync(join(jobDir(out, j), 'done.json')); }

export function readDone(out: string, j: Job): Done | null {
  const p = join(jobDir(out, j), 'done.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Done) : null;
}

/**
 * Which jobs still need computing. A finished result is reused only when it was made with the same options
 * (`config`, every option that affects a result); results made with others, or by an older version that did
 * not record its options, stop the run with a message naming the differences, unless `overwrite` (then they
 * are recomputed). Reads only done.json files: call it before any GPU work.
 */
export function planJobs(out: string, jobs: Job[], config: ResultConfig, overwrite = false): Job[] {
  const hash = configHash(config);
  const todo: Job[] = [];
  const stale: { job: Job; diffs: string[] }[] = [];
  for (const j of jobs) {
    const d = readDone(out, j);
    if (!d) todo.push(j);
    else if (d.configHash !== hash) {
      todo.push(j);
      stale.push({ job: j, diffs: d.config ? configDiff(d.config, config) : [] });
    }
  }
  if (stale.length && !overwrite) {
    // name the differences of the first result that has any (results of one earlier run share them)
    const withDiffs = stale.find((s) => s.diffs.length);
    const j = (withDiffs ?? stale[0]).job;
    const what = `${stale.length} of the ${jobs.length} results (e.g. neuron ${j.neuron}, seed ${j.seed}, ${j.pole})`;
    throw mismatchError(out, what, withDiffs ? withDiffs.diffs : []);
  }
  return todo;
}

/** The engine (a parameterisation and its options) or the Allen notebook's loop (its options and image shape). */
export type PolesOptions = PolesCommon & ({ param: Parameterization; synth: SynthesisOptions } | { allen: AllenOptions; shape: [number, number, number] });

interface PolesCommon {
  out: string;
  /** every option that affects a result, stored in done.json (see planJobs) */
  config: ResultConfig;
  /** recompute results made with other options instead of refusing */
  overwrite?: boolean;
  model: Model;
  outputs: number;
  jobs: Job[];
  /** runs optimised together */
  batch: number;
  animation?: boolean;
  progress?: boolean;
  /** the objective of a job over the model's outputs (default: its neuron) */
  objectiveOf?: (j: Job) => Objective;
  /**
   * runs of one (neuron, pole) are coupled (SynthesisOptions.coupling, e.g. diversity across seeds): they form a
   * group, and every batch holds whole groups (a group larger than --batch is one batch)
   */
  grouped?: boolean;
  log?: (s: string) => void;
}

/** Run every unfinished job; returns the number of runs computed (finished ones are skipped). */
export async function runPoles(o: PolesOptions): Promise<number> {
  const todo = planJobs(o.out, o.jobs, o.config, o.overwrite);
  const log = o.log ?? ((s: string) => console.error(s));
  if (todo.length < o.jobs.length) log(`resuming: ${o.jobs.length - todo.length} of ${o.jobs.length} results already done`);
  const stale = todo.filter((j) => isDone(o.out, j)).length;
  if (stale) log(`--overwrite: recomputing ${stale} result${stale > 1 ? 's' : ''} made with other options`);
  const config = { configHash: configHash(o.config), config: o.config };
  const [C, H, W] = 'allen' in o ? o.shape : o.param.shape;
  const S: ImageSize = H === W ? H : [H, W];
  const steps = 'allen' in o ? o.allen.steps : o.synth.steps;
  const progress = o.progress ? new Progress({ total: todo.length * steps, unit: 'run-steps', label: 'synthesis' }) : null;
  let doneSteps = 0;
  const chunks = batchesOf(todo, o.batch, o.grouped ?? false);
  const groupOf = (j: Job) => 2 * j.neuron + (j.pole === 'most' ? 1 : 0);
  for (const [b, chunk] of chunks.entries()) {
    const runs: RunSpec[] = chunk.map((j) => ({ objective: o.objectiveOf ? o.objectiveOf(j) : { neuron: j.neuron }, pole: j.pole, seed: runSeedOf(j.seed, j.pole), ...(o.grouped ? { group: groupOf(j) } : {}) }));
    const onStep = (t: number) => progress?.set(doneSteps + t * chunk.length, `batch ${b + 1}/${chunks.length}`);
    const results = 'allen' in o
      ? await synthesizeAllen(o.model, o.shape, runs, { ...o.allen, onStep }, o.outputs)
      : await synthesize(o.model, o.param, runs, { ...o.synth, onStep }, o.outputs);
    doneSteps += chunk.length * steps;
    chunk.forEach((j, k) => writeJob(o.out, j, results[k], C, S, steps, o.animation ?? false, config));
    // a poles figure for every (neuron, seed) whose two poles are both done
    for (const j of chunk) writePolesFigureIfComplete(o.out, j.neuron, j.seed, C, S);
  }
  progress?.finish();
  return todo.length;
}

/** Batches of at most `batch` jobs in order; grouped: whole (neuron, pole) groups, each group's seeds together. */
export function batchesOf(jobs: Job[], batch: number, grouped: boolean): Job[][] {
  const out: Job[][] = [];
  if (!grouped) {
    for (let s = 0; s < jobs.length; s += batch) out.push(jobs.slice(s, s + batch));
    return out;
  }
  const groups = new Map<string, Job[]>();
  for (const j of jobs) {
    const k = `${j.neuron} ${j.pole}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(j);
  }
  let cur: Job[] = [];
  for (const g of groups.values()) {
    if (cur.length && cur.length + g.length > batch) { out.push(cur); cur = []; }
    cur = cur.concat(g);
  }
  if (cur.length) out.push(cur);
  return out;
}

function writeJob(out: string, j: Job, r: RunResult, C: number, S: ImageSize, steps: number, animation: boolean, config: Pick<Done, 'configHash' | 'config'>): void {
  const dir = jobDir(out, j);
  // a result being replaced (--overwrite) goes first, so a kill never leaves new files under an old done.json
  // nor old files (e.g. trajectory.png) beside a new one
  rmSync(dir, { recursive: true, force: true });
  writeRunResult(dir, r, C, S, { animation });
  // a run stopped on a plateau has fewer steps than asked
  const done: Done = { ...j, seed: seedJson(j.seed), final: r.activations[r.activations.length - 1], initial: r.activations[0], steps: Math.min(steps, r.activations.length - 1), ...config };
  writeFileAtomic(join(dir, 'done.json'), JSON.stringify(done) + '\n');
}

/** A seed in JSON: a number where that is exact, else its decimal string (JSON numbers are doubles). */
export const seedJson = (seed: bigint): number | string => (seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed.toString());

export function writePolesFigureIfComplete(out: string, neuron: number, seed: bigint, C: number, S: ImageSize): void {
  const [H, W] = typeof S === 'number' ? [S, S] : S;
  const parts = (['least', 'most'] as const).map((pole) => {
    const d = jobDir(out, { neuron, seed, pole });
    if (!existsSync(join(d, 'done.json'))) return null;
    const img = toFloat32(readNpy(join(d, 'image.npy')));
    const trace = Array.from(toFloat32(readNpy(join(d, 'activations.npy'))));
    return { image: { width: W, height: H, channels: C as 1 | 3, data: toDisplay(img, C, S) }, trace };
  });
  if (parts[0] && parts[1]) {
    saveFigure(polesFigure(`Neuron ${neuron}, seed ${seed}`, parts[0], parts[1]), join(out, `neuron_${String(neuron).padStart(4, '0')}`, `seed_${String(seed).padStart(4, '0')}`, 'poles'));
  }
}
