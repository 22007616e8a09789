// Issue-13 acceptance on the real V1 twin: gradient-free evolution against the gradient MEI.
// The runs are made by tools/acceptance/evolve_v1.sh (V1 member 1, neurons 0..9, 3000 evaluations per neuron and
// space: population 40 x 75 generations, Fourier and pixel spaces, through the aperture at norm 12); this script
// reads their folders and reports:
//   - per space, the median over neurons of the best-activation ratios CholCMA/GA, SphereCMA/CholCMA, CMA/CholCMA;
//   - each optimiser's best as a fraction of the gradient MEI (poles, same member, norm 12 and aperture);
//   - the same with recording-like noise (eta 0.2), measured on the noiseless twin.
// The best activation is re-measured here, independently of the runner's own bookkeeping: the recorded best image
// of the generation holding the highest score is evaluated again by the twin, and must equal that score.
// Usage: node dist/tools/acceptance/evolve_v1.js <work dir> [--weights-dir D]
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { init, shutdownAll, Tensor, noGrad, tidy, type Backend } from '../../src/tensor/index.js';
import { readNpy } from '../../src/io/npy.js';
import { toFloat32, toFloat64 } from '../../src/io/host-array.js';
import { writeFileAtomic } from '../../src/io/atomic.js';
import { loadTwin } from '../../src/models/twins/load.js';

const work = resolve(process.argv[2] ?? 'acceptance-evolve');
const wdArg = process.argv.indexOf('--weights-dir');
const weightsDir = wdArg > 0 ? process.argv[wdArg + 1] : undefined;
const NEURONS = Array.from({ length: 10 }, (_, i) => i);
const SPACES = ['fourier', 'pixel'] as const;
const OPTIMIZERS = ['cholcma', 'ga', 'spherecma', 'cma'] as const;
const S = 93, HW = S * S;

const b: Backend = await init('webgpu');
const { model } = loadTwin('v1', { members: [1], backend: b, weightsDir });

/** the member-1 responses of neuron n to a stack of model-space images (k, 1, 93, 93) */
async function respond(images: Float32Array, k: number, n: number): Promise<Float64Array> {
  const y = noGrad(() => tidy(() => model.forward(Tensor.from(images, [k, 1, S, S], { backend: b }))));
  const all = await y.dataF32();
  y.dispose();
  return Float64Array.from({ length: k }, (_, i) => all[i * 458 + n]);
}

