// Where an optimiser's random numbers come from. Every optimiser draws through a DrawSource, in a documented
// order (docs/EVOLVE.md), so a test or a method researcher can inject the exact normal and uniform draws a
// reference implementation used, and so a saved state resumes the stream exactly.
import { philox4x32, seedWords } from '../../tensor/random.js';
import { FormatError, InputError } from '../../errors.js';

export type DrawState =
  | { kind: 'philox'; seed: string; block: number; used: number }
  | { kind: 'replay'; normalAt: number; uniformAt: number };

export interface DrawSource {
  /** n standard normal numbers */
  normal(n: number): Float64Array;
  /** n uniform numbers in [0, 1) */
  uniform(n: number): Float64Array;
  /** the position in the stream, enough to resume it (plain JSON) */
  state(): DrawState;
}

/**
 * The project's Philox4x32-10 stream, laid out exactly as HostRng (src/dualneuron/render/rng.ts): counter block b
 * is philox4x32([b_lo, b_hi, 0, 0], seed words) and its four words are used in order; a uniform takes two words
 * (53 bits: w0 >>> 5 and w1 >>> 6); a normal takes two uniforms by Box-Muller, sqrt(-2 ln(1 - u1)) cos(2 pi u2).
 * Unlike HostRng its position can be saved and restored.
 */
export class PhiloxDraws implements DrawSource {
  private block = 0;
  private used = 4;
  private words: [number, number, number, number] = [0, 0, 0, 0];
  private readonly key: [number, number];
  constructor(readonly seed: bigint) { this.key = seedWords(seed); }

  static fromState(s: { seed: string; block: number; used: number }): PhiloxDraws {
    let seed: bigint;
    try { seed = BigInt(s.seed); } catch { throw new FormatError(`optimizer state: draws.seed '${s.seed}' is not an integer`); }
    if (!Number.isSafeInteger(s.block) || s.block < 0 || !Number.isInteger(s.used) || s.used < 0 || s.used > 4) {
      throw new FormatError(`optimizer state: draws position (block ${s.block}, used ${s.used}) is not valid`);
    }
    const d = new PhiloxDraws(seed);
    d.block = s.block;
    d.used = s.used;
    if (s.used < 4) {
      if (s.block === 0) throw new FormatError('optimizer state: draws position uses words of a block never drawn');
      d.words = d.blockWords(s.block - 1);
    }
    return d;
  }

  private blockWords(b: number): [number, number, number, number] {
    return philox4x32([b % 4294967296 >>> 0, Math.floor(b / 4294967296) >>> 0, 0, 0], this.key);
  }

  private next32(): number {
    if (this.used === 4) {
      this.words = this.blockWords(this.block);
      this.block++;
      this.used = 0;
    }
    return this.words[this.used++];
  }

  nextUniform(): number {
    const hi = this.next32() >>> 5, lo = this.next32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  nextNormal(): number {
    const u1 = 1 - this.nextUniform(), u2 = this.nextUniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  normal(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextNormal();
    return out;
  }

  uniform(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextUniform();
    return out;
  }

  state(): DrawState { return { kind: 'philox', seed: this.seed.toString(), block: this.block, used: this.used }; }
}

/**
 * Replays given draws in order (e.g. the numbers a NumPy reference used). Running out is an error rather than a
 * silent wrap-around, so a consumer that draws in a different order than the reference is caught.
 */
export class ReplayDraws implements DrawSource {
  private normalAt = 0;
  private uniformAt = 0;
  constructor(private readonly normals: Float64Array, private readonly uniforms: Float64Array = new Float64Array(0)) {}

  /** continues at the position a state recorded */
  seek(s: DrawState): this {
    if (s.kind !== 'replay') throw new InputError(`ReplayDraws cannot resume a '${s.kind}' stream; pass draws of that kind`);
    this.normalAt = s.normalAt;
    this.uniformAt = s.uniformAt;
    return this;
  }

  normal(n: number): Float64Array {
    if (this.normalAt + n > this.normals.length) {
      throw new InputError(`ReplayDraws: ${n} normal draws asked at position ${this.normalAt}, but only ${this.normals.length} were given`);
    }
    const out = this.normals.slice(this.normalAt, this.normalAt + n);
    this.normalAt += n;
    return out;
  }

  uniform(n: number): Float64Array {
    if (this.uniformAt + n > this.uniforms.length) {
      throw new InputError(`ReplayDraws: ${n} uniform draws asked at position ${this.uniformAt}, but only ${this.uniforms.length} were given`);
    }
    const out = this.uniforms.slice(this.uniformAt, this.uniformAt + n);
    this.uniformAt += n;
    return out;
  }

  state(): DrawState { return { kind: 'replay', normalAt: this.normalAt, uniformAt: this.uniformAt }; }
}

/** the seeded default, or the caller's source */
export function makeDraws(seed: number | bigint | undefined, draws: DrawSource | undefined): DrawSource {
  return draws ?? new PhiloxDraws(BigInt(seed ?? 0));
}

/** a saved stream: Philox is rebuilt from the state; any other source must be passed again and is told to seek */
export function resumeDraws(s: DrawState, given: DrawSource | undefined): DrawSource {
  if (given) {
    if (given instanceof ReplayDraws) return given.seek(s);
    return given;
  }
  if (s?.kind === 'philox') return PhiloxDraws.fromState(s);
  throw new InputError(`this optimizer state was drawing from a '${(s as { kind?: string })?.kind}' source; pass that source again as restore(state, { draws })`);
}
