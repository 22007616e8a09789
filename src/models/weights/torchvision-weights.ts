// torchvision ImageNet weights in the cache: `weights import FILE.pth` (the model told by --only or by the keys),
// `weights pull vgg16|vgg16_bn|resnet50|vit_b_16` from torchvision's URLs, stored as
//   <home>/torchvision/<id>.safetensors   (torchvision's keys; metadata: model, variant, source, sha256)
// recorded in <home>/manifest.json. torchvision publishes no checksum list: the file name carries the first hex
// digits of the file's sha256 (`vgg16-397923af.pth`), which torch.hub's check_hash compares; so do we, for a
// download and for an imported file whose name has such a suffix.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, WeightsError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { readTorchCheckpoint } from '../../io/pytorch.js';
import { encodeSafetensors, readSafetensors } from '../../io/safetensors.js';
import { type Backend, getBackend } from '../../tensor/index.js';
import type { Module } from '../../nn/module.js';
import type { HostArray } from '../../io/host-array.js';
import { Progress } from '../../util/progress.js';
import { TORCHVISION, TORCHVISION_IDS, buildTorchvision, detectTorchvision, type TorchvisionId, type Variant } from '../torchvision/zoo.js';
import { download, fileSink } from './download.js';
import { checkStateDict } from './state-dict-check.js';
import { readManifest, weightsHome, writeManifest } from './store.js';

