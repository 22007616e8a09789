// `dualneuron embed` (DreamSim embeddings of image files) and `dualneuron axis` (a neuron's semantic axis from a
// screening output: its k most minus its k least activating images, optionally evaluated on held-out images).
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import type { HostArray } from '../../io/host-array.js';
import { DREAMSIM_TYPE_NAMES, isDreamsimType, type DreamsimType } from '../../models/dreamsim.js';
import { loadDreamsim } from '../../models/weights/dreamsim-weights.js';
import { weightsHome } from '../../models/weights/store.js';
import { listImages } from '../input/sources.js';
import type { Preset } from '../input/pipeline.js';
import { makeEmbedPipeline, type EmbedPipeline } from '../dream/preprocess.js';
import { embedFiles, poleImages, project, readScreen, response, semanticAxis, spearman } from '../dream/axis.js';
import { startRecord, finishRecord } from '../run-record.js';
import { openOutputFile } from '../output-folder.js';
import { weightsDirOption } from './weights.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';
import { announcePreset, parsePreset, presetOption, DEFAULT_PRESET } from './preset.js';
import { screenPreset } from './screen.js';

export const embedderOption = (flag = '--type <t>') =>
  new Option(flag, `DreamSim type: ${DREAMSIM_TYPE_NAMES.join(', ')}`).choices(DREAMSIM_TYPE_NAMES).default('ensemble');

export function parseDreamsimType(s: string): DreamsimType {
  if (!isDreamsimType(s)) throw new InputError(`unknown DreamSim type '${s}'; choose from ${DREAMSIM_TYPE_NAMES.join(', ')}`);
  return s;
}

export interface PipeCli { area?: 'v1' | 'v4'; mask: boolean; norm: string | false; gray?: boolean; crop: string; preset?: string; bgValue: string; batch: string; weightsDir?: string }

export function addPipelineOptions(c: Command): Command {
  return c
    .addOption(new Option('--area <a>', "whose aperture masks the images: v1 (V1GrayTaskDriven) or v4 (V4ColorTaskDriven); upstream's default is v4").choices(['v1', 'v4']))
    .option('--no-mask', 'do not apply the aperture')
    .option('--norm <x>', 'L2 norm of each preprocessed image (upstream: 80)', '80')
    .option('--no-norm', 'keep the norm of the image')
    .option('--gray', 'grayscale (PIL L), repeated to 3 channels')
    .option('--crop <n>', 'centre crop before resizing to 224', '236')
    .addOption(presetOption())
    .option('--bg-value <x>', 'value outside the aperture', '0')
    .option('--batch <n>', 'images per forward pass (no limit on the number of images)', '8')
    .addOption(weightsDirOption());
}

/** The aperture of an area from the weights cache (only the mask file is needed, not the twin's checkpoints). */
function areaMask(area: 'v1' | 'v4', home: string): HostArray {
  const folder = area === 'v1' ? 'V1GrayTaskDriven' : 'V4ColorTaskDriven';
  const p = join(home, folder, 'mask.npy');
  if (!existsSync(p)) throw new InputError(`the ${area.toUpperCase()} aperture (${folder}/mask.npy) is not in ${home}.\nRun:  dualneuron weights pull ${area}   (or dualneuron weights import <folder> --only ${area}; or pass --no-mask)`);
  return readNpy(p);
}

export function pipelineOf(o: PipeCli, defaults: { area: 'v1' | 'v4'; preset: Preset; source?: string }): { pipe: EmbedPipeline; describe: Record<string, unknown> } {
  const area = o.area ?? defaults.area;
  const preset = announcePreset(o.preset !== undefined ? parsePreset(o.preset) : defaults.preset, o.preset === undefined && defaults.source ? defaults.source : '');
  const norm = o.norm === false ? null : parseFloatStrict('--norm', o.norm);
  if (norm !== null && !(norm > 0)) throw new InputError(`--norm must be > 0, got '${o.norm}'`);
  const crop = parseIntStrict('--crop', o.crop, { min: 1, max: 4096 });
  const bg = parseFloatStrict('--bg-value', o.bgValue);
  const mask = o.mask ? areaMask(area, weightsHome(o.weightsDir)) : null;
  return { pipe: makeEmbedPipeline({ mask, preset, crop, gray: o.gray ?? false, norm, bgValue: bg }), describe: { area: o.mask ? area : null, preset, crop, size: 224, gray: o.gray ?? false, norm, bgValue: bg, clip: [0, 1] } };
}

