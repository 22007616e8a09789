// "The twin a command names": `--model v1|v4|v4g|DIR` resolved in one place for predict, screen, synthesize,
// poles, evolve (and the demo). v1/v4/v4g are the DualNeuron twins (models/twins, weights from the cache); DIR is
// a folder with twin.json made by `dualneuron train` (train/trained-twin.ts).
//
// What a trained twin lacks compared with the fixed twins, and what stands in for it here:
//   - aperture: the fixed twins screen through upstream's mask; a trained twin has none, so its images are used
//     whole unless --mask FILE.npy (H x W, values in [0, 1]) is given, multiplied in after the normalisation;
//   - input norm: the fixed twins' images are scaled to an L2 norm (12 V1, 40 V4); a trained twin saw its training
//     images as they are, (x/255 - mean) / std with the training pixel mean and std (twin.json), so images keep
//     their own norm. Where a norm is needed (evolve), it is the root-mean-square norm of the training images in
//     that space, which that normalisation makes exactly sqrt(C*H*W) (unit variance over the training pixels);
//   - "centered" readout: a trained twin reads each neuron where its readout learned; --no-centered has no meaning;
//   - colour: trained twins are grayscale (PIL 'L'), their size is the training --image-size (H x W, any aspect);
//   - members: numbered as in twin.json (1..K); neurons: by index 0..N-1 or by the twin's neuron ids.
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';
import type { Backend } from '../tensor/index.js';
import type { TwinEnsemble } from '../models/twins/twin.js';
import type { RawImage } from '../io/image/index.js';
import { readNpy } from '../io/npy.js';
import { toFloat32 } from '../io/host-array.js';
import { loadTwin } from '../models/twins/load.js';
import { TWINS, isTwinId, type TwinId, type TwinSpec } from '../models/twins/registry.js';
import { loadMask, weightsHome } from '../models/weights/store.js';
import { imageToInput, makePipeline, type Preset } from './input/pipeline.js';
import { MANIFEST_NAME, isTwinFolder, readManifest, type TwinManifest } from './train/manifest.js';
import { loadTrainedTwin, type TrainedTwin } from './train/trained-twin.js';

/** A named twin before any weights are read: a DualNeuron twin or a trained twin folder (its manifest read and checked). */
export type TwinRef =
  | { kind: 'fixed'; id: TwinId; spec: TwinSpec }
  | { kind: 'trained'; dir: string; manifest: TwinManifest };

/** `--model` as given -> the twin it names; errors say what is wrong with a folder and what to do. */
export function resolveTwin(arg: string): TwinRef {
  if (isTwinId(arg)) return { kind: 'fixed', id: arg, spec: TWINS[arg] };
  if (existsSync(arg) && statSync(arg).isDirectory()) {
    const dir = resolve(arg);
    if (!isTwinFolder(dir)) throw new InputError(`--model ${arg} is a folder without ${MANIFEST_NAME}; a trained twin folder is made by dualneuron train (or use v1, v4, v4g)`);
    return { kind: 'trained', dir, manifest: readManifest(dir) };
  }
  if (existsSync(arg)) throw new InputError(`--model ${arg} is a file; give v1, v4, v4g or a trained twin folder (the folder holding ${MANIFEST_NAME})`);
  throw new InputError(`unknown model '${arg}'; choose v1, v4 or v4g (dualneuron models lists them) or a trained twin folder made by dualneuron train (no folder ${arg} exists)`);
}

/** What names the twin in run records, configs and messages: the fixed id, or the trained twin's absolute folder. */
export const twinLabel = (t: TwinRef): string => (t.kind === 'fixed' ? t.id : t.dir);
export const inputShapeOf = (t: TwinRef): [number, number, number] => (t.kind === 'fixed' ? t.spec.inputShape : t.manifest.input.shape);
export const neuronCountOf = (t: TwinRef): number => (t.kind === 'fixed' ? t.spec.neurons : t.manifest.architecture.neurons);
/** neuron ids in output order: a trained twin's from its data; the fixed twins' are their indices */
export const neuronIdsOf = (t: TwinRef): string[] => (t.kind === 'fixed' ? Array.from({ length: t.spec.neurons }, (_, n) => String(n)) : t.manifest.neurons.ids);
/** member numbers (1-based) of the whole ensemble */
export const memberNumbersOf = (t: TwinRef): number[] => (t.kind === 'fixed' ? t.spec.members.map((_, i) => i + 1) : t.manifest.members.map((m) => m.member));

