// An HDF5 file in upstream's layout (layout.ts) read back into our poles folder format: each least/most group
// becomes DIR/neuron_NNNN/seed_SSSS/{least,most}/ with image.npy, alpha.npy, activations.npy, preview.png and
// done.json (written last, as `dualneuron poles` does). The whole file is checked before anything is written.
//
// activations.npy is our trace (steps + 1 values, the first before any step). A file that we exported carries it
// (dualneuron_activations) and is restored exactly; a file from upstream has only |objective| after each step
// (float64), so activations.npy is float64 with NaN first (the value before the first step was not recorded).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, InputError, ShapeError } from '../../errors.js';
import { writeFileAtomic, ensureDir } from '../../io/atomic.js';
import { writeNpy } from '../../io/npy.js';
import { encodePNG } from '../../io/image/index.js';
import { toFloat32, toFloat64, type HostArray } from '../../io/host-array.js';
import type { H5Reader, H5Value } from '../../io/hdf5.js';
import { TWINS, type TwinId } from '../../models/twins/registry.js';
import { jobDir, seedJson, type Pole } from '../synthesis/poles.js';
import { blend } from '../synthesis/outputs.js';
import { NEURON_GROUP, POLES, POLE_WEIGHT, SEED_GROUP, twinOfUpstreamModel, upstreamModelNames } from './layout.js';

export interface UpstreamEntry { neuron: number; seed: bigint; pole: Pole; path: string }

export interface UpstreamFile {
  model: TwinId;
  neurons: number[];
  seeds: bigint[];
  /** by neuron, then seed (numerically), least before most */
  entries: UpstreamEntry[];
  /** the root's attributes that we write on export, when present */
  members: number[] | null;
  run: unknown;
}

const NOT_LAYOUT = "not upstream's layout (neuron_NNNN/seed_S/{least,most}/{image,alpha,activations}, as generate_poles writes)";

function attrText(v: H5Value | undefined): string | null {
  return v && v.dtype === 'str' && v.data.length === 1 ? v.data[0] : null;
}
function attrInt(v: H5Value | undefined): bigint | null {
  if (!v || v.dtype === 'str' || v.data.length !== 1 || v.dtype === 'f32' || v.dtype === 'f64' || v.dtype === 'f16' || v.dtype === 'bf16' || v.dtype === 'bool') return null;
  return BigInt(v.data[0] as number | bigint);
}

