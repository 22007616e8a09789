// Writing synthesis results people can look at and load: image.npy (C,S,S), alpha.npy, activations.npy (signed,
// steps + 1), for the Allen recipe also std.npy, objective.npy (steps + 1) and image_unit.npy (the [0, 1] image), preview.png (the image faded into gray where the gradient was weak, upstream `blend`), and
// optionally every step's image and an animated PNG of the trajectory. Every file is written atomically.
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../../io/atomic.js';
import { writeNpy } from '../../io/npy.js';
import { encodePNG, encodeAPNG } from '../../io/image/index.js';
import type { RunResult } from './engine.js';
import type { AllenRunResult } from './allen.js';

export { blend, toDisplay, type ImageSize } from './display.js';
import { blend, hwOf, type ImageSize } from './display.js';

export function writeRunResult(dir: string, r: RunResult | AllenRunResult, C: number, S: ImageSize, opts: { animation?: boolean; delayMs?: number } = {}): string[] {
  ensureDir(dir);
  const [H, W] = hwOf(S);
  const written: string[] = [];
  const npy = (name: string, shape: number[], data: Float32Array) => { writeNpy(join(dir, name), { dtype: 'f32', shape, data }); written.push(join(dir, name)); };
  npy('image.npy', [C, H, W], r.image);
  npy('alpha.npy', [C, H, W], r.alpha);
  npy('activations.npy', [r.activations.length], r.activations);
  if ('stds' in r) {
    npy('std.npy', [r.stds.length], r.stds);
    npy('objective.npy', [r.objective.length], r.objective);
    npy('image_unit.npy', [C, H, W], r.unitImage);
  }
  if (r.frames) {
    const all = new Float32Array(r.frames.length * C * H * W);
    r.frames.forEach((f, i) => all.set(f, i * C * H * W));
    npy('images_all_steps.npy', [r.frames.length, C, H, W], all);
  }
  writeFileAtomic(join(dir, 'preview.png'), encodePNG({ width: W, height: H, channels: C as 1 | 3, data: blend(r.image, r.alpha, C, S) }));
  written.push(join(dir, 'preview.png'));
  if (opts.animation && r.frames && r.alphaFrames) {
    const frames = r.frames.map((f, i) => blend(f, r.alphaFrames![i], C, S));
    writeFileAtomic(join(dir, 'trajectory.png'), encodeAPNG({ width: W, height: H, channels: C as 1 | 3, frames, delayMs: opts.delayMs ?? 80 }));
    written.push(join(dir, 'trajectory.png'));
  }
  return written;
}
