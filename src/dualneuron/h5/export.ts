// A poles folder (our format) as an HDF5 file in upstream's layout (layout.ts): every finished result, checked
// to form upstream's complete grid (every neuron with the same seeds, each with both poles) and to match the twin.
import { join } from 'node:path';
import { InputError, ShapeError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32, toFloat64, type HostArray } from '../../io/host-array.js';
import { createH5, type H5Value } from '../../io/hdf5.js';
import { TWINS, isTwinId, type TwinId } from '../../models/twins/registry.js';
import { scanPolesFolder, type PoleResult, type PolesFolder } from '../synthesis/poles-folder.js';
import { packageVersion } from '../run-record.js';
import { GZIP_LEVEL, POLES, POLE_WEIGHT, neuronGroup, seedGroup } from './layout.js';

const str = (s: string): H5Value => ({ dtype: 'str', shape: [], data: [s] });
const i64s = (v: readonly (number | bigint)[], shape: number[] = [v.length]): H5Value => ({ dtype: 'i64', shape, data: BigInt64Array.from(v, BigInt) });
const INT64_MAX = 2n ** 63n - 1n;
/** seeds as int64 (upstream), or uint64 when one does not fit */
const seedsValue = (v: readonly bigint[], shape: number[] = [v.length]): H5Value =>
  v.some((s) => s > INT64_MAX) ? { dtype: 'u64', shape, data: BigUint64Array.from(v) } : i64s(v, shape);

const show = (p: PoleResult) => `neuron ${p.neuron}, seed ${p.seed}, ${p.pole}`;

/** The twin the results were made with: their done.json configs, run.json, and --model must agree. */
export function folderModel(f: PolesFolder, asked: TwinId | undefined): TwinId {
  const recorded = new Map<string, string>(); // model -> where
  for (const r of f.results) {
    const m = r.done.config?.['--model'];
    if (typeof m === 'string' && !recorded.has(m)) recorded.set(m, `${r.dir}/done.json`);
  }
  const runModel = f.run?.model;
  if (typeof runModel === 'string' && !recorded.has(runModel)) recorded.set(runModel, `${f.dir}/run.json`);
  if (recorded.size > 1) throw new InputError(`${f.dir} mixes results of different twins (${[...recorded].map(([m, w]) => `${m} in ${w}`).join('; ')}); an HDF5 file of upstream's layout holds one twin: export each twin's results from its own folder`);
  const [m] = [...recorded.keys()];
  if (m !== undefined && !isTwinId(m)) throw new InputError(`${recorded.get(m)} records the model '${m}', which is not a DualNeuron twin (${Object.keys(TWINS).join(', ')}); upstream's layout holds the twins' poles only`);
  if (asked && m !== undefined && asked !== m) throw new InputError(`--model ${asked} does not match the results in ${f.dir}, made with the ${m} twin (${recorded.get(m)}); drop --model or give --model ${m}`);
  const id = (m as TwinId | undefined) ?? asked;
  if (!id) throw new InputError(`${f.dir} does not record which twin made its results (no run.json, no options in done.json); pass --model ${Object.keys(TWINS).join('|')}`);
  return id;
}

