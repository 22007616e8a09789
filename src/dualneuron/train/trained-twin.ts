// A trained twin folder (twin.json + member_<k>.safetensors) as a model with the forward contract of the
// DualNeuron twins: x (B, C, H, W) in model space -> rates (B, neurons), the mean of its members in eval mode,
// plus its input pipeline (images -> model space, as in training).
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { InputError, ShapeError, WeightsError } from '../../errors.js';
import { type Backend, Tensor, getBackend } from '../../tensor/index.js';
import { Module } from '../../nn/module.js';
import { readFileBytes } from '../../io/atomic.js';
import { parseSafetensors } from '../../io/safetensors.js';
import { resizeBilinearPIL, toL, type RawImage } from '../../io/image/index.js';
import type { FiringRateEncoder } from '../../models/encoder.js';
import type { ImageStack } from '../recorded/types.js';
import { stackImage } from '../recorded/preprocess.js';
import { buildTwinModel } from './architecture.js';
import { readManifest, type TwinManifest } from './manifest.js';

/** what predict/screen-like code needs of a twin: an id, its input shape and neuron count */
export interface TrainedTwinSpec { id: string; inputShape: [number, number, number]; neurons: number }

export class TrainedTwin extends Module {
  readonly spec: TrainedTwinSpec;
  constructor(readonly dir: string, readonly manifest: TwinManifest, readonly members: FiringRateEncoder[], readonly memberIds: number[], backend: Backend) {
    super(backend);
    members.forEach((m, i) => this.module(String(i), m));
    this.spec = { id: dir, inputShape: manifest.input.shape, neurons: manifest.architecture.neurons };
    this.eval();
  }

  get neuronIds(): string[] { return this.manifest.neurons.ids; }

  forward(x: Tensor): Tensor {
    const [C, H, W] = this.spec.inputShape;
    if (x.rank !== 4 || x.shape[1] !== C || x.shape[2] !== H || x.shape[3] !== W) {
      throw new ShapeError(`the trained twin ${this.dir} takes input of shape (B, ${C}, ${H}, ${W}); got [${x.shape.join(', ')}]`);
    }
    let acc: Tensor | null = null;
    for (const m of this.members) { const y = m.forward(x); acc = acc ? acc.add(y) : y; }
    return this.members.length === 1 ? acc! : acc!.mul(1 / this.members.length);
  }

  /**
   * The drive of every neuron, (B, neurons): the readout's output before the ELU + 1 (the mean over members). For
   * one member the rate is elu(drive) + 1, increasing in the drive, so the two have the same MEIs and LEIs; the
   * drive keeps its gradient where the rate underflows to 0 in float32 (below about -17), which stops an LEI.
   */
  drive(x: Tensor): Tensor {
    let acc: Tensor | null = null;
    for (const m of this.members) {
      const { readout } = m.forwardParts(x);
      const y = m.eluOffset ? readout.add(m.eluOffset) : readout;
      acc = acc ? acc.add(y) : y;
    }
    return this.members.length === 1 ? acc! : acc!.mul(1 / this.members.length);
  }

  /** one image (any mode) -> model-space input, C*H*W float32 */
  inputFromImage(img: RawImage): Float32Array {
    const p = this.manifest.input.preprocessing;
    // the pipeline makes one gray channel; an imported twin may take more (give those model-space input instead)
    if (this.spec.inputShape[0] !== 1) throw new InputError(`the twin ${this.dir} takes ${this.spec.inputShape[0]}-channel input; images become one gray channel, so give model-space input (--input x.npy of shape (B, ${this.spec.inputShape.join(', ')}))`);
    const [H, W] = p.size;
    const d = resizeBilinearPIL(toL(img), W, H).data as Uint8Array;
    const out = new Float32Array(H * W);
    for (let k = 0; k < H * W; k++) out[k] = (d[k]! / 255 - p.mean) / p.std;
    return out;
  }

  /** images of a stack (or some of them) -> model-space inputs, (count, C, H, W) float32 */
  inputsFromStack(s: ImageStack, indices?: readonly number[]): Float32Array {
    const idx = indices ?? Array.from({ length: s.count }, (_, k) => k);
    const per = this.spec.inputShape[0] * this.spec.inputShape[1] * this.spec.inputShape[2];
    const out = new Float32Array(idx.length * per);
    idx.forEach((k, j) => out.set(this.inputFromImage(stackImage(s, k)), j * per));
    return out;
  }
}

export interface LoadTrainedOptions { backend?: Backend; /** 1-based member numbers; default all */ members?: number[] }

export function loadTrainedTwin(dir: string, o: LoadTrainedOptions = {}): { model: TrainedTwin; weightsSha256: Record<string, string> } {
  const manifest = readManifest(dir);
  const backend = o.backend ?? getBackend();
  const ids = o.members ?? manifest.members.map((m) => m.member);
  const built: FiringRateEncoder[] = [];
  const sha: Record<string, string> = {};
  try {
    for (const k of ids) {
      const entry = manifest.members.find((m) => m.member === k);
      if (!entry) throw new WeightsError(`${dir}: the twin has members ${manifest.members.map((m) => m.member).join(', ')}; got ${k}`);
      const file = join(dir, entry.file);
      const bytes = readFileBytes(file, 'twin member');
      const digest = createHash('sha256').update(bytes).digest('hex');
      if (entry.sha256 && digest !== entry.sha256) throw new WeightsError(`${file}: sha256 ${digest} differs from twin.json's ${entry.sha256}; the file was changed after training`);
      const model = buildTwinModel(manifest.architecture, backend);
      built.push(model);
      model.loadStateDict(parseSafetensors(bytes, file).tensors, { source: file });
      model.eval();
      sha[`member_${k}`] = digest;
    }
  } catch (e) {
    for (const m of built) m.dispose();
    throw e;
  }
  return { model: new TrainedTwin(dir, manifest, built, ids, backend), weightsSha256: sha };
}
