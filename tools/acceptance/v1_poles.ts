// Issue-7 acceptance experiments on the real V1 twin (weights from the cache; import ../shared first):
//   1. MEI/LEI of neurons 0..19, seed 0, Fourier and pixel defaults, against 2000 natural patches (skimage
//      photographs, random crops at several scales, preprocessed as screening does: same mask and norm 12);
//   2. held-out member: optimise on members 1-4 (Fourier default), evaluate on member 5;
//   3. MEIs over seeds 0..4 (Fourier default): coefficient of variation of the final activation.
// Usage: node dist/tools/acceptance/v1_poles.js <out dir> [--steps=N] [--subset=K] [part ...]
//   parts: natural, main, aperture (the pixel recipe through the screening aperture), heldout, seeds, full (with
//   --steps: main's failures again at full steps; --full=fourier limits it to one folder), single (main's first
//   batch of 20 runs, each alone), report
// Resumable: finished results are kept (done.json) and skipped. --steps shortens every run (the cosine learning-rate
// schedule is compressed to the same number of steps) where the full 128 steps do not fit the machine's time; the
// report states the steps used. Results of different step counts must go to different out dirs.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { init, shutdownAll, Tensor, noGrad, tidy, type Backend } from '../../src/tensor/index.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { writeFileAtomic, ensureDir } from '../../src/io/atomic.js';
import { loadTwin } from '../../src/models/twins/load.js';
import { TWINS } from '../../src/models/twins/registry.js';
import { loadMask, loadPrior, weightsHome } from '../../src/models/weights/store.js';
import { makePipeline, normalizeUint8, scaleMask } from '../../src/dualneuron/input/pipeline.js';
import { preprocessToUint8 } from '../../src/io/image/index.js';
import { cutPatch, loadPhotos, skimagePhotos } from '../../src/dualneuron/render/patches.js';
import { RECIPES, recipeOptions } from '../../src/dualneuron/synthesis/recipes.js';
import { FourierParameterization } from '../../src/dualneuron/synthesis/fourier.js';
import { PixelParameterization } from '../../src/dualneuron/synthesis/parameterization.js';
import { runPoles, readDone, jobDir, type Job } from '../../src/dualneuron/synthesis/poles.js';
import type { Recipe } from '../../src/dualneuron/synthesis/recipes.js';

const out = resolve(process.argv[2] ?? 'acceptance-v1');
const stepsArg = process.argv.slice(3).find((a) => a.startsWith('--steps='));
const STEPS = stepsArg ? Number(stepsArg.slice(8)) : null;
if (STEPS !== null && !(Number.isInteger(STEPS) && STEPS > 0)) throw new Error(`--steps must be a positive integer, got ${stepsArg}`);
const neuronsArg = process.argv.slice(3).find((a) => a.startsWith('--subset='));
// --subset=K runs the held-out and seed parts on neurons 0..K-1 only (time); the main part always covers 0..19
const SUBSET = neuronsArg ? Number(neuronsArg.slice(9)) : 20;
if (!(Number.isInteger(SUBSET) && SUBSET > 0 && SUBSET <= 20)) throw new Error(`--subset must be 1..20, got ${neuronsArg}`);
const parts = process.argv.slice(3).filter((a) => !a.startsWith('--'));
const want = (p: string) => parts.length === 0 || parts.includes(p);
const NEURONS = Array.from({ length: 20 }, (_, i) => i);
const home = weightsHome();
const spec = TWINS.v1;
ensureDir(out);
const b: Backend = await init('webgpu');

function paramOf(r: Recipe) {
  return r.param === 'fourier'
    ? new FourierParameterization({ prior: loadPrior(r.prior, home), valuesRange: r.valuesRange, rangeFn: r.rangeFn })
    : new PixelParameterization({ channels: 1, size: 93, initStd: r.initStd, valuesRange: r.valuesRange, blurGradient: r.blurGradient });
}