/** Refuses unfinished results and holes in the neuron x seed x pole grid, naming them. */
export function checkGrid(f: PolesFolder): { neurons: number[]; seeds: bigint[] } {
  if (f.unfinished.length) {
    throw new InputError(`${f.unfinished.length} result${f.unfinished.length > 1 ? 's are' : ' is'} unfinished (no done.json): ${f.unfinished.slice(0, 3).join(', ')}${f.unfinished.length > 3 ? ', ...' : ''}; finish the run with the same \`dualneuron poles\` command (it resumes), then export`);
  }
  if (!f.results.length) throw new InputError(`${f.dir} holds no results (neuron_NNNN/seed_SSSS/{least,most}/done.json); make them with \`dualneuron poles --out ${f.dir}\``);
  const neurons = [...new Set(f.results.map((r) => r.neuron))];
  const seeds = [...new Set(f.results.map((r) => r.seed))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const have = new Set(f.results.map((r) => `${r.neuron}/${r.seed}/${r.pole}`));
  const missing: string[] = [];
  for (const n of neurons) for (const s of seeds) for (const p of POLES) if (!have.has(`${n}/${s}/${p}`)) missing.push(`neuron ${n} seed ${s} ${p}`);
  if (missing.length) {
    throw new InputError(`${f.dir} is missing ${missing.length} result${missing.length > 1 ? 's' : ''} (${missing.slice(0, 5).join('; ')}${missing.length > 5 ? '; ...' : ''}): upstream's files hold every seed of every neuron with both poles (seeds here: ${seeds.join(', ')}). Compute them with \`dualneuron poles\` (same options, --seed S for a missing seed), or export a folder holding only complete neurons`);
  }
  return { neurons, seeds };
}

function load(r: PoleResult, name: string): HostArray {
  return readNpy(join(r.dir, name));
}

export interface ExportSummary { model: TwinId; neurons: number[]; seeds: bigint[]; results: number; bytes: number }

/**
 * The HDF5 file (bytes) of the poles folder `dir`. `onResult` is called after each result (progress bars).
 * Images and alphas must have the twin's input shape (C, S, S).
 */
export async function exportPolesH5(dir: string, o: { model?: TwinId; onResult?: (done: number, total: number) => void } = {}): Promise<{ bytes: Uint8Array; summary: ExportSummary }> {
  const f = scanPolesFolder(dir);
  const { neurons, seeds } = checkGrid(f);
  const model = folderModel(f, o.model);
  const spec = TWINS[model];
  const members = (f.results[0].done.config?.['--members'] ?? f.run?.members) as number[] | undefined;
  const w = await createH5();
  try {
    w.group('/', {
      model: str(spec.name), dualneuron_model: str(model), neurons: i64s(neurons), seeds: seedsValue(seeds),
      ...(Array.isArray(members) ? { members: i64s(members) } : {}),
      dualneuron_version: str(packageVersion()), dualneuron_source: str(dir),
      ...(f.run ? { dualneuron_run: str(JSON.stringify(f.run)) } : {}),
    });
    f.results.forEach((r, k) => {
      const image = load(r, 'image.npy'), alpha = load(r, 'alpha.npy'), acts = load(r, 'activations.npy');
      const want = spec.inputShape;
      if (image.shape.length !== 3 || image.shape.some((d, i) => d !== want[i])) throw new ShapeError(`${r.dir}/image.npy has shape [${image.shape.join(', ')}]; the ${model} twin's images are [${want.join(', ')}] (${show(r)})`);
      if (alpha.shape.join() !== image.shape.join()) throw new ShapeError(`${r.dir}/alpha.npy has shape [${alpha.shape.join(', ')}], its image [${image.shape.join(', ')}] (${show(r)})`);
      if (acts.shape.length !== 1 || acts.shape[0] < 1) throw new ShapeError(`${r.dir}/activations.npy has shape [${acts.shape.join(', ')}]; expected (steps + 1,) (${show(r)})`);
      const trace = toFloat64(acts);
      const g = `/${neuronGroup(r.neuron)}/${seedGroup(r.seed)}/${r.pole}`;
      w.group(g, {
        model: str(spec.name), neuron_id: i64s([r.neuron], []), seed: seedsValue([r.seed], []), weight: i64s([POLE_WEIGHT[r.pole]], []), type: str(r.pole),
        // our trace keeps its dtype (float64 when it came from an upstream file) so import restores it exactly
        dualneuron_activations: acts.dtype === 'f64' ? { dtype: 'f64', shape: [trace.length], data: trace } : { dtype: 'f32', shape: [trace.length], data: toFloat32(acts) },
        dualneuron_done: str(JSON.stringify(r.done)),
      });
      w.dataset(`${g}/image`, { dtype: 'f32', shape: image.shape, data: toFloat32(image) }, { gzip: GZIP_LEVEL });
      w.dataset(`${g}/alpha`, { dtype: 'f32', shape: alpha.shape, data: toFloat32(alpha) }, { gzip: GZIP_LEVEL });
      // upstream: |objective| after each step (no value before the first step), float64
      w.dataset(`${g}/activations`, { dtype: 'f64', shape: [trace.length - 1], data: Float64Array.from(trace.subarray(1), Math.abs) });
      o.onResult?.(k + 1, f.results.length);
    });
    const bytes = w.finish();
    return { bytes, summary: { model, neurons, seeds, results: f.results.length, bytes: bytes.length } };
  } catch (e) {
    w.abort();
    throw e;
  }
}
