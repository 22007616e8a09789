// The options a synthesis result depends on, as stored in its done.json (see result-config.ts): the twin, its
// members and weights, the resolved recipe (every field, named by its command-line option), the prior and the
// initial image (by content), the DreamSim guidance (axis by content, weight, embedder and its weights), and
// whether every step was saved. Not --batch: a result does not depend on the batch it was computed in.
import { createHash } from 'node:crypto';
import { readFileBytes } from '../../io/atomic.js';
import type { ConfigValue, ResultConfig } from '../result-config.js';
import type { Recipe } from './recipes.js';

/** The command-line option of each recipe field (exhaustive: a new field must say how it is named). */
const RECIPE_FLAGS: Record<keyof Recipe, string | null> = {
  param: '--param', prior: null /* recorded as --prior, with its content */, steps: '--steps', optimizer: '--optimizer', lr: '--lr',
  lrSchedule: '--lr-schedule', etaMin: '--eta-min', momentum: '--momentum', noise: '--noise', valuesRange: '--range', rangeFn: '--range-fn',
  nbCrops: '--crops', boxSize: '--box-size', targetNorm: '--target-norm', tvWeight: '--tv-weight', initStd: '--init-std', jitterStd: '--jitter',
  oversample: '--oversample', reflectPadFrac: '--pad-frac', blurGradient: '--blur', aperture: '--aperture',
  normKind: null /* recorded as --norm only when not the L2 norm, so earlier results still match */,
};

export const fileSha256 = (path: string) => createHash('sha256').update(readFileBytes(path)).digest('hex');

export interface SynthesisConfigParts {
  model: string;
  members: number[];
  centered: boolean;
  /** sha256 of each member's checkpoint */
  weightsSha256: Record<string, string>;
  recipeName: string;
  recipe: Recipe;
  /** Fourier only: the prior's name or file, and the file it was read from */
  prior: { name: string; file: string } | null;
  initImage: string | null;
  saveAllSteps: boolean;
  guidance: { axis: string; weight: number; embedder: string; embedderSha256: Record<string, string> } | null;
}

export function synthesisConfig(p: SynthesisConfigParts): ResultConfig {
  const c: ResultConfig = {
    '--model': p.model, '--members': p.members, '--centered': p.centered, 'weights sha256': p.weightsSha256, '--recipe': p.recipeName,
  };
  for (const [field, flag] of Object.entries(RECIPE_FLAGS) as [keyof Recipe, string | null][]) if (flag) c[flag] = p.recipe[field] as ConfigValue;
  const kind = p.recipe.normKind ?? 'l2';
  if (kind !== 'l2') c['--norm'] = kind === 'std' ? 'std' : `l${kind.p}`;
  c['--prior'] = p.prior ? { name: p.prior.name, sha256: fileSha256(p.prior.file) } : null;
  c['--init-image'] = p.initImage ? { sha256: fileSha256(p.initImage) } : null;
  c['--save-all-steps'] = p.saveAllSteps;
  c['--axis'] = p.guidance ? { sha256: fileSha256(p.guidance.axis) } : null;
  c['--axis-weight'] = p.guidance ? p.guidance.weight : null;
  c['--embedder'] = p.guidance ? { type: p.guidance.embedder, sha256: p.guidance.embedderSha256 } : null;
  return c;
}
