// BigGAN-deep-256 weights in the cache: importing pytorch_pretrained_biggan's pytorch_model.bin (a state dict in the
// legacy torch.save format) with its config.json, checking the config and every key and shape, and storing it as
//   <home>/biggan/biggan-deep-256.safetensors   (the published keys; metadata: config, source, sha256 of both files)
// recorded in <home>/manifest.json. `pullBiggan` downloads what weights/biggan.json lists and imports it.
//
// Where the files are: a folder holding config.json + pytorch_model.bin (upstream's from_pretrained(<folder>)), or
// biggan-deep-256-config.json + biggan-deep-256-pytorch_model.bin (the published names, as Wang & Ponce keep them
// in torch hub's folder), or the .bin itself with one of those config names beside it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, WeightsError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import type { HostArray } from '../../io/host-array.js';
import { readAnyTorchCheckpoint } from '../../io/pytorch-legacy.js';
import { encodeSafetensors, readSafetensors } from '../../io/safetensors.js';
import { type Backend, getBackend } from '../../tensor/index.js';
import { Progress } from '../../util/progress.js';
import { BIGGAN_DEEP_256, BigGanDeep, type BigGanConfig, bigganConfigFromJson, bigganConfigJson, bigganShapes, checkBigganConfig } from '../biggan.js';
import { download, fileSink } from './download.js';
import { readManifest, weightsHome, writeManifest } from './store.js';
import { checkStateDict } from './state-dict-check.js';

export interface BigganFile { id: string; name: string; url: string; localNames: string[]; size: number | null; sha256: string | null; licence: string; what: string; stored: string }
export interface BigganManifest { note: string; files: BigganFile[] }

let cached: BigganManifest | null = null;
export function bigganManifest(): BigganManifest {
  if (!cached) cached = JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../weights/biggan.json'), 'utf8')) as BigganManifest;
  return cached;
}

export const BIGGAN_TARGET = 'biggan-deep-256';
export const BIGGAN_STORED = 'biggan/biggan-deep-256.safetensors';

function entry(id: string): BigganFile {
  const f = bigganManifest().files.find((x) => x.id === id);
  if (!f) throw new WeightsError(`weights/biggan.json has no '${id}' entry; the package is damaged, reinstall it`);
  return f;
}
const weightsFile = () => entry(BIGGAN_TARGET);
const configFile = () => entry(`${BIGGAN_TARGET}-config`);

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Checks a state dict against BigGAN-deep's keys and shapes for `config`; every problem is listed (missing keys,
 * unexpected keys, shape mismatches as 'key: checkpoint [..] vs model [..]', non-float tensors). Returns the
 * tensors as float32, in the model's key order.
 */
export function checkBigganStateDict(sd: ReadonlyMap<string, HostArray>, where: string, config: BigGanConfig = BIGGAN_DEEP_256): Map<string, HostArray> {
  return checkStateDict(sd, bigganShapes(config), {
    header: `${where} does not fit BigGAN-deep (output ${config.outputDim}, channel width ${config.channelWidth}, z ${config.zDim}, ${config.numClasses} classes, ${config.layers.length} blocks):`,
    hints: (missing, unexpected) => unexpected.some((k) => k.endsWith('.weight')) && missing.some((k) => k.endsWith('.weight_orig'))
      ? ['  (plain .weight keys where weight_orig/weight_u/weight_v are expected: the checkpoint was saved without torch\'s spectral_norm)'] : [],
    footer: `Expected pytorch_pretrained_biggan's ${weightsFile().name} (${weightsFile().url}); biggan-deep-128/512 or a damaged download do not fit.`,
  });
}

/** The weights and config files for `input`, or null where none is found. */
export function findBiggan(input: string): { weights: string; config: string | null } | null {
  const p = resolve(input);
  if (!existsSync(p)) return null;
  const wf = weightsFile(), cf = configFile();
  const configBeside = (dir: string) => [cf.name, ...cf.localNames].map((n) => join(dir, n)).find((c) => existsSync(c)) ?? null;
  if (statSync(p).isFile()) {
    if (![wf.name, ...wf.localNames].includes(basename(p))) return null;
    return { weights: p, config: configBeside(dirname(p)) };
  }
  for (const dir of [p, join(p, 'biggan-deep-256')]) {
    if (existsSync(join(dir, wf.name))) return { weights: join(dir, wf.name), config: existsSync(join(dir, cf.name)) ? join(dir, cf.name) : configBeside(dir) };
    for (const n of wf.localNames) if (existsSync(join(dir, n)) && configBeside(dir)) return { weights: join(dir, n), config: configBeside(dir) };
  }
  return null;
}

