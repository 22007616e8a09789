// WebGPU implementation of the `fft` kernel family (shaders/fft.ts): per-size plans (radix passes; Bluestein
// for sizes with a prime factor above 31) and their tables, kept in a per-backend plan cache.
//
// Plan cache. Each WebGPUBackend owns one FftPlanCache (a WeakMap keyed by the backend, so the cache goes with
// it). A plan holds one small device table per transform size (f32 twiddles w_L^k, and for Bluestein the chirp
// and the filter, all computed in float64 on the host): 8 bytes per entry, e.g. 800 B for n = 100 (passes 10, 10),
// 744 B for n = 93 (31, 3) and 3.9 KB for n = 97 (Bluestein, M = 196 = 14 x 14); memory() counts them rounded up
// to pool buckets (at least 256 B). Tables are backend buffers, so they show in memory().bytesInUse; the cache keeps
// the most recently used MAX_PLANS sizes within MAX_BYTES and frees the least recently used beyond that (the pool
// reuses a freed buffer only after the work that reads it is submitted). clearCache() frees everything; at
// shutdown the device is destroyed with every buffer on it, and the cache object dies with its backend.
import type { View } from '../../backend.js';
import type { GpuBuffer, WebGPUBackend } from '../webgpu-backend.js';
import type { FftAxisArgs, FftCacheInfo, FftKernels, PolarArgs } from '../../kernels/fft.js';
import { grid1d } from '../../../../../shaders/common.js';
import { COMPLEX_PARTS, FFT_LOAD, FFT_PASS, FFT_WG, POLAR, complexFromPartsWGSL, fftPassKey, fftPassUsesTable, fftPassWGSL, polarBackwardWGSL, polarWGSL, type FftPassSpec } from '../../../../../shaders/fft.js';
import { DeviceError } from '../../../../errors.js';
import { config } from '../../../../config.js';

const MAX_PLANS = 32;
const MAX_BYTES = 8 * 2 ** 20;

/**
 * How plans are made. Radix 16 bounds register pressure and, above all, compile time: a pass's straight-line
 * DFT cost lavapipe (LLVM) about 0.9 s to compile cold at radix 8, 1.6 s at 16, 4 s at 32, 15 s at 64 and 52 s at
 * 128 (2-core machine, partly shared), while one pass of radix 100 instead of two of 10 gained only ~20%. Odd
 * primes up to 31 as a pass of their own (radix 31: 4-15 s to compile) make 93 = 3 x 31 five times faster than
 * Bluestein (M = 192: four passes over twice the data). DUALNEURON_FFT_MAX_RADIX and DUALNEURON_FFT_MAX_PRIME
 * override both (benchmarks).
 */
export interface PlanRules {
  /** the largest radix of one pass (a DFT of that many points in registers per invocation) */
  maxRadix: number;
  /** odd primes up to this are done directly in a pass; sizes with larger prime factors use Bluestein */
  maxPrime: number;
}

/** For benchmarks comparing plan rules in one process: rules for caches made (or cleared) after the call. */
let rulesOverride: PlanRules | null = null;
export function overridePlanRules(r: PlanRules | null): void { rulesOverride = r; }

export function planRules(): PlanRules {
  if (rulesOverride) return { ...rulesOverride };
  const c = config();
  return { maxRadix: c.fftMaxRadix, maxPrime: c.fftMaxPrime };
}

function primeFactors(L: number): number[] {
  const f: number[] = [];
  let m = L;
  for (let p = 2; p * p <= m; p++) while (m % p === 0) { f.push(p); m /= p; }
  if (m > 1) f.push(m);
  return f;
}

/**
 * The radices of the passes for length L: prime factors above rules.maxRadix (odd primes up to rules.maxPrime)
 * get a pass each; the others are packed into as few passes as possible of radix at most rules.maxRadix
 * (largest primes first, each into the pass with the smallest product). Null when a prime factor exceeds
 * rules.maxPrime (and 7): such sizes use Bluestein.
 */
