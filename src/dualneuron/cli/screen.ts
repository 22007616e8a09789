// `dualneuron screen | merge | render | stats | plot`: screening image sets for every unit's most and least
// activating images, the rendered-scene generator, and the screening figures.
import { Command } from 'commander';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import os from 'node:os';
import v8 from 'node:v8';
import { InputError } from '../../errors.js';
import { init, noGrad, tidy, Tensor } from '../../tensor/index.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import { writePNG, type RawImage } from '../../io/image/index.js';
import { openTwin, resolveTwin, type TwinRef } from '../twin-source.js';
import { screenTrained, trainedDisplayImage, type ScreenCli } from './screen-trained.js';
import { screenableOf } from '../units/unit.js';
import { isTorchvisionId, type TorchvisionId } from '../../models/torchvision/zoo.js';
import { screenClassifier } from './screen-classifier.js';
import { loadMask, memberSha256, weightsHome } from '../../models/weights/store.js';
import { openOutputFolder, yieldToSignals } from '../output-folder.js';
import { parseImagesTxt } from '../screening/images-list.js';
import { makePipeline, toUint8, type Preset } from '../input/pipeline.js';
import { announcePreset, parsePreset, presetOption, PRESETS } from './preset.js';
import { IMAGE_SIDE, MAX_IMAGES, checkImageBatch, maxBufferBytes, maxWorkers } from './limits.js';
import { listImages } from '../input/sources.js';
import { readImageRef } from '../input/tar-images.js';
import { DecodePool, defaultWorkers } from '../input/decode-pool.js';
import type { WebGPUBackend } from '../../tensor/backend/webgpu/webgpu-backend.js';
import { layerScreen, type Location } from '../screening/extract.js';
import { isPolesFolder, mergePolesShards } from '../synthesis/poles-shard.js';
import { isEvolveFolder, mergeEvolveShards } from '../evolve/shard.js';
import { runScreen, mergeShards, checkScreenOutput, type ShardSpec } from '../screening/screen.js';
import { sampleAdaptively, unitStats, type UnitStats } from '../screening/stats.js';
import { renderScene } from '../render/scenes.js';
import { cutPatch, loadPhotos, skimagePhotos, SKIMAGE_DATA } from '../render/patches.js';
import { HostRng } from '../render/rng.js';
import { Progress } from '../../util/progress.js';
import { populationFigure, neuronCurveFigure, imageRowsFigure } from '../plot/charts.js';
import { saveFigure } from '../plot/save.js';
import { startRecord, finishRecord } from '../run-record.js';
import { weightsDirOption } from './weights.js';
import { modelOption } from './predict.js';
import { TWINS } from '../../models/twins/registry.js';
import { parseIntStrict, parseName, parseSeed } from './parse.js';

export function parseShard(v: string | undefined): ShardSpec | undefined {
  if (v === undefined) return undefined;
  const m = /^([0-9]+)\/([0-9]+)$/.exec(v);
  const bad = () => new InputError(`--shard must be k/n with 0 <= k < n in decimal digits (e.g. 0/3), got '${v}'`);
  if (!m) throw bad();
  const k = parseIntStrict('--shard k', m[1]), n = parseIntStrict('--shard n', m[2], { min: 1 });
  if (k >= n) throw bad();
  return { k, n };
}

function parseLocation(v: string): Location {
  if (v === 'center' || v === 'mean') return v;
  const p = v.split(',');
  if (p.length === 1) return parseIntStrict('--location', p[0]);
  if (p.length === 2) return [parseIntStrict('--location h', p[0]), parseIntStrict('--location w', p[1])];
  throw new InputError(`--location must be center, mean, a token index or h,w; got '${v}'`);
}

/** The ordered file of unit u, after checking that the screen has that unit (not a bare "file not found"). */
export function unitFile(dir: string, kind: 'responses' | 'indices', u: number): string {
  const d = orderedDir(dir, kind);
  const units = readdirSync(d).filter((f) => /^[0-9]+\.npy$/.test(f)).length;
  if (u >= units) throw new InputError(`--neuron ${u} is out of range: ${dir} has units 0..${units - 1}`);
  const p = join(d, `${u}.npy`);
  if (!existsSync(p)) throw new InputError(`${p} is missing: ${dir} is not a complete screening output (rerun the screen, or merge its shards)`);
  return p;
}

