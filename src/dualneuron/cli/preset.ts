// The --preset option, one rule for every command that preprocesses image files (screen, predict, embed, axis,
// synthesize --init-image, plot poles): 'rendered' unless the user says 'imagenet', as upstream's
// screen_activations treats local folders (RenderedImages: no resize to 256; only its Hugging Face ImageNet
// loader resizes first).
import { Option } from 'commander';
import { InputError } from '../../errors.js';
import type { Preset } from '../input/pipeline.js';

export const PRESETS: readonly Preset[] = ['rendered', 'imagenet'];
export const DEFAULT_PRESET: Preset = 'rendered';

export const presetOption = (what = 'image preprocessing') =>
  new Option('--preset <p>', `${what}: rendered (centre crop, resize; upstream's rule for local folders; default) or imagenet (short side to 256 first, as upstream's ImageNet loader)`).choices(PRESETS);

export function parsePreset(v: string | undefined): Preset {
  if (v === undefined) return DEFAULT_PRESET;
  if (!(PRESETS as readonly string[]).includes(v)) throw new InputError(`--preset: unknown preset '${v}'; choose ${PRESETS.join(' or ')}`);
  return v as Preset;
}

/** Says on stderr which preprocessing is in use, so a run on the wrong preset is noticed at once. */
export function announcePreset(p: Preset, source = ''): Preset {
  console.error(`preset: ${p}${source ? ` (${source})` : ''}`);
  return p;
}
