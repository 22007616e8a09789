// `dualneuron analyze ...`: analyses of stimuli and twins (issue 15). A command group; this file registers
// `analyze gabor` (the Gabor bank search with MEI/LEI ratios) and `analyze metrics` (the Allen notebook's image
// metrics of any image set). Other analyses add their subcommands to the group.
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init, Tensor, noGrad, tidy } from '../../tensor/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeNpy } from '../../io/npy.js';
import { formatCsv } from '../../io/csv.js';
import { loadTwin } from '../../models/twins/load.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { loadMask, weightsHome } from '../../models/weights/store.js';
import { scaleMask } from '../input/pipeline.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { saveFigure } from '../plot/save.js';
import { median } from '../../util/median.js';
import { RECIPES, defaultRecipe } from '../synthesis/recipes.js';
import { modelOption, parseTwin } from './predict.js';
import { weightsDirOption } from './weights.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';
import { parseMembers, parseNeurons } from './synthesize.js';
import { GRID_AXES, defaultGrid, gridPoint, gridSize, renderGabor, notebookParams, type GaborGrid, type Presentation } from '../analysis/gabor-bank.js';
import { searchGabors } from '../analysis/gabor-search.js';
import { gaborCsv, gaborFigure, type PoleResponses } from '../analysis/gabor-outputs.js';
import { meanGabor } from '../analysis/notebook-gabors.js';
import { configValue, poleImage, readPolesFolder, type PolesFolder } from '../analysis/poles-folder.js';
import { imageMetrics, imagesFromNpy, imagesFromPoles, type MetricOptions } from '../analysis/image-set.js';
import { imagesFromScreen } from '../analysis/screen-images.js';
import { registerAnalyzeDual } from './analyze-dual.js';
import { registerAnalyzeRf } from './analyze-rf.js';
import { registerAnalyzeAxis } from './analyze-axis.js';
import { registerAnalyzeMask } from './analyze-mask.js';
import { registerAnalyzeSheet } from './analyze-sheet.js';
import { registerAnalyzeTrajectory } from './analyze-trajectory.js';

const list = (name: string, v: string): number[] => {
  const xs = v.split(',').map((s) => parseFloatStrict(name, s.trim()));
  if (!xs.length) throw new InputError(`${name} needs at least one value`);
  return xs;
};
const evenly = (name: string, v: string, period: number): number[] => {
  const n = parseIntStrict(name, v, { min: 1, max: 360 });
  return Array.from({ length: n }, (_, i) => (i * period) / n);
};

interface GaborOpts {
  model: string; neurons?: string; poles?: string; members?: string; centered: boolean; recipe?: string; targetNorm?: string; aperture?: boolean;
  shifts?: string; orientations?: string; wavelengths?: string; phases?: string; sigmas?: string; aspects?: string;
  starts: string; iterations: string; batch: string; maxValue?: string; weightsDir?: string; out: string;
}

/** The grid: the default for the image size, with any axis replaced from the options; checked before any work. */
function parseGrid(o: GaborOpts, S: number): GaborGrid {
  const g = defaultGrid(S);
  if (o.shifts !== undefined) {
    g.dy = list('--shifts', o.shifts).map((v) => {
      if (!Number.isInteger(v) || Math.abs(v) > Math.floor(S / 2)) throw new InputError(`--shifts: ${v} is not a whole number of pixels within +-${Math.floor(S / 2)}`);
      return v;
    });
    g.dx = [...g.dy];
  }
  if (o.orientations !== undefined) g.orientation = evenly('--orientations', o.orientations, 180);
  if (o.phases !== undefined) g.phase = evenly('--phases', o.phases, 360);
  if (o.wavelengths !== undefined) g.wavelength = list('--wavelengths', o.wavelengths);
  if (o.sigmas !== undefined) g.sigma = list('--sigmas', o.sigmas);
  if (o.aspects !== undefined) g.aspect = list('--aspects', o.aspects);
  if (g.wavelength.some((v) => !(v >= 2))) throw new InputError('--wavelengths: every wavelength must be >= 2 pixels (the Nyquist limit)');
  if (g.sigma.some((v) => !(v > 0))) throw new InputError('--sigmas: every sigma must be > 0 pixels');
  if (g.aspect.some((v) => !(v > 0))) throw new InputError('--aspects: every aspect must be > 0');
  return g;
}

