// `dualneuron predict`: twin responses (and input gradients) for a model-space .npy batch or image files.
import { Command, Option } from 'commander';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { readImage } from '../../io/image/index.js';
import { TWINS, isTwinId, type TwinId } from '../../models/twins/registry.js';
import { loadMask, weightsHome } from '../../models/weights/store.js';
import { imageToInput, makePipeline } from '../input/pipeline.js';
import { announcePreset, parsePreset, presetOption } from './preset.js';
import { listImages } from '../input/sources.js';
import { predict } from '../predict.js';
import { startRecord, finishRecord } from '../run-record.js';
import { openOutputFile } from '../output-folder.js';
import { weightsDirOption } from './weights.js';
import { parseIntStrict } from './parse.js';
import { checkImageBatch, maxBufferBytes } from './limits.js';
import { inputShapeOf, neuronCountOf, openTwin, readTwinMask, resolveTwin, type TwinRef } from '../twin-source.js';
import type { WebGPUBackend } from '../../tensor/backend/webgpu/webgpu-backend.js';
import { isTorchvisionId } from '../../models/torchvision/zoo.js';
import { predictClassifier } from './predict-classifier.js';
import { openUnit } from '../units/unit.js';
import { parseUnitOptions, unitAsPredictable, unitOptions } from '../units/unit-options.js';

export const modelOption = () => new Option('--model <id|dir>', 'twin: v1 (V1GrayTaskDriven), v4 (V4ColorTaskDriven), v4g (V4GrayTaskDriven), or a trained twin folder (twin.json, from dualneuron train; see README "A trained twin in every command")').makeOptionMandatory();

export function parseTwin(s: string): TwinId {
  if (!isTwinId(s)) throw new InputError(`unknown model '${s}'; choose v1, v4 or v4g (dualneuron models lists them)`);
  return s;
}


