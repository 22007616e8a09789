// `dualneuron screen --model DIR`: screening with a trained twin folder (twin.json). The same engine as the fixed
// twins (runScreen: checkpoints, shards, per-unit orders, statistics), fed with the twin's own preprocessing
// (grayscale, its training size, (x/255 - mean) / std from twin.json; times --mask when given; no norm), see
// twin-source.ts. Images are decoded on the main thread: a trained twin's inputs are small.
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init, noGrad, tidy, Tensor } from '../../tensor/index.js';
import { resizeBilinearPIL, toL, type RawImage } from '../../io/image/index.js';
import { openOutputFolder } from '../output-folder.js';
import { listImages } from '../input/sources.js';
import { readImageRef } from '../input/tar-images.js';
import { layerScreen, type Location } from '../screening/extract.js';
import { screenableOf } from '../units/unit.js';
import { runScreen, checkScreenOutput, type ShardSpec } from '../screening/screen.js';
import { startRecord, finishRecord } from '../run-record.js';
import { checkMembers, maskRecord, memberNumbersOf, openTwin, readTwinMask, trainedMemberSha256, twinFileName, type TwinRef } from '../twin-source.js';
import { parseIntStrict, parseName } from './parse.js';

export interface ScreenCli {
  model: string; images: string[]; layer?: string; channel?: string; location: string; member?: string; centered: boolean; preset?: string; dataset?: string;
  batch: string; shard?: string; workers?: string; strict?: boolean; weightsDir?: string; out: string; overwrite?: boolean; mask?: string;
}

/** Parsed values the fixed path computes the same way (screen.ts hands them over). */
export interface ScreenParsed { batch: number; shard: ShardSpec | undefined; loc: Location }

export async function screenTrained(o: ScreenCli, ref: Extract<TwinRef, { kind: 'trained' }>, p: ScreenParsed): Promise<void> {
  if (o.preset !== undefined) throw new InputError(`--preset is a preprocessing of the DualNeuron twins; the trained twin ${ref.dir} preprocesses images as it was trained (twin.json)`);
  if (!o.centered) throw new InputError(`--no-centered is an option of the DualNeuron twins; the trained twin ${ref.dir} reads each neuron where its readout learned to`);
  if (o.workers !== undefined) throw new InputError(`--workers: images for the trained twin ${ref.dir} are decoded on the main thread (its inputs are small); leave --workers out`);
  const member = o.member !== undefined ? parseIntStrict('--member', o.member, { min: 1 }) : undefined;
  const members = checkMembers(ref, member !== undefined ? [member] : undefined, '--member') ?? memberNumbersOf(ref);
  const dataset = parseName('--dataset', o.dataset ?? 'images');
  if (o.layer !== undefined) parseName('--layer', o.layer);
  const channel = o.channel !== undefined ? parseIntStrict('--channel', o.channel, { min: 0 }) : undefined;
  const mask = readTwinMask(ref, o.mask);
  const lock = openOutputFolder(o.out, 'screen');
  try {
    const images = listImages(o.images, { tar: true });
    const config = {
      '--model': ref.dir, '--members': members, '--layer': o.layer ?? null, ...(channel !== undefined ? { '--channel': channel } : {}), '--location': p.loc, '--dataset': dataset, '--batch': p.batch,
      '--mask': maskRecord(o.mask, mask), preprocessing: { ...ref.manifest.input.preprocessing }, 'weights sha256': trainedMemberSha256(ref, members),
    };
    checkScreenOutput(resolve(o.out), config, images, p.shard, o.overwrite);
    const backend = await init('webgpu');
    const rec = startRecord('screen', { ...o }, backend.describe());
    const twin = openTwin(ref, { members, backend, mask });
    try {
      const probe = Tensor.from(new Float32Array(twin.inputShape.reduce((a, b) => a * b, 1)), [1, ...twin.inputShape], { backend });
      const screen = noGrad(() => tidy(() => screenableOf(twin.model, o.layer, channel, p.loc, twin.inputShape, () => layerScreen(twin.model, o.layer ?? null, p.loc, probe))));
      probe.dispose();
      const decoder = {
        decode: async (path: string) => {
          try { return { data: twin.inputFromImage(readImageRef(path)) }; } catch (e) { return { error: (e as Error).message }; }
        },
      };
      const res = await runScreen({
        out: resolve(o.out), images, screen, decoder, backend, inputShape: twin.inputShape, batch: p.batch, shard: p.shard, strict: o.strict,
        prefix: `${twinFileName(ref)}_${screen.layerName}_${dataset}`, progress: true, config, overwrite: o.overwrite,
      });
      finishRecord(rec, join(resolve(o.out), 'run.json'), {
        model: ref.dir, members: twin.memberIds, weightsSha256: twin.weightsSha256, neuron_ids: twin.neuronIds, preprocessing: twin.preprocessing,
        mask: maskRecord(o.mask, mask), dataset, units: res.units, range: res.range, skipped: res.skipped.length, imagesTotal: images.length,
      });
      console.error(`screened ${res.images} images x ${res.units} units into ${o.out}${res.skipped.length ? ` (${res.skipped.length} unreadable, listed in skipped.txt)` : ''}`);
    } finally {
      twin.dispose();
    }
  } finally {
    lock.release();
  }
}

/** An image as a trained twin sees it, for figures: grayscale, resized to its input size (before the normalisation). */
export function trainedDisplayImage(ref: Extract<TwinRef, { kind: 'trained' }>, img: RawImage): { width: number; height: number; channels: 1; data: Uint8Array } {
  const [H, W] = ref.manifest.input.preprocessing.size;
  return { width: W, height: H, channels: 1, data: resizeBilinearPIL(toL(img), W, H).data as Uint8Array };
}