/** Checks the whole file's structure, attributes and shapes (reading no image data). */
export function checkUpstreamLayout(r: H5Reader, source: string, asked?: TwinId): UpstreamFile {
  const top = r.keys('/');
  const bad = top.filter((k) => !NEURON_GROUP.test(k) || r.kind(k) !== 'group');
  if (bad.length) throw new FormatError(`${source} is ${NOT_LAYOUT}: its root holds ${bad.slice(0, 5).map((k) => `'${k}'`).join(', ')}${bad.length > 5 ? ', ...' : ''}`);
  if (!top.length) throw new FormatError(`${source} holds no neuron_NNNN groups: it is empty or ${NOT_LAYOUT}`);
  const entries: UpstreamEntry[] = [];
  const seedSets = new Map<number, bigint[]>();
  let modelName: string | null = null;
  let shape: number[] | null = null;
  for (const ng of top) {
    const neuron = Number(NEURON_GROUP.exec(ng)![1]);
    const seedKeys = r.keys(ng);
    const badSeeds = seedKeys.filter((k) => !SEED_GROUP.test(k) || r.kind(`${ng}/${k}`) !== 'group');
    if (badSeeds.length) throw new FormatError(`${source}:/${ng} holds ${badSeeds.map((k) => `'${k}'`).join(', ')}; ${NOT_LAYOUT}`);
    const seeds = seedKeys.map((k) => BigInt(SEED_GROUP.exec(k)![1])).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (!seeds.length) throw new FormatError(`${source}:/${ng} holds no seed groups (missing seeds)`);
    seedSets.set(neuron, seeds);
    for (const seed of seeds) {
      const sg = `${ng}/seed_${seed}`;
      for (const pole of POLES) {
        const p = `${sg}/${pole}`;
        if (r.kind(p) !== 'group') throw new FormatError(`${source}:/${sg} has no '${pole}' group; upstream writes both least and most for every seed`);
        for (const d of ['image', 'alpha', 'activations']) if (r.kind(`${p}/${d}`) !== 'dataset') throw new FormatError(`${source}:/${p} has no '${d}' dataset; ${NOT_LAYOUT}`);
        const im = r.info(`${p}/image`), al = r.info(`${p}/alpha`), ac = r.info(`${p}/activations`);
        if (im.dtype === 'str') {
          throw new FormatError(`${source}:/${p}/image holds a string, not an image. Upstream's generate_poles wrote the V4 twin's file this way (fourier_ascending returns a dict, which generate_poles unpacks into its keys 'image', 'alpha', 'activation'), so the file holds no images to import; regenerate the V4 poles (e.g. \`dualneuron poles --model v4\`) instead`);
        }
        if ((im.dtype !== 'f32' && im.dtype !== 'f64') || im.shape.length !== 3) throw new ShapeError(`${source}:/${p}/image is ${im.dtype} [${im.shape.join(', ')}]; expected float32 (C, H, W)`);
        if (al.dtype !== 'f32' && al.dtype !== 'f64') throw new ShapeError(`${source}:/${p}/alpha is ${al.dtype}; expected float32`);
        if (al.shape.join() !== im.shape.join()) throw new ShapeError(`${source}:/${p}/alpha has shape [${al.shape.join(', ')}], its image [${im.shape.join(', ')}]`);
        if ((ac.dtype !== 'f32' && ac.dtype !== 'f64') || ac.shape.length > 1) throw new ShapeError(`${source}:/${p}/activations is ${ac.dtype} [${ac.shape.join(', ')}]; expected float64 (steps,)`);
        if (shape && shape.join() !== im.shape.join()) throw new ShapeError(`${source}:/${p}/image has shape [${im.shape.join(', ')}], other images [${shape.join(', ')}]; one file holds one twin's images`);
        shape = im.shape;
        const a = r.attrs(p);
        const m = attrText(a.model), nid = attrInt(a.neuron_id), s = attrInt(a.seed), w = attrInt(a.weight), t = attrText(a.type);
        const missing = (['model', 'neuron_id', 'seed', 'weight', 'type'] as const).filter((k) => !(k in a));
        if (missing.length) throw new FormatError(`${source}:/${p} lacks the attribute${missing.length > 1 ? 's' : ''} ${missing.join(', ')} that upstream writes (model, neuron_id, seed, weight, type)`);
        const wrong = [
          m === null && 'model is not a string', nid !== BigInt(neuron) && `neuron_id is ${a.neuron_id.data[0]}, the group says ${neuron}`,
          s !== seed && `seed is ${a.seed.data[0]}, the group says ${seed}`, w !== BigInt(POLE_WEIGHT[pole]) && `weight is ${a.weight.data[0]}, ${pole} is ${POLE_WEIGHT[pole]}`,
          t !== pole && `type is '${t}', the group is '${pole}'`,
        ].filter(Boolean);
        if (wrong.length) throw new FormatError(`${source}:/${p}: ${wrong.join('; ')}`);
        if (modelName !== null && m !== modelName) throw new FormatError(`${source} mixes models ('${modelName}' and '${m}' at /${p}); upstream writes one file per twin`);
        modelName = m;
        entries.push({ neuron, seed, pole, path: p });
      }
    }
  }
  const [first, ...rest] = [...seedSets];
  for (const [n, s] of rest) {
    if (s.join() !== first[1].join()) {
      const gone = first[1].filter((x) => !s.includes(x)), extra = s.filter((x) => !first[1].includes(x));
      throw new FormatError(`${source}: missing seeds: neuron ${n} has seeds ${s.join(', ')}, neuron ${first[0]} ${first[1].join(', ')}${gone.length ? ` (neuron ${n} lacks ${gone.join(', ')})` : ` (neuron ${first[0]} lacks ${extra.join(', ')})`}; upstream's files hold the same seeds for every neuron`);
    }
  }
  const model = twinOfUpstreamModel(modelName!);
  if (!model) throw new FormatError(`${source}: model '${modelName}' is not one of upstream's twins (${upstreamModelNames().join(', ')})`);
  if (asked && asked !== model) throw new InputError(`--model ${asked} does not match ${source}, which holds poles of ${modelName} (our ${model}); drop --model or give --model ${model}`);
  const want = TWINS[model].inputShape;
  if (shape!.join() !== want.join()) throw new ShapeError(`${source}: the images have shape [${shape!.join(', ')}]; the ${modelName} twin's are [${want.join(', ')}]`);
  const root = r.attrs('/');
  const members = root.members && root.members.dtype === 'i64' ? Array.from(root.members.data as BigInt64Array, Number) : null;
  let run: unknown = null;
  const runText = attrText(root.dualneuron_run);
  if (runText) { try { run = JSON.parse(runText); } catch { run = runText; } }
  return { model, neurons: [...seedSets.keys()], seeds: first[1], entries, members, run };
}

