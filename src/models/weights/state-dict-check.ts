// Checking an imported state dict against the keys and shapes a model expects, listing every problem at once
// (missing keys, unexpected keys, shape mismatches, non-float tensors), so a user sees what kind of file it is.
import { WeightsError } from '../../errors.js';
import { type HostArray, castToF32 } from '../../io/host-array.js';

const FLOAT = new Set(['f32', 'f16', 'bf16', 'f64']);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
const LIST = 20;
const some = (xs: string[], sep: string) => `${xs.slice(0, LIST).join(sep)}${xs.length > LIST ? `${sep}...` : ''}`;

export interface StateDictCheck {
  /** the first line of the error, e.g. "<file> does not fit the DeePSim fc6 generator (...):" */
  header: string;
  /** the last line: which file was expected and where it comes from */
  footer: string;
  /** extra explanations from the keys found, e.g. a checkpoint saved without spectral norm */
  hints?: (missing: string[], unexpected: string[]) => string[];
}

/**
 * `sd` against `want` (key -> shape): a WeightsError listing every problem, else the tensors as float32 in the
 * model's key order.
 */
export function checkStateDict(sd: ReadonlyMap<string, HostArray>, want: ReadonlyMap<string, readonly number[]>, o: StateDictCheck): Map<string, HostArray> {
  const missing = [...want.keys()].filter((k) => !sd.has(k));
  const unexpected = [...sd.keys()].filter((k) => !want.has(k));
  const shapes = [...want].filter(([k, s]) => sd.has(k) && fmt(sd.get(k)!.shape) !== fmt(s)).map(([k, s]) => `${k}: checkpoint ${fmt(sd.get(k)!.shape)} vs model ${fmt(s)}`);
  const dtypes = [...want.keys()].filter((k) => sd.has(k) && !FLOAT.has(sd.get(k)!.dtype)).map((k) => `${k}: ${sd.get(k)!.dtype}`);
  if (missing.length || unexpected.length || shapes.length || dtypes.length) {
    const lines = [o.header];
    if (missing.length) lines.push(`  missing keys (${missing.length}): ${some(missing, ', ')}`);
    if (unexpected.length) lines.push(`  unexpected keys (${unexpected.length}): ${some(unexpected, ', ')}`);
    if (shapes.length) lines.push(`  shape mismatches (${shapes.length}):\n    ${some(shapes, '\n    ')}`);
    if (dtypes.length) lines.push(`  not floating point (${dtypes.length}): ${dtypes.join(', ')}`);
    lines.push(...(o.hints?.(missing, unexpected) ?? []), o.footer);
    throw new WeightsError(lines.join('\n'));
  }
  return new Map([...want.keys()].map((k) => [k, sd.get(k)!.dtype === 'f32' ? sd.get(k)! : castToF32(sd.get(k)!)]));
}
