// Images for a trial table or a bare responses matrix, matched to the data's image ids:
//   - an images.npy stack uint8 (M, H, W[, 3]): image id k is stack[k] (the Allen stimulus template's layout,
//     frame k -> template[k]); so every image id must be an integer in 0..M-1;
//   - a folder of PNG/JPEG files: the file whose name without extension is the id (numeric ids also match
//     zero-padded names: 7 -> 007.png). Every image must have the size of the first; gray files stay gray
//     unless one of them is colour, then all are converted to RGB (PIL's convert).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { InputError } from '../../errors.js';
import { readImage, toL, toRGB } from '../../io/image/index.js';
import { readNpy } from '../../io/npy.js';
import { imageStackOf } from './checks.js';
import type { ImageStack } from './types.js';

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

export function imagesFromNpy(file: string, imageIds: readonly string[], dataFile: string): ImageStack {
  const all = imageStackOf(readNpy(file), file);
  const px = all.height * all.width * all.channels;
  const bad = imageIds.filter((id) => !/^[0-9]+$/.test(id) || Number(id) >= all.count);
  if (bad.length) {
    throw new InputError(`${dataFile}: image id(s) ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ` and ${bad.length - 8} more` : ''} have no image in ${file} ` +
      `(it holds ${all.count} images, ids 0..${all.count - 1}; image id k is image k). Drop those rows (e.g. the Allen blank frame -1) or give an image folder`);
  }
  const data = new Uint8Array(imageIds.length * px);
  imageIds.forEach((id, i) => data.set(all.data.subarray(Number(id) * px, (Number(id) + 1) * px), i * px));
  return { ...all, count: imageIds.length, data };
}

export function imagesFromFolder(dir: string, imageIds: readonly string[], dataFile: string): ImageStack {
  const byId = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    if (!IMAGE_EXT.has(extname(name).toLowerCase()) || name.startsWith('.')) continue;
    const stem = name.slice(0, name.length - extname(name).length);
    const key = /^-?[0-9]+$/.test(stem) ? BigInt(stem).toString() : stem;
    const prev = byId.get(key);
    if (prev) throw new InputError(`${dir}: ${prev} and ${name} both name image id ${key}; keep one`);
    byId.set(key, name);
  }
  const missing = imageIds.filter((id) => !byId.has(id));
  if (missing.length) {
    throw new InputError(`${dataFile}: no image file for image id(s) ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` and ${missing.length - 8} more` : ''} in ${dir} ` +
      `(expected files named <id>.png or <id>.jpg; the folder has ${byId.size} image files). Add them or drop those rows`);
  }
  const raw = imageIds.map((id) => ({ file: join(dir, byId.get(id)!), img: readImage(join(dir, byId.get(id)!)) }));
  const first = raw[0]!;
  for (const r of raw) {
    if (r.img.width !== first.img.width || r.img.height !== first.img.height) {
      throw new InputError(`${r.file} is ${r.img.width}x${r.img.height} but ${first.file} is ${first.img.width}x${first.img.height}; ` +
        'every image of a data set must have one size (resize them first)');
    }
  }
  const gray = raw.every((r) => r.img.mode === 'L' || r.img.mode === '1' || r.img.mode === 'I' || r.img.mode === 'LA');
  const channels = gray ? 1 : 3;
  const px = first.img.width * first.img.height * channels;
  const data = new Uint8Array(raw.length * px);
  raw.forEach((r, i) => data.set((gray ? toL(r.img) : toRGB(r.img)).data as Uint8Array, i * px));
  return { count: raw.length, height: first.img.height, width: first.img.width, channels, data };
}

export function imagesFor(path: string, imageIds: readonly string[], dataFile: string): ImageStack {
  if (!existsSync(path)) throw new InputError(`--images ${path} does not exist`);
  return statSync(path).isDirectory() ? imagesFromFolder(path, imageIds, dataFile) : imagesFromNpy(path, imageIds, dataFile);
}
