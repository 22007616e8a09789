// DreamSim weights in the cache: importing the upstream files (from folders, DreamSim's own Python cache folder, or
// the release zips), merging the LoRA adapters into the backbones, and storing one safetensors file per branch:
//   <home>/dreamsim/<type>/<branch>.safetensors   (module keys of src/models/vit.ts; metadata: config, sources)
// recorded in <home>/manifest.json. `pullDreamsim` downloads what weights/dreamsim.json lists and imports it.
//
// Where each branch's backbone comes from, first match wins (a folder's top level, its checkpoints/ folder, adapter
// subfolders, and the entries of any .zip in it):
//   dino_vitb16      dino_vitbase16_pretrain.pth (the torch.hub backbone DreamSim tunes), else the teacher of the
//                    full training checkpoint dino_vitb16_pretrain.pth inside DreamSim's zip (see the README)
//   clip_vitb16      clip_vitb16_pretrain.pth.tar (DreamSim's converted file), else OpenAI's ViT-B-16.pt (TorchScript)
//   open_clip_vitb16 open_clip_vitb16_pretrain.pth.tar, else open_clip_model.safetensors, open_clip_pytorch_model.bin,
//                    vit_b_16-laion400m_e31-00efa78f.pt
//   clip_vitb32 / open_clip_vitb32: <branch>_pretrain.pth.tar (else ViT-B-32.pt for CLIP)
//   dinov2_vitb14    dinov2_vitb14_pretrain.pth (DINOv2's plain state dict: what torch.hub.load('facebookresearch/dinov2',
//                    'dinov2_vitb14') caches under checkpoints/, and the file of that name in DreamSim's zip)
// and the adapter from <lora folder>/adapter_config.json + adapter_model.(safetensors|bin).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormatError, InputError, WeightsError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { encodeSafetensors, readSafetensors } from '../../io/safetensors.js';
import { openZipFile, type ZipArchive } from '../../io/zip.js';
import type { HostArray } from '../../io/host-array.js';
import { type Backend, getBackend } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { readCheckpoint, parseLoraAdapter, mergeLora, type LoraAdapter } from '../dreamsim-formats.js';
import { BRANCHES, DREAMSIM_TYPES, DREAMSIM_TYPE_NAMES, DreamSim, dreamsimFromStateDicts, type BranchName, type DreamsimType } from '../dreamsim.js';
import { detectVitLayout, toVitKeys, vitLayoutShapes, type VitConfig } from '../vit.js';
import { download, fileSink } from './download.js';
import { readManifest, weightsHome, writeManifest } from './store.js';
import { config } from '../../config.js';

export interface DreamsimFile { id: string; name: string; url: string; size: number | null; sha256: string | null; sha256Prefix?: string; licence: string; what: string }
export interface DreamsimManifest { note: string; licences: Record<string, string>; files: DreamsimFile[]; alternatives: (DreamsimFile & { branch: string })[] }

let cached: DreamsimManifest | null = null;
export function dreamsimManifest(): DreamsimManifest {
  if (!cached) cached = JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../weights/dreamsim.json'), 'utf8')) as DreamsimManifest;
  return cached;
}

/** Upstream files a type needs (ids in weights/dreamsim.json). */
export const DREAMSIM_FILES: Record<DreamsimType, string[]> = {
  ensemble: ['dino_vitb16', 'dreamsim_ensemble'],
  dino_vitb16: ['dino_vitb16', 'dreamsim_dino_vitb16'],
  clip_vitb32: ['dreamsim_clip_vitb32'],
  open_clip_vitb32: ['dreamsim_open_clip_vitb32'],
  dinov2_vitb14: ['dinov2_vitb14', 'dreamsim_dinov2_vitb14'],
};

const BASE_NAMES: Record<BranchName, string[]> = {
  dino_vitb16: ['dino_vitbase16_pretrain.pth', 'dino_vitb16_pretrain.pth'],
  clip_vitb16: ['clip_vitb16_pretrain.pth.tar', 'ViT-B-16.pt'],
  open_clip_vitb16: ['open_clip_vitb16_pretrain.pth.tar', 'open_clip_model.safetensors', 'open_clip_pytorch_model.bin', 'vit_b_16-laion400m_e31-00efa78f.pt'],
  clip_vitb32: ['clip_vitb32_pretrain.pth.tar', 'ViT-B-32.pt'],
  open_clip_vitb32: ['open_clip_vitb32_pretrain.pth.tar'],
  dinov2_vitb14: ['dinov2_vitb14_pretrain.pth'],
};

