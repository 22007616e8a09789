// Reading the upstream checkpoint formats DreamSim's backbones come in, and merging PEFT LoRA adapters:
//  - torch.save zip archives (.pth, .pth.tar, .bin, .pt): a state dict at the top level or under 'state_dict' /
//    'model' (DreamSim's converted CLIP files: {'state_dict': ...}), or a full DINO training checkpoint
//    ({'student', 'teacher', ...}: the teacher is the released backbone);
//  - TorchScript archives (torch.jit.save, OpenAI CLIP's ViT-B-16.pt): a zip like torch.save's whose data.pkl pickles
//    the module tree as `__torch__.*` objects (NEWOBJ + BUILD with a dict of attributes) with tensors as persistent
//    storages; parameters are found by walking the attribute dicts (keys as module.state_dict() names them);
//  - safetensors (OpenCLIP's open_clip_model.safetensors, PEFT's adapter_model.safetensors);
//  - PEFT adapter folders: adapter_config.json (r, lora_alpha, use_rslora, fan_in_fan_out, rank_pattern,
//    alpha_pattern, bias) + adapter_model.safetensors or adapter_model.bin. Merging: W += scaling * B @ A with
//    scaling = lora_alpha / r (lora_alpha / sqrt(r) with use_rslora), computed in float64, stored as float32.
// Nothing pickled is executed: unknown classes stay inert placeholders (src/io/pickle.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError, WeightsError } from '../errors.js';
import { readFileBytes } from '../io/atomic.js';
import { loadTorchArchive, TorchTensor } from '../io/pytorch.js';
import { PickleGlobal, PickleObject, pickleRepr } from '../io/pickle.js';
import { parseSafetensors } from '../io/safetensors.js';
import { toFloat64, type HostArray } from '../io/host-array.js';

export type CheckpointFormat = 'safetensors' | 'torch.save' | 'torchscript';

export interface ReadCheckpoint { tensors: Map<string, HostArray>; format: CheckpointFormat; note?: string }

const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b;

/**
 * Tensors of a TorchScript module tree, keyed by attribute path (module.state_dict() names). Walked depth-first with
 * an explicit stack (the first path to a shared tensor wins), so a hostile tree nested 200,000 deep cannot overflow
 * the call stack.
 */
function walkScriptModule(root: unknown): { tensors: Map<string, HostArray>; foreign?: string } {
  const out = new Map<string, HostArray>();
  const seen = new Set<unknown>();
  let foreign: string | undefined;
  const todo: [unknown, string][] = [[root, '']];
  while (todo.length) {
    const [v, prefix] = todo.pop()!;
    if (v instanceof TorchTensor) { if (prefix && !out.has(prefix)) out.set(prefix, v.arrayOf(prefix)); continue; }
    foreign ??= foreignGlobal(v);
    if (!(v instanceof PickleObject) || seen.has(v)) continue;
    seen.add(v);
    const st = v.state;
    if (!(st instanceof Map)) continue;
    const children: [unknown, string][] = [];
    for (const [k, x] of st) if (typeof k === 'string') children.push([x, prefix ? `${prefix}.${k}` : k]);
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!); // reversed: popped in attribute order
  }
  return { tensors: out, foreign };
}

/**
 * The name of a pickled global that is neither TorchScript's (`__torch__.*`) nor resolved by the reader, when `v`
 * is one (or an object built from one): such globals were refused, nothing was run.
 */
function foreignGlobal(v: unknown): string | undefined {
  const g = v instanceof PickleGlobal ? v : v instanceof PickleObject ? v.global : null;
  return g && !g.module.startsWith('__torch__') ? g.qualifiedName : undefined;
}

const refused = (source: string, name: string) =>
  new FormatError(`unsupported pickle global ${name} in ${source} (refused, nothing in the file was run); ` +
    'only PyTorch state dicts, TorchScript archives and safetensors files are supported');

function tensorsOf(m: Map<unknown, unknown>): Map<string, HostArray> | null {
  const out = new Map<string, HostArray>();
  for (const [k, v] of m) if (typeof k === 'string' && v instanceof TorchTensor) out.set(k, v.arrayOf(k));
  return out.size ? out : null;
}