/**
 * The presentation of the MEIs: from the poles folder's recorded options when given (an option that contradicts
 * them is refused), else from the recipe (default: the twin's own) and the options.
 */
function presentationOf(o: GaborOpts, id: TwinId, poles: PolesFolder | null): { norm: number; aperture: boolean; members?: number[]; centered: boolean; source: string } {
  let members = parseMembers(o.members, id), centered = o.centered;
  const recipeName = o.recipe ?? defaultRecipe(id);
  const r = RECIPES[recipeName];
  if (!r) throw new InputError(`unknown recipe '${recipeName}'; choose from ${Object.keys(RECIPES).join(', ')}`);
  let norm = o.targetNorm !== undefined ? parseFloatStrict('--target-norm', o.targetNorm) : r.targetNorm;
  let aperture = o.aperture ?? r.aperture;
  if (!(norm > 0)) throw new InputError(`--target-norm must be > 0, got ${norm}`);
  if (!poles?.config) return { norm, aperture, members, centered, source: poles ? `recipe ${recipeName} (the poles folder records no options)` : `recipe ${recipeName}` };
  const c = poles.config;
  const model = configValue(poles, '--model');
  if (model !== undefined && model !== id) throw new InputError(`--poles ${poles.dir} holds results of the ${String(model)} twin, not ${id}: pass --model ${String(model)} or another poles folder`);
  const clash = (flag: string, mine: unknown, theirs: unknown) => {
    throw new InputError(`${flag} ${JSON.stringify(mine)} contradicts the poles folder (made with ${flag} ${JSON.stringify(theirs)}); Gabors must be shown as the MEIs were: drop ${flag}`);
  };
  const tn = c['--target-norm'];
  if (typeof tn === 'number') { if (o.targetNorm !== undefined && norm !== tn) clash('--target-norm', norm, tn); norm = tn; }
  const ap = c['--aperture'];
  if (typeof ap === 'boolean') { if (o.aperture !== undefined && o.aperture !== ap) clash('--aperture', o.aperture, ap); aperture = ap; }
  const mem = c['--members'];
  if (Array.isArray(mem)) { if (members && members.join() !== mem.join()) clash('--members', members, mem); members = mem as number[]; }
  const cen = c['--centered'];
  if (typeof cen === 'boolean') { if (!o.centered && cen) clash('--no-centered', false, cen); centered = cen; }
  return { norm, aperture, members, centered, source: `the poles folder ${poles.dir}` };
}

