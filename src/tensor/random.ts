// One seedable counter-based generator for every backend: Philox4x32-10 (Salmon et al., "Parallel random
// numbers: as easy as 1, 2, 3", SC 2011). A call producing n numbers uses counter blocks
// [offset, offset + ceil(n/4)) and advances the generator's offset by that many blocks, so the same seed gives
// the same numbers on the CPU oracle and on WebGPU (shaders/random.ts implements the same function).

const M0 = 0xd2511f53, M1 = 0xcd9e8d57, W0 = 0x9e3779b9, W1 = 0xbb67ae85;

/** high 32 bits of a 32x32-bit unsigned product (the low half is Math.imul(a, b) >>> 0) */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/**
 * Philox4x32-10 block function. Written without temporaries (one array per block): host code draws millions of
 * blocks per second (evolution's normal draws), and per-round arrays made garbage collection a third of a run.
 */
export function philox4x32(ctr: readonly [number, number, number, number], key: readonly [number, number]): [number, number, number, number] {
  let c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  let k0 = key[0], k1 = key[1];
  for (let r = 0; r < 10; r++) {
    if (r > 0) { k0 = (k0 + W0) >>> 0; k1 = (k1 + W1) >>> 0; }
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0, n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

export function seedWords(seed: bigint): [number, number] {
  const s = BigInt.asUintN(64, seed);
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

/** The 4 raw words of block `b` for a given seed and block offset. */
export function philoxBlock(seed: bigint, block: bigint): [number, number, number, number] {
  const c = BigInt.asUintN(64, block);
  return philox4x32([Number(c & 0xffffffffn), Number(c >> 32n), 0, 0], seedWords(seed));
}

/** A seed plus a position in its stream. Every random op consumes ceil(n/4) blocks. */
export class Generator {
  offset = 0n;
  constructor(public seed: bigint = 0n) {}

  manualSeed(seed: number | bigint): this {
    this.seed = BigInt(seed);
    this.offset = 0n;
    return this;
  }

  /** Reserve the blocks for n numbers; returns the block offset to use. */
  take(n: number): bigint {
    const start = this.offset;
    this.offset += BigInt(Math.ceil(n / 4));
    return start;
  }

  state(): { seed: string; offset: string } { return { seed: this.seed.toString(), offset: this.offset.toString() }; }
}

export const defaultGenerator = new Generator(0n);

export function manualSeed(seed: number | bigint): void {
  defaultGenerator.manualSeed(seed);
}

/** Derive an independent seed for a sub-stream (e.g. per neuron, seed and pole) with one Philox call. */
export function deriveSeed(seed: bigint | number, ...path: number[]): bigint {
  let s = BigInt(seed);
  for (const p of path) {
    const [a, b] = philox4x32([p >>> 0, Math.floor(p / 2 ** 32) >>> 0, 0x5eed, 0], seedWords(s));
    s = (BigInt(b) << 32n) | BigInt(a);
  }
  return s;
}