const median = (v: number[]) => { const s = [...v].sort((a, c) => a - c); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/** the gradient MEI's activation (its final image, evaluated again), or null when that run is missing */
async function gradientMei(space: string, n: number): Promise<number | null> {
  const p = join(work, `grad-${space}`, `neuron_${String(n).padStart(4, '0')}`, 'seed_0000', 'most', 'image.npy');
  if (!existsSync(p)) return null;
  return (await respond(toFloat32(readNpy(p)), 1, n))[0];
}

interface Best { best: number; recheck: number; final: number; generation: number; evaluations: number; complete: boolean }
/**
 * A thread's best: the highest noiseless score over every evaluated image (clean_scores when the run had noise,
 * else scores), re-measured on its generation's best_image when the told score picked the same image. `final`:
 * the noiseless response of the last generation's best (by the told score), what an experimenter would keep.
 */
async function threadBest(run: string, n: number, space: string): Promise<Best | null> {
  // a run of both spaces (evo-<opt>) or one run per space (evo-<opt>-<space>): threads do not depend on each other
  const dir = [join(work, run, `n${n}`, 's0', space), join(work, `${run}-${space}`, `n${n}`, 's0', space)].find((d) => existsSync(join(d, 'scores.npy')));
  if (!dir) return null;
  const state = JSON.parse(readFileSync(join(dir, '..', '..', '..', 'state.json'), 'utf8')) as { generationsDone: number; options: { '--generations': number } };
  const told = readNpy(join(dir, 'scores.npy'));
  const cleanPath = join(dir, 'clean_scores.npy');
  const clean = existsSync(cleanPath) ? readNpy(cleanPath) : told;
  const [rows, P] = told.shape;
  const G = Math.min(rows, state.generationsDone);
  const t = toFloat64(told), c = toFloat64(clean);
  let best = -Infinity, bg = 0;
  for (let i = 0; i < G * P; i++) if (c[i] > best) { best = c[i]; bg = Math.floor(i / P); }
  const images = toFloat32(readNpy(join(dir, 'best_image.npy')));
  // the recorded best image of generation bg is the one with the highest told score; without noise that is `best`
  const recheck = (await respond(images.subarray(bg * HW, (bg + 1) * HW), 1, n))[0];
  let lastArg = 0;
  for (let j = 1; j < P; j++) if (t[(G - 1) * P + j] > t[(G - 1) * P + lastArg]) lastArg = j;
  let evaluations = 0;
  for (let i = 0; i < G * P; i++) if (!Number.isNaN(t[i])) evaluations++;
  return { best, recheck, final: c[(G - 1) * P + lastArg], generation: bg, evaluations, complete: state.generationsDone >= state.options['--generations'] };
}

const lines: string[] = [];
const report: Record<string, unknown> = {};
for (const space of SPACES) {
  const mei: (number | null)[] = [];
  for (const n of NEURONS) mei.push(await gradientMei(space, n));
  const rows: Record<string, (Best | null)[]> = {};
  for (const noise of [false, true]) {
    for (const opt of OPTIMIZERS) {
      const run = `evo-${opt}${noise ? '-noise' : ''}`;
      if (!existsSync(join(work, run)) && !existsSync(join(work, `${run}-${space}`))) continue;
      const r: (Best | null)[] = [];
      for (const n of NEURONS) r.push(await threadBest(run, n, space));
      if (r.some((x) => x !== null)) rows[run] = r; // runs of the other space only are left out
    }
  }
  lines.push(`\n## ${space} space (V1 member 1, neurons 0-9, 3000 evaluations, aperture, norm 12)\n`);
  lines.push(`| run | neuron: best activation (x gradient MEI) | median best / MEI | >= 0.6 of MEI | max abs recheck error (noiseless runs) | evaluations per neuron |`);
  lines.push('|---|---|---|---|---|---|');
  lines.push(`| gradient MEI (poles, ${space === 'pixel' ? 'v1-pixel' : 'v1 --aperture'}, 128 steps) | ${mei.map((m, n) => `${n}: ${m === null ? 'missing' : fmt(m)}`).join(', ')} | | | | |`);
  for (const [run, r] of Object.entries(rows)) {
    const frac = r.map((x, n) => (x && mei[n] ? x.best / mei[n]! : NaN));
    const ok = frac.filter((f) => f >= 0.6).length;
    const err = run.endsWith('-noise') ? '' : fmt(Math.max(...r.map((x) => (x ? Math.abs(x.recheck - x.best) : NaN))));
    lines.push(`| ${run} | ${r.map((x, n) => `${n}: ${x ? `${fmt(x.best)} (${fmt(frac[n])})` : 'missing'}`).join(', ')} | ${fmt(median(frac.filter(Number.isFinite)))} | ${ok}/${r.length} | ${err} | ${r[0] ? `${r[0].evaluations}${r.every((x) => x?.complete) ? '' : ' (unfinished)'}` : ''} |`);
  }
  const ratio = (a: string, c: string, key: 'best' | 'final' = 'best') => {
    const ra = rows[a], rc = rows[c];
    if (!ra || !rc) return NaN;
    return median(NEURONS.map((n) => (ra[n] && rc[n] ? ra[n]![key] / rc[n]![key] : NaN)).filter(Number.isFinite));
  };
  const ratios: Record<string, number> = {};
  for (const sfx of ['', '-noise']) {
    ratios[`cholcma/ga${sfx}`] = ratio(`evo-cholcma${sfx}`, `evo-ga${sfx}`);
    ratios[`spherecma/cholcma${sfx}`] = ratio(`evo-spherecma${sfx}`, `evo-cholcma${sfx}`);
    ratios[`cma/cholcma${sfx}`] = ratio(`evo-cma${sfx}`, `evo-cholcma${sfx}`);
    if (sfx) {
      ratios['cholcma/ga-noise (last generation best, noiseless)'] = ratio('evo-cholcma-noise', 'evo-ga-noise', 'final');
      ratios['spherecma/cholcma-noise (last generation best, noiseless)'] = ratio('evo-spherecma-noise', 'evo-cholcma-noise', 'final');
    }
  }
  lines.push('\n| median ratio over neurons | value |\n|---|---|');
  for (const [k, v] of Object.entries(ratios)) if (Number.isFinite(v)) lines.push(`| ${k} | ${fmt(v)} |`);
  report[space] = { mei, rows, ratios };
}
const text = lines.join('\n') + '\n';
process.stdout.write(text);
writeFileAtomic(join(work, 'report.md'), text);
writeFileAtomic(join(work, 'report.json'), JSON.stringify(report, null, 1) + '\n');
model.dispose();
await shutdownAll();