/**
 * A screen's live memory does not grow with the number of images, but by default V8 lets its heap grow with the
 * allocation rate of a long run (decoded images, the WebGPU package's polling): screening a 10,000-image tar
 * peaked at 370 MiB against 277 MiB for 1,000 images, with the same 18-21 MB live after each full collection.
 * Asking V8 to favour size keeps the peak flat (240 vs 230 MiB) at the same speed (bench/screen-tar-rss.ts). The
 * flag is read by V8's heap-growing heuristics while running, so setting it here, before the work, takes effect.
 */
function collectGarbageEarly(): void {
  v8.setFlagsFromString('--optimize-for-size');
}

/** Images per forward pass of a screen: at 8192, one batch of V4 inputs (3x100x100 float32) is already 1 GB. */
const MAX_SCREEN_BATCH = 8192;

/** The preset a screening output recorded in its run.json (null when it has none). */
export function screenPreset(dir: string): Preset | null {
  const p = join(dir, 'run.json');
  if (!existsSync(p)) return null;
  try {
    const r = JSON.parse(readFileSync(p, 'utf8')) as { preset?: unknown; options?: { preset?: unknown } };
    const v = r.preset ?? r.options?.preset;
    return (PRESETS as readonly unknown[]).includes(v) ? (v as Preset) : null;
  } catch { return null; }
}

function readStats(dir: string): UnitStats[] {
  const p = join(dir, 'stats.csv');
  if (!existsSync(p)) throw new InputError(`${dir} has no stats.csv (is it a finished screening output?)`);
  const [head, ...rows] = readFileSync(p, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => {
    const v = r.split(',');
    const o: Record<string, number | boolean> = {};
    cols.forEach((c, i) => { o[c] = c === 'active' ? v[i] === 'True' : Number(v[i]); });
    return o as unknown as UnitStats;
  });
}

function orderedDir(dir: string, kind: 'responses' | 'indices'): string {
  const d = readdirSync(dir).find((f) => f.endsWith(`_ordered_${kind}`));
  if (!d) throw new InputError(`${dir} has no *_ordered_${kind} folder`);
  return join(dir, d);
}

/** How `plot poles` shows an image: as the twin saw it before normalisation (a fixed twin: its screening crop and preset). */
function displayImageOf(ref: TwinRef, dir: string, o: { preset?: string; weightsDir?: string }): (img: RawImage) => { width: number; height: number; channels: 1 | 3; data: Uint8Array } {
  if (ref.kind === 'trained') {
    if (o.preset !== undefined) throw new InputError(`--preset is a preprocessing of the DualNeuron twins; the trained twin ${ref.dir} preprocesses images as it was trained (twin.json)`);
    return (img) => trainedDisplayImage(ref, img);
  }
  const id = ref.id;
  const recorded = screenPreset(dir);
  const preset = announcePreset(o.preset !== undefined ? parsePreset(o.preset) : recorded ?? parsePreset(undefined), o.preset === undefined && recorded ? 'from the screen\'s run.json' : '');
  const pipe = makePipeline(TWINS[id], loadMask(id, weightsHome(o.weightsDir)), preset);
  const [C, H] = TWINS[id].inputShape;
  return (img) => ({ width: H, height: H, channels: C as 1 | 3, data: toUint8(pipe, img) });
}