export function radicesOf(L: number, rules: PlanRules): number[] | null {
  if (L === 1) return [1];
  const primes = primeFactors(L).sort((a, b) => b - a);
  if (primes[0] > Math.max(7, rules.maxPrime)) return null;
  const big = primes.filter((p) => p > rules.maxRadix);
  const small = primes.filter((p) => p <= rules.maxRadix);
  if (small.length === 0) return big;
  for (let P = 1; P <= small.length; P++) {
    const bins = new Array<number>(P).fill(1);
    let ok = true;
    for (const p of small) {
      let best = -1;
      for (let b = 0; b < P; b++) if (bins[b] * p <= rules.maxRadix && (best < 0 || bins[b] < bins[best])) best = b;
      if (best < 0) { ok = false; break; }
      bins[best] *= p;
    }
    if (ok) return [...big, ...bins.sort((a, b) => b - a)];
  }
  return null;
}

/** Estimated cost of a plan: every pass reads and writes the whole sequence, plus the butterfly work. */
const planCost = (L: number, radices: number[]) => L * radices.reduce((s, R) => s + 4 + primeFactors(R).reduce((q, p) => q + p, 0) / 4, 0);

/** The Bluestein convolution length for n: the smooth M >= 2n - 1 of least estimated cost. */
export function bluesteinLength(n: number, rules: PlanRules): number {
  let best = 0, bestCost = Infinity;
  for (let M = 2 * n - 1; M <= 4 * n; M++) {
    const r = radicesOf(M, rules);
    if (!r) continue;
    const c = planCost(M, r);
    if (c < bestCost) { best = M; bestCost = c; }
  }
  return best;
}

/** Forward DFT in float64 (recursive mixed radix over the smallest prime factor; direct for primes). */
export function hostDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const cos = new Float64Array(n), sin = new Float64Array(n);
  for (let k = 0; k < n; k++) { cos[k] = Math.cos((2 * Math.PI * k) / n); sin[k] = -Math.sin((2 * Math.PI * k) / n); }
  const rec = (xr: Float64Array, xi: Float64Array, len: number, stride: number): [Float64Array, Float64Array] => {
    // DFT of length len: twiddle w_len^t = table[t * stride] (the table is for length n = len * stride)
    let p = 2;
    while (p * p <= len && len % p !== 0) p++;
    if (p * p > len) p = len; // len is prime (or 1)
    const outR = new Float64Array(len), outI = new Float64Array(len);
    if (p === len) {
      for (let k = 0; k < len; k++) {
        let sr = 0, si = 0;
        for (let m = 0; m < len; m++) { const t = ((m * k) % len) * stride; sr += xr[m] * cos[t] - xi[m] * sin[t]; si += xr[m] * sin[t] + xi[m] * cos[t]; }
        outR[k] = sr; outI[k] = si;
      }
      return [outR, outI];
    }
    const m = len / p;
    const subs: [Float64Array, Float64Array][] = [];
    for (let r = 0; r < p; r++) {
      const sr = new Float64Array(m), si = new Float64Array(m);
      for (let q = 0; q < m; q++) { sr[q] = xr[q * p + r]; si[q] = xi[q * p + r]; }
      subs.push(rec(sr, si, m, stride * p));
    }
    for (let k = 0; k < len; k++) {
      let sr = 0, si = 0;
      for (let r = 0; r < p; r++) {
        const [fr, fi] = subs[r];
        const t = ((r * k) % len) * stride;
        const a = fr[k % m], b = fi[k % m];
        sr += a * cos[t] - b * sin[t]; si += a * sin[t] + b * cos[t];
      }
      outR[k] = sr; outI[k] = si;
    }
    return [outR, outI];
  };
  return rec(re, im, n, 1);
}

interface Plan {
  n: number;
  /** the length the radix passes work on: n, or the Bluestein length M */
  L: number;
  radices: number[];
  bluestein: boolean;
  TC: number;
  TB: number;
  table: GpuBuffer;
  bytes: number;
}