/** The files to import: `input` itself if a file (any name; its config beside it if there), else found in the folder. */
function locate(input: string): { weights: string; config: string | null } {
  const p = resolve(input);
  if (!existsSync(p)) throw new InputError(`weights import: ${input} does not exist`);
  if (statSync(p).isFile()) {
    const cf = configFile();
    const config = [cf.name, ...cf.localNames].map((n) => join(dirname(p), n)).find((c) => existsSync(c)) ?? null;
    return { weights: p, config };
  }
  const found = findBiggan(p);
  if (found) return found;
  throw new InputError(`weights import: no BigGAN-deep-256 weights in ${input} (looked for ${weightsFile().name}, or config.json with pytorch_model.bin; found ${readdirSync(p).slice(0, 8).join(', ') || 'nothing'}). ` +
    `Download them from ${weightsFile().url} and ${configFile().url}, or run \`dualneuron weights pull ${BIGGAN_TARGET}\`.`);
}

/** Field-by-field differences between two configs, as 'name: file x vs expected y'. */
function configDiff(got: BigGanConfig, want: BigGanConfig): string[] {
  const g = bigganConfigJson(got), w = bigganConfigJson(want);
  return Object.keys(w).filter((k) => JSON.stringify(g[k]) !== JSON.stringify(w[k])).map((k) => `${k}: file ${JSON.stringify(g[k])} vs expected ${JSON.stringify(w[k])}`);
}

export interface BigganImportOptions {
  /** the network the files must fit (default biggan-deep-256; tests import small ones) */
  config?: BigGanConfig;
  /** import even if a file's sha256 differs from a published one */
  force?: boolean;
  log?: (s: string) => void;
  /** recorded as the source (default: the weights file's path) */
  source?: string;
}