/** Reads a checkpoint in any of the formats above. */
export function readCheckpoint(input: string | Uint8Array, source = typeof input === 'string' ? input : '<bytes>'): ReadCheckpoint {
  const bytes = typeof input === 'string' ? readFileBytes(input, 'checkpoint') : input;
  if (!isZip(bytes)) {
    // safetensors: u64 header length then '{'
    if (bytes.length > 9 && bytes[8] === 0x7b) return { tensors: parseSafetensors(bytes, source).tensors, format: 'safetensors' };
    if (bytes[0] === 0x80) throw new FormatError(`${source}: a legacy (pre-1.6) torch.save file; re-save it with torch.save(torch.load(path), path) in PyTorch >= 1.6`);
    throw new FormatError(`${source}: neither a PyTorch zip archive nor a safetensors file`);
  }
  const root = loadTorchArchive(bytes, source);
  if (root instanceof PickleObject || root instanceof PickleGlobal) {
    const top = foreignGlobal(root);
    if (top) throw refused(source, top);
    const { tensors, foreign } = walkScriptModule(root);
    if (!tensors.size) throw foreign ? refused(source, foreign) : new FormatError(`${source}: a TorchScript archive without tensors`);
    return { tensors, format: 'torchscript' };
  }
  if (!(root instanceof Map)) throw new FormatError(`${source}: expected a dict of tensors at the top level`);
  const top = tensorsOf(root);
  if (top) return { tensors: top, format: 'torch.save' };
  for (const k of ['state_dict', 'model', 'teacher', 'model_state_dict']) {
    const v = root.get(k);
    if (v instanceof Map) {
      const t = tensorsOf(v);
      if (t) return { tensors: t, format: 'torch.save', note: `the '${k}' entry` };
    }
  }
  const opaque = [...root.values()].map(foreignGlobal).find(Boolean);
  if (opaque) throw refused(source, opaque);
  const keys = [...root.keys()].map((k) => (typeof k === 'string' ? k : pickleRepr(k)));
  throw new FormatError(`${source}: no state dict found; top-level keys: ${keys.slice(0, 10).join(', ')}`);
}

// ------------------------------------------------------------------ LoRA

export interface LoraConfig {
  r: number;
  lora_alpha: number;
  use_rslora?: boolean;
  fan_in_fan_out?: boolean;
  rank_pattern?: Record<string, number>;
  alpha_pattern?: Record<string, number>;
  bias?: string;
  target_modules?: string[] | string | null;
  use_dora?: boolean;
  peft_type?: string;
}

export interface LoraAdapter {
  dir: string;
  config: LoraConfig;
  tensors: Map<string, HostArray>;
  /** scaling of a module (its name relative to the adapted model, e.g. blocks.0.attn.qkv or the full key prefix) */
  scaling(module: string): number;
  rank(module: string): number;
}

/** PEFT's get_pattern_key: the first pattern key that matches the end of the module name at a dot. */
function patternValue(pattern: Record<string, number> | undefined, module: string): number | undefined {
  if (!pattern) return undefined;
  for (const [k, v] of Object.entries(pattern)) {
    try {
      if (new RegExp(`(.*\\.)?(${k})$`).test(module)) return v;
    } catch { if (module === k || module.endsWith(`.${k}`)) return v; }
  }
  return undefined;
}

export function readLoraAdapter(dir: string): LoraAdapter {
  const cfgPath = join(dir, 'adapter_config.json');
  if (!existsSync(cfgPath)) throw new WeightsError(`${dir} is not a PEFT adapter folder: no adapter_config.json`);
  const st = join(dir, 'adapter_model.safetensors'), bin = join(dir, 'adapter_model.bin');
  const file = existsSync(st) ? st : existsSync(bin) ? bin : null;
  if (!file) throw new WeightsError(`${dir}: no adapter_model.safetensors or adapter_model.bin`);
  return parseLoraAdapter(readFileSync(cfgPath, 'utf8'), readCheckpoint(file).tensors, dir);
}