export function registerScreen(program: Command): void {
  program
    .command('screen')
    .description("responses of every unit to every image; per-unit ascending orders (MAIs last, LAIs first), statistics")
    .addOption(modelOption())
    .requiredOption('--images <paths...>', 'image folders (recursive, sorted), image files, WebDataset .tar shards (read in place, not extracted), or .txt lists of paths (read in chunks); see README "Screening inputs"')
    .option('--layer <name>', 'screen this internal module (e.g. core.features.backbone.model.encoder.stages.0.layers.1) instead of the neurons')
    .option('--location <loc>', 'for --layer: center, mean, a token index, or h,w', 'center')
    .option('--channel <c>', "with --layer: screen one unit, channel c at --location, the module named within a member (as `dualneuron layers` prints it) and averaged over the ensemble's members (or --member K)")
    .option('--member <k>', 'one ensemble member instead of the ensemble')
    .option('--no-centered', 'use the learned readout positions')
    .addOption(presetOption())
    .option('--dataset <name>', "dataset name used in output folder names: letters, digits, '.', '_', '-' (default: the preset; a trained twin folder: images)")
    .option('--batch <b>', 'images per forward pass (results are identical for any split of the list, given the same batch)', '32')
    .option('--shard <k/n>', 'screen only shard k of n (contiguous, batch-aligned); combine with `dualneuron merge`')
    .option('--workers <n>', `decoding threads (default: cores - 1, at most 4; at most one per core and per 512 MiB of free memory, here ${maxWorkers()})`)
    .option('--strict', 'stop at the first unreadable image instead of skipping it')
    .addOption(weightsDirOption())
    .requiredOption('--out <dir>', 'output folder')
    .option('--overwrite', 'replace a checkpoint or outputs in --out made with other options (default: refuse, naming them)')
    .option('--mask <m.npy>', 'trained twin folders: an (H, W) aperture in [0, 1] multiplied into every input (default: none; the fixed twins use their own)')
    .action(async (o: ScreenCli) => {
      collectGarbageEarly();
      // null: a torchvision network (screen-classifier.ts)
      const ref = isTorchvisionId(o.model) ? null : resolveTwin(o.model);
      const batch = parseIntStrict('--batch', o.batch, { min: 1, max: MAX_SCREEN_BATCH });
      const shard = parseShard(o.shard);
      const loc = parseLocation(o.location);
      const channel = o.channel !== undefined ? parseIntStrict('--channel', o.channel, { min: 0 }) : undefined;
      if (channel !== undefined && o.layer === undefined) throw new InputError('--channel needs --layer (the module whose unit it is)');
      if (ref === null) return screenClassifier(o, o.model as TorchvisionId, { batch, shard, loc });
      if (ref.kind === 'trained') return screenTrained(o, ref, { batch, shard, loc });
      const { id, spec } = ref;
      if (o.mask !== undefined) throw new InputError(`--mask is for trained twin folders; the ${id} twin uses its own upstream aperture`);
      const member = o.member !== undefined ? parseIntStrict('--member', o.member, { min: 1 }) : undefined;
      const preset = parsePreset(o.preset);
      // both become part of the per-unit folder names
      const dataset = parseName('--dataset', o.dataset ?? preset);
      if (o.layer !== undefined) parseName('--layer', o.layer);
      const cap = maxWorkers();
      const workers = o.workers !== undefined ? parseIntStrict('--workers', o.workers, { min: 0 }) : undefined;
      if (workers !== undefined && workers > cap) throw new InputError(`--workers ${workers} is more than this machine can run: at most ${cap} (one per core, ${os.availableParallelism()}, and per 512 MiB of free memory, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB)`);
      // the options above are checked before --out is locked; the image list and weights after
      const lock = openOutputFolder(o.out, 'screen');
      const images = listImages(o.images, { tar: true });
      const home = weightsHome(o.weightsDir);
      const pipe = makePipeline(spec, loadMask(id, home), announcePreset(preset));
      const members = member ? [member] : spec.members.map((_, i) => i + 1);
      // every option that affects the outputs (--workers and --strict do not); checked before any GPU work
      const config = {
        '--model': id, '--members': members, '--centered': o.centered, '--layer': o.layer ?? null, ...(channel !== undefined ? { '--channel': channel } : {}), '--location': loc, '--preset': preset,
        '--dataset': dataset, '--batch': batch, 'weights sha256': Object.fromEntries(members.map((k) => [`member_${k}`, memberSha256(id, k, home)])),
      };
      checkScreenOutput(resolve(o.out), config, images, shard, o.overwrite);
      const backend = await init('webgpu');
      checkImageBatch(id, Math.min(batch, images.length), maxBufferBytes((backend as WebGPUBackend).limits));
      const rec = startRecord('screen', { ...o }, backend.describe());
      const { model, weightsSha256 } = openTwin(ref, { members: member ? [member] : undefined, centered: o.centered, backend, weightsDir: o.weightsDir });
      const probe = Tensor.from(new Float32Array(spec.inputShape.reduce((a, b) => a * b, 1)), [1, ...spec.inputShape], { backend });
      const screen = noGrad(() => tidy(() => screenableOf(model, o.layer, channel, loc, spec.inputShape, () => layerScreen(model, o.layer ?? null, loc, probe))));
      probe.dispose();
      const decoder = new DecodePool(pipe, workers ?? Math.min(defaultWorkers(), cap));
      try {
        const res = await runScreen({
          out: resolve(o.out), images, screen, decoder, backend, inputShape: spec.inputShape, batch, shard, strict: o.strict,
          prefix: `${id}_${screen.layerName}_${dataset}`, progress: true, config, overwrite: o.overwrite,
        });
        finishRecord(rec, join(resolve(o.out), 'run.json'), { model: id, members: model.memberIds, centered: o.centered, weightsSha256, preset, dataset, units: res.units, range: res.range, skipped: res.skipped.length, imagesTotal: images.length });
        console.error(`screened ${res.images} images x ${res.units} units into ${o.out}${res.skipped.length ? ` (${res.skipped.length} unreadable, listed in skipped.txt)` : ''}`);
      } finally {
        await decoder.close();
        model.dispose();
        lock.release();
      }
    });

  program
    .command('merge')
    .description('combine shard outputs of `dualneuron screen --shard k/n`, `poles --shard k/n` or `evolve --shard k/n` into the outputs of one run')
    .argument('<dirs...>', 'shard output folders (all of one run)')
    .requiredOption('--out <dir>', 'merged output folder')
    .action(async (dirs: string[], o: { out: string }) => {
      const lock = openOutputFolder(o.out, 'merge');
      if (isPolesFolder(resolve(dirs[0]))) {
        const p = mergePolesShards(dirs.map((d) => resolve(d)), resolve(o.out));
        lock.release();
        return console.error(`merged ${p.shards} poles shards: ${p.results} results in ${o.out}`);
      }
      if (isEvolveFolder(resolve(dirs[0]))) {
        const e = mergeEvolveShards(dirs.map((d) => resolve(d)), resolve(o.out));
        lock.release();
        return console.error(`merged ${e.shards} evolve shards: ${e.jobs} (neuron, seed) jobs, ${e.threads} threads in ${o.out}`);
      }
      const m = await mergeShards(dirs.map((d) => resolve(d)), resolve(o.out));
      lock.release();
      console.error(`merged ${dirs.length} shards: ${m.total} images x ${m.units} units in ${o.out}`);
    });

  program
    .command('render')
    .description('procedural natural-statistics scenes (1/f backgrounds, textured occluding shapes) as PNG, reproducible from the seed; resumable')
    .requiredOption('--count <n>', `number of images (at most ${MAX_IMAGES})`)
    .option('--size <px>', `image side, ${IMAGE_SIDE.min}..${IMAGE_SIDE.max}`, '236')
    .option('--seed <s>', 'seed, 0..2^64-1', '0')
    .option('--start <i>', 'first image index (to render in parts)', '0')
    .requiredOption('--out <dir>', 'output folder (scene_000000.png, ...)')
    .action(async (o: { count: string; size: string; seed: string; start: string; out: string }) => {
      const n = parseIntStrict('--count', o.count, { min: 1, max: MAX_IMAGES }), size = parseIntStrict('--size', o.size, IMAGE_SIDE);
      const start = parseIntStrict('--start', o.start, { max: MAX_IMAGES * 1000 });
      const seed = parseSeed('--seed', o.seed);
      const lock = openOutputFolder(o.out, 'render');
      const progress = new Progress({ total: n, unit: 'img', label: 'render' });
      for (let i = start; i < start + n; i++) {
        const p = join(o.out, `scene_${String(i).padStart(6, '0')}.png`);
        if (!existsSync(p)) writePNG(p, { width: size, height: size, channels: 3, data: renderScene(i, { size, seed }) });
        progress.tick();
        await yieldToSignals();
      }
      progress.finish();
      lock.release();
    });

  program
    .command('patches')
    .description("natural image patches cut from photographs (default: Debian python3-skimage's), random squares at random scales, resized; reproducible from the seed")
    .requiredOption('--count <n>', `number of patches (at most ${MAX_IMAGES})`)
    .option('--size <px>', `patch side, ${IMAGE_SIDE.min}..${IMAGE_SIDE.max}`, '236')
    .option('--seed <s>', 'seed, 0..2^64-1', '0')
    .option('--from <dir>', `folder of photographs (default: the natural photos in ${SKIMAGE_DATA})`)
    .requiredOption('--out <dir>', 'output folder (patch_000000.png, ...)')
    .action(async (o: { count: string; size: string; seed: string; from?: string; out: string }) => {
      const n = parseIntStrict('--count', o.count, { min: 1, max: MAX_IMAGES }), size = parseIntStrict('--size', o.size, IMAGE_SIDE), seed = parseSeed('--seed', o.seed);
      const photos = loadPhotos(o.from ? listImages([o.from]) : skimagePhotos());
      const lock = openOutputFolder(o.out, 'patches');
      const progress = new Progress({ total: n, unit: 'img', label: 'patches' });
      for (let i = 0; i < n; i++) {
        const p = join(o.out, `patch_${String(i).padStart(6, '0')}.png`);
        if (!existsSync(p)) writePNG(p, { width: size, height: size, channels: 3, data: cutPatch(photos, i, { seed, size }) });
        progress.tick();
        await yieldToSignals();
      }
      progress.finish();
      lock.release();
    });

  program
    .command('stats')
    .description('summary of a screening output: active units and the units with the highest gini')
    .argument('<dir>', 'screening output folder')
    .option('--top <k>', 'rows to show', '10')
    .action((dir: string, o: { top: string }) => {
      const s = readStats(dir);
      const active = s.filter((r) => r.active);
      console.log(`${s.length} units, ${active.length} active (max > 0.5, mean > 0.01, std > 0)`);
      console.log('unit     gini  skewness      mean       max       q05       q95');
      for (const r of s.slice(0, parseIntStrict('--top', o.top, { min: 1 }))) {
        console.log(`${String(r.unit).padStart(4)} ${r.gini.toFixed(4).padStart(8)} ${r.skewness.toFixed(3).padStart(9)} ${r.mean.toFixed(4).padStart(9)} ${r.max.toFixed(4).padStart(9)} ${r.q05.toFixed(4).padStart(9)} ${r.q95.toFixed(4).padStart(9)}`);
      }
    });

  const plot = program.command('plot').description('screening figures (SVG; PNG too when rsvg-convert is installed)');
  plot.command('population').argument('<dir>', 'screening output').option('--out <base>', 'output path without extension (default <dir>/population)')
    .description('histograms of gini, max, mean, cv, skewness, q95 over units')
    .action((dir: string, o: { out?: string }) => { console.log(saveFigure(populationFigure(readStats(dir)), o.out ?? join(dir, 'population')).join('\n')); });
  plot.command('neuron').argument('<dir>', 'screening output').requiredOption('--neuron <n>', 'unit').option('--samples <k>', 'overlay k adaptively sampled points', '0')
    .option('--out <base>', 'output path without extension (default <dir>/neuron_N)')
    .description("one unit's sorted response curve (with adaptively sampled points)")
    .action((dir: string, o: { neuron: string; samples: string; out?: string }) => {
      const u = parseIntStrict('--neuron', o.neuron);
      const sorted = toFloat32(readNpy(unitFile(dir, 'responses', u)));
      const k = parseIntStrict('--samples', o.samples);
      const rng = new HostRng(BigInt(k));
      const picks = k ? sampleAdaptively(sorted, k, () => rng.uniform()) : [];
      console.log(saveFigure(neuronCurveFigure(u, sorted, unitStats(u, sorted), picks), o.out ?? join(dir, `neuron_${u}`)).join('\n'));
    });
  plot.command('poles').argument('<dir>', 'screening output').requiredOption('--neuron <n>', 'unit').option('--k <k>', 'images per row', '10')
    .requiredOption('--model <id|dir>', 'the twin whose preprocessing shows the images as it saw them (v1, v4, v4g or a trained twin folder)')
    .addOption(presetOption('preprocessing preset of the screen (default: the one its run.json records, else rendered)'))
    .addOption(weightsDirOption())
    .option('--out <base>', 'output path without extension (default <dir>/poles_N)')
    .description('lowest, first positive and highest images of a unit with their responses')
    .action((dir: string, o: { neuron: string; k: string; model: string; preset?: string; weightsDir?: string; out?: string }) => {
      const u = parseIntStrict('--neuron', o.neuron), k = parseIntStrict('--k', o.k, { min: 1 });
      const ref = resolveTwin(o.model);
      const resp = toFloat32(readNpy(unitFile(dir, 'responses', u)));
      const idx = readNpy(unitFile(dir, 'indices', u)).data as BigInt64Array;
      const paths = parseImagesTxt(readFileSync(join(dir, 'images.txt'), 'utf8'));
      const imageOf = displayImageOf(ref, dir, o);
      const show = (ranks: number[]) => ranks.map((r) => ({ image: imageOf(readImageRef(paths.get(Number(idx[r]))!)), label: resp[r].toFixed(6) }));
      const n = resp.length;
      const firstPos = resp.findIndex((v) => v > 0);
      const rows = [
        { name: 'Lowest', images: show(Array.from({ length: Math.min(k, n) }, (_, i) => i)) },
        { name: 'First positive', images: firstPos < 0 ? [] : show(Array.from({ length: Math.min(k, n - firstPos) }, (_, i) => firstPos + i)) },
        { name: 'Highest', images: show(Array.from({ length: Math.min(k, n) }, (_, i) => n - Math.min(k, n) + i)) },
      ];
      console.log(saveFigure(imageRowsFigure(`Neuron ${u}: least and most activating images`, rows), o.out ?? join(dir, `poles_${u}`)).join('\n'));
    });
}