export const storedBranchPath = (type: DreamsimType, branch: BranchName) => `dreamsim/${type}/${branch}.safetensors`;

/** `dreamsim` or `dreamsim-<type>` -> the type; null for other targets. */
export function dreamsimTarget(t: string): DreamsimType | null {
  if (t === 'dreamsim') return 'ensemble';
  const m = /^dreamsim-(.+)$/.exec(t);
  if (!m) return null;
  if (!(DREAMSIM_TYPE_NAMES as string[]).includes(m[1])) throw new InputError(`unknown DreamSim type '${m[1]}'; choose from ${DREAMSIM_TYPE_NAMES.join(', ')}`);
  return m[1] as DreamsimType;
}

export const DREAMSIM_TARGETS = ['dreamsim', ...DREAMSIM_TYPE_NAMES.filter((t) => t !== 'ensemble').map((t) => `dreamsim-${t}`)];
const targetOf = (t: DreamsimType) => (t === 'ensemble' ? 'dreamsim' : `dreamsim-${t}`);

export function dreamsimMissing(type: DreamsimType, home: string): string[] {
  const m = readManifest(home);
  return DREAMSIM_TYPES[type].branches.map((b) => storedBranchPath(type, b)).filter((p) => !m.files[p] || !existsSync(join(home, p)));
}

export function requireDreamsim(type: DreamsimType, home: string): void {
  const missing = dreamsimMissing(type, home);
  if (!missing.length) return;
  const wd = home !== weightsHome() ? ` --weights-dir ${home}` : '';
  throw new WeightsError(`The DreamSim ${type} weights are not installed in ${home} (missing ${missing.join(', ')}).\n` +
    `Run:  dualneuron weights pull ${targetOf(type)}${wd}\n` +
    `  or, with the files at hand (${DREAMSIM_FILES[type].map((id) => dreamsimManifest().files.find((f) => f.id === id)!.name).join(', ')}, or a DreamSim Python cache folder):\n` +
    `  dualneuron weights import <folder> --only ${targetOf(type)}${wd}`);
}

/** sha256 of each branch's original checkpoint, from the manifest (no weights are read; '' if not recorded). */
export function dreamsimSha256(type: DreamsimType, home: string): Record<string, string> {
  const man = readManifest(home);
  return Object.fromEntries(DREAMSIM_TYPES[type].branches.map((b) => [b, man.files[storedBranchPath(type, b)]?.sha256Original ?? '']));
}

/** The installed DreamSim of a type, ready to embed (weights frozen). */
export function loadDreamsim(type: DreamsimType, opts: { weightsDir?: string; backend?: Backend } = {}): { model: DreamSim; sha256: Record<string, string> } {
  const home = weightsHome(opts.weightsDir);
  requireDreamsim(type, home);
  const sds = new Map<BranchName, Map<string, HostArray>>();
  const configs: Partial<Record<BranchName, VitConfig>> = {};
  for (const b of DREAMSIM_TYPES[type].branches) {
    const st = readSafetensors(join(home, storedBranchPath(type, b)));
    sds.set(b, st.tensors);
    if (st.metadata?.config) configs[b] = JSON.parse(st.metadata.config) as VitConfig;
  }
  return { model: dreamsimFromStateDicts(type, sds, opts.backend ?? getBackend(), configs), sha256: dreamsimSha256(type, home) };
}

// ------------------------------------------------------------------ sources: folders and zips

interface Source { path: string; origin: string; read(): Uint8Array }

/** Why a file met while walking a folder cannot be read: a FormatError's or OS error's message without the path. */
function unreadable(path: string, e: unknown): string {
  if (!(e instanceof FormatError) && typeof (e as NodeJS.ErrnoException)?.code !== 'string') throw e;
  // the reader's advice to download the file again does not fit a file that is merely unrelated
  const msg = (e as Error).message.replace(/; download or copy the file again$/, '');
  return msg.startsWith(`${path}: `) ? msg.slice(path.length + 2) : msg;
}

