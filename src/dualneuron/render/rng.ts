// A host-side random stream on the project's Philox generator (same numbers on every machine), for procedural
// image generation and other CPU work that must be reproducible from a seed.
import { philox4x32, seedWords } from '../../tensor/random.js';

export class HostRng {
  private lo = 0;
  private hi = 0;
  private words: [number, number, number, number] = [0, 0, 0, 0];
  private used = 4;
  private readonly key: [number, number];
  constructor(readonly seed: bigint) { this.key = seedWords(seed); }

  /** block b of the stream is philoxBlock(seed, b), as on the device */
  private next32(): number {
    if (this.used === 4) {
      this.words = philox4x32([this.lo, this.hi, 0, 0], this.key);
      this.lo = (this.lo + 1) >>> 0;
      if (this.lo === 0) this.hi = (this.hi + 1) >>> 0;
      this.used = 0;
    }
    return this.words[this.used++];
  }

  /** uniform in [0, 1) with 53 random bits */
  uniform(): number {
    const hi = this.next32() >>> 5, lo = this.next32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  range(lo: number, hi: number): number { return lo + (hi - lo) * this.uniform(); }
  int(lo: number, hiExclusive: number): number { return lo + Math.floor(this.uniform() * (hiExclusive - lo)); }
  normal(): number {
    const u1 = 1 - this.uniform(), u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  pick<T>(xs: readonly T[]): T { return xs[this.int(0, xs.length)]; }
}

/**
 * A fast xorshift128 stream seeded from four words of a HostRng, for bulk per-pixel randomness (phases of a
 * noise field, sensor noise); still a pure function of the seed.
 */
export class FastRng {
  private a: number; private b: number; private c: number; private d: number;
  constructor(from: HostRng) {
    const w = () => Math.floor(from.uniform() * 4294967296) >>> 0;
    this.a = w() | 1; this.b = w(); this.c = w(); this.d = w();
  }
  next32(): number {
    let t = this.d;
    const s = this.a;
    this.d = this.c; this.c = this.b; this.b = s;
    t ^= t << 11; t ^= t >>> 8;
    this.a = (t ^ s ^ (s >>> 19)) >>> 0;
    return this.a;
  }
  uniform(): number { return this.next32() / 4294967296; }
  normal(): number {
    const u1 = 1 - this.uniform(), u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