/** responses (n, 458) of a model to model-space inputs x (n*93*93) */
async function respond(members: number[] | undefined, x: Float32Array, n: number): Promise<Float32Array> {
  const { model } = loadTwin('v1', { members, backend: b });
  const y = new Float32Array(n * 458);
  for (let s = 0; s < n; s += 64) {
    const k = Math.min(64, n - s);
    const t = noGrad(() => tidy(() => model.forward(Tensor.from(x.subarray(s * 8649, (s + k) * 8649), [k, 1, 93, 93], { backend: b }))));
    y.set(await t.data() as Float32Array, s * 458);
    t.dispose();
  }
  model.dispose();
  return y;
}

// ---- 1. natural patches and their responses (ensemble, and member 5 alone)
const natPath = join(out, 'natural_inputs.npy');
if (want('natural') && !existsSync(join(out, 'natural_member5.npy'))) {
  const photos = loadPhotos(skimagePhotos());
  const pipe = makePipeline(spec, loadMask('v1', home), 'rendered');
  const N = 2000;
  const x = new Float32Array(N * 8649);
  for (let i = 0; i < N; i++) {
    const patch = cutPatch(photos, i, { seed: 2026, size: 236 });
    const u8 = preprocessToUint8({ width: 236, height: 236, mode: 'RGB', data: patch }, { shortSide: null, crop: 167, size: 93, gray: true });
    x.set(normalizeUint8(pipe, u8), i * 8649);
  }
  writeNpy(natPath, { dtype: 'f32', shape: [N, 1, 93, 93], data: x });
  writeNpy(join(out, 'natural_ensemble.npy'), { dtype: 'f32', shape: [N, 458], data: await respond(undefined, x, N) });
  writeNpy(join(out, 'natural_member5.npy'), { dtype: 'f32', shape: [N, 458], data: await respond([5], x, N) });
  console.error('natural responses done');
}

const APERTURE = Float32Array.from(scaleMask(loadMask('v1', home), 93));
/** the result folders of the main part and their recipes: the pixel recipe without ('pixel') and with the aperture */
const VARIANTS: Record<string, Recipe> = { fourier: RECIPES.v1, pixel: { ...RECIPES['v1-pixel'], aperture: false }, 'pixel-aperture': { ...RECIPES['v1-pixel'], aperture: true } };
const optionsOf = (r: Recipe) => recipeOptions(r, { aperture: APERTURE });

/** runs `jobs` with recipe r into out/dir; --steps shortens them unless fullSteps */
async function poles(dir: string, r: Recipe, jobs: Job[], o: { members?: number[]; batch?: number; fullSteps?: boolean } = {}): Promise<void> {
  const { model } = loadTwin('v1', { members: o.members, backend: b });
  const param = paramOf(r);
  const synth = { ...optionsOf(r), ...(STEPS && !o.fullSteps ? { steps: STEPS } : {}) };
  const config = { variant: dir, members: o.members ?? [1, 2, 3, 4, 5], steps: synth.steps };
  await runPoles({ out: join(out, dir), config, model, outputs: 458, param, synth, jobs, batch: o.batch ?? 20, progress: true });
  param.dispose(); model.dispose();
}
const SUB = NEURONS.slice(0, SUBSET);
const both = (seed: number, neurons = NEURONS): Job[] => neurons.flatMap((neuron) => (['least', 'most'] as const).map((pole) => ({ neuron, seed: BigInt(seed), pole })));

if (want('main')) {
  await poles('fourier', VARIANTS.fourier, both(0));
  await poles('pixel', VARIANTS.pixel, both(0));
}
if (want('aperture')) await poles('pixel-aperture', VARIANTS['pixel-aperture'], both(0));
if (want('heldout')) await poles('heldout', RECIPES.v1, both(0, SUB), { members: [1, 2, 3, 4] });
if (want('seeds')) await poles('fourier', VARIANTS.fourier, SUB.flatMap((neuron) => [1, 2, 3, 4].map((seed) => ({ neuron, seed: BigInt(seed), pole: 'most' as const }))));

