// `dualneuron analyze axis`: a semantic axis in DreamSim space from any two image sets (upstream semantic_axis):
// a neuron's MEIs vs LEIs (--poles), MAIs vs LAIs (--screen), or two .npy / image-file sets (--a, --b); the
// projection of held-out screened images on it against the neuron's response, with Spearman's rho. The axis,
// projection and Spearman code is dream/axis.ts's (shared with `dualneuron axis`).
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeNpy } from '../../io/npy.js';
import { loadDreamsim } from '../../models/weights/dreamsim-weights.js';
import { TWINS } from '../../models/twins/registry.js';
import { listImages } from '../input/sources.js';
import { embedInputs, poleImages, project, readScreen, response, semanticAxis, spearman, type ScreenOutput } from '../dream/axis.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { saveFigure } from '../plot/save.js';
import { configValue, readPolesFolder } from '../analysis/poles-folder.js';
import { filesSet, npySet, polesSet, type AxisImage } from '../analysis/axis-sets.js';
import { axisFigure, projectionsCsv, type Projected } from '../analysis/axis-outputs.js';
import { addPipelineOptions, embedderOption, parseDreamsimType, pipelineOf, type PipeCli } from './dream.js';
import { parseTwin } from './predict.js';
import { parseIntStrict } from './parse.js';
import { screenPreset } from './screen.js';
import { DEFAULT_PRESET } from './preset.js';

interface AxisOpts extends PipeCli { model: string; neuron: string; poles?: string; a?: string[]; b?: string[]; screen?: string; k: string; evaluate?: string; type: string; out: string }

/** A set given as one .npy of model-space images, or image files / folders / .txt lists. */
function setOf(pipe: Parameters<typeof npySet>[0], args: string[], name: string): AxisImage[] {
  if (args.length === 1 && /\.npy$/i.test(args[0])) return npySet(pipe, args[0], name);
  const paths = listImages(args);
  if (!paths.length) throw new InputError(`--${name} ${args.join(' ')} holds no images: an axis needs at least one image per set`);
  return filesSet(pipe, paths, paths.map((_, i) => `${name}_${i}`));
}