const LICENCE = 'BSD-3-Clause (torchvision); trained on ImageNet-1k, whose terms restrict use to non-commercial research';
export const storedTorchvision = (id: TorchvisionId) => `torchvision/${id}.safetensors`;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The hash prefix in a torchvision file name (`name-<hex>.pth`, torch.hub's HASH_REGEX), or null. */
export function hashPrefixOf(fileName: string): string | null {
  return /-([a-f0-9]+)\./.exec(basename(fileName))?.[1] ?? null;
}

/** Whether `bytes` have the sha256 whose prefix `fileName` carries ('none' when the name carries none). */
export function checkHashPrefix(fileName: string, bytes: Uint8Array): { ok: boolean; prefix: string | null; sha256: string } {
  const prefix = hashPrefixOf(fileName), digest = sha256(bytes);
  return { ok: prefix === null || digest.startsWith(prefix), prefix, sha256: digest };
}

/** The shapes the model expects, by key. */
function wantedShapes(m: Module): Map<string, readonly number[]> {
  return new Map([...m.stateDict()].map(([k, t]) => [k, t.shape] as [string, readonly number[]]));
}

export interface TorchvisionImportOptions {
  /** the model the file holds (default: told by its keys) */
  id?: TorchvisionId;
  /** tests: the small variant */
  variant?: Variant;
  force?: boolean;
  log?: (s: string) => void;
  /** recorded as the source (default: the file's path) */
  source?: string;
}

/** Imports a torchvision .pth (a state dict) into the cache; returns the model and the stored path (relative). */
export function importTorchvision(file: string, home: string, o: TorchvisionImportOptions = {}): { id: TorchvisionId; stored: string } {
  const log = o.log ?? (() => {});
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) throw new InputError(`weights import: ${file} is not a file`);
  const bytes = new Uint8Array(readFileSync(path));
  const h = checkHashPrefix(path, bytes);
  if (!h.ok) {
    const msg = `${path}: sha256 ${h.sha256} does not start with ${h.prefix}, the hash prefix in its name`;
    if (!o.force) throw new WeightsError(`${msg}.\nThe file is damaged or renamed; download it again (dualneuron weights pull) or pass --force to import it anyway.`);
    log(`warning: ${msg} (imported because of --force)`);
  }
  const sd0 = readTorchCheckpoint(bytes, path);
  const id = o.id ?? detectTorchvision(sd0.keys());
  if (!id) {
    throw new WeightsError(`${path} holds none of ${TORCHVISION_IDS.join(', ')} (its first keys: ${[...sd0.keys()].slice(0, 6).join(', ')}). ` +
      'Expected a state dict saved by torch.save(model.state_dict()) from torchvision.models; name the model with --only if the keys are right.');
  }
  const variant = o.variant ?? 'full';
  const model = buildTorchvision(id, { variant });
  // BatchNorm's integer step counters are kept as they are; everything else is checked and made float32
  const counter = (k: string) => k.endsWith('.num_batches_tracked');
  let sd: Map<string, HostArray>;
  try {
    const want = new Map([...wantedShapes(model)].filter(([k]) => !counter(k)));
    sd = checkStateDict(new Map([...sd0].filter(([k]) => !(counter(k) && want.has(k.replace(/num_batches_tracked$/, 'running_mean'))))), want, {
      header: `${path} does not fit torchvision's ${id}${variant === 'tiny' ? ' (tiny test variant)' : ''}:`,
      footer: `Expected ${TORCHVISION[id].url} (IMAGENET1K_V1) or a state dict of torchvision.models.${id}().`,
    });
    for (const [k, a] of sd0) if (counter(k) && want.has(k.replace(/num_batches_tracked$/, 'running_mean'))) sd.set(k, a);
  } finally {
    model.dispose();
  }
  const out = encodeSafetensors(sd, { format: 'pt', model: id, variant, source: o.source ?? path, sha256_source: h.sha256 });
  const rel = storedTorchvision(id);
  const dst = join(home, rel);
  ensureDir(dirname(dst));
  writeFileAtomic(dst, out);
  const man = readManifest(home);
  man.files[rel] = { upstreamPath: basename(TORCHVISION[id].url), source: o.source ?? path, sha256Original: h.sha256, sizeOriginal: bytes.length, sha256Stored: sha256(out), licence: LICENCE, importedAt: new Date().toISOString() };
  writeManifest(home, man);
  log(`  ${rel}  <- ${path} (${sd.size} tensors; sha256 ${h.sha256.slice(0, 16)}...${h.prefix ? `, matches the name's ${h.prefix}` : ', no hash in the name'})`);
  return { id, stored: rel };
}

export const torchvisionInstalled = (id: TorchvisionId, home: string): boolean => !!readManifest(home).files[storedTorchvision(id)] && existsSync(join(home, storedTorchvision(id)));

/** The installed model with its weights, frozen, in eval mode; sha256 of the original .pth. */
export function loadTorchvision(id: TorchvisionId, o: { weightsDir?: string; backend?: Backend } = {}): { model: Module; variant: Variant; sha256: string; path: string } {
  const home = weightsHome(o.weightsDir);
  if (!torchvisionInstalled(id, home)) {
    const wd = home !== weightsHome() ? ` --weights-dir ${home}` : '';
    throw new WeightsError(`torchvision's ${id} weights are not installed in ${home} (missing ${storedTorchvision(id)}).\n` +
      `Run:  dualneuron weights pull ${id}${wd}\n  or, with ${basename(TORCHVISION[id].url)} at hand (${TORCHVISION[id].url}):  dualneuron weights import FILE.pth${wd}`);
  }
  const path = join(home, storedTorchvision(id));
  const st = readSafetensors(path);
  const variant: Variant = st.metadata?.variant === 'tiny' ? 'tiny' : 'full';
  const model = buildTorchvision(id, { variant, backend: o.backend ?? getBackend() });
  model.loadStateDict(st.tensors, { source: path });
  model.requiresGrad_(false).eval();
  return { model, variant, sha256: readManifest(home).files[storedTorchvision(id)]?.sha256Original ?? '', path };
}

/** Downloads torchvision's file into <home>/downloads, checks the sha256 prefix of its name, imports it. */
export async function pullTorchvision(id: TorchvisionId, home: string, o: { force?: boolean; keepDownloads?: boolean; log?: (s: string) => void } = {}): Promise<string | null> {
  const log = o.log ?? ((s: string) => console.error(s));
  if (!o.force && torchvisionInstalled(id, home)) { log(`${id}: already installed in ${home}`); return null; }
  const url = TORCHVISION[id].url, name = basename(url);
  const dst = join(home, 'downloads', name);
  log(`downloading ${name} (${TORCHVISION[id].what}) from ${url}`);
  const progress = new Progress({ unit: 'B', label: name });
  const got = await download(url, fileSink(dst), { progress, ifOffline: `On a machine with network, download ${url}, bring it here and run \`dualneuron weights import ${name}\`.` });
  progress.finish();
  const prefix = hashPrefixOf(name)!;
  if (!got.sha256.startsWith(prefix)) { rmSync(dst, { force: true }); throw new WeightsError(`${name} from ${url}: sha256 ${got.sha256} does not start with ${prefix}; nothing was stored, try again`); }
  try {
    return importTorchvision(dst, home, { id, log, source: url }).stored;
  } finally {
    if (!o.keepDownloads) rmSync(dst, { force: true });
  }
}