/** --members / --member values checked against the twin (undefined: all members). */
export function checkMembers(t: TwinRef, members: number[] | undefined, flag = '--members'): number[] | undefined {
  if (!members) return undefined;
  const all = memberNumbersOf(t);
  for (const m of members) if (!all.includes(m)) throw new InputError(`${flag}: the twin ${twinLabel(t)} has members ${all.join(', ')}; got ${m}`);
  return members;
}

/** sha256 of each member file as twin.json records it (checked against the files when the twin is opened). */
export function trainedMemberSha256(t: Extract<TwinRef, { kind: 'trained' }>, members?: number[]): Record<string, string> {
  const ids = members ?? memberNumbersOf(t);
  return Object.fromEntries(ids.map((k) => [`member_${k}`, t.manifest.members.find((m) => m.member === k)!.sha256]));
}

/**
 * Neurons named by index (0..N-1, ranges a-b) or, for a trained twin, by its neuron ids ("id:NAME" forces an id;
 * a token that is not a number or a range is looked up among the ids). Order kept, duplicates dropped.
 */
export function parseNeuronList(flag: string, v: string, t: TwinRef): number[] {
  const N = neuronCountOf(t), ids = t.kind === 'trained' ? t.manifest.neurons.ids : null;
  const out: number[] = [];
  const range = `the twin ${twinLabel(t)} has neurons 0..${N - 1}`;
  for (const part of v.split(',')) {
    const byId = part.startsWith('id:') ? part.slice(3) : /^[0-9]+(-[0-9]+)?$/.test(part) ? null : part;
    if (byId !== null) {
      if (!ids) throw new InputError(`${flag}: cannot read '${part}'; use e.g. 0-${N - 1} or 3,7,10-19 (decimal digits, no spaces)`);
      const k = ids.indexOf(byId);
      if (k < 0) throw new InputError(`${flag}: '${byId}' is neither a neuron index nor one of the neuron ids of ${twinLabel(t)} (${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', ...' : ''})`);
      out.push(k);
      continue;
    }
    const [a, b] = part.split('-').map((x) => {
      if (BigInt(x) >= BigInt(N)) throw new InputError(`${flag}: neuron ${x} is out of range: ${range}`);
      return Number(x);
    });
    const hi = b ?? a!;
    if (hi < a!) throw new InputError(`${flag}: range ${part} is empty`);
    for (let i = a!; i <= hi; i++) out.push(i);
  }
  return [...new Set(out)];
}

/**
 * --mask FILE.npy for a trained twin: (H, W) values in [0, 1], multiplied into every model-space input (all
 * channels). null without a file. The fixed twins have upstream's apertures and refuse it.
 */
export function readTwinMask(t: TwinRef, file: string | undefined): Float32Array | null {
  if (file === undefined) return null;
  if (t.kind === 'fixed') throw new InputError(`--mask is for trained twin folders; the ${t.id} twin uses its own upstream aperture`);
  const [, H, W] = t.manifest.input.shape;
  const a = readNpy(file);
  if (a.shape.length !== 2 || a.shape[0] !== H || a.shape[1] !== W) throw new InputError(`--mask ${file}: shape (${a.shape.join(', ')}), expected (${H}, ${W}), the input size of the twin ${t.dir}`);
  const m = toFloat32(a);
  const bad = m.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) throw new InputError(`--mask ${file}: value ${m[bad]} at flat index ${bad}; a mask holds values in [0, 1]`);
  if (!m.some((v) => v > 0)) throw new InputError(`--mask ${file} is zero everywhere: no image could pass it`);
  return m;
}

export interface OpenTwinOptions {
  /** 1-based member numbers; default all */
  members?: number[];
  /** fixed twins: read every neuron at the feature-map centre (default true); trained twins have no such readout */
  centered?: boolean;
  weightsDir?: string;
  backend?: Backend;
  /** fixed twins: the preprocessing preset of image files (default imagenet) */
  preset?: Preset;
  /** trained twins: an aperture (H*W) multiplied into every input from an image (readTwinMask) */
  mask?: Float32Array | null;
}