async function runAxis(o: AxisOpts): Promise<void> {
  const id = parseTwin(o.model);
  const spec = TWINS[id];
  const neuron = parseIntStrict('--neuron', o.neuron, { min: 0, max: spec.neurons - 1 });
  const k = parseIntStrict('--k', o.k, { min: 1 });
  const batch = parseIntStrict('--batch', o.batch, { min: 1 });
  const type = parseDreamsimType(o.type);
  if ((o.a === undefined) !== (o.b === undefined)) throw new InputError('give both --a and --b (the two image sets), or neither');
  const sources = [o.poles !== undefined, o.a !== undefined].filter(Boolean).length;
  if (sources > 1) throw new InputError('give one axis source: --poles DIR (MEIs vs LEIs), --a/--b (two image sets), or only --screen DIR (MAIs vs LAIs)');
  if (!sources && o.screen === undefined) throw new InputError('no image sets: give --poles DIR, --a and --b, or --screen DIR');
  if (o.evaluate !== undefined && o.screen === undefined) throw new InputError('--evaluate needs --screen DIR (the held-out images and the neuron\'s responses to them)');
  const screen: ScreenOutput | null = o.screen !== undefined ? readScreen(o.screen) : null;
  if (screen?.model && screen.model !== id) throw new InputError(`--screen ${o.screen} screened the ${screen.model} twin, not ${id}: pass --model ${screen.model} or another screen`);
  if (screen && neuron >= screen.units) throw new InputError(`--neuron ${neuron} is out of range: the screen has units 0..${screen.units - 1}`);
  const recorded = screen ? screenPreset(screen.dir) : null;
  const { pipe, describe } = pipelineOf(o, { area: spec.area === 'V1' ? 'v1' : 'v4', preset: recorded ?? DEFAULT_PRESET, source: recorded ? "from the screen's run.json" : undefined });

  let A: AxisImage[], B: AxisImage[], names: { a: string; b: string }, used = new Set<number>();
  if (o.poles !== undefined) {
    const p = readPolesFolder(o.poles, { neurons: [neuron] });
    const m = configValue(p, '--model');
    if (m !== undefined && m !== id) throw new InputError(`--poles ${o.poles} holds results of the ${String(m)} twin, not ${id}: pass --model ${String(m)} or another poles folder`);
    A = polesSet(pipe, p, neuron, 'most', spec.inputShape); B = polesSet(pipe, p, neuron, 'least', spec.inputShape);
    names = { a: 'MEIs', b: 'LEIs' };
  } else if (o.a !== undefined) {
    A = setOf(pipe, o.a, 'a'); B = setOf(pipe, o.b!, 'b');
    names = { a: 'set a', b: 'set b' };
  } else {
    const { mais, lais } = poleImages(screen!, neuron, k);
    used = new Set([...mais, ...lais]);
    A = filesSet(pipe, mais.map((i) => screen!.images.get(i)!), mais.map((i) => `mai_${i}`));
    B = filesSet(pipe, lais.map((i) => screen!.images.get(i)!), lais.map((i) => `lai_${i}`));
    names = { a: 'MAIs', b: 'LAIs' };
  }
  let held: number[] = [];
  if (o.evaluate !== undefined && screen) {
    const rest = [...screen.images.keys()].filter((i) => !used.has(i) && Number.isFinite(response(screen, i, neuron))).sort((x, y) => x - y);
    const n = o.evaluate === 'all' ? rest.length : Math.min(rest.length, parseIntStrict('--evaluate', o.evaluate, { min: 2 }));
    if (n < 2) throw new InputError(`--screen ${o.screen} has ${rest.length} readable images outside the sets: Spearman needs at least 2`);
    held = n >= rest.length ? rest : Array.from({ length: n }, (_, i) => rest[Math.round((i * (rest.length - 1)) / Math.max(1, n - 1))]);
  }
  const heldSet = filesSet(pipe, held.map((i) => screen!.images.get(i)!), held.map((i) => `image_${i}`));

  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze axis');
  try {
    const backend = await init('webgpu');
    const rec = startRecord('analyze axis', { ...o }, backend.describe());
    const { model, sha256 } = loadDreamsim(type, { weightsDir: o.weightsDir, backend });
    try {
      const all = [...A, ...B, ...heldSet];
      const E = await embedInputs(model, all.length, (i) => all[i].load(), { batch, size: pipe.size, progress: all.length > batch });
      const D = model.dim, na = A.length, nb = B.length;
      const axis = semanticAxis(E.subarray(0, na * D), E.subarray(na * D, (na + nb) * D), D);
      const proj = project(E, axis);
      const rows: Projected[] = all.map((im, i) => ({
        set: i < na ? 'a' : i < na + nb ? 'b' : 'held_out', label: im.label, projection: proj[i],
        response: i >= na + nb ? response(screen!, held[i - na - nb], neuron) : null,
      }));
      const rho = held.length ? spearman(rows.slice(na + nb).map((r) => r.projection), rows.slice(na + nb).map((r) => r.response!)) : null;
      writeNpy(join(out, 'axis.npy'), { dtype: 'f32', shape: [D], data: axis });
      writeFileAtomic(join(out, 'projections.csv'), projectionsCsv(rows));
      saveFigure(axisFigure(`Semantic axis, ${id} neuron ${neuron}: ${names.b} -> ${names.a}`, rows, rho, names), join(out, 'axis'));
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      const summary = { a: names.a, b: names.b, sizeA: na, sizeB: nb, meanProjectionA: mean(rows.slice(0, na).map((r) => r.projection)), meanProjectionB: mean(rows.slice(na, na + nb).map((r) => r.projection)), heldOut: held.length, spearman: rho };
      writeFileAtomic(join(out, 'axis.json'), JSON.stringify({ model: id, neuron, type, dim: D, ...summary }, null, 1) + '\n');
      finishRecord(rec, join(out, 'run.json'), { model: id, neuron, type, dim: D, weightsSha256: sha256, preprocessing: { ...describe, arrays: 'model-space images shown as the poles figures (0.5 + 0.5 v / p99.5|v|), no centre crop' }, poles: o.poles, screen: screen?.dir, summary });
      console.error(`wrote ${out}/axis.npy (${D} dims; ${na} ${names.a} vs ${nb} ${names.b})${rho !== null ? `; ${held.length} held-out images, Spearman(projection, response) = ${rho.toFixed(3)}` : ''}`);
    } finally { model.dispose(); }
  } finally {
    lock.release();
  }
}

export function registerAnalyzeAxis(analyze: Command): void {
  addPipelineOptions(analyze.command('axis')
    .description('semantic axis in DreamSim space between two image sets (upstream semantic_axis: unit vector from the centroid of set b\'s embeddings to set a\'s): a neuron\'s MEIs vs LEIs (--poles), MAIs vs LAIs (--screen), or any two sets (--a, --b); with --screen and --evaluate, the Spearman correlation of held-out images\' projections with the neuron\'s responses. Writes axis.npy, projections.csv, axis.json, axis.svg (+ .png), run.json')
    .requiredOption('--model <id>', 'the twin whose neuron it is: v1, v4 or v4g (image shape of --poles; default aperture area)')
    .requiredOption('--neuron <n>', 'neuron index (the screen\'s unit)')
    .option('--poles <dir>', 'axis from the neuron\'s MEIs (a) vs LEIs (b), every seed of a poles folder')
    .option('--a <paths...>', 'set a: one .npy of model-space images (N, C, H, W) / (N, H, W), or image files, folders, .txt lists')
    .option('--b <paths...>', 'set b, as --a')
    .option('--screen <dir>', 'a screening output: without --poles / --a, the axis from the neuron\'s --k MAIs (a) vs LAIs (b); with --evaluate, the held-out images and responses')
    .option('--k <n>', '--screen: images per set', '10')
    .option('--evaluate <n>', "embed n held-out screened images (evenly spaced by index, not in the sets; 'all' for every one) and report Spearman(projection, response)")
    .addOption(embedderOption())
    .requiredOption('--out <dir>', 'output folder'))
    .action(runAxis);
}