/**
 * Every file below the given folders (two levels) and inside any zip among them or given directly. A folder may
 * hold unrelated files: a .zip in it that does not open (or an entry or subfolder that cannot be read) is skipped
 * with a note in `log`, while a zip given directly must open.
 */
function collectSources(inputs: string[], log: (s: string) => void): { sources: Source[]; zips: ZipArchive[] } {
  const sources: Source[] = [];
  const zips: ZipArchive[] = [];
  const addZip = (p: string, given: boolean) => {
    let z: ZipArchive;
    try {
      z = openZipFile(p);
    } catch (e) {
      if (given) throw e;
      log(`note: skipping ${p}: ${unreadable(p, e)}`);
      return;
    }
    zips.push(z);
    for (const n of z.names()) if (!n.endsWith('/')) sources.push({ path: n, origin: `${p}:${n}`, read: () => z.read(n) });
  };
  try {
    for (const inp of inputs) {
      const p = resolve(inp);
      if (!existsSync(p)) throw new InputError(`weights import: ${inp} does not exist`);
      if (statSync(p).isFile()) {
        if (p.endsWith('.zip')) addZip(p, true);
        else sources.push({ path: basename(p), origin: p, read: () => new Uint8Array(readFileSync(p)) });
        continue;
      }
      const walk = (dir: string, depth: number) => {
        let names: string[];
        try { names = readdirSync(dir); } catch (e) {
          if (dir === p) throw e;
          log(`note: skipping ${dir}: ${unreadable(dir, e)}`);
          return;
        }
        for (const name of names) {
          const f = join(dir, name);
          let st;
          try { st = statSync(f); } catch (e) { log(`note: skipping ${f}: ${unreadable(f, e)}`); continue; }
          if (st.isDirectory()) { if (depth < 2) walk(f, depth + 1); continue; }
          if (name.endsWith('.zip')) addZip(f, false);
          else sources.push({ path: relative(p, f).split('\\').join('/'), origin: f, read: () => new Uint8Array(readFileSync(f)) });
        }
      };
      walk(p, 0);
    }
  } catch (e) {
    for (const z of zips) z.close();
    throw e;
  }
  return { sources, zips };
}

const find = (sources: Source[], name: string) => sources.find((s) => s.path === name || s.path.endsWith(`/${name}`));

function findAdapter(sources: Source[], folder: string): { adapter: LoraAdapter; sha256: string; origin: string } | null {
  const cfg = find(sources, `${folder}/adapter_config.json`);
  if (!cfg) return null;
  const dir = cfg.path.slice(0, -'/adapter_config.json'.length);
  const model = sources.find((s) => s.path === `${dir}/adapter_model.safetensors`) ?? sources.find((s) => s.path === `${dir}/adapter_model.bin`);
  if (!model) throw new WeightsError(`${cfg.origin}: the adapter folder has no adapter_model.safetensors or adapter_model.bin`);
  const bytes = model.read();
  const where = cfg.origin.slice(0, -'/adapter_config.json'.length);
  const adapter = parseLoraAdapter(new TextDecoder().decode(cfg.read()), readCheckpoint(bytes, model.origin).tensors, where);
  return { adapter, sha256: sha256(bytes), origin: model.origin };
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A file whose checksum upstream publishes (OpenAI CLIP: in the URL; OpenCLIP releases: a prefix in the name). */
function verifyKnown(name: string, digest: string): { ok: boolean; expected: string } | null {
  const m = dreamsimManifest();
  const f = [...m.files, ...m.alternatives].find((x) => x.name === name && (x.sha256 || x.sha256Prefix));
  if (!f) return null;
  if (f.sha256) return { ok: digest === f.sha256, expected: f.sha256 };
  return { ok: digest.startsWith(f.sha256Prefix!), expected: `${f.sha256Prefix!}...` };
}

/** Check a converted state dict against the branch's expected keys and shapes. */
function checkShapes(sd: Map<string, HostArray>, cfg: VitConfig, where: string): void {
  const want = vitLayoutShapes(cfg, 'dino');
  const missing = [...want.keys()].filter((k) => !sd.has(k));
  const bad = [...want].filter(([k, s]) => sd.has(k) && sd.get(k)!.shape.join(',') !== s.join(',')).map(([k, s]) => `${k}: [${sd.get(k)!.shape}] vs [${s}]`);
  if (missing.length || bad.length) {
    throw new WeightsError(`${where} does not fit this branch (${cfg.width} wide, ${cfg.depth} blocks, patch ${cfg.patchSize}):` +
      `${missing.length ? ` missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''};` : ''}${bad.length ? ` shapes ${bad.slice(0, 3).join('; ')}` : ''}`);
  }
  for (const k of [...sd.keys()]) if (!want.has(k)) sd.delete(k);
}

