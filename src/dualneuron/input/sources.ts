// Image sources: folders (recursive, PNG/JPEG, sorted by path), text files listing paths (one per line,
// relative to the list's folder; '#' comments), and single image files, in the order given.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { InputError } from '../../errors.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const LIST_EXTENSIONS = ['.txt', '.lst', '.list'];

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) walk(p, out);
    else if (IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())) out.push(p);
  }
}

/** Every image path named by `args`, in order; folders are expanded recursively and sorted by path. */
export function listImages(args: readonly string[]): string[] {
  if (args.length === 0) throw new InputError('no images given: pass folders, image files, or .txt lists of paths');
  const out: string[] = [];
  for (const a of args) {
    const p = resolve(a);
    if (!existsSync(p)) throw new InputError(`image source not found: ${a}`);
    const st = statSync(p);
    if (st.isDirectory()) {
      const found: string[] = [];
      walk(p, found);
      found.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      if (found.length === 0) throw new InputError(`no PNG or JPEG files under ${a}`);
      out.push(...found);
    } else if (LIST_EXTENSIONS.includes(extname(p).toLowerCase())) {
      const base = dirname(p);
      for (const line of readFileSync(p, 'utf8').split(/\r?\n/)) {
        const t = line.trim();
        if (t && !t.startsWith('#')) out.push(resolve(base, t));
      }
    } else out.push(p);
  }
  return out;
}
