// `dualneuron predict --model vgg16|vgg16_bn|resnet50|vit_b_16`: ImageNet logits (B, 1000) and the top-5 class
// names of each image, or, with --layer/--channel, one unit's values (B, 1); input gradients on request.
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { readImage } from '../../io/image/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { listImages } from '../input/sources.js';
import { predict } from '../predict.js';
import { startRecord, finishRecord } from '../run-record.js';
import { parseIntStrict } from './parse.js';
import { openClassifier, topK } from '../classifier-source.js';
import { openUnit } from '../units/unit.js';
import { parseUnitOptions, unitAsPredictable } from '../units/unit-options.js';
import type { TorchvisionId } from '../../models/torchvision/zoo.js';

export interface ClassifierPredictOpts {
  model: string; member?: string; input?: string; images?: string[]; preset?: string; out: string; gradNeuron?: string; gradOut?: string;
  batch: string; mask?: string; weightsDir?: string; layer?: string; channel?: string; location?: string;
}

export async function predictClassifier(id: TorchvisionId, o: ClassifierPredictOpts): Promise<void> {
  if (!!o.input === !!o.images) throw new InputError('give exactly one of --input x.npy or --images ...');
  for (const [flag, v] of [['--member', o.member], ['--mask', o.mask], ['--preset', o.preset]] as const) {
    if (v !== undefined) throw new InputError(`${flag} is for the twins; ${id} is one network with torchvision's ImageNet preprocessing`);
  }
  const unitSpec = parseUnitOptions(o);
  if (unitSpec && o.gradNeuron !== undefined) throw new InputError('with --layer/--channel the output is one unit: give --grad-out alone for its input gradient');
  if (!unitSpec && (o.gradNeuron === undefined) !== (o.gradOut === undefined)) throw new InputError('--grad-neuron (a class index) and --grad-out go together');
  const batch = parseIntStrict('--batch', o.batch, { min: 1 });
  const backend = await init('webgpu');
  const net = openClassifier(id, { weightsDir: o.weightsDir, backend });
  try {
    let [C, H, W] = net.inputShape;
    const gradNeuron = unitSpec ? (o.gradOut !== undefined ? 0 : undefined) : o.gradNeuron !== undefined ? parseIntStrict('--grad-neuron', o.gradNeuron, { max: net.outputs - 1 }) : undefined;
    let x: Float32Array, B: number, paths: string[] | null = null;
    if (o.input) {
      const a = readNpy(o.input);
      if (a.dtype !== 'f32') throw new InputError(`${o.input}: dtype ${a.dtype}, expected float32 (save with x.astype(np.float32))`);
      // the CNNs take any size from 32 up (torchvision's adaptive pools); the ViT only its own
      const anySize = id !== 'vit_b_16' && a.shape.length === 4 && a.shape[1] === 3 && a.shape[2]! >= 32 && a.shape[3]! >= 32;
      if (!anySize && (a.shape.length !== 4 || a.shape[1] !== C || a.shape[2] !== H || a.shape[3] !== W)) {
        throw new InputError(`${o.input}: shape (${a.shape.join(', ')}), expected (B, ${C}, ${H}, ${W}) for ${id} (ImageNet-normalised)${id !== 'vit_b_16' ? ', or (B, 3, H, W) with H, W >= 32' : ''}`);
      }
      [C, H, W] = [a.shape[1]!, a.shape[2]!, a.shape[3]!];
      x = a.data as Float32Array; B = a.shape[0]!;
    } else {
      paths = listImages(o.images!);
      B = paths.length;
      x = new Float32Array(B * C * H * W);
      paths.forEach((p, i) => x.set(net.inputFromImage(readImage(p)), i * C * H * W));
    }
    const unit = unitSpec ? openUnit(net.model, unitSpec, [C, H, W]) : null;
    const rec = startRecord('predict', { ...o }, backend.describe());
    const runner = unit ? unitAsPredictable(id, unit, [C, H, W], backend) : { spec: { id, inputShape: [C, H, W] as [number, number, number], neurons: net.outputs }, backend, forward: (t: import('../../tensor/index.js').Tensor) => net.model.forward(t) };
    const r = await predict(runner, x, B, { batch, gradNeuron, progress: B > batch });
    const N = runner.spec.neurons;
    writeNpy(o.out, { dtype: 'f32', shape: [B, N], data: r.responses });
    if (r.grad && o.gradOut) writeNpy(o.gradOut, { dtype: 'f32', shape: [B, C, H, W], data: r.grad });
    const base = o.out.replace(/\.npy$/i, '');
    const outputs = [o.out, o.gradOut].filter(Boolean) as string[];
    if (!unit) {
      const top = topK(r.responses, net.outputs, net.classes, 5);
      writeFileAtomic(`${base}.top5.json`, JSON.stringify(top.map((t, i) => ({ image: paths ? paths[i] : i, top5: t })), null, 1) + '\n');
      outputs.push(`${base}.top5.json`);
      top.slice(0, 20).forEach((t, i) => console.log(`${paths ? paths[i] : `input ${i}`}: ${t.map((c) => `${c.name} (${c.logit.toFixed(2)})`).join(', ')}`));
      if (B > 20) console.log(`... (${B - 20} more in ${base}.top5.json)`);
    }
    finishRecord(rec, `${base}.run.json`, {
      model: id, variant: net.variant, weightsSha256: { [id]: net.weightsSha256 }, preprocessing: paths ? net.preprocessing : 'model space (--input)', images: paths,
      unit: unit ? { ...unit.spec, layerShape: unit.layerShape } : null, outputs,
    });
    console.error(`wrote ${o.out} (${B} x ${N}${unit ? `: ${unitSpec!.layer} channel ${unitSpec!.channel} at ${JSON.stringify(unitSpec!.location)}` : ' logits'})${o.gradOut ? ` and ${o.gradOut}` : ''}`);
  } finally {
    net.dispose();
  }
}
