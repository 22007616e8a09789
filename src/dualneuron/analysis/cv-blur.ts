// OpenCV's GaussianBlur of an 8-bit plane (cv2.GaussianBlur(u8, (k, k), sigma), default border), as upstream's
// get_mean_mask calls it. OpenCV blurs 8-bit images in fixed point, bit-exactly on every platform: the kernel
// exp(-x^2 / (2 sigma^2)) normalised to sum 1 is quantised to 8 fractional bits by error diffusion from the
// outside in (the centre takes what is left so the taps sum to exactly 256), rows and columns are filtered with
// exact integer sums, and the result is rounded half up from 16 fractional bits. The border is BORDER_REFLECT_101
// (g f e d c b | a b c d e f g h | g f e d c b).
import { InputError } from '../../errors.js';

/** The fixed-point taps (integers summing to 256) of an odd k-tap Gaussian with the given sigma. */
export function fixedPointGaussianTaps(k: number, sigma: number): number[] {
  if (!(k >= 1 && k % 2 === 1)) throw new InputError(`gaussian kernel size must be odd and >= 1, got ${k}`);
  if (!(sigma > 0)) throw new InputError(`gaussian sigma must be > 0, got ${sigma}`);
  const c = (k - 1) / 2;
  const v = Array.from({ length: k }, (_, i) => Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)));
  const sum = v.reduce((a, b) => a + b, 0);
  const taps = new Array<number>(k).fill(0);
  let err = 0, used = 0;
  for (let i = 0; i < c; i++) {
    const adj = (v[i] / sum) * 256 + err;
    // cvRound: to nearest, ties to even
    const r = Math.abs(adj - Math.trunc(adj)) === 0.5 ? 2 * Math.round(adj / 2) : Math.round(adj);
    err = adj - r;
    taps[i] = taps[k - 1 - i] = r;
    used += 2 * r;
  }
  taps[c] = 256 - used;
  return taps;
}

function reflect101(j: number, n: number): number {
  if (n === 1) return 0;
  const p = 2 * (n - 1);
  const m = ((j % p) + p) % p;
  return m < n ? m : p - m;
}

/** cv2.GaussianBlur(plane, (k, k), sigmaX=sigma, sigmaY=sigma) of an H x W uint8 plane. */
export function gaussianBlurU8(x: Uint8Array, H: number, W: number, k: number, sigma: number): Uint8Array {
  if (x.length !== H * W) throw new InputError(`gaussianBlurU8: ${x.length} values for a ${H}x${W} plane`);
  const t = fixedPointGaussianTaps(k, sigma), r = (k - 1) / 2;
  const rows = new Int32Array(H * W);
  for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    let s = 0;
    for (let i = -r; i <= r; i++) s += t[i + r] * x[y * W + reflect101(xx + i, W)];
    rows[y * W + xx] = s;
  }
  const out = new Uint8Array(H * W);
  for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
    let s = 0;
    for (let i = -r; i <= r; i++) s += t[i + r] * rows[reflect101(y + i, H) * W + xx];
    // 16 fractional bits: round half up; the taps sum to 256 per axis, so s <= 255 * 65536
    out[y * W + xx] = Math.floor((s + 32768) / 65536);
  }
  return out;
}