export interface DreamsimImportResult { stored: string[]; types: DreamsimType[]; skipped: { type: DreamsimType; why: string }[] }

/**
 * Imports every requested type whose files are found (all types when `types` is absent: those with no files are
 * skipped quietly; requested ones without files are errors). `configs` overrides branch configs (tests).
 */
export function importDreamsim(inputs: string[], home: string, opts: { types?: DreamsimType[]; log?: (s: string) => void; configs?: Partial<Record<BranchName, VitConfig>>; force?: boolean } = {}): DreamsimImportResult {
  const log = opts.log ?? (() => {});
  const { sources, zips } = collectSources(inputs, log);
  const res: DreamsimImportResult = { stored: [], types: [], skipped: [] };
  try {
    for (const type of opts.types ?? DREAMSIM_TYPE_NAMES) {
      const spec = DREAMSIM_TYPES[type];
      const baseSrc = spec.branches.map((b) => BASE_NAMES[b].map((n) => find(sources, n)).find(Boolean));
      const hasAdapter = !!find(sources, `${spec.lora}/adapter_config.json`);
      const missing = [...spec.branches.filter((_, i) => !baseSrc[i]).map((b) => `a ${b} backbone (${BASE_NAMES[b].join(' or ')})`), ...(hasAdapter ? [] : [`${spec.lora}/adapter_config.json`])];
      if (missing.length) {
        if (opts.types) throw new WeightsError(`DreamSim ${type}: not found in ${inputs.join(', ')}: ${missing.join('; ')}`);
        res.skipped.push({ type, why: missing.join('; ') });
        continue;
      }
      const { adapter, sha256: adapterSha, origin: adapterOrigin } = findAdapter(sources, spec.lora)!;
      spec.branches.forEach((branch, i) => {
        const src = baseSrc[i]!;
        const bytes = src.read();
        const digest = sha256(bytes);
        const v = verifyKnown(basename(src.path), digest);
        if (v && !v.ok) {
          const msg = `${src.origin}: sha256 ${digest} does not match the published ${v.expected} of ${basename(src.path)}`;
          if (!opts.force) throw new WeightsError(`${msg}.\nIt may be corrupt or another file under that name; pass --force to import it anyway.`);
          log(`warning: ${msg} (imported because of --force)`);
        } else if (v) log(`  ${basename(src.path)}: sha256 verified`);
        const ck = readCheckpoint(bytes, src.origin);
        const layout = detectVitLayout(ck.tensors);
        if (!layout) throw new WeightsError(`${src.origin}: no ViT tower found (${ck.tensors.size} tensors, e.g. ${[...ck.tensors.keys()].slice(0, 3).join(', ')})`);
        const cfg = opts.configs?.[branch] ?? BRANCHES[branch].config;
        let sd = toVitKeys(ck.tensors, layout);
        checkShapes(sd, cfg, src.origin);
        const m = mergeLora(sd, adapter, `base_model.model.extractor_list.${i}.model.`);
        if (!m.merged.length) throw new WeightsError(`${adapterOrigin}: no LoRA weights for extractor_list.${i} (${branch})`);
        sd = m.sd;
        const rel = storedBranchPath(type, branch);
        const out = encodeSafetensors(sd, {
          format: 'pt', config: JSON.stringify(cfg), branch, type, source: src.origin, source_format: `${ck.format}${ck.note ? ` (${ck.note})` : ''}, ${layout} layout`,
          sha256_source: digest, lora: adapterOrigin, sha256_lora: adapterSha, lora_scaling: String(adapter.scaling(`base_model.model.extractor_list.${i}.model.${m.merged[0]}`)), lora_modules: String(m.merged.length),
        });
        const dst = join(home, rel);
        ensureDir(dirname(dst));
        writeFileAtomic(dst, out);
        const man = readManifest(home);
        man.files[rel] = {
          upstreamPath: `${basename(src.path)} + ${spec.lora}`, source: src.origin, sha256Original: digest, sizeOriginal: bytes.length,
          sha256Stored: sha256(out), licence: [dreamsimManifest().licences.dreamsim, dreamsimManifest().licences[branch.replace(/_vitb\d+$/, '')] ?? ''].filter(Boolean).join('; '),
          importedAt: new Date().toISOString(),
        };
        writeManifest(home, man);
        res.stored.push(rel);
        log(`  ${rel}  <- ${src.origin} (${ck.format}, ${layout} keys) + ${m.merged.length} LoRA modules from ${adapterOrigin}`);
      });
      res.types.push(type);
    }
  } finally {
    for (const z of zips) z.close();
  }
  return res;
}