const col = (a: Float32Array, u: number) => Array.from({ length: a.length / 458 }, (_, i) => a[i * 458 + u]).sort((p, q) => p - q);
const naturalEnsemble = () => readNpy(join(out, 'natural_ensemble.npy')).data as Float32Array;
/** seed-0 results of the main part that do not pass the natural-patch comparison (MEI <= best, LEI >= worst) */
function failing(dir: string): Job[] {
  const ens = naturalEnsemble();
  return both(0).filter((j) => {
    const r = readDone(join(out, dir), j);
    if (!r) return false;
    const nat = col(ens, j.neuron);
    return j.pole === 'most' ? r.final <= nat[nat.length - 1] : r.final >= nat[0];
  });
}
// ---- 4. (with --steps) the main part's failures again with the recipes' full steps, into <dir>-full
const fullArg = process.argv.slice(3).find((a) => a.startsWith('--full='));
const FULL_DIRS = fullArg ? fullArg.slice(7).split(',') : ['fourier', 'pixel'];
if (want('full') && STEPS) {
  for (const dir of Object.keys(VARIANTS).filter((d) => FULL_DIRS.includes(d))) {
    const jobs = failing(dir);
    if (jobs.length) await poles(`${dir}-full`, VARIANTS[dir], jobs, { fullSteps: true });
  }
}

// ---- 5. the first batch of 20 runs of the main Fourier part (neurons 0..9, both poles), each run alone
const FIRST_BATCH = both(0).slice(0, 20);
if (want('single')) await poles('fourier-single', VARIANTS.fourier, FIRST_BATCH, { batch: 1 });