/** Host tables of a plan: twiddles w_L^k (k < L), then for Bluestein the chirp (n) and the filter (M). */
function buildTables(n: number, L: number, bluestein: boolean): Float32Array {
  const size = L + (bluestein ? n + L : 0);
  const t = new Float32Array(2 * size);
  for (let k = 0; k < L; k++) { t[2 * k] = Math.cos((2 * Math.PI * k) / L); t[2 * k + 1] = -Math.sin((2 * Math.PI * k) / L); }
  if (bluestein) {
    // chirp c_m = e^(-i pi m^2 / n), with m^2 reduced mod 2n exactly
    const chirp = (m: number) => { const a = (Math.PI * Number((BigInt(m) * BigInt(m)) % BigInt(2 * n))) / n; return [Math.cos(a), -Math.sin(a)]; };
    for (let m = 0; m < n; m++) { const [c, s] = chirp(m); t[2 * (L + m)] = c; t[2 * (L + m) + 1] = s; }
    // filter: b_m = conj(c_m) at m and at M - m, its M-point DFT divided by M (folds in the inverse's 1/M)
    const br = new Float64Array(L), bi = new Float64Array(L);
    for (let m = 0; m < n; m++) {
      const [c, s] = chirp(m);
      br[m] = c; bi[m] = -s;
      if (m > 0) { br[L - m] = c; bi[L - m] = -s; }
    }
    const [Br, Bi] = hostDft(br, bi);
    for (let k = 0; k < L; k++) { t[2 * (L + n + k)] = Br[k] / L; t[2 * (L + n + k) + 1] = Bi[k] / L; }
  }
  return t;
}

class FftPlanCache {
  /** insertion order is recency order: a hit is moved to the end */
  private readonly plans = new Map<number, Plan>();
  private bytes = 0;

  private rules: PlanRules;
  constructor(private readonly be: WebGPUBackend) { this.rules = planRules(); }

  get(n: number): Plan {
    const hit = this.plans.get(n);
    if (hit) { this.plans.delete(n); this.plans.set(n, hit); return hit; }
    let radices = radicesOf(n, this.rules);
    const bluestein = radices === null;
    const L = bluestein ? bluesteinLength(n, this.rules) : n;
    radices ??= radicesOf(L, this.rules)!;
    const table = this.be.upload(buildTables(n, L, bluestein), 'f32');
    const plan: Plan = { n, L, radices, bluestein, TC: L, TB: L + n, table, bytes: table.gpu.size };
    this.plans.set(n, plan);
    this.bytes += plan.bytes;
    for (const [k, p] of this.plans) {
      if (this.plans.size <= MAX_PLANS && this.bytes <= MAX_BYTES) break;
      if (p === plan) continue;
      this.drop(k, p);
    }
    return plan;
  }

  private drop(k: number, p: Plan): void {
    this.be.free(p.table);
    this.bytes -= p.bytes;
    this.plans.delete(k);
  }

  info(): FftCacheInfo { return { plans: [...this.plans.keys()], bytes: this.bytes }; }

  clear(): void {
    for (const [k, p] of [...this.plans]) this.drop(k, p);
    this.rules = planRules();
  }
}

const caches = new WeakMap<WebGPUBackend, FftPlanCache>();
function cacheOf(be: WebGPUBackend): FftPlanCache {
  let c = caches.get(be);
  if (!c) caches.set(be, (c = new FftPlanCache(be)));
  return c;
}


