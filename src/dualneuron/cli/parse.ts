// Strict parsing of command-line values. `Number()` accepts '' (0), '0x10' (16), '1e2' (100), ' 3', '+3' and
// rounds integers above 2^53; every numeric option goes through these instead, and every error names the option.
import { InputError } from '../../errors.js';

const INT = /^-?[0-9]+$/;
// a decimal number: digits with an optional fraction, an optional exponent with digits (no hex, no 'Infinity')
const FLOAT = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

export interface IntBounds { min?: number; max?: number }

/** A decimal integer within [min, max] (min defaults to 0; a leading '-' only when min < 0). */
export function parseIntStrict(name: string, v: string, { min = 0, max = Number.MAX_SAFE_INTEGER }: IntBounds = {}): number {
  if (typeof v !== 'string' || !INT.test(v) || (v.startsWith('-') && min >= 0)) {
    throw new InputError(`${name} must be an integer${min >= 0 ? ` >= ${min}` : ''} in decimal digits (no '+', spaces, hex or exponent), got '${v}'`);
  }
  const b = BigInt(v);
  if (b < BigInt(min) || b > BigInt(max)) {
    throw new InputError(max === Number.MAX_SAFE_INTEGER ? `${name} must be an integer >= ${min}, got '${v}'` : `${name} must lie in ${min}..${max}, got '${v}'`);
  }
  return Number(b);
}

/** A decimal number (fraction and exponent allowed); no empty string, hex, 'NaN', 'Infinity' or trailing junk. */
export function parseFloatStrict(name: string, v: string): number {
  if (typeof v !== 'string' || !FLOAT.test(v)) throw new InputError(`${name} must be a decimal number, got '${v}'`);
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InputError(`${name} is too large, got '${v}'`);
  return n;
}

export const MAX_SEED = 2n ** 64n - 1n;

/** A seed: a decimal integer in 0..2^64-1, exact (no rounding above 2^53). */
export function parseSeed(name: string, v: string): bigint {
  if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) throw new InputError(`${name} must be an integer in 0..${MAX_SEED} in decimal digits, got '${v}'`);
  const b = BigInt(v);
  if (b > MAX_SEED) throw new InputError(`${name} must lie in 0..${MAX_SEED} (2^64-1), got '${v}'`);
  return b;
}

/**
 * A name that becomes one component of a file path (a dataset name, a module name in a folder name): letters,
 * digits, '.', '_' and '-', not empty, not '.' or '..'. Anything else could write outside the output folder.
 */
export function parseName(name: string, v: string): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9._-]+$/.test(v) || v === '.' || v === '..' || v.length > 200) {
    throw new InputError(`${name} '${v}' cannot be used in a file name: use 1-200 letters, digits, '.', '_' or '-' (no '/', '\\' or '..')`);
  }
  return v;
}