export interface ImportedResult { image: Float32Array; alpha: Float32Array; shape: [number, number, number]; activations: HostArray; done: Record<string, unknown> }

/** One result's arrays and done.json, from a file that checkUpstreamLayout accepted. */
export function readResult(r: H5Reader, e: UpstreamEntry, source: string, model: TwinId): ImportedResult {
  const num = (v: H5Value) => v as HostArray;
  const image = num(r.read(`${e.path}/image`)), alpha = num(r.read(`${e.path}/alpha`));
  const up = toFloat64(num(r.read(`${e.path}/activations`))); // |objective| after each step
  const a = r.attrs(e.path);
  const ours = a.dualneuron_activations && a.dualneuron_activations.dtype !== 'str' ? a.dualneuron_activations as HostArray : null;
  // our trace when it is there and agrees with upstream's view of it; else upstream's, with NaN before the first step
  const agrees = ours !== null && ours.data.length === up.length + 1 && up.every((v, i) => v === Math.abs(Number(ours.data[i + 1])));
  const activations: HostArray = agrees ? ours! : { dtype: 'f64', shape: [up.length + 1], data: Float64Array.from([NaN, ...up]) };
  let done: Record<string, unknown> | null = null;
  const doneText = attrText(a.dualneuron_done);
  if (doneText && agrees) { try { done = JSON.parse(doneText) as Record<string, unknown>; } catch { done = null; } }
  done ??= {
    neuron: e.neuron, seed: seedJson(e.seed), pole: e.pole, final: up.length ? up[up.length - 1] : null, initial: null, steps: up.length,
    imported: { file: source, model: TWINS[model].name, note: "from upstream's generate_poles layout: activations are |objective| after each step; the value before the first step was not recorded (NaN)" },
  };
  return { image: toFloat32(image), alpha: toFloat32(alpha), shape: image.shape as [number, number, number], activations, done };
}

/** Writes one imported result into the poles folder `out` (replacing what is there). */
export function writeImportedResult(out: string, e: UpstreamEntry, res: ImportedResult): string {
  const dir = jobDir(out, e);
  rmSync(dir, { recursive: true, force: true });
  ensureDir(dir);
  const [C, S] = res.shape;
  writeNpy(join(dir, 'image.npy'), { dtype: 'f32', shape: res.shape, data: res.image });
  writeNpy(join(dir, 'alpha.npy'), { dtype: 'f32', shape: res.shape, data: res.alpha });
  writeNpy(join(dir, 'activations.npy'), res.activations);
  writeFileAtomic(join(dir, 'preview.png'), encodePNG({ width: S, height: S, channels: C as 1 | 3, data: blend(res.image, res.alpha, C, S) }));
  writeFileAtomic(join(dir, 'done.json'), JSON.stringify(res.done) + '\n');
  return dir;
}