async function runGabor(o: GaborOpts): Promise<void> {
  const id = parseTwin(o.model);
  const spec = TWINS[id];
  const [C, S] = [spec.inputShape[0], spec.inputShape[1]];
  const poles = o.poles ? readPolesFolder(o.poles, { neurons: o.neurons ? parseNeurons(o.neurons, spec.neurons) : undefined }) : null;
  if (!poles && !o.neurons) throw new InputError('give --neurons (e.g. 0-49), or --poles DIR to take its neurons');
  const neurons = poles ? poles.neurons : parseNeurons(o.neurons!, spec.neurons);
  for (const n of neurons) if (n >= spec.neurons) throw new InputError(`neuron ${n} is out of range: the ${id} twin has neurons 0..${spec.neurons - 1}`);
  const grid = parseGrid(o, S);
  const starts = parseIntStrict('--starts', o.starts, { min: 1, max: 16 });
  const iterations = parseIntStrict('--iterations', o.iterations, { max: 10_000 });
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: 4096 });
  const maxValue = o.maxValue === undefined ? null : parseFloatStrict('--max-value', o.maxValue);
  if (maxValue !== null && !(maxValue > 0)) throw new InputError(`--max-value must be > 0, got ${o.maxValue}`);
  const p = presentationOf(o, id, poles);
  const home = weightsHome(o.weightsDir);
  const pres: Presentation = { channels: C, size: S, aperture: p.aperture ? scaleMask(loadMask(id, home), S) : null, norm: p.norm };
  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze gabor');
  try {
    const backend = await init('webgpu');
    const rec = startRecord('analyze gabor', { ...o }, backend.describe());
    console.error(`Gabors at L2 norm ${p.norm}${p.aperture ? ' through the twin\'s aperture' : ''} (from ${p.source}); grid of ${gridSize(grid).toLocaleString('en-US')} Gabors, ${neurons.length} neurons`);
    const { model, weightsSha256 } = loadTwin(id, { members: p.members, centered: p.centered, backend, weightsDir: o.weightsDir });
    try {
      const res = await searchGabors({ model, outputs: spec.neurons, neurons, presentation: pres, grid, starts, iterations, batch, maxValue, progress: true });
      const per = C * S * S;
      const best = new Float32Array(neurons.length * per), worst = new Float32Array(neurons.length * per);
      res.results.forEach((r, i) => { renderGabor(r.best.gabor, pres, best, i * per); renderGabor(r.worst.gabor, pres, worst, i * per); });
      // the notebook's mean_gabor: the mean of the three grid Gabors with the largest responses, scaled to [0, 1]
      const means = new Float32Array(neurons.length * S * S);
      res.results.forEach((r, i) => means.set(meanGabor(S, S, r.top3.map((g) => notebookParams(S, S, gridPoint(grid, g)))), i * S * S));
      let poleResp: Map<number, PoleResponses> | null = null;
      let meiImgs: Float32Array[] | undefined, leiImgs: Float32Array[] | undefined;
      if (poles) {
        // the MEIs and LEIs re-evaluated by this model (the responses the Gabors are compared with)
        const shape = spec.inputShape;
        const imgs = neurons.flatMap((n) => poles.seeds.flatMap((s) => (['most', 'least'] as const).map((pole) => ({ n, s, pole, x: poleImage(poles, n, s, pole, shape) }))));
        const resp = new Float32Array(imgs.length);
        for (let k = 0; k < imgs.length; k += batch) {
          const chunk = imgs.slice(k, k + batch);
          const x = new Float32Array(chunk.length * per);
          chunk.forEach((c, j) => x.set(c.x, j * per));
          const y = noGrad(() => tidy(() => model.forward(Tensor.from(x, [chunk.length, C, S, S], { backend }))));
          const v = await y.dataF32();
          y.dispose();
          chunk.forEach((c, j) => { resp[k + j] = v[j * spec.neurons + c.n]; });
        }
        poleResp = new Map(neurons.map((n) => [n, { mei: [], lei: [], meiPeak: [] }]));
        imgs.forEach((c, k) => {
          const pr = poleResp!.get(c.n)!;
          if (c.pole === 'least') { pr.lei.push(resp[k]); return; }
          pr.mei.push(resp[k]);
          pr.meiPeak.push(c.x.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
        });
        // the figure shows each neuron's best MEI and lowest LEI
        const pickImg = (n: number, pole: 'most' | 'least') => {
          const mine = imgs.map((c, k) => ({ c, v: resp[k] })).filter((e) => e.c.n === n && e.c.pole === pole);
          return mine.reduce((a, b) => ((pole === 'most' ? b.v > a.v : b.v < a.v) ? b : a)).c.x;
        };
        meiImgs = neurons.map((n) => pickImg(n, 'most'));
        leiImgs = neurons.map((n) => pickImg(n, 'least'));
      }
      writeFileAtomic(join(out, 'gabors.csv'), gaborCsv(res.results, S, poleResp));
      writeNpy(join(out, 'best_gabors.npy'), { dtype: 'f32', shape: [neurons.length, C, S, S], data: best });
      writeNpy(join(out, 'worst_gabors.npy'), { dtype: 'f32', shape: [neurons.length, C, S, S], data: worst });
      writeNpy(join(out, 'mean_gabors.npy'), { dtype: 'f32', shape: [neurons.length, S, S], data: means });
      writeNpy(join(out, 'grid_responses.npy'), { dtype: 'f32', shape: [gridSize(grid), neurons.length], data: res.gridResponses });
      writeFileAtomic(join(out, 'grid.json'), JSON.stringify({
        axes: GRID_AXES, values: grid, order: 'row-major over axes (aspect fastest): index = ((((((dy * n_dx + dx) * n_orientation + orientation) * n_wavelength + wavelength) * n_phase + phase) * n_sigma + sigma) * n_aspect + aspect)',
        neurons, presentation: { channels: C, size: S, norm: p.norm, aperture: p.aperture, from: p.source },
        conventions: 'dy, dx: whole-pixel shift of the envelope centre from the image centre (down, right); orientation: degrees counter-clockwise, 0 = horizontal stripes; phase: carrier phase (sin) at the envelope centre, degrees; notebook_phase: create_gabor\'s phase argument (at padded row 0); sigma: envelope sigma across the stripes, aspect: along / across',
      }, null, 1) + '\n');
      const meta = gaborFigure(`Gabor controls, ${id} twin`, res.results, { best, worst, mei: meiImgs, lei: leiImgs }, C, S);
      saveFigure(meta, join(out, 'gabors'));
      const summary = poleResp ? summarise(res.results.map((r) => ({ mei: Math.max(...poleResp!.get(r.neuron)!.mei), best: r.best.response }))) : undefined;
      finishRecord(rec, join(out, 'run.json'), {
        model: id, members: model.memberIds, centered: p.centered, weightsSha256, presentation: { norm: p.norm, aperture: p.aperture, from: p.source },
        grid, gridSize: gridSize(grid), starts, iterations, maxValue, evaluations: res.evaluations, neurons: neurons.length, poles: poles?.dir, summary,
      });
      console.error(`${res.evaluations.toLocaleString('en-US')} Gabors evaluated; wrote ${out}/gabors.csv${summary ? `; MEI > best Gabor for ${summary.meiBeatsBest} of ${neurons.length} neurons, median MEI / best Gabor ${summary.medianRatio.toFixed(3)}` : ''}`);
    } finally {
      model.dispose();
    }
  } finally {
    lock.release();
  }
}