/** Imports pytorch_model.bin (+ config.json) into the cache; returns the stored path (relative). */
export function importBiggan(input: string, home: string, opts: BigganImportOptions = {}): string {
  const log = opts.log ?? (() => {});
  const config = opts.config ?? BIGGAN_DEEP_256;
  checkBigganConfig(config);
  const { weights: path, config: cpath } = locate(input);
  let configSha: string | null = null;
  if (cpath) {
    const raw = new Uint8Array(readFileSync(cpath));
    configSha = sha256(raw);
    let j: unknown;
    try {
      j = JSON.parse(new TextDecoder().decode(raw));
    } catch (e) {
      throw new WeightsError(`${cpath}: not valid JSON (${(e as Error).message}); download ${configFile().url} again`);
    }
    const diff = configDiff(bigganConfigFromJson(j, cpath), config);
    if (diff.length) throw new WeightsError(`${cpath} describes another network than ${opts.config ? 'the one asked for' : BIGGAN_TARGET}:\n  ${diff.join('\n  ')}`);
  } else {
    log(`  note: no config.json beside ${path}; checked against ${opts.config ? 'the given' : `${BIGGAN_TARGET}'s`} layer list only`);
  }
  const bytes = new Uint8Array(readFileSync(path));
  const digest = sha256(bytes);
  const f = weightsFile();
  if (f.sha256 && digest !== f.sha256) {
    const msg = `${path}: sha256 ${digest} does not match the published ${f.sha256} of ${f.name}`;
    if (!opts.force) throw new WeightsError(`${msg}.\nIt may be corrupt or another file under that name; pass --force to import it anyway.`);
    log(`warning: ${msg} (imported because of --force)`);
  }
  const sd = checkBigganStateDict(readAnyTorchCheckpoint(bytes, path), path, config);
  const out = encodeSafetensors(sd, {
    format: 'pt', model: BIGGAN_TARGET, config: JSON.stringify(config), source: opts.source ?? path, sha256_source: digest,
    ...(configSha ? { sha256_config: configSha } : {}),
  });
  const dst = join(home, BIGGAN_STORED);
  ensureDir(dirname(dst));
  writeFileAtomic(dst, out);
  const man = readManifest(home);
  man.files[BIGGAN_STORED] = {
    upstreamPath: f.name, source: opts.source ?? path, sha256Original: digest, sizeOriginal: bytes.length,
    sha256Stored: sha256(out), licence: f.licence, importedAt: new Date().toISOString(),
  };
  writeManifest(home, man);
  log(`  ${BIGGAN_STORED}  <- ${path} (${sd.size} tensors; sha256 ${digest}${f.sha256 ? ', verified' : ', no published checksum'}${cpath ? `; config ${basename(cpath)} checked` : ''})`);
  return BIGGAN_STORED;
}

export function bigganInstalled(home: string): boolean {
  return !!readManifest(home).files[BIGGAN_STORED] && existsSync(join(home, BIGGAN_STORED));
}

export function requireBiggan(home: string): void {
  if (bigganInstalled(home)) return;
  const wd = home !== weightsHome() ? ` --weights-dir ${home}` : '';
  throw new WeightsError(`BigGAN-deep-256's weights are not installed in ${home} (missing ${BIGGAN_STORED}).\n` +
    `Run:  dualneuron weights pull ${BIGGAN_TARGET}${wd}\n` +
    `  or, with ${weightsFile().name} and ${configFile().name} at hand:  dualneuron weights import <folder> --only ${BIGGAN_TARGET}${wd}`);
}

/** The installed generator, weights frozen, in eval mode. */
export function loadBiggan(opts: { weightsDir?: string; backend?: Backend } = {}): { model: BigGanDeep; sha256: string; path: string } {
  const home = weightsHome(opts.weightsDir);
  requireBiggan(home);
  const path = join(home, BIGGAN_STORED);
  const st = readSafetensors(path);
  let config = BIGGAN_DEEP_256;
  if (st.metadata?.config) {
    try {
      config = JSON.parse(st.metadata.config) as BigGanConfig;
      checkBigganConfig(config, path);
    } catch {
      throw new WeightsError(`${path}: its metadata 'config' (${st.metadata.config.slice(0, 80)}) is not a BigGAN config; import the weights again`);
    }
  }
  const sd = checkBigganStateDict(st.tensors, path, config);
  const model = new BigGanDeep(config, { backend: opts.backend ?? getBackend() });
  model.loadStateDict(sd, { source: path });
  model.requiresGrad_(false).eval();
  return { model, sha256: readManifest(home).files[BIGGAN_STORED]?.sha256Original ?? '', path };
}

const IF_OFFLINE = `On a machine with network, download ${'biggan-deep-256-pytorch_model.bin'} and biggan-deep-256-config.json (weights/biggan.json lists the URLs), ` +
  `bring them here into one folder and run \`dualneuron weights import <folder> --only ${BIGGAN_TARGET}\`.`;

/** Downloads the config and the weights into <home>/downloads (from `mirror`/<name> if given), checks and imports them. */
export async function pullBiggan(home: string, opts: { force?: boolean; mirror?: string; keepDownloads?: boolean; log?: (s: string) => void; config?: BigGanConfig } = {}): Promise<string | null> {
  const log = opts.log ?? ((s: string) => console.error(s));
  if (!opts.force && bigganInstalled(home)) { log(`BigGAN-deep-256: already installed in ${home}`); return null; }
  const got: string[] = [];
  const fetchOne = async (f: BigganFile, approx: string) => {
    const url = opts.mirror ? `${opts.mirror.replace(/\/+$/, '')}/${f.name}` : f.url;
    const dst = join(home, 'downloads', f.name);
    log(`downloading ${f.name}${approx} from ${url}`);
    const progress = new Progress({ total: f.size ?? undefined, unit: 'B', label: f.name });
    const r = await download(url, fileSink(dst), { progress, ifOffline: IF_OFFLINE });
    progress.finish();
    got.push(dst);
    const fail = (why: string): never => { for (const g of got) rmSync(g, { force: true }); throw new WeightsError(`${f.name} from ${url}: ${why}; nothing was stored`); };
    if (f.size !== null && r.size !== f.size) fail(`${r.size} bytes, expected ${f.size}`);
    if (f.sha256 && r.sha256 !== f.sha256) fail(`sha256 ${r.sha256}, expected ${f.sha256}`);
    return url;
  };
  try {
    await fetchOne(configFile(), '');
    const url = await fetchOne(weightsFile(), ' (about 234 MB)');
    return importBiggan(join(home, 'downloads', weightsFile().name), home, { config: opts.config, log, source: url });
  } finally {
    if (!opts.keepDownloads) for (const g of got) rmSync(g, { force: true });
  }
}
