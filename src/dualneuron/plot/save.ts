// Saving figures: SVG always (atomic write); PNG too when an SVG rasteriser is available (rsvg-convert from
// Debian's librsvg2-bin, or the command in $DUALNEURON_SVG2PNG taking "<in.svg> <out.png>").
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic.js';
import type { Svg } from './svg.js';
import { config } from '../../config.js';

let rasteriser: string[] | null | undefined;

function findRasteriser(): string[] | null {
  if (rasteriser !== undefined) return rasteriser;
  const custom = config().svg2png;
  if (custom) return (rasteriser = custom);
  const probe = spawnSync('rsvg-convert', ['--version'], { encoding: 'utf8' });
  rasteriser = probe.status === 0 ? ['rsvg-convert'] : null;
  return rasteriser;
}

/** Writes `<base>.svg` (and `<base>.png` when possible); returns the paths written. */
export function saveFigure(svg: Svg, base: string): string[] {
  const svgPath = `${base}.svg`;
  writeFileAtomic(svgPath, svg.toString());
  const out = [svgPath];
  const r = findRasteriser();
  if (r) {
    const tmp = `${base}.png.tmp-${process.pid}`;
    const args = r[0] === 'rsvg-convert' ? [...r.slice(1), '-o', tmp, svgPath] : [...r.slice(1), svgPath, tmp];
    const res = spawnSync(r[0], args, { encoding: 'utf8' });
    if (res.status === 0 && existsSync(tmp)) { renameSync(tmp, `${base}.png`); out.push(`${base}.png`); } else rmSync(tmp, { force: true });
  }
  return out;
}

export function pngAvailable(): boolean { return findRasteriser() !== null; }
