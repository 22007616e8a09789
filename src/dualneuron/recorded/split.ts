// Train / validation / test split by image, seeded: every repeat of an image goes with its image, so the oracle
// of the test images stays computable and no image leaks between sets. The images are shuffled with the project's
// Philox stream (HostRng, Fisher-Yates from the last position down); the first round(I * test) shuffled images
// are the test set, the next round(I * validation) the validation set, the rest train. Each set is sorted.
import { InputError } from '../../errors.js';
import { HostRng } from '../render/rng.js';

export interface ImageSplit { train: number[]; validation: number[]; test: number[]; seed: string; fractions: { validation: number; test: number } }

export function splitImages(images: number, o: { seed: bigint; validation?: number; test?: number }): ImageSplit {
  const fv = o.validation ?? 0.1, ft = o.test ?? 0.1;
  for (const [name, f] of [['validation', fv], ['test', ft]] as const) {
    if (!(f >= 0 && f < 1)) throw new InputError(`the ${name} fraction must lie in [0, 1), got ${f}`);
  }
  const nt = Math.round(images * ft), nv = Math.round(images * fv);
  if (nt + nv >= images) {
    throw new InputError(`${images} images cannot be split into ${nt} test, ${nv} validation and at least 1 training image; use smaller fractions or more images`);
  }
  const order = Array.from({ length: images }, (_, k) => k);
  const rng = new HostRng(o.seed);
  for (let k = images - 1; k > 0; k--) {
    const j = rng.int(0, k + 1);
    [order[k], order[j]] = [order[j]!, order[k]!];
  }
  const asc = (a: number[]) => a.sort((x, y) => x - y);
  return {
    test: asc(order.slice(0, nt)), validation: asc(order.slice(nt, nt + nv)), train: asc(order.slice(nt + nv)),
    seed: o.seed.toString(), fractions: { validation: fv, test: ft },
  };
}
