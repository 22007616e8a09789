// The image operations of the Allen notebook's MEI recipe (../shared/reference/seeds/003_*.txt, section "Function
// containing everything needed to compute MEIs"), on the host in float64: `fft_smooth` (the gradient filtered by
// 1/|f|^decay in Fourier space), `scipy.ndimage.gaussian_filter` (mode 'reflect', truncate 4) and `scale` (min-max
// to [lo, hi]). Images are small (the notebook's 60x96, the twins' 93x93), so direct DFTs are fast enough and
// exact; each function works on one 2-D plane (H, W), row-major.
import { InputError } from '../../errors.js';

/**
 * The notebook's `fft_smooth(grad, factor)`: F = t / mean(t) with t = 1 / (sqrt(ky^2 + kx^2) + 1e-8)^factor over the
 * rfftn grid ky = 0..H-1 (not wrapped to negative frequencies, as the notebook writes it), kx = 0..W/2; returns
 * irfftn(rfftn(g) * F, s=(H, W)). The filter is not Hermitian along ky, so the inverse is computed as torch's
 * irfftn does: a complex inverse DFT over rows, then a complex-to-real DFT over columns that takes the real part
 * of the DC and Nyquist bins. factor 0 returns g unchanged (the notebook's early return).
 */
export function fftSmooth(g: ArrayLike<number>, H: number, W: number, factor: number): Float64Array {
  if (g.length !== H * W) throw new InputError(`fftSmooth: ${g.length} values for a ${H}x${W} plane`);
  if (factor === 0) return Float64Array.from(g);
  const L = Math.floor(W / 2) + 1;
  // the filter
  const F = new Float64Array(H * L);
  let mean = 0;
  for (let k = 0; k < H; k++) for (let l = 0; l < L; l++) {
    const t = 1 / Math.pow(Math.sqrt(k * k + l * l) + 1e-8, factor);
    F[k * L + l] = t;
    mean += t;
  }
  mean /= H * L;
  for (let i = 0; i < F.length; i++) F[i] /= mean;
  const cw = twiddles(W), ch = twiddles(H);
  // rows: R[y, l] = sum_x g[y, x] e^{-2 pi i l x / W}
  const Rr = new Float64Array(H * L), Ri = new Float64Array(H * L);
  for (let y = 0; y < H; y++) for (let l = 0; l < L; l++) {
    let re = 0, im = 0;
    for (let x = 0; x < W; x++) {
      const j = (l * x) % W, v = g[y * W + x];
      re += v * cw.cos[j];
      im -= v * cw.sin[j];
    }
    Rr[y * L + l] = re; Ri[y * L + l] = im;
  }
  // columns: G[k, l] = F[k, l] * sum_y R[y, l] e^{-2 pi i k y / H}
  const Gr = new Float64Array(H * L), Gi = new Float64Array(H * L);
  for (let k = 0; k < H; k++) for (let l = 0; l < L; l++) {
    let re = 0, im = 0;
    for (let y = 0; y < H; y++) {
      const j = (k * y) % H, a = Rr[y * L + l], b = Ri[y * L + l], c = ch.cos[j], s = ch.sin[j];
      re += a * c + b * s;
      im += b * c - a * s;
    }
    Gr[k * L + l] = re * F[k * L + l]; Gi[k * L + l] = im * F[k * L + l];
  }
  // inverse over rows (complex): Z[y, l] = (1/H) sum_k G[k, l] e^{+2 pi i k y / H}
  const Zr = new Float64Array(H * L), Zi = new Float64Array(H * L);
  for (let y = 0; y < H; y++) for (let l = 0; l < L; l++) {
    let re = 0, im = 0;
    for (let k = 0; k < H; k++) {
      const j = (k * y) % H, a = Gr[k * L + l], b = Gi[k * L + l], c = ch.cos[j], s = ch.sin[j];
      re += a * c - b * s;
      im += a * s + b * c;
    }
    Zr[y * L + l] = re / H; Zi[y * L + l] = im / H;
  }
  // complex-to-real over columns: bins 1..L-1 count twice except the Nyquist bin of an even W; DC and Nyquist
  // contribute their real parts only
  const out = new Float64Array(H * W);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    let s = Zr[y * L];
    for (let l = 1; l < L; l++) {
      const j = (l * x) % W;
      const term = Zr[y * L + l] * cw.cos[j] - Zi[y * L + l] * cw.sin[j];
      s += W % 2 === 0 && l === W / 2 ? term : 2 * term;
    }
    out[y * W + x] = s / W;
  }
  return out;
}

function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const cos = new Float64Array(n), sin = new Float64Array(n);
  for (let j = 0; j < n; j++) { cos[j] = Math.cos((2 * Math.PI * j) / n); sin[j] = Math.sin((2 * Math.PI * j) / n); }
  return { cos, sin };
}

/**
 * scipy.ndimage.gaussian_filter(x, sigma) of a 2-D plane with its defaults (order 0, mode 'reflect', truncate 4):
 * a separable kernel exp(-x^2 / (2 sigma^2)) over [-r, r], r = int(4 sigma + 0.5), normalised to sum 1, applied
 * along rows then columns, the image extended by half-sample reflection (d c b a | a b c d | d c b a), repeated
 * when the kernel is wider than the image. sigma <= 0 returns x unchanged (scipy skips such axes).
 */
export function gaussianFilter(x: ArrayLike<number>, H: number, W: number, sigma: number): Float64Array {
  if (x.length !== H * W) throw new InputError(`gaussianFilter: ${x.length} values for a ${H}x${W} plane`);
  if (!Number.isFinite(sigma)) throw new InputError(`gaussianFilter: sigma must be finite, got ${sigma}`);
  if (sigma <= 0) return Float64Array.from(x);
  const r = Math.floor(4 * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) { k[i + r] = Math.exp((-0.5 / (sigma * sigma)) * i * i); sum += k[i + r]; }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  // scipy filters axis 0 first, then axis 1
  const a = new Float64Array(H * W);
  for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    let s = 0;
    for (let i = -r; i <= r; i++) s += k[i + r] * x[reflect(y + i, H) * W + xx];
    a[y * W + xx] = s;
  }
  const out = new Float64Array(H * W);
  for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    let s = 0;
    for (let i = -r; i <= r; i++) s += k[i + r] * a[y * W + reflect(xx + i, W)];
    out[y * W + xx] = s;
  }
  return out;
}

/** index j of a line of n samples extended by half-sample reflection, periodic with 2n */
function reflect(j: number, n: number): number {
  const m = ((j % (2 * n)) + 2 * n) % (2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

/** The notebook's `scale(img, c, d)`: c + (img - min) (d - c) / (max - min), over all values; null when flat. */
export function minMaxScale(x: ArrayLike<number>, lo = 0, hi = 1): Float64Array | null {
  let a = Infinity, b = -Infinity;
  for (let i = 0; i < x.length; i++) { a = Math.min(a, x[i]); b = Math.max(b, x[i]); }
  if (!(b > a)) return null;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = lo + ((x[i] - a) * (hi - lo)) / (b - a);
  return out;
}

/** torch.std(x): the unbiased (n - 1) standard deviation over all values, and the mean. */
export function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  const n = x.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - m) ** 2;
  return { mean: m, std: Math.sqrt(v / (n - 1)) };
}