/** An adapter from its adapter_config.json text and its tensors (`where` names it in errors). */
export function parseLoraAdapter(configText: string, tensors: Map<string, HostArray>, where: string): LoraAdapter {
  let config: LoraConfig;
  try { config = JSON.parse(configText) as LoraConfig; } catch (e) { throw new WeightsError(`${where}/adapter_config.json is not valid JSON (${(e as Error).message})`); }
  if (config.peft_type && config.peft_type !== 'LORA') throw new WeightsError(`${where}: peft_type ${config.peft_type}; only LORA adapters can be merged`);
  if (config.use_dora) throw new WeightsError(`${where}: DoRA adapters (use_dora) are not supported`);
  if (!(config.r > 0) || !Number.isFinite(config.lora_alpha)) throw new WeightsError(`${where}/adapter_config.json: needs a positive r and a lora_alpha`);
  const rank = (m: string) => patternValue(config.rank_pattern, m) ?? config.r;
  const scaling = (m: string) => {
    const r = rank(m), a = patternValue(config.alpha_pattern, m) ?? config.lora_alpha;
    return config.use_rslora ? a / Math.sqrt(r) : a / r;
  };
  return { dir: where, config, tensors, rank, scaling };
}

/**
 * Merges the adapter's modules under `prefix` (e.g. 'base_model.model.extractor_list.1.model.') into a state dict
 * with the remaining names (blocks.0.attn.qkv.weight, ...): W += scaling * B @ A. Non-LoRA tensors under the
 * prefix (biases trained with bias='all' or 'lora_only') replace the base ones. Returns the new dict (the input is
 * not modified) and the merged module names.
 */
export function mergeLora(sd: ReadonlyMap<string, HostArray>, adapter: LoraAdapter, prefix: string): { sd: Map<string, HostArray>; merged: string[] } {
  const out = new Map(sd);
  const pairs = new Map<string, { A?: HostArray; B?: HostArray }>();
  for (const [k, a] of adapter.tensors) {
    if (!k.startsWith(prefix)) continue;
    const rest = k.slice(prefix.length);
    const m = /^(.*)\.lora_(A|B)(?:\.[^.]+)?\.weight$/.exec(rest);
    if (m) {
      const p = pairs.get(m[1]) ?? {};
      p[m[2] as 'A' | 'B'] = a;
      pairs.set(m[1], p);
    } else if (/\.lora_(embedding_[AB]|magnitude_vector)\b/.test(rest)) {
      throw new WeightsError(`${adapter.dir}: ${k}: only LoRA on linear layers can be merged`);
    } else {
      if (!out.has(rest)) throw new WeightsError(`${adapter.dir}: ${k} replaces '${rest}', which the model does not have`);
      out.set(rest, { dtype: 'f32', shape: [...a.shape], data: Float32Array.from(toFloat64(a)) });
    }
  }
  const merged: string[] = [];
  for (const [mod, { A, B }] of pairs) {
    if (!A || !B) throw new WeightsError(`${adapter.dir}: ${prefix}${mod} has lora_${A ? 'A' : 'B'} but not lora_${A ? 'B' : 'A'}`);
    const wk = `${mod}.weight`;
    const W = out.get(wk);
    if (!W) throw new WeightsError(`${adapter.dir}: LoRA on '${mod}', but the model has no '${wk}'`);
    const [r, inF] = A.shape, [outF, r2] = B.shape;
    const fanInFanOut = adapter.config.fan_in_fan_out ?? false;
    const [wo, wi] = fanInFanOut ? [W.shape[1], W.shape[0]] : [W.shape[0], W.shape[1]];
    if (r !== r2 || wo !== outF || wi !== inF) {
      throw new WeightsError(`${adapter.dir}: LoRA on '${mod}': A [${A.shape}] and B [${B.shape}] do not fit the weight [${W.shape}]`);
    }
    const full = `${prefix}${mod}`;
    if (adapter.rank(full) !== r) throw new WeightsError(`${adapter.dir}: '${mod}' has rank ${r} but the config says ${adapter.rank(full)}`);
    const s = adapter.scaling(full);
    const a = toFloat64(A), b = toFloat64(B), w = toFloat64(W);
    const res = new Float32Array(w.length);
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        let acc = 0;
        for (let k = 0; k < r; k++) acc += b[o * r + k] * a[k * inF + i];
        const idx = fanInFanOut ? i * outF + o : o * inF + i;
        res[idx] = w[idx] + s * acc;
      }
    }
    out.set(wk, { dtype: 'f32', shape: [...W.shape], data: res });
    merged.push(mod);
  }
  return { sd: out, merged };
}