const runJsonPath = (out: string) => out.replace(/\.npy$/i, '') + '.run.json';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('responses of a twin (B, neurons) to a model-space batch or to image files, optionally with input gradients')
    .addOption(new Option('--model <id>', 'twin: v1 (V1GrayTaskDriven), v4 (V4ColorTaskDriven), v4g (V4GrayTaskDriven), or a trained twin folder (twin.json, from dualneuron train); or a torchvision ImageNet network: vgg16, vgg16_bn, resnet50, vit_b_16 (logits (B, 1000) and <out>.top5.json; dualneuron weights pull NAME)').makeOptionMandatory())
    .option('--member <k>', 'use one ensemble member (1-based, as the upstream file names) instead of the ensemble')
    .option('--ensemble', 'average all members (default)')
    .option('--centered', 'read every neuron at the feature-map centre, as upstream screening and synthesis (default)')
    .option('--no-centered', 'use the learned receptive-field positions of the readout')
    .option('--input <x.npy>', 'float32 array (B, C, H, W) already in model space (C, H, W: 1x93x93 v1, 3x100x100 v4, 1x100x100 v4g)')
    .option('--images <paths...>', 'image files, folders (recursive, sorted) or .txt lists; preprocessed as upstream screening')
    .addOption(presetOption('--images preprocessing'))
    .requiredOption('--out <y.npy>', 'output: float32 (B, neurons)')
    .option('--grad-neuron <n>', "also compute d(sum of neuron n's outputs)/d(input)")
    .option('--grad-out <g.npy>', 'where to write the gradient: float32 (B, C, H, W)')
    .option('--batch <b>', 'images per forward pass', '16')
    .option('--mask <m.npy>', 'trained twin folders: an (H, W) aperture in [0, 1] multiplied into every --images input (default: none; the fixed twins use their own)')
    .addOption(weightsDirOption())
    .addOption(unitOptions()[0]).addOption(unitOptions()[1]).addOption(unitOptions()[2])
    .addHelpText('after', '\nWith --layer NAME --channel C the output is that unit, (B, 1), and --grad-out alone gives its input gradient.')
    .action(async (o: PredictOpts & { weightsDir?: string }) => {
      openOutputFile(o.out, 'predict'); // writable, and no other command writing it; released at exit
      if (isTorchvisionId(o.model)) return predictClassifier(o.model, o);
      const unitSpec = parseUnitOptions(o);
      if (unitSpec && o.gradNeuron !== undefined) throw new InputError('with --layer/--channel the output is one unit: give --grad-out alone for its input gradient');
      if (o.mask !== undefined && isTwinId(o.model)) throw new InputError(`--mask is for trained twin folders; the ${o.model} twin uses its own upstream aperture`);
      const ref = resolveTwin(o.model);
      if (ref.kind === 'trained') return predictTrained(o, ref);
      const { id, spec } = ref;
      if (!!o.input === !!o.images) throw new InputError('give exactly one of --input x.npy or --images ...');
      if (!unitSpec && (o.gradNeuron === undefined) !== (o.gradOut === undefined)) throw new InputError('--grad-neuron and --grad-out go together');
      const gradNeuron = unitSpec ? (o.gradOut !== undefined ? 0 : undefined) : o.gradNeuron !== undefined ? parseIntStrict('--grad-neuron', o.gradNeuron) : undefined;
      if (!unitSpec && gradNeuron !== undefined && gradNeuron >= spec.neurons) throw new InputError(`--grad-neuron ${gradNeuron} is out of range: the ${id} twin has neurons 0..${spec.neurons - 1}`);
      const member = o.member !== undefined ? parseIntStrict('--member', o.member, { min: 1 }) : undefined;
      if (member !== undefined && member > spec.members.length) throw new InputError(`--member ${member}: the ${id} twin has members 1..${spec.members.length}`);
      const batch = parseIntStrict('--batch', o.batch, { min: 1 });
      const [C, H, W] = spec.inputShape;

      // inputs first, so bad input fails before any GPU work
      let x: Float32Array, B: number, paths: string[] | null = null;
      if (o.input) {
        const a = readNpy(o.input);
        if (a.dtype !== 'f32') throw new InputError(`${o.input}: dtype ${a.dtype}, expected float32 (save with x.astype(np.float32))`);
        if (a.shape.length !== 4 || a.shape[1] !== C || a.shape[2] !== H || a.shape[3] !== W) {
          throw new InputError(`${o.input}: shape (${a.shape.join(', ')}), expected (B, ${C}, ${H}, ${W}) for the ${id} twin`);
        }
        x = a.data as Float32Array; B = a.shape[0]; // dtype checked just above
      } else {
        paths = listImages(o.images!);
        const preset = announcePreset(parsePreset(o.preset));
        B = paths.length;
        x = new Float32Array(B * C * H * W);
        // each image is decoded before the pipeline (which needs the twin's mask from the weights) is made, so
        // an unreadable image is reported as such even when the weights are missing
        let pipe: ReturnType<typeof makePipeline> | null = null;
        for (const [i, p] of paths.entries()) {
          const img = readImage(p);
          pipe ??= makePipeline(spec, loadMask(id, weightsHome(o.weightsDir)), preset);
          x.set(imageToInput(pipe, img), i * C * H * W);
        }
      }

      const backend = await init('webgpu');
      checkImageBatch(id, Math.min(batch, B), maxBufferBytes((backend as WebGPUBackend).limits));
      const rec = startRecord('predict', { ...o }, backend.describe());
      const { model, weightsSha256 } = openTwin(ref, { members: member ? [member] : undefined, centered: o.centered, weightsDir: o.weightsDir, backend });
      const unit = unitSpec ? openUnit(model, unitSpec, spec.inputShape) : null;
      const runner = unit ? unitAsPredictable(id, unit, [C, H, W], backend) : model;
      const N = runner.spec.neurons;
      const r = await predict(runner, x, B, { batch, gradNeuron, progress: B > batch });
      writeNpy(o.out, { dtype: 'f32', shape: [B, N], data: r.responses });
      if (r.grad && o.gradOut) writeNpy(o.gradOut, { dtype: 'f32', shape: [B, C, H, W], data: r.grad });
      finishRecord(rec, runJsonPath(o.out), { model: id, members: model.memberIds, centered: o.centered, weightsSha256, images: paths, preset: paths ? parsePreset(o.preset) : undefined, unit: unit ? { ...unit.spec, layerShape: unit.layerShape, membersAveraged: unit.members } : null, outputs: [o.out, o.gradOut].filter(Boolean) });
      model.dispose();
      console.error(`wrote ${o.out} (${B} x ${N})${o.gradOut ? ` and ${o.gradOut}` : ''}`);
    });

  program
    .command('models')
    .description('list the twins: neurons, input shape, members, and whether their weights are installed')
    .addOption(weightsDirOption())
    .action(async (o: { weightsDir?: string }) => {
      const { isInstalled } = await import('../../models/weights/store.js');
      const home = weightsHome(o.weightsDir);
      console.log(`${'id'.padEnd(4)} ${'name'.padEnd(18)} ${'neurons'.padStart(7)}  ${'input'.padEnd(10)} members  core                      weights`);
      for (const s of Object.values(TWINS)) {
        console.log(`${s.id.padEnd(4)} ${s.name.padEnd(18)} ${String(s.neurons).padStart(7)}  ${s.inputShape.join('x').padEnd(10)} ${String(s.members.length).padStart(7)}  ${s.core.padEnd(25)} ${isInstalled(s.id, home) ? 'installed' : `missing (dualneuron weights pull ${s.id})`}`);
      }
    });
}

