// `synthesize` / `poles` on a torchvision ImageNet network (--model vgg16|vgg16_bn|resnet50|vit_b_16): the engine
// with pixel parameters in the network's normalised input space (--recipe imagenet), on its logits or on units of
// any of its modules (objective-options.ts). The twins' aperture, priors, members and readout centring have no
// meaning here and are refused; the image norm defaults to sqrt(C*H*W) at the network's input size.
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init, type Backend } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import type { TorchvisionId } from '../../models/torchvision/zoo.js';
import { openClassifier } from '../classifier-source.js';
import { layerTable } from '../units/layers.js';
import { openTarget } from '../units/target.js';
import { PixelParameterization } from '../synthesis/parameterization.js';
import { recipeOptions } from '../synthesis/recipes.js';
import { synthesisConfig } from '../synthesis/config.js';
import { runPoles, planJobs, type Job } from '../synthesis/poles.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { maxBufferBytes, MAX_RESULTS } from './limits.js';
import { parseIntStrict } from './parse.js';
import { objectiveConfig, type ParsedObjective } from './objective-options.js';
import { parsePlateau, resolveRecipe, seedsPerGroup, type SynthCli } from './synthesize.js';
import type { WebGPUBackend } from '../../tensor/backend/webgpu/webgpu-backend.js';

/**
 * How many images of `shape` one forward pass of `model` may take on this adapter: its largest module output (one
 * zero image through forward hooks, units/layers.ts) must fit in one buffer.
 */
export function imagesPerBuffer(model: Module, shape: [number, number, number], backend: Backend): number {
  const largest = Math.max(...layerTable(model, shape).map((row) => (row.shape ?? [0]).reduce((a, b) => a * b, 1)));
  return Math.max(1, Math.floor(maxBufferBytes((backend as WebGPUBackend).limits) / (4 * largest)));
}

/** Options of the twins that mean nothing for a torchvision network, refused by name. */
function refuseTwinOptions(o: SynthCli, obj: ParsedObjective, id: TorchvisionId): void {
  const twinOnly: [unknown, string][] = [
    [o.members, '--members'], [obj.members, '--member'], [o.centered === false ? true : undefined, '--no-centered'], [o.prior, '--prior'],
    [o.initImage, '--init-image'], [o.preset, '--preset'], [o.aperture === true ? true : undefined, '--aperture'], [o.mask, '--mask'], [o.axis, '--axis'],
  ];
  for (const [v, flag] of twinOnly) if (v !== undefined) throw new InputError(`${flag} is an option of the twins; the torchvision network ${id} has one member, no aperture, prior or readout to centre`);
  if (o.recipe === 'allen') throw new InputError(`--recipe allen is for trained twin folders; the torchvision network ${id} uses --recipe imagenet (the default)`);
}

export async function runClassifierJobs(o: SynthCli, id: TorchvisionId, obj: ParsedObjective, jobs: Job[], command: string, extra: Record<string, unknown>): Promise<void> {
  refuseTwinOptions(o, obj, id);
  const r = resolveRecipe(o, null);
  const plateau = parsePlateau(o);
  if (r.param !== 'pixel') throw new InputError(`--param ${r.param}: the natural priors are made for the twins' input sizes; a torchvision network is optimised on pixels (--param pixel)`);
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: MAX_RESULTS });
  const out = resolve(o.out);
  const backend = await init('webgpu');
  const net = openClassifier(id, { weightsDir: o.weightsDir, backend });
  try {
    const size = o.size === undefined ? net.inputShape[1] : parseIntStrict('--size', o.size, { min: 16, max: 1024 });
    if (size !== net.inputShape[1] && id === 'vit_b_16') throw new InputError(`--size ${size}: the ViT takes ${net.inputShape[1]}x${net.inputShape[2]} images only (its position embeddings are fixed)`);
    const [C, H, W]: [number, number, number] = [net.inputShape[0], size, size];
    if (o.targetNorm === undefined) r.targetNorm = Math.sqrt(C * H * W);
    // the model is needed to check units and ranges: all of it before --out is touched
    const target = await openTarget(net.model, obj, [C, H, W], [...new Set(jobs.map((j) => j.neuron))], seedsPerGroup(jobs));
    const cap = Math.max(1, Math.floor(imagesPerBuffer(net.model, [C, H, W], backend) / r.nbCrops));
    const runs = Math.min(batch, cap);
    if (runs < batch) console.error(`--batch ${batch} is more than this adapter's buffers hold for ${id} (${r.nbCrops} crops of ${H}x${W}); running in batches of ${runs}`);
    const config = synthesisConfig({
      model: id, members: [1], centered: false, weightsSha256: { [id]: net.weightsSha256 }, recipeName: o.recipe ?? 'imagenet', recipe: r,
      prior: null, initImage: null, saveAllSteps: o.saveAllSteps ?? false, guidance: null,
    });
    config.objective = objectiveConfig(obj);
    config['--size'] = H;
    config['--plateau'] = plateau ? { ...plateau } : null;
    const lock = openOutputFolder(out, command);
    try {
      planJobs(out, jobs, config, o.overwrite);
      const rec = startRecord(command, { ...o }, backend.describe());
      const param = new PixelParameterization({ channels: C, size: H, initStd: r.initStd, valuesRange: r.valuesRange, blurGradient: r.blurGradient });
      const synth = { ...recipeOptions(r, { saveAllSteps: o.saveAllSteps }), coupling: target.coupling, plateau };
      const n = await runPoles({
        out, config, overwrite: o.overwrite, model: target.readout, outputs: target.readout.outputs, param, synth, jobs, batch: runs,
        animation: o.saveAllSteps, progress: true, objectiveOf: target.objectiveOf, grouped: Boolean(target.coupling),
      });
      finishRecord(rec, join(out, 'run.json'), {
        model: id, variant: net.variant, imageSize: [H, W], weightsSha256: net.weightsSha256, preprocessing: net.preprocessing, recipe: { name: o.recipe ?? 'imagenet', ...r },
        objective: target.description, jobs: jobs.length, computed: n, batch: runs,
        seedsNote: 'each result (neuron, seed, pole) draws its own streams from deriveSeed(seed, pole), independent of the batch (but with --diversity, of the seeds beside it)', ...extra,
      });
      console.error(`${n} results computed (${jobs.length - n} were already done) in ${out}`);
    } finally {
      lock.release();
    }
  } finally {
    net.dispose();
  }
}