// ---- report
if (want('report')) {
  const ens = naturalEnsemble();
  const m5 = readNpy(join(out, 'natural_member5.npy')).data as Float32Array;
  const median = (v: number[]) => (v[Math.floor((v.length - 1) / 2)] + v[Math.ceil((v.length - 1) / 2)]) / 2;
  const lines: string[] = [];
  const result: Record<string, unknown> = { steps: STEPS ?? RECIPES.v1.steps };
  lines.push(`steps per run: ${STEPS ?? RECIPES.v1.steps}${STEPS ? ' (shortened from the recipes\' 128)' : ''}`);
  const complete = (dir: string) => both(0).every((j) => readDone(join(out, dir), j));
  for (const dir of Object.keys(VARIANTS).filter(complete)) {
    const rows = NEURONS.map((u) => {
      const nat = col(ens, u);
      const mei = readDone(join(out, dir), { neuron: u, seed: 0n, pole: 'most' })!.final;
      const lei = readDone(join(out, dir), { neuron: u, seed: 0n, pole: 'least' })!.final;
      return { u, best: nat[nat.length - 1], worst: nat[0], mei, lei, meiOk: mei > nat[nat.length - 1], leiOk: lei < nat[0] };
    });
    const ratiosM = rows.map((r) => r.mei / r.best).sort((p, q) => p - q), ratiosL = rows.map((r) => r.lei / r.worst).sort((p, q) => p - q);
    result[dir] = { rows, meiAboveBest: rows.filter((r) => r.meiOk).length, leiBelowWorst: rows.filter((r) => r.leiOk).length, medianMeiOverBest: median(ratiosM), medianLeiOverWorst: median(ratiosL) };
    lines.push(`${dir}: MEI > best natural for ${rows.filter((r) => r.meiOk).length}/20, LEI < worst natural for ${rows.filter((r) => r.leiOk).length}/20; median MEI/best ${median(ratiosM).toFixed(3)}, median LEI/worst ${median(ratiosL).toFixed(3)}`);
    const again = rows.flatMap((r) => (['most', 'least'] as const).filter((pole) => (pole === 'most' ? !r.meiOk : !r.leiOk)).map((pole) => ({ r, pole, full: readDone(join(out, `${dir}-full`), { neuron: r.u, seed: 0n, pole }) })));
    if (again.length && STEPS) {
      const txt = again.map(({ r, pole, full }) => `${pole === 'most' ? 'MEI' : 'LEI'} ${r.u}: ${(pole === 'most' ? r.mei : r.lei).toFixed(3)} -> ${full ? full.final.toFixed(3) : 'not run'} (natural ${(pole === 'most' ? r.best : r.worst).toFixed(3)})`);
      (result[dir] as Record<string, unknown>).fullSteps = again.map(({ r, pole, full }) => ({ neuron: r.u, pole, short: pole === 'most' ? r.mei : r.lei, full: full?.final ?? null }));
      lines.push(`  failures rerun with ${RECIPES.v1.steps} steps: ${txt.join('; ')}`);
    }
  }
  // the held-out and seed parts may have run on fewer neurons (--subset): report those whose results are all there
  const HELD = NEURONS.filter((u) => (['most', 'least'] as const).every((pole) => readDone(join(out, 'heldout'), { neuron: u, seed: 0n, pole })));
  if (HELD.length) {
    // evaluate the members-1-4 results on member 5
    const imgs = HELD.flatMap((u) => (['most', 'least'] as const).map((pole) => readNpy(join(jobDir(join(out, 'heldout'), { neuron: u, seed: 0n, pole }), 'image.npy')).data as Float32Array));
    const x = new Float32Array(imgs.length * 8649);
    imgs.forEach((im, i) => x.set(im, i * 8649));
    const y = await respond([5], x, imgs.length);
    let meiOk = 0, leiOk = 0;
    HELD.forEach((u, k) => {
      const med = median(col(m5, u));
      if (y[(2 * k) * 458 + u] > med) meiOk++;
      if (y[(2 * k + 1) * 458 + u] < med) leiOk++;
    });
    result.heldout = { neurons: HELD, meiAboveMedian: meiOk, leiBelowMedian: leiOk };
    lines.push(`held-out member 5: MEI above its median natural response for ${meiOk}/${HELD.length}, LEI below it for ${leiOk}/${HELD.length} (neurons ${HELD.join(', ')})`);
  }
  const SEEDED = NEURONS.filter((u) => [0, 1, 2, 3, 4].every((s) => readDone(join(out, 'fourier'), { neuron: u, seed: BigInt(s), pole: 'most' })));
  if (SEEDED.length) {
    const cvs = SEEDED.map((u) => {
      const v = [0, 1, 2, 3, 4].map((s) => readDone(join(out, 'fourier'), { neuron: u, seed: BigInt(s), pole: 'most' })!.final);
      const m = v.reduce((p, q) => p + q, 0) / 5;
      return Math.sqrt(v.reduce((p, q) => p + (q - m) ** 2, 0) / 5) / m;
    });
    result.seeds = { neurons: SEEDED, cv: cvs, within10pct: cvs.filter((c) => c <= 0.1).length };
    lines.push(`seeds 0-4: final MEI activation CV <= 10% for ${cvs.filter((c) => c <= 0.1).length}/${SEEDED.length} neurons (${SEEDED.join(', ')}) (median CV ${median([...cvs].sort((p, q) => p - q)).toFixed(3)})`);
  }
  if (FIRST_BATCH.every((j) => readDone(join(out, 'fourier-single'), j) && readDone(join(out, 'fourier'), j))) {
    // whole trajectories (steps + 1 activations) of the batched runs against the same runs alone
    const traj = (dir: string, j: Job) => readNpy(join(jobDir(join(out, dir), j), 'activations.npy')).data as Float32Array;
    let worst = 0;
    for (const j of FIRST_BATCH) {
      const a = traj('fourier', j), s1 = traj('fourier-single', j);
      const scale = Math.max(...Array.from(s1, Math.abs));
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - s1[i]) / scale);
    }
    result.batchedVsAlone = { runs: FIRST_BATCH.length, maxRelative: worst };
    lines.push(`batch of ${FIRST_BATCH.length} runs vs each run alone: max relative difference over the trajectories ${worst.toExponential(2)}`);
  }
  writeFileAtomic(join(out, 'report.json'), JSON.stringify(result, null, 1));
  console.log(lines.join('\n'));
}
await shutdownAll();