function fft1d(be: WebGPUBackend, a: FftAxisArgs): GpuBuffer {
  const { outer, inner, n, lout } = a;
  if (a.input !== 'real' && a.x.offset % 2 !== 0) throw new DeviceError('fft1d: a complex input must start at an even element offset');
  if (outer * inner * lout === 0) return be.alloc(0);
  const plan = cacheOf(be).get(n);
  const { L, radices } = plan;
  // the kernels' index arithmetic (udiv) is exact below 2^28 butterflies per pass
  if (outer * L * inner >= 2 ** 28) throw new DeviceError(`fft: ${outer * inner} sequences of ${L} points in one call exceed 2^28 elements; split the batch`);
  const out = be.alloc(outer * lout * inner * (a.output === 'complex' ? 2 : 1));
  const runs = plan.bluestein ? 2 : 1;
  const total = runs * radices.length;
  const tempSize = outer * L * inner * 2;
  const temps: GpuBuffer[] = [];
  let src = a.x.buf as GpuBuffer;
  let step = 0;
  for (let run = 0; run < runs; run++) {
    let NS = 1;
    for (let p = 0; p < radices.length; p++, step++) {
      const R = radices[p];
      const first = step === 0, last = step === total - 1;
      const Q = L / R;
      const spec: FftPassSpec = {
        R, twiddle: NS > 1, load: !first ? 'buf' : a.input === 'complex' ? 'complex' : 'realOrHermitian', chirpIn: first && plan.bluestein,
        store: last ? a.output : plan.bluestein && run === 0 && p === radices.length - 1 ? 'mulB' : 'buf', chirpOut: last && plan.bluestein,
      };
      const P = FFT_PASS.pack({
        outer, inner, srcOff: first ? (a.input === 'real' ? a.x.offset : a.x.offset / 2) : 0,
        lin: a.lin, lout, scale: last ? a.scale : 1, double: last ? a.double ?? 0 : 0,
        L, Q, NS, n, TC: plan.TC, TB: plan.TB, invQ: 1 / Q, invInner: 1 / inner, invNS: 1 / NS, twStride: L / (NS * R),
        // an inverse transform is conj(forward(conj(x))): conjugate on the first load and on the last store
        signIn: first && a.inverse ? -1 : 1, signOut: last && a.inverse ? -1 : 1,
        load: FFT_LOAD[a.input],
      });
      // ping-pong between two work buffers; the last pass writes the output
      if (!last && temps.length <= step % 2) temps.push(be.alloc(tempSize));
      const dst = last ? out : temps[step % 2];
      const inputs = fftPassUsesTable(spec) ? [src, plan.table] : [src];
      const key = fftPassKey(spec);
      const name = `fft(radix ${R})`;
      const source = () => fftPassWGSL(spec);
      const workgroups = grid1d(outer * Q * inner, FFT_WG);
      be.dispatch({ name, key, source, workgroups, params: P, outputs: [dst], inputs });
      src = dst;
      NS *= R;
    }
  }
  for (const t of temps) be.free(t);
  return out;
}

const EW_WG = 256;

function complexFromParts(be: WebGPUBackend, re: View | null, im: View | null, size: number): GpuBuffer {
  const out = be.alloc(2 * size);
  if (size === 0) return out;
  const inputs = [re, im].filter((v): v is View => v !== null).map((v) => v.buf as GpuBuffer);
  be.dispatch({ name: 'complex', key: `cplx:${re ? 'r' : ''}${im ? 'i' : ''}`, source: () => complexFromPartsWGSL(re !== null, im !== null),
    workgroups: grid1d(size, EW_WG), params: COMPLEX_PARTS.pack({ size, reOff: re?.offset ?? 0, imOff: im?.offset ?? 0 }), outputs: [out], inputs });
  return out;
}

function polar(be: WebGPUBackend, a: PolarArgs): GpuBuffer {
  const out = be.alloc(2 * a.size);
  if (a.size === 0) return out;
  be.dispatch({ name: 'polar', key: 'polar', source: polarWGSL, workgroups: grid1d(a.size, EW_WG),
    params: POLAR.pack({ size: a.size, magOff: a.mag.offset, phaseOff: a.phase.offset, magSize: a.magSize }), outputs: [out], inputs: [a.mag.buf as GpuBuffer, a.phase.buf as GpuBuffer] });
  return out;
}

function polarBackward(be: WebGPUBackend, a: PolarArgs & { g: View; wantMag: boolean }): { dphase: GpuBuffer; dmag: GpuBuffer | null } {
  const dphase = be.alloc(a.size), dmag = a.wantMag ? be.alloc(a.size) : null;
  if (a.size === 0) return { dphase, dmag };
  if (a.g.offset % 2 !== 0) throw new DeviceError('polar backward: the complex gradient must start at an even element offset');
  be.dispatch({ name: 'polar backward', key: `polar:bw:${a.wantMag ? 'm' : ''}`, source: () => polarBackwardWGSL(a.wantMag), workgroups: grid1d(a.size, EW_WG),
    params: POLAR.pack({ size: a.size, magOff: a.mag.offset, phaseOff: a.phase.offset, magSize: a.magSize, gOff: a.g.offset / 2 }), outputs: dmag ? [dphase, dmag] : [dphase],
    inputs: [a.mag.buf as GpuBuffer, a.phase.buf as GpuBuffer, a.g.buf as GpuBuffer] });
  return { dphase, dmag };
}

/** The WebGPU `fft` kernels (part of WEBGPU_KERNELS in ./index.ts). */
export const webgpuFftKernels: FftKernels<WebGPUBackend> = {
  fft1d,
  complexFromParts,
  polar,
  polarBackward,
  cacheInfo: (be) => cacheOf(be).info(),
  clearCache: (be) => cacheOf(be).clear(),
};
