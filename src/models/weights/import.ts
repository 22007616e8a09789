// Importing upstream files into the weights cache: verify each against weights/upstream.json, convert PyTorch
// checkpoints to safetensors (same keys), copy .npy files, and record them in manifest.json. Every write is
// atomic, so an interrupted import leaves no half-written file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, WeightsError } from '../../errors.js';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { encodeSafetensors } from '../../io/safetensors.js';
import { readTorchCheckpoint } from '../../io/pytorch.js';
import { parseNpy } from '../../io/npy.js';
import { readManifest, writeManifest } from './store.js';
import { baseName, filesFor, folderOf, sha256, storedPath, upstreamManifest, verify, type PullTarget, type UpstreamFile } from './upstream.js';

export interface ImportResult { imported: string[]; skipped: string[]; notFound: string[] }

/**
 * Where an upstream file may sit below `dir`: as in the repository (dualneuron/twins/...), as in the package
 * folder (twins/..., synthesis/priors/...), or as in ../shared/upstream/dualneuron (V1GrayTaskDriven/..., priors/...).
 */
export function candidatePaths(dir: string, f: UpstreamFile): string[] {
  const inPackage = f.path.replace(/^dualneuron\//, '');
  const flat = folderOf(f) === 'priors' ? `priors/${baseName(f.path)}` : inPackage.replace(/^twins\//, '');
  return [f.path, inPackage, flat].map((p) => join(dir, p));
}

/** Store one verified upstream file's bytes in the cache. */
export function storeFile(home: string, f: UpstreamFile, bytes: Uint8Array, source: string): string {
  const rel = storedPath(f);
  const dst = join(home, rel);
  let out: Uint8Array;
  if (f.path.endsWith('.pth.tar')) {
    const sd = readTorchCheckpoint(bytes, source);
    out = encodeSafetensors(sd, { source: f.url, sha256: sha256(bytes), upstream_path: f.path, format: 'pt' });
  } else {
    parseNpy(bytes, source); // refuse a corrupt file before storing it
    out = bytes;
  }
  ensureDir(dirname(dst));
  writeFileAtomic(dst, out);
  const m = readManifest(home);
  m.files[rel] = {
    upstreamPath: f.path, source, sha256Original: sha256(bytes), sizeOriginal: bytes.length, sha256Stored: sha256(out),
    licence: upstreamManifest().licence, importedAt: new Date().toISOString(),
  };
  writeManifest(home, m);
  return rel;
}

export function importDir(dir: string, home: string, opts: { targets?: PullTarget[]; force?: boolean; log?: (s: string) => void } = {}): ImportResult {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`weights import: ${dir} is not a folder`);
  const log = opts.log ?? (() => {});
  const files = [...new Map((opts.targets ?? ['all']).flatMap((t) => filesFor(t)).map((f) => [f.path, f])).values()];
  const res: ImportResult = { imported: [], skipped: [], notFound: [] };
  for (const f of files) {
    const src = candidatePaths(dir, f).find((p) => existsSync(p));
    if (!src) { res.notFound.push(f.path); continue; }
    const bytes = new Uint8Array(readFileSync(src));
    const v = verify(f, bytes);
    if (!v.ok) {
      const msg = `${src} does not match upstream ${f.path}@${upstreamManifest().commit.slice(0, 7)}: ${v.detail}`;
      if (!opts.force) throw new WeightsError(`${msg}\nIt may be corrupt or a different version; pass --force to import it anyway.`);
      log(`warning: ${msg} (imported because of --force)`);
    }
    const rel = storeFile(home, f, bytes, resolve(src));
    res.imported.push(rel);
    log(`  ${rel}  <- ${src} (${v.ok ? `${v.how} ok` : 'unverified'})`);
  }
  if (res.imported.length === 0) {
    throw new InputError(`weights import: no upstream DualNeuron files found in ${dir}. Expected a folder laid out like the upstream ` +
      `repository (dualneuron/twins/V1GrayTaskDriven/...), its package folder (twins/..., synthesis/priors/...), or ` +
      `V1GrayTaskDriven/..., priors/... directly.`);
  }
  return res;
}