// ------------------------------------------------------------------ pull

/** Where a file is downloaded from: the manifest URL, or `<mirror>/<name>`. */
export function urlOf(f: DreamsimFile, mirror?: string): string {
  return mirror ? `${mirror.replace(/\/+$/, '')}/${f.name}` : f.url;
}

const IF_OFFLINE = 'On a machine with network, download the files listed in weights/dreamsim.json (or copy a DreamSim ' +
  'Python cache folder, ./models by default), bring them here and run `dualneuron weights import <folder> --only dreamsim` (or --only dreamsim-<type>).';

/** Downloads the files of the given types into <home>/downloads, verifies what can be verified, imports them. */
export async function pullDreamsim(types: DreamsimType[], home: string, opts: { force?: boolean; mirror?: string; keepDownloads?: boolean; log?: (s: string) => void; configs?: Partial<Record<BranchName, VitConfig>> } = {}): Promise<string[]> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const todo = types.filter((t) => opts.force || dreamsimMissing(t, home).length > 0);
  if (!todo.length) { log(`DreamSim ${types.join(', ')}: already installed in ${home}`); return []; }
  const man = dreamsimManifest();
  const ids = [...new Set(todo.flatMap((t) => DREAMSIM_FILES[t]))];
  const files = ids.map((id) => man.files.find((f) => f.id === id)!);
  const dir = join(home, 'downloads');
  const mirror = opts.mirror ?? config().dreamsimMirror ?? undefined;
  log(`downloading ${files.length} files for DreamSim ${todo.join(', ')}${mirror ? ` from ${mirror}` : ''} (sizes are not published upstream; the release zips are several hundred MB to GBs)`);
  const paths: string[] = [];
  for (const f of files) {
    const dst = join(dir, f.name);
    const progress = new Progress({ total: f.size ?? undefined, unit: 'B', label: f.name });
    const got = await download(urlOf(f, mirror), fileSink(dst), { progress, ifOffline: IF_OFFLINE });
    progress.finish();
    if (f.size !== null && got.size !== f.size) { rmSync(dst, { force: true }); throw new WeightsError(`${f.name}: ${got.size} bytes, expected ${f.size}; nothing was stored`); }
    if (f.sha256 && got.sha256 !== f.sha256) { rmSync(dst, { force: true }); throw new WeightsError(`${f.name}: sha256 ${got.sha256}, expected ${f.sha256}; nothing was stored`); }
    log(`  ${f.name}: ${(got.size / 2 ** 20).toFixed(1)} MiB, sha256 ${got.sha256}${f.sha256 ? ' (verified)' : ' (no published checksum; checked by reading it)'}`);
    paths.push(dst);
  }
  const r = importDreamsim(paths, home, { types: todo, log, configs: opts.configs });
  if (!opts.keepDownloads) for (const p of paths) rmSync(p, { force: true });
  return r.stored;
}

export interface DreamsimRow { target: string; type: DreamsimType; installed: boolean; files: number; bytes: number }

export function listDreamsim(home: string): DreamsimRow[] {
  return DREAMSIM_TYPE_NAMES.map((type) => {
    const paths = DREAMSIM_TYPES[type].branches.map((b) => storedBranchPath(type, b)).filter((p) => existsSync(join(home, p)));
    return { target: targetOf(type), type, installed: dreamsimMissing(type, home).length === 0, files: paths.length, bytes: paths.reduce((s, p) => s + statSync(join(home, p)).size, 0) };
  });
}