export function registerDream(program: Command): void {
  addPipelineOptions(program.command('embed')
    .description('DreamSim embeddings of images: float32 (N, D), preprocessed as upstream dream/sim.py (crop 236, resize 224, [gray], aperture, norm 80, clip to [0, 1])')
    .requiredOption('--images <paths...>', 'image files, folders (recursive, sorted) or .txt lists')
    .addOption(embedderOption())
    .requiredOption('--out <E.npy>', 'output: float32 (N, D); rows of unreadable images are NaN'))
    .action(async (o: PipeCli & { images: string[]; type: string; out: string }) => {
      openOutputFile(o.out, 'embed'); // writable, and no other command writing it; released at exit
      const type = parseDreamsimType(o.type);
      const paths = listImages(o.images);
      const batch = parseIntStrict('--batch', o.batch, { min: 1 });
      const { pipe, describe } = pipelineOf(o, { area: 'v4', preset: DEFAULT_PRESET });
      const backend = await init('webgpu');
      const rec = startRecord('embed', { ...o }, backend.describe());
      const { model, sha256 } = loadDreamsim(type, { weightsDir: o.weightsDir, backend });
      const bad: { index: number; path: string; reason: string }[] = [];
      try {
        const E = await embedFiles(model, paths, pipe, { batch, progress: paths.length > batch, onError: (i, e) => bad.push({ index: i, path: paths[i], reason: e.message }) });
        writeNpy(o.out, { dtype: 'f32', shape: [paths.length, model.dim], data: E });
        finishRecord(rec, o.out.replace(/\.npy$/i, '') + '.run.json', { type, dim: model.dim, weightsSha256: sha256, preprocessing: describe, images: paths, unreadable: bad });
        console.error(`wrote ${o.out} (${paths.length} x ${model.dim})${bad.length ? `; ${bad.length} unreadable images have NaN rows (listed in the .run.json)` : ''}`);
      } finally { model.dispose(); }
    });

  addPipelineOptions(program.command('axis')
    .description("a neuron's semantic axis in DreamSim space: unit vector from the centroid of its k least to its k most activating images in a screening output")
    .requiredOption('--screen <dir>', 'screening output folder (dualneuron screen)')
    .requiredOption('--neuron <n>', 'unit index in the screen')
    .option('--k <n>', 'images per pole', '10')
    .addOption(embedderOption())
    .option('--evaluate <n>', "also embed n held-out images (evenly spaced in the neuron's order, excluding the poles; 'all' for every one) and report the Spearman correlation of projection and response")
    .requiredOption('--out <axis.npy>', 'output: float32 (D)'))
    .action(async (o: PipeCli & { screen: string; neuron: string; k: string; type: string; evaluate?: string; out: string }) => {
      openOutputFile(o.out, 'axis');
      const type = parseDreamsimType(o.type);
      const s = readScreen(o.screen);
      const neuron = parseIntStrict('--neuron', o.neuron);
      const k = parseIntStrict('--k', o.k, { min: 1 });
      const batch = parseIntStrict('--batch', o.batch, { min: 1 });
      const { mais, lais, rest } = poleImages(s, neuron, k);
      let held: number[] = [];
      if (o.evaluate !== undefined) {
        const n = o.evaluate === 'all' ? rest.length : Math.min(rest.length, parseIntStrict('--evaluate', o.evaluate, { min: 2 }));
        held = n >= rest.length ? rest : Array.from({ length: n }, (_, i) => rest[Math.round((i * (rest.length - 1)) / Math.max(1, n - 1))]);
      }
      // the images as the screen saw them: the preset its run.json records
      const recorded = screenPreset(s.dir);
      const { pipe, describe } = pipelineOf(o, { area: s.model === 'v1' ? 'v1' : 'v4', preset: recorded ?? DEFAULT_PRESET, source: recorded ? "from the screen's run.json" : undefined });
      const backend = await init('webgpu');
      const rec = startRecord('axis', { ...o }, backend.describe());
      const { model, sha256 } = loadDreamsim(type, { weightsDir: o.weightsDir, backend });
      try {
        const path = (i: number) => s.images.get(i)!;
        const all = [...mais, ...lais, ...held];
        const E = await embedFiles(model, all.map(path), pipe, { batch, progress: all.length > batch });
        const D = model.dim;
        const axis = semanticAxis(E.subarray(0, k * D), E.subarray(k * D, 2 * k * D), D);
        writeNpy(o.out, { dtype: 'f32', shape: [D], data: axis });
        const proj = project(E, axis);
        const pole = (ids: number[], off: number) => ids.map((i, j) => ({ index: i, path: path(i), response: response(s, i, neuron), projection: proj[off + j] }));
        let evaluation: Record<string, unknown> | undefined;
        if (held.length) {
          const p = held.map((_, j) => proj[2 * k + j]), r = held.map((i) => response(s, i, neuron));
          evaluation = { heldOut: held.length, spearman: spearman(p, r) };
          console.error(`held-out images: ${held.length}, Spearman(projection, response) = ${(evaluation.spearman as number).toFixed(3)}`);
        }
        finishRecord(rec, o.out.replace(/\.npy$/i, '') + '.json', {
          type, dim: D, weightsSha256: sha256, screen: resolve(o.screen), neuron, k, preprocessing: describe, mais: pole(mais, 0), lais: pole(lais, k), evaluation,
        });
        console.error(`wrote ${o.out} (${D} dims; ${k} MAIs vs ${k} LAIs of unit ${neuron})`);
      } finally { model.dispose(); }
    });
}
