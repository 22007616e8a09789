// Image sources: folders (recursive, PNG/JPEG, sorted by path), text files listing paths (one per line,
// relative to the list's folder; '#' comments; read in chunks, never whole), single image files, and (where the
// command reads them, see `tar`) WebDataset-style .tar shards (tar-images.ts), in the order given.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { forEachLine } from '../../io/lines.js';
import { isTarPath, listTarImages } from './tar-images.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const LIST_EXTENSIONS = ['.txt', '.lst', '.list'];

export interface ListOptions {
  /** expand .tar shards into their images (commands that read images through readImageRef); otherwise refused */
  tar?: boolean;
  /** damaged tar members, by name */
  warn?: (s: string) => void;
}

function walk(dir: string, out: string[], tar: boolean): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out, tar);
    else if (IMAGE_EXTENSIONS.includes(extname(name).toLowerCase()) || (tar && isTarPath(name))) out.push(p);
  }
}

/** Every image named by `args`, in order; folders are expanded recursively and sorted by path. */
export function listImages(args: readonly string[], opts: ListOptions = {}): string[] {
  if (args.length === 0) throw new InputError('no images given: pass folders, image files, or .txt lists of paths');
  const warn = opts.warn ?? ((s: string) => console.error(s));
  const out: string[] = [];
  const addTar = (p: string, named: string) => {
    if (!opts.tar) throw new InputError(`${named}: .tar shards are read by \`dualneuron screen\`; for this command extract the images (tar -xf) or list them`);
    const before = out.length;
    const r = listTarImages(p, out, warn);
    if (r.withoutImage) warn(`${named}: ${r.withoutImage} of ${r.samples} samples have no jpg, jpeg or png member and were passed over`);
    if (out.length === before) warn(`${named}: no images in this tar shard`);
  };
  for (const a of args) {
    const p = resolve(a);
    if (!existsSync(p)) throw new InputError(`image source not found: ${a}`);
    const st = statSync(p);
    if (st.isDirectory()) {
      const found: string[] = [];
      walk(p, found, !!opts.tar);
      found.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      if (found.length === 0) throw new InputError(`no PNG or JPEG files${opts.tar ? ' or .tar shards' : ''} under ${a}`);
      for (const f of found) if (isTarPath(f)) addTar(f, f); else out.push(f);
    } else if (LIST_EXTENSIONS.includes(extname(p).toLowerCase())) {
      const base = dirname(p);
      forEachLine(p, (line) => {
        const t = line.trim();
        if (!t || t.startsWith('#')) return;
        const q = resolve(base, t);
        if (isTarPath(q)) addTar(q, `${a}: ${t}`); else out.push(q);
      });
    } else if (isTarPath(p)) addTar(p, a);
    else out.push(p);
  }
  return out;
}
