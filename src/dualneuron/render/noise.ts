// 1/f^alpha random fields (the amplitude spectrum of natural images falls off roughly as 1/f), made with a
// small radix-2 FFT on the host. Fields are returned zero-mean, unit-std, size x size.
import { FastRng, type HostRng } from './rng.js';

const PHASE_BITS = 12;
const COS = Float64Array.from({ length: 1 << PHASE_BITS }, (_, i) => Math.cos((2 * Math.PI * i) / (1 << PHASE_BITS)));
const SIN = Float64Array.from({ length: 1 << PHASE_BITS }, (_, i) => Math.sin((2 * Math.PI * i) / (1 << PHASE_BITS)));

/** In-place radix-2 complex FFT of length n (a power of two), inverse when `inverse`. */
function fft1d(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { [re[i], re[j]] = [re[j], re[i]]; [im[i], im[j]] = [im[j], im[i]]; }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang), wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k, b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr; cr = ncr;
      }
    }
  }
}

/** A random field whose amplitude spectrum is 1/f^alpha (random phases), cropped to size x size. */
export function pinkNoise(rng: HostRng, size: number, alpha: number): Float64Array {
  let n = 1;
  while (n < size) n <<= 1;
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  const fast = new FastRng(rng);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const fy = y <= n / 2 ? y : y - n, fx = x <= n / 2 ? x : x - n;
    const f2 = fx * fx + fy * fy;
    const amp = f2 === 0 ? 0 : Math.exp(-0.5 * alpha * Math.log(f2));
    const ph = fast.next32() >>> (32 - PHASE_BITS); // a random phase from a 4096-entry table
    re[y * n + x] = amp * COS[ph];
    im[y * n + x] = amp * SIN[ph];
  }
  const rr = new Float64Array(n), ri = new Float64Array(n);
  for (const pass of [0, 1]) {
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) { const k = pass === 0 ? a * n + b : b * n + a; rr[b] = re[k]; ri[b] = im[k]; }
      fft1d(rr, ri, true);
      for (let b = 0; b < n; b++) { const k = pass === 0 ? a * n + b : b * n + a; re[k] = rr[b]; im[k] = ri[b]; }
    }
  }
  const out = new Float64Array(size * size);
  let m = 0, s = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) { const v = re[y * n + x]; out[y * size + x] = v; m += v; }
  m /= out.length;
  for (let i = 0; i < out.length; i++) { out[i] -= m; s += out[i] * out[i]; }
  s = Math.sqrt(s / out.length) || 1;
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}
