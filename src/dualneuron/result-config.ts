// Which options a stored result was made with: a flat record of every option that affects it (named as the
// user knows it, e.g. '--steps'), stored readable next to the result together with its hash. A result is reused
// only when the hash matches; otherwise the differing options are named and the user chooses --overwrite or
// another --out. Used by synthesis (done.json) and screening (its checkpoint and screen.json).
import { createHash } from 'node:crypto';
import { InputError } from '../errors.js';

export type ConfigValue = string | number | boolean | null | ConfigValue[] | { [k: string]: ConfigValue };
export type ResultConfig = Record<string, ConfigValue>;

/** JSON with object keys sorted, so equal configurations serialise (and hash) the same. */
function canonical(v: ConfigValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
}

export function configHash(c: ResultConfig): string {
  return createHash('sha256').update(canonical(c)).digest('hex');
}

const show = (v: ConfigValue | undefined) => (v === undefined ? '(not recorded)' : typeof v === 'string' ? v : canonical(v));

/** One line per option whose value differs: "--steps: done with 1, asked 4". */
export function configDiff(done: ResultConfig, asked: ResultConfig): string[] {
  const keys = [...new Set([...Object.keys(asked), ...Object.keys(done)])];
  return keys.filter((k) => canonical(done[k] ?? null) !== canonical(asked[k] ?? null) || (k in done) !== (k in asked))
    .map((k) => `${k}: done with ${show(done[k])}, asked ${show(asked[k])}`);
}

/**
 * The error for results in `out` that were made with other options (`diffs` from configDiff, or empty when
 * they were made by an older version that recorded no options); `what` says which results, e.g. "3 of 4
 * results" (then `were`) or "the interrupted run" (then `was`).
 */
export function mismatchError(out: string, what: string, diffs: string[], verb: 'was' | 'were' = 'were'): InputError {
  const why = diffs.length
    ? `${what} in ${out} ${verb} made with other options:\n  ${diffs.slice(0, 20).join('\n  ')}${diffs.length > 20 ? `\n  ... and ${diffs.length - 20} more` : ''}`
    : `${what} in ${out} ${verb} made by an older version of dualneuron that did not record their options`;
  return new InputError(`${why}\nNothing was computed. Rerun with --overwrite to recompute and replace them, or choose a new --out.`);
}