/** A twin ready to run: the model (x (B, C, H, W) in model space -> (B, neurons)) and everything a command records. */
export interface OpenedTwin {
  ref: TwinRef;
  /** v1/v4/v4g or the trained twin's absolute folder */
  label: string;
  model: TwinEnsemble | TrainedTwin;
  inputShape: [number, number, number];
  neurons: number;
  neuronIds: string[];
  memberIds: number[];
  /** sha256 of each member's weights file (fixed: the upstream checkpoint; trained: checked against twin.json) */
  weightsSha256: Record<string, string>;
  /** an image file (any mode) -> model-space input, C*H*W float32 */
  inputFromImage(img: RawImage): Float32Array;
  /** how images become inputs, for run records */
  preprocessing: Record<string, unknown>;
  dispose(): void;
}

/** Opens the twin `arg` names (or an already resolved TwinRef): reads and checks its weights, builds its input pipeline. */
export function openTwin(arg: string | TwinRef, o: OpenTwinOptions = {}): OpenedTwin {
  const ref = typeof arg === 'string' ? resolveTwin(arg) : arg;
  if (ref.kind === 'fixed') {
    const { model, weightsSha256 } = loadTwin(ref.id, { members: o.members, centered: o.centered, backend: o.backend, weightsDir: o.weightsDir });
    const preset = o.preset ?? 'imagenet';
    let pipe: ReturnType<typeof makePipeline> | null = null;
    const { crop, size, norm, gray } = ref.spec.screening;
    return {
      ref, label: ref.id, model, inputShape: ref.spec.inputShape, neurons: ref.spec.neurons, neuronIds: neuronIdsOf(ref), memberIds: model.memberIds, weightsSha256,
      inputFromImage: (img) => imageToInput((pipe ??= makePipeline(ref.spec, loadMask(ref.id, weightsHome(o.weightsDir)), preset)), img),
      preprocessing: { kind: 'dualneuron-screening', preset, crop, size, gray, norm, aperture: ref.spec.maskFrom },
      dispose: () => model.dispose(),
    };
  }
  if (o.centered === false) throw new InputError(`--no-centered is an option of the DualNeuron twins; the trained twin ${ref.dir} reads each neuron where its readout learned to`);
  const { model, weightsSha256 } = loadTrainedTwin(ref.dir, { backend: o.backend, members: checkMembers(ref, o.members) });
  const mask = o.mask ?? null;
  const hw = ref.manifest.input.shape[1] * ref.manifest.input.shape[2];
  if (mask && mask.length !== hw) { model.dispose(); throw new InputError(`the mask has ${mask.length} values; the twin ${ref.dir} takes ${hw} pixels`); }
  return {
    ref, label: ref.dir, model, inputShape: model.spec.inputShape, neurons: model.spec.neurons, neuronIds: model.neuronIds, memberIds: model.memberIds, weightsSha256,
    inputFromImage: (img) => {
      const x = model.inputFromImage(img);
      if (mask) for (let c = 0; c < x.length / hw; c++) for (let i = 0; i < hw; i++) x[c * hw + i] = x[c * hw + i] * mask[i];
      return x;
    },
    preprocessing: { ...ref.manifest.input.preprocessing, mask: mask !== null },
    dispose: () => model.dispose(),
  };
}

/** The norm that stands in for a fixed twin's screening norm on a trained twin: sqrt(C*H*W) (see the header). */
export const trainedInputNorm = (t: Extract<TwinRef, { kind: 'trained' }>): number => Math.sqrt(t.manifest.input.shape.reduce((a, b) => a * b, 1));

/** A --mask in configs and run records: the file and the sha256 of its float32 values (null: no mask). */
export function maskRecord(file: string | undefined, mask: Float32Array | null): { file: string; sha256: string } | null {
  if (file === undefined || mask === null) return null;
  return { file: resolve(file), sha256: createHash('sha256').update(new Uint8Array(mask.buffer, mask.byteOffset, mask.byteLength)).digest('hex') };
}

/** A trained twin's folder name as one component of output names (letters, digits, '.', '_', '-'). */
export function twinFileName(t: TwinRef): string {
  if (t.kind === 'fixed') return t.id;
  const n = basename(t.dir).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return n === '' || n === '.' || n === '..' ? 'twin' : n;
}
