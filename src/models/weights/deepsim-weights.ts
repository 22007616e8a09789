// DeePSim fc6 generator weights in the cache: importing the published upconvGAN_fc6.pt (a torch.save'd state dict of
// upstream's upconvGAN('fc6').G), checking every key and shape, and storing it as
//   <home>/deepsim/fc6.safetensors   (keys of src/models/deepsim-fc6.ts; metadata: config, source, sha256)
// recorded in <home>/manifest.json. `pullDeepsimFc6` downloads what weights/deepsim.json lists and imports it.
//
// Keys: upstream's loader replaces '.1.' by '.' in every key before load_state_dict (older conversions wrapped each
// layer so that keys read 'deconv5.1.weight'); the published file loads as it is. Both spellings are accepted.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { config } from '../../config.js';
import { fileURLToPath } from 'node:url';
import { InputError, WeightsError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import type { HostArray } from '../../io/host-array.js';
import { readTorchCheckpoint } from '../../io/pytorch.js';
import { encodeSafetensors, readSafetensors } from '../../io/safetensors.js';
import { type Backend, getBackend } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { DEEPSIM_FC6, DeepSimFc6, checkDeepsimFc6Config, deepsimFc6Shapes, type DeepSimFc6Config } from '../deepsim-fc6.js';
import { download, fileSink } from './download.js';
import { readManifest, weightsHome, writeManifest } from './store.js';
import { checkStateDict } from './state-dict-check.js';

export interface DeepsimFile { id: string; name: string; url: string; size: number | null; sha256: string | null; licence: string; what: string; stored: string }
export interface DeepsimManifest { note: string; files: DeepsimFile[] }

let cached: DeepsimManifest | null = null;
export function deepsimManifest(): DeepsimManifest {
  if (!cached) cached = JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../weights/deepsim.json'), 'utf8')) as DeepsimManifest;
  return cached;
}

export const DEEPSIM_FC6_TARGET = 'deepsim-fc6';
export const DEEPSIM_FC6_STORED = 'deepsim/fc6.safetensors';

function fc6File(): DeepsimFile {
  const f = deepsimManifest().files.find((x) => x.id === DEEPSIM_FC6_TARGET);
  if (!f) throw new WeightsError(`weights/deepsim.json has no '${DEEPSIM_FC6_TARGET}' entry; the package is damaged, reinstall it`);
  return f;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Upstream's key rewrite: every '.1.' becomes '.' ('deconv5.1.weight' -> 'deconv5.weight'); two keys meeting is an error. */
export function rewriteDeepsimKeys(sd: ReadonlyMap<string, HostArray>, where: string): Map<string, HostArray> {
  const out = new Map<string, HostArray>();
  const from = new Map<string, string>();
  for (const [k, v] of sd) {
    const name = k.split('.1.').join('.');
    if (out.has(name)) throw new WeightsError(`${where}: keys '${from.get(name)}' and '${k}' both become '${name}' after upstream's '.1.' -> '.' rewrite; the checkpoint is not a DeePSim generator state dict`);
    out.set(name, v);
    from.set(name, k);
  }
  return out;
}


/**
 * Checks a (rewritten) state dict against the generator's keys and shapes for `config`; every problem is listed
 * (missing keys, unexpected keys, shape mismatches as 'key: checkpoint [..] vs model [..]', non-float tensors).
 * Returns the tensors as float32.
 */
export function checkDeepsimFc6StateDict(sd: ReadonlyMap<string, HostArray>, where: string, config: DeepSimFc6Config = DEEPSIM_FC6): Map<string, HostArray> {
  return checkStateDict(sd, deepsimFc6Shapes(config), {
    header: `${where} does not fit the DeePSim fc6 generator (code ${config.codeDim}, channels ${fmt(config.channels)}):`,
    footer: `Expected upconvGAN_fc6.pt (${fc6File().url}); another upconvGAN (fc7, fc8, pool5, ...) or a damaged download does not fit.`,
  });
}

/**
 * Where upconvGAN_fc6.pt is below `input` without being asked for by name: the file itself if it has that name,
 * or the file in the folder or its checkpoints/ (torch hub's layout); null if none (`weights import` of all targets).
 */
export function findDeepsimFc6(input: string): string | null {
  const p = resolve(input);
  const name = fc6File().name;
  if (!existsSync(p)) return null;
  if (statSync(p).isFile()) return basename(p) === name ? p : null;
  return [join(p, name), join(p, 'checkpoints', name)].find((c) => existsSync(c)) ?? null;
}

/** The checkpoint to import: `input` itself if a file (any name), or upconvGAN_fc6.pt in the folder or its checkpoints/. */
function findCheckpoint(input: string): string {
  const p = resolve(input);
  if (!existsSync(p)) throw new InputError(`weights import: ${input} does not exist`);
  if (statSync(p).isFile()) return p;
  const name = fc6File().name;
  for (const c of [join(p, name), join(p, 'checkpoints', name)]) if (existsSync(c)) return c;
  throw new InputError(`weights import: no ${name} in ${input} (looked at the top level and checkpoints/; found ${readdirSync(p).slice(0, 8).join(', ') || 'nothing'}). ` +
    `Download it from ${fc6File().url} or run \`dualneuron weights pull ${DEEPSIM_FC6_TARGET}\`.`);
}

export interface DeepsimImportOptions {
  /** widths of the network the file must fit (default: the published network; tests import small ones) */
  config?: DeepSimFc6Config;
  /** import even if the file's sha256 differs from a published one */
  force?: boolean;
  log?: (s: string) => void;
  /** recorded as the source (default: the file's path) */
  source?: string;
}

/** Imports upconvGAN_fc6.pt (a file, or a folder holding it) into the cache; returns the stored path (relative). */
export function importDeepsimFc6(input: string, home: string, opts: DeepsimImportOptions = {}): string {
  const log = opts.log ?? (() => {});
  const config = opts.config ?? DEEPSIM_FC6;
  checkDeepsimFc6Config(config);
  const path = findCheckpoint(input);
  const bytes = new Uint8Array(readFileSync(path));
  const digest = sha256(bytes);
  const f = fc6File();
  if (f.sha256 && digest !== f.sha256) {
    const msg = `${path}: sha256 ${digest} does not match the published ${f.sha256} of ${f.name}`;
    if (!opts.force) throw new WeightsError(`${msg}.\nIt may be corrupt or another file under that name; pass --force to import it anyway.`);
    log(`warning: ${msg} (imported because of --force)`);
  }
  const read = readTorchCheckpoint(bytes, path);
  const rewritten = rewriteDeepsimKeys(read, path);
  const renamed = [...read.keys()].filter((k) => k.includes('.1.')).length;
  const sd = checkDeepsimFc6StateDict(rewritten, path, config);
  const out = encodeSafetensors(sd, {
    format: 'pt', model: 'deepsim-fc6', config: JSON.stringify(config), source: opts.source ?? path, sha256_source: digest,
    keys: renamed ? `${renamed} keys renamed by upstream's '.1.' -> '.' rewrite` : 'as published',
  });
  const dst = join(home, DEEPSIM_FC6_STORED);
  ensureDir(dirname(dst));
  writeFileAtomic(dst, out);
  const man = readManifest(home);
  man.files[DEEPSIM_FC6_STORED] = {
    upstreamPath: f.name, source: opts.source ?? path, sha256Original: digest, sizeOriginal: bytes.length,
    sha256Stored: sha256(out), licence: f.licence, importedAt: new Date().toISOString(),
  };
  writeManifest(home, man);
  log(`  ${DEEPSIM_FC6_STORED}  <- ${path} (${sd.size} tensors${renamed ? `, ${renamed} keys renamed '.1.' -> '.'` : ''}; sha256 ${digest}${f.sha256 ? ', verified' : ', no published checksum'})`);
  return DEEPSIM_FC6_STORED;
}

export function deepsimFc6Installed(home: string): boolean {
  return !!readManifest(home).files[DEEPSIM_FC6_STORED] && existsSync(join(home, DEEPSIM_FC6_STORED));
}

export function requireDeepsimFc6(home: string): void {
  if (deepsimFc6Installed(home)) return;
  const wd = home !== weightsHome() ? ` --weights-dir ${home}` : '';
  throw new WeightsError(`The DeePSim fc6 generator's weights are not installed in ${home} (missing ${DEEPSIM_FC6_STORED}).\n` +
    `Run:  dualneuron weights pull ${DEEPSIM_FC6_TARGET}${wd}\n` +
    `  or, with ${fc6File().name} at hand (${fc6File().url}):  dualneuron weights import <file or folder> --only ${DEEPSIM_FC6_TARGET}${wd}`);
}

/** The installed generator, weights frozen, in eval mode. */
export function loadDeepsimFc6(opts: { weightsDir?: string; backend?: Backend } = {}): { model: DeepSimFc6; sha256: string; path: string } {
  const home = weightsHome(opts.weightsDir);
  requireDeepsimFc6(home);
  const path = join(home, DEEPSIM_FC6_STORED);
  const st = readSafetensors(path);
  let config = DEEPSIM_FC6;
  if (st.metadata?.config) {
    try {
      config = JSON.parse(st.metadata.config) as DeepSimFc6Config;
    } catch {
      config = null as unknown as DeepSimFc6Config;
    }
    if (!config || typeof config.codeDim !== 'number' || !Array.isArray(config.channels)) {
      throw new WeightsError(`${path}: its metadata 'config' (${st.metadata.config.slice(0, 80)}) is not a DeePSim fc6 config; import the weights again`);
    }
  }
  const sd = checkDeepsimFc6StateDict(st.tensors, path, config);
  const model = new DeepSimFc6(config, { backend: opts.backend ?? getBackend() });
  model.loadStateDict(sd, { source: path });
  model.requiresGrad_(false).eval();
  return { model, sha256: readManifest(home).files[DEEPSIM_FC6_STORED]?.sha256Original ?? '', path };
}

const IF_OFFLINE = `On a machine with network, download ${'upconvGAN_fc6.pt'} (weights/deepsim.json lists the URL), bring it here and run ` +
  `\`dualneuron weights import <file> --only ${DEEPSIM_FC6_TARGET}\`.`;

/** Downloads upconvGAN_fc6.pt into <home>/downloads (from `mirror`/<name> if given), verifies what can be, imports it. */
export async function pullDeepsimFc6(home: string, opts: { force?: boolean; mirror?: string; keepDownloads?: boolean; log?: (s: string) => void; config?: DeepSimFc6Config } = {}): Promise<string | null> {
  const log = opts.log ?? ((s: string) => console.error(s));
  if (!opts.force && deepsimFc6Installed(home)) { log(`DeePSim fc6: already installed in ${home}`); return null; }
  const f = fc6File();
  const mirror = opts.mirror ?? config().deepsimMirror ?? undefined;
  const url = mirror ? `${mirror.replace(/\/+$/, '')}/${f.name}` : f.url;
  const dst = join(home, 'downloads', f.name);
  log(`downloading ${f.name} (about 224 MB) from ${url}`);
  const progress = new Progress({ total: f.size ?? undefined, unit: 'B', label: f.name });
  const got = await download(url, fileSink(dst), { progress, ifOffline: IF_OFFLINE });
  progress.finish();
  const fail = (why: string): never => { rmSync(dst, { force: true }); throw new WeightsError(`${f.name} from ${url}: ${why}; nothing was stored`); };
  if (f.size !== null && got.size !== f.size) fail(`${got.size} bytes, expected ${f.size}`);
  if (f.sha256 && got.sha256 !== f.sha256) fail(`sha256 ${got.sha256}, expected ${f.sha256}`);
  let stored: string;
  try {
    stored = importDeepsimFc6(dst, home, { config: opts.config, log, source: url });
  } finally {
    if (!opts.keepDownloads) rmSync(dst, { force: true });
  }
  return stored;
}
