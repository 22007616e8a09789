// `dualneuron screen --model vgg16|vgg16_bn|resnet50|vit_b_16`: screening with a torchvision ImageNet network. The
// same engine as the twins (runScreen: checkpoints, shards, per-unit orders, statistics), fed with torchvision's
// IMAGENET1K_V1 preprocessing (classifier-source.ts); the units are its logits, every channel of --layer at
// --location, or one unit (--layer NAME --channel C). Images are decoded on the main thread.
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init, noGrad, tidy, Tensor } from '../../tensor/index.js';
import { readImage } from '../../io/image/index.js';
import type { TorchvisionId } from '../../models/torchvision/zoo.js';
import { openClassifier } from '../classifier-source.js';
import { openOutputFolder } from '../output-folder.js';
import { listImages } from '../input/sources.js';
import { layerScreen } from '../screening/extract.js';
import { screenableOf } from '../units/unit.js';
import { runScreen, checkScreenOutput } from '../screening/screen.js';
import { startRecord, finishRecord } from '../run-record.js';
import { parseIntStrict, parseName } from './parse.js';
import type { ScreenCli, ScreenParsed } from './screen-trained.js';
import { imagesPerBuffer } from './synthesize-classifier.js';

export async function screenClassifier(o: ScreenCli, id: TorchvisionId, p: ScreenParsed): Promise<void> {
  const twinOnly: [unknown, string][] = [[o.preset, '--preset'], [o.member, '--member'], [o.centered === false ? true : undefined, '--no-centered'], [o.mask, '--mask'], [o.workers, '--workers']];
  for (const [v, flag] of twinOnly) if (v !== undefined) throw new InputError(`${flag} is an option of the twins; the torchvision network ${id} has one member, torchvision's own preprocessing and no aperture (images are decoded on the main thread)`);
  const dataset = parseName('--dataset', o.dataset ?? 'imagenet');
  if (o.layer !== undefined) parseName('--layer', o.layer);
  const channel = o.channel !== undefined ? parseIntStrict('--channel', o.channel, { min: 0 }) : undefined;
  const backend = await init('webgpu');
  const net = openClassifier(id, { weightsDir: o.weightsDir, backend });
  try {
    // the units are checked (layer names, channel, location) and the batch against the buffers before --out is touched
    const probe = Tensor.from(new Float32Array(net.inputShape.reduce((a, b) => a * b, 1)), [1, ...net.inputShape], { backend });
    const screen = noGrad(() => tidy(() => screenableOf(net.model, o.layer, channel, p.loc, net.inputShape, () => layerScreen(net.model, o.layer ?? null, p.loc, probe))));
    probe.dispose();
    const cap = imagesPerBuffer(net.model, net.inputShape, backend);
    if (p.batch > cap) throw new InputError(`--batch ${p.batch} is more than this adapter's buffers hold for ${id}: at most ${cap} images per batch`);
    const lock = openOutputFolder(o.out, 'screen');
    try {
      const images = listImages(o.images);
      const config = {
        '--model': id, '--layer': o.layer ?? null, ...(channel !== undefined ? { '--channel': channel } : {}), '--location': p.loc, '--dataset': dataset, '--batch': p.batch,
        preprocessing: JSON.parse(JSON.stringify(net.preprocessing)), 'weights sha256': net.weightsSha256,
      };
      checkScreenOutput(resolve(o.out), config, images, p.shard, o.overwrite);
      const rec = startRecord('screen', { ...o }, backend.describe());
      const decoder = {
        decode: async (path: string) => {
          try { return { data: net.inputFromImage(readImage(path)) }; } catch (e) { return { error: (e as Error).message }; }
        },
      };
      const res = await runScreen({
        out: resolve(o.out), images, screen, decoder, backend, inputShape: net.inputShape, batch: p.batch, shard: p.shard, strict: o.strict,
        prefix: `${id}_${screen.layerName}_${dataset}`, progress: true, config, overwrite: o.overwrite,
      });
      finishRecord(rec, join(resolve(o.out), 'run.json'), {
        model: id, variant: net.variant, weightsSha256: net.weightsSha256, preprocessing: net.preprocessing, dataset, units: res.units, range: res.range,
        skipped: res.skipped.length, imagesTotal: images.length,
      });
      console.error(`screened ${res.images} images x ${res.units} units into ${o.out}${res.skipped.length ? ` (${res.skipped.length} unreadable, listed in skipped.txt)` : ''}`);
    } finally {
      lock.release();
    }
  } finally {
    net.dispose();
  }
}