function summarise(v: { mei: number; best: number }[]) {
  return { meiBeatsBest: v.filter((x) => x.mei > x.best).length, medianRatio: median(v.map((x) => x.mei / x.best)) };
}

interface MetricsOpts { images?: string; poles?: string; screen?: string; neurons?: string; top: string; weightsDir?: string; model?: string; radius: string; center?: string; scale?: string; out: string }

async function runMetrics(o: MetricsOpts): Promise<void> {
  if ([o.images, o.poles, o.screen].filter((v) => v !== undefined).length !== 1) throw new InputError('give one image set: --images FILE.npy, --poles DIR or --screen DIR');
  const radius = parseFloatStrict('--radius', o.radius);
  if (!(radius > 0)) throw new InputError(`--radius must be > 0 pixels, got ${o.radius}`);
  let center: [number, number] | null = null;
  if (o.center !== undefined) {
    const c = list('--center', o.center);
    if (c.length !== 2 || !c.every(Number.isInteger)) throw new InputError(`--center takes two whole numbers 'x,y' (column, row), got '${o.center}'`);
    center = [c[0], c[1]];
  }
  let affine: [number, number] = [1, 0];
  if (o.scale !== undefined) {
    const a = list('--scale', o.scale);
    if (a.length !== 2) throw new InputError(`--scale takes 'a,b' (value -> a * value + b), got '${o.scale}'`);
    affine = [a[0], a[1]];
  }
  let set;
  if (o.images !== undefined) set = imagesFromNpy(o.images);
  else if (o.screen !== undefined) {
    if (!o.model || !o.neurons) throw new InputError('--screen needs --model (the screened twin) and --neurons');
    const id = parseTwin(o.model);
    set = imagesFromScreen(o.screen, id, parseNeurons(o.neurons, TWINS[id].neurons), parseIntStrict('--top', o.top, { min: 1, max: 1000 }), o.weightsDir);
  } else {
    if (!o.model) throw new InputError('--poles needs --model (the twin whose image shape the poles have)');
    const id = parseTwin(o.model);
    const p = readPolesFolder(o.poles!);
    const m = configValue(p, '--model');
    if (m !== undefined && m !== id) throw new InputError(`--poles ${o.poles} holds results of the ${String(m)} twin, not ${id}`);
    set = imagesFromPoles(p, TWINS[id].inputShape);
  }
  const { h, w, images, labels } = set;
  if (center && (center[0] < 0 || center[0] >= w || center[1] < 0 || center[1] >= h)) throw new InputError(`--center ${center.join(',')} lies outside the ${w}x${h} images`);
  const mo: MetricOptions = { radius, center, affine };
  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze metrics');
  try {
    const rec = startRecord('analyze metrics', { ...o }, 'host (float64)');
    const ms = images.map((im) => imageMetrics(im, h, w, mo));
    const header = ['index', 'neuron', 'seed', 'pole', 'luminance', 'contrast', 'symmetry_1', 'symmetry_2', 'peak_frequency', 'peak_orientation'];
    writeFileAtomic(join(out, 'metrics.csv'), formatCsv(header, ms.map((m, i) => [labels[i].index, labels[i].neuron, labels[i].seed, labels[i].pole, m.luminance, m.contrast, m.sym1, m.sym2, m.peakFrequency, m.peakOrientation])));
    const stackOf = (get: (m: (typeof ms)[number]) => Float64Array) => {
      const n = get(ms[0]).length, d = new Float32Array(ms.length * n);
      ms.forEach((m, i) => d.set(get(m), i * n));
      return { n, d };
    };
    const lp = stackOf((m) => m.logPower), ax = stackOf((m) => m.axial), rd = stackOf((m) => m.radial);
    writeNpy(join(out, 'log_power.npy'), { dtype: 'f32', shape: [ms.length, h, w], data: lp.d });
    writeNpy(join(out, 'axial.npy'), { dtype: 'f32', shape: [ms.length, ax.n], data: ax.d });
    writeNpy(join(out, 'radial.npy'), { dtype: 'f32', shape: [ms.length, rd.n], data: rd.d });
    finishRecord(rec, join(out, 'run.json'), { images: ms.length, size: [h, w], radius, center, affine, source: o.images ?? o.poles ?? o.screen });
    console.error(`metrics of ${ms.length} images written to ${out}/metrics.csv`);
  } finally {
    lock.release();
  }
}

