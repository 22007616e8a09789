// Natural image patches cut from photographs (by default the ones shipped with Debian's python3-skimage):
// random square crops at random scales, resized (PIL bilinear) to a fixed size, as RGB. Reproducible from
// (seed, index); used as a natural reference set for screening and for judging synthesized stimuli.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { readImage, toRGB, resizeBilinearPIL, type RawImage } from '../../io/image/index.js';
import { deriveSeed } from '../../tensor/random.js';
import { HostRng } from './rng.js';

export const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';
/** The natural photographs among skimage's data files (no diagrams, text or synthetic images). */
export const SKIMAGE_PHOTOS = ['astronaut.png', 'brick.png', 'camera.png', 'chelsea.png', 'coffee.png', 'coins.png', 'grass.png', 'gravel.png',
  'hubble_deep_field.jpg', 'ihc.png', 'moon.png', 'motorcycle_left.png', 'motorcycle_right.png', 'retina.jpg', 'rocket.jpg'];

export function skimagePhotos(dir = SKIMAGE_DATA): string[] {
  const found = SKIMAGE_PHOTOS.map((f) => join(dir, f)).filter((p) => existsSync(p));
  if (found.length === 0) throw new InputError(`no skimage photographs in ${dir}; install Debian's python3-skimage (apt-get install python3-skimage) or pass --from <folder of photos>`);
  return found;
}

/** Patch i: a random photo, a random square of side in [minFrac, 1] x its short side, resized to `size`. */
export function cutPatch(photos: RawImage[], i: number, o: { seed: number | bigint; size: number; minFrac?: number }): Uint8Array {
  const rng = new HostRng(deriveSeed(BigInt(o.seed), i));
  const img = photos[rng.int(0, photos.length)];
  const short = Math.min(img.width, img.height);
  const side = Math.max(8, Math.round(short * rng.range(o.minFrac ?? 0.15, 1)));
  const x0 = rng.int(0, img.width - side + 1), y0 = rng.int(0, img.height - side + 1);
  const crop = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) crop.set(img.data.subarray(((y0 + y) * img.width + x0) * 3, ((y0 + y) * img.width + x0 + side) * 3) as Uint8Array, y * side * 3);
  return resizeBilinearPIL({ width: side, height: side, mode: 'RGB', data: crop }, o.size, o.size).data as Uint8Array;
}

export function loadPhotos(paths: string[]): RawImage[] {
  return paths.map((p) => toRGB(readImage(p)));
}