interface PredictOpts { model: string; member?: string; centered: boolean; input?: string; images?: string[]; preset?: string; out: string; gradNeuron?: string; gradOut?: string; batch: string; mask?: string; layer?: string; channel?: string; location?: string }

/** predict with a trained twin folder: its own input shape, members and image pipeline (twin.json) */
async function predictTrained(o: PredictOpts, ref: Extract<TwinRef, { kind: 'trained' }>): Promise<void> {
  if (!!o.input === !!o.images) throw new InputError('give exactly one of --input x.npy or --images ...');
  const unitSpec = parseUnitOptions(o);
  if (!unitSpec && (o.gradNeuron === undefined) !== (o.gradOut === undefined)) throw new InputError('--grad-neuron and --grad-out go together');
  if (o.preset !== undefined) throw new InputError(`--preset is a preprocessing of the DualNeuron twins; the trained twin ${ref.dir} preprocesses images as it was trained (twin.json)`);
  if (o.mask !== undefined && o.input) throw new InputError('--mask applies to --images; an --input array is already in model space');
  const batch = parseIntStrict('--batch', o.batch, { min: 1 });
  const member = o.member !== undefined ? parseIntStrict('--member', o.member, { min: 1 }) : undefined;
  const [C, H, W] = inputShapeOf(ref), N = neuronCountOf(ref);
  const gradNeuron = unitSpec ? (o.gradOut !== undefined ? 0 : undefined) : o.gradNeuron !== undefined ? parseIntStrict('--grad-neuron', o.gradNeuron) : undefined;
  if (!unitSpec && gradNeuron !== undefined && gradNeuron >= N) throw new InputError(`--grad-neuron ${gradNeuron} is out of range: the twin ${ref.dir} has neurons 0..${N - 1}`);
  const mask = readTwinMask(ref, o.mask);
  const backend = await init('webgpu');
  const twin = openTwin(ref, { backend, members: member ? [member] : undefined, centered: o.centered, mask });
  try {
    let x: Float32Array, B: number, paths: string[] | null = null;
    if (o.input) {
      const a = readNpy(o.input);
      if (a.dtype !== 'f32') throw new InputError(`${o.input}: dtype ${a.dtype}, expected float32 (save with x.astype(np.float32))`);
      if (a.shape.length !== 4 || a.shape[1] !== C || a.shape[2] !== H || a.shape[3] !== W) throw new InputError(`${o.input}: shape (${a.shape.join(', ')}), expected (B, ${C}, ${H}, ${W}) for the twin ${ref.dir}`);
      x = a.data as Float32Array; B = a.shape[0]!;
    } else {
      paths = listImages(o.images!);
      B = paths.length;
      x = new Float32Array(B * C * H * W);
      paths.forEach((p, i) => x.set(twin.inputFromImage(readImage(p)), i * C * H * W));
    }
    const rec = startRecord('predict', { ...o }, backend.describe());
    const unit = unitSpec ? openUnit(twin.model, unitSpec, [C, H, W]) : null;
    const runner = unit ? unitAsPredictable(ref.dir, unit, [C, H, W], backend) : twin.model;
    const r = await predict(runner, x, B, { batch, gradNeuron, progress: B > batch });
    writeNpy(o.out, { dtype: 'f32', shape: [B, runner.spec.neurons], data: r.responses });
    if (r.grad && o.gradOut) writeNpy(o.gradOut, { dtype: 'f32', shape: [B, C, H, W], data: r.grad });
    finishRecord(rec, runJsonPath(o.out), { model: ref.dir, members: twin.memberIds, weightsSha256: twin.weightsSha256, neuron_ids: twin.neuronIds, images: paths, preprocessing: twin.preprocessing, mask: o.mask ?? null, unit: unit ? { ...unit.spec, layerShape: unit.layerShape, membersAveraged: unit.members } : null, outputs: [o.out, o.gradOut].filter(Boolean) });
    console.error(`wrote ${o.out} (${B} x ${runner.spec.neurons})${o.gradOut ? ` and ${o.gradOut}` : ''}`);
  } finally {
    twin.dispose();
  }
}