export function registerAnalyze(program: Command): Command {
  const analyze = program.command('analyze').description('analyses of stimuli and twins: Gabor controls, image metrics, dual-feature labels, receptive fields, semantic axes, MEI masks, per-neuron sheets, trajectory animations');
  analyze.command('gabor')
    .description('Gabor controls: each neuron\'s best and worst Gabor at the MEIs\' norm and aperture (a coarse grid evaluated in batches, then a pattern search on position, orientation, wavelength, phase, size and aspect), MEI / best-Gabor and LEI / worst-Gabor ratios with --poles, the Allen notebook\'s most_exc_gabors and mean_gabor. Writes gabors.csv, best_gabors.npy, worst_gabors.npy, mean_gabors.npy, grid_responses.npy, grid.json, gabors.svg (+ .png), run.json')
    .addOption(modelOption())
    .option('--neurons <list>', 'neurons, e.g. 0-49 or 3,7,10-19 (default with --poles: the folder\'s)')
    .option('--poles <dir>', 'a poles folder (dualneuron poles): compare with its MEIs and LEIs, re-evaluated by this model; its recorded norm, aperture, members and centering are used')
    .option('--members <list>', 'ensemble members, e.g. 1,2,3,4 (default: all, or the poles folder\'s)')
    .option('--no-centered', 'use the learned readout positions instead of the centre (default: centred, or the poles folder\'s)')
    .option('--recipe <name>', `synthesis recipe whose norm and aperture the Gabors get without --poles: ${Object.keys(RECIPES).join(', ')} (default: the model's own)`)
    .option('--target-norm <x>', 'L2 norm of each Gabor as model input (default: the recipe\'s, 12 for v1, 40 for v4)')
    .option('--aperture', 'multiply each Gabor by the twin\'s aperture before the norm (default: as the recipe, v1-pixel)')
    .option('--no-aperture', 'no aperture (default of every recipe but v1-pixel)')
    .option('--shifts <list>', 'grid: envelope shifts from the centre in whole pixels, the same for rows and columns (default -r,0,r with r = round(S/16): -6,0,6 for v1)')
    .option('--orientations <n>', 'grid: n orientations evenly over 180 degrees (default 8)')
    .option('--wavelengths <list>', 'grid: carrier wavelengths in pixels, >= 2 (default 5 from max(3, 0.045 S) to 0.29 S)')
    .option('--phases <n>', 'grid: n phases evenly over 360 degrees (default 4)')
    .option('--sigmas <list>', 'grid: envelope sigmas in pixels (default 4 from 0.035 S to 0.22 S)')
    .option('--aspects <list>', 'grid: envelope aspect ratios, along / across the stripes (default 1,2)')
    .option('--starts <k>', 'grid Gabors refined per neuron and pole (1..16)', '2')
    .option('--iterations <n>', 'rounds of the pattern search (0: grid only); each round halves its steps when nothing improves', '30')
    .option('--max-value <x>', 'only Gabors whose largest |model input| is at most x may be chosen (e.g. the largest |value| of the MEIs, about 1 for v1-pixel MEIs at norm 12); default: no limit, equal norm only')
    .option('--batch <n>', 'Gabors per forward pass (the default grid is 11,520 Gabors: about 10 minutes on lavapipe at ~20 images/s, seconds on a GPU)', '64')
    .addOption(weightsDirOption())
    .requiredOption('--out <dir>', 'output folder')
    .action(runGabor);
  analyze.command('metrics')
    .description('image metrics of the Allen notebook for any image set: masked luminance and contrast, log power spectrum with axial (pi/16 bins) and radial averages, 1- and 2-fold symmetry indices, peak spatial frequency and orientation. Writes metrics.csv, log_power.npy, axial.npy, radial.npy, run.json')
    .option('--images <file.npy>', 'images (N, H, W), (N, 1 or 3, H, W) or one (H, W); three channels are made gray with 0.299, 0.587, 0.114')
    .option('--poles <dir>', 'a poles folder: every MEI and LEI (needs --model)')
    .option('--screen <dir>', 'a screening output: each neuron\'s --top most (mai_0 = highest) and least (lai_0 = lowest) activating images, preprocessed as the twin saw them (needs --model and --neurons)')
    .option('--neurons <list>', '--screen: neurons, e.g. 0-49')
    .option('--top <k>', '--screen: images per neuron and pole', '10')
    .addOption(new Option('--model <id>', 'the twin of --poles or --screen: v1, v4 or v4g'))
    .addOption(weightsDirOption())
    .option('--radius <px>', 'radius of the circular mask of luminance and contrast (the notebook\'s 12)', '12')
    .option('--center <x,y>', 'centre of the mask, column and row (default: (floor(W/2), floor(H/2)))')
    .option('--scale <a,b>', 'map values v -> a v + b first, e.g. 0.226,0.449 takes gray model inputs back to [0, 1] (default 1,0: as stored)')
    .requiredOption('--out <dir>', 'output folder')
    .action(runMetrics);
  registerAnalyzeDual(analyze);
  registerAnalyzeRf(analyze);
  registerAnalyzeAxis(analyze);
  registerAnalyzeMask(analyze);
  registerAnalyzeSheet(analyze);
  registerAnalyzeTrajectory(analyze);
  return analyze;
}
