// Resizing and cropping that reproduce Pillow 9.x `Image.resize(size, Image.BILINEAR)` and torchvision's
// `Resize` / `CenterCrop` on PIL images bit for bit. Written from Pillow's documented behaviour and checked by
// experiment against the installed python3-pil (see tools/golden/image_fixtures.py and test/io/image-*.test.ts).
//
// Bilinear ("triangle") resampling, as Pillow does it:
//  - separable: a horizontal pass (skipped when the width does not change), rounded and clipped to the image's
//    sample type, then a vertical pass (skipped when the height does not change);
//  - for output index i, scale = in/out, center = (i + 0.5) * scale, filter radius = max(1, scale); input samples
//    j in [trunc(center - radius + 0.5), trunc(center + radius + 0.5)) clipped to the image, with weights
//    tri((j - center + 0.5) * (1 / max(1, scale))), tri(t) = max(0, 1 - |t|), normalised to sum 1 per output;
//  - 8-bit modes: weights in 22-bit fixed point (round half away from zero), accumulator starting at 2^21,
//    result = clip(acc >> 22, 0, 255);
//  - 'I' (32-bit int) mode: weights and sums in double precision, rounded half away from zero;
//  - 'RGBA' and 'LA' are premultiplied by alpha first (v * a / 255 rounded: t = v*a + 128, (t + (t >> 8)) >> 8),
//    resized, and divided back (v = min(255, floor(255 * v / a)) for 0 < a < 255, unchanged for a = 0 or 255);
//  - '1' and 'P' images are always resized with NEAREST (Pillow overrides the filter): source index
//    trunc(x0 + k*step) with step = in/out and x0 = step/2, accumulated in double by repeated addition.
import { InputError } from '../../errors.js';
import { channelsOf, checkImage, type RawImage } from './types.js';

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs {
  /** First input index for each output index. */
  start: Int32Array;
  /** Number of input samples for each output index. */
  count: Int32Array;
  /** `kmax` weights per output index (normalised, double). */
  weights: Float64Array;
  kmax: number;
}

function triangle(x: number): number {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

/** Pillow's bilinear coefficients for resampling `inSize` samples to `outSize`. */
export function bilinearCoeffs(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = filterscale; // the triangle filter's support is 1
  const kmax = Math.ceil(support) * 2 + 1;
  const inv = 1 / filterscale;
  const start = new Int32Array(outSize), count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * kmax);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    let lo = Math.trunc(center - support + 0.5);
    if (lo < 0) lo = 0;
    let hi = Math.trunc(center + support + 0.5);
    if (hi > inSize) hi = inSize;
    const n = hi - lo;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const w = triangle((j + lo - center + 0.5) * inv);
      weights[i * kmax + j] = w;
      sum += w;
    }
    if (sum !== 0) for (let j = 0; j < n; j++) weights[i * kmax + j] /= sum;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, kmax };
}

function fixedWeights(c: Coeffs): Int32Array {
  const out = new Int32Array(c.weights.length);
  const one = 1 << PRECISION_BITS;
  for (let i = 0; i < out.length; i++) {
    const w = c.weights[i]!;
    out[i] = w < 0 ? Math.trunc(-0.5 + w * one) : Math.trunc(0.5 + w * one);
  }
  return out;
}

// One separable pass over interleaved samples. `axis` 0 resamples rows (x), 1 resamples columns (y).
// The input is width x height x ch; rows [rowLo, rowLo + rows) of the input are used for the horizontal pass.
function pass8(src: Uint8Array, w: number, h: number, ch: number, c: Coeffs, horizontal: boolean): Uint8Array {
  const k = fixedWeights(c);
  const { start, count, kmax } = c;
  const half = 1 << (PRECISION_BITS - 1);
  if (horizontal) {
    const ow = start.length;
    const out = new Uint8Array(ow * h * ch);
    for (let y = 0; y < h; y++) {
      const rowIn = y * w * ch, rowOut = y * ow * ch;
      for (let x = 0; x < ow; x++) {
        const s0 = start[x]!, n = count[x]!, kb = x * kmax;
        for (let b = 0; b < ch; b++) {
          let acc = half;
          let p = rowIn + s0 * ch + b;
          for (let j = 0; j < n; j++, p += ch) acc += src[p]! * k[kb + j]!;
          const v = acc >> PRECISION_BITS;
          out[rowOut + x * ch + b] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      }
    }
    return out;
  }
  const oh = start.length;
  const stride = w * ch;
  const out = new Uint8Array(w * oh * ch);
  for (let y = 0; y < oh; y++) {
    const s0 = start[y]!, n = count[y]!, kb = y * kmax;
    const rowOut = y * stride;
    for (let i = 0; i < stride; i++) {
      let acc = half;
      let p = s0 * stride + i;
      for (let j = 0; j < n; j++, p += stride) acc += src[p]! * k[kb + j]!;
      const v = acc >> PRECISION_BITS;
      out[rowOut + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return out;
}

function roundHalfAway(x: number): number {
  return x >= 0 ? Math.floor(x + 0.5) : -Math.floor(-x + 0.5);
}

function pass32(src: Int32Array, w: number, h: number, c: Coeffs, horizontal: boolean): Int32Array {
  const { start, count, weights, kmax } = c;
  if (horizontal) {
    const ow = start.length;
    const out = new Int32Array(ow * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < ow; x++) {
        const s0 = start[x]!, n = count[x]!, kb = x * kmax;
        let acc = 0;
        for (let j = 0; j < n; j++) acc += src[y * w + s0 + j]! * weights[kb + j]!;
        out[y * ow + x] = roundHalfAway(acc);
      }
    }
    return out;
  }
  const oh = start.length;
  const out = new Int32Array(w * oh);
  for (let y = 0; y < oh; y++) {
    const s0 = start[y]!, n = count[y]!, kb = y * kmax;
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += src[(s0 + j) * w + x]! * weights[kb + j]!;
      out[y * w + x] = roundHalfAway(acc);
    }
  }
  return out;
}

/** Restricts vertical coefficients to the input rows they use, so the horizontal pass can skip the others. */
function rowWindow(c: Coeffs, h: number): { lo: number; hi: number } {
  const last = c.start.length - 1;
  const lo = c.start[0]!;
  const hi = Math.min(h, c.start[last]! + c.count[last]!);
  return { lo, hi };
}

function shiftCoeffs(c: Coeffs, by: number): Coeffs {
  const start = c.start.map((s) => s - by);
  return { ...c, start };
}

/** Separable bilinear resample of interleaved 8-bit samples, Pillow's order and rounding. */
function resample8(src: Uint8Array, w: number, h: number, ch: number, ow: number, oh: number): Uint8Array {
  const needH = ow !== w, needV = oh !== h;
  if (!needH && !needV) return src.slice();
  if (!needV) return pass8(src, w, h, ch, bilinearCoeffs(w, ow), true);
  const cv = bilinearCoeffs(h, oh);
  if (!needH) return pass8(src, w, h, ch, cv, false);
  const { lo, hi } = rowWindow(cv, h);
  const rows = src.subarray(lo * w * ch, hi * w * ch);
  const tmp = pass8(rows, w, hi - lo, ch, bilinearCoeffs(w, ow), true);
  return pass8(tmp, ow, hi - lo, ch, shiftCoeffs(cv, lo), false);
}

function resample32(src: Int32Array, w: number, h: number, ow: number, oh: number): Int32Array {
  let data = src, cw = w;
  if (ow !== w) { data = pass32(data, w, h, bilinearCoeffs(w, ow), true); cw = ow; }
  if (oh !== h) data = pass32(data, cw, h, bilinearCoeffs(h, oh), false);
  return data === src ? src.slice() : data;
}

/** Source indices Pillow's NEAREST resize reads for each output index. */
export function nearestIndices(inSize: number, outSize: number): Int32Array {
  const out = new Int32Array(outSize);
  const step = inSize / outSize;
  let pos = 0 + step * 0.5;
  for (let i = 0; i < outSize; i++) {
    const k = Math.trunc(pos);
    out[i] = k < inSize ? k : inSize - 1;
    pos += step;
  }
  return out;
}

function resampleNearest(src: Uint8Array, w: number, h: number, ch: number, ow: number, oh: number): Uint8Array {
  const xi = nearestIndices(w, ow), yi = nearestIndices(h, oh);
  const out = new Uint8Array(ow * oh * ch);
  for (let y = 0; y < oh; y++) {
    const row = yi[y]! * w;
    for (let x = 0; x < ow; x++) {
      const s = (row + xi[x]!) * ch, d = (y * ow + x) * ch;
      for (let b = 0; b < ch; b++) out[d + b] = src[s + b]!;
    }
  }
  return out;
}

/** Multiplies colour samples by alpha (last channel) as Pillow's RGBA -> RGBa / LA -> La conversion does. */
function premultiply(src: Uint8Array, ch: number): Uint8Array {
  const out = src.slice();
  for (let p = 0; p < out.length; p += ch) {
    const a = out[p + ch - 1]!;
    for (let b = 0; b < ch - 1; b++) {
      const t = out[p + b]! * a + 128;
      out[p + b] = ((t >> 8) + t) >> 8;
    }
  }
  return out;
}

/** Pillow's RGBa -> RGBA: integer division by alpha, clipped; alpha 0 and 255 leave the samples as they are. */
function unpremultiply(data: Uint8Array, ch: number): void {
  for (let p = 0; p < data.length; p += ch) {
    const a = data[p + ch - 1]!;
    if (a === 0 || a === 255) continue;
    for (let b = 0; b < ch - 1; b++) {
      const v = Math.floor((255 * data[p + b]!) / a);
      data[p + b] = v > 255 ? 255 : v;
    }
  }
}

function checkSize(w: number, h: number, what: string): void {
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1) {
    throw new InputError(`${what}: output size must be positive integers, got ${w}x${h}`);
  }
}

/**
 * PIL `img.resize((outW, outH), Image.BILINEAR)` for any mode (see the header for what that means per mode).
 * Returns a new image; an unchanged size gives a copy.
 */
export function resizeBilinearPIL(img: RawImage, outW: number, outH: number): RawImage {
  checkImage(img);
  checkSize(outW, outH, 'resizeBilinearPIL');
  const { width: w, height: h, mode } = img;
  const ch = channelsOf(mode);
  const base = { width: outW, height: outH, mode } as const;
  const extra = img.palette ? { palette: img.palette, ...(img.paletteAlpha ? { paletteAlpha: img.paletteAlpha } : {}) } : {};
  if (mode === 'I') return { ...base, data: resample32(img.data as Int32Array, w, h, outW, outH) };
  const src = img.data as Uint8Array;
  if (mode === '1' || mode === 'P') {
    const data = outW === w && outH === h ? src.slice() : resampleNearest(src, w, h, ch, outW, outH);
    return { ...base, data, ...extra };
  }
  if (mode === 'RGBA' || mode === 'LA') {
    if (outW === w && outH === h) return { ...base, data: src.slice() };
    const data = resample8(premultiply(src, ch), w, h, ch, outW, outH);
    unpremultiply(data, ch);
    return { ...base, data };
  }
  return { ...base, data: resample8(src, w, h, ch, outW, outH) };
}

/**
 * torchvision `Resize(size)` with an int on a PIL image: the short side becomes `size`, the long side
 * `int(size * long / short)`; the image is returned unchanged if it already has that size.
 */
export function resizeShortSide(img: RawImage, size = 256): RawImage {
  checkImage(img);
  if (!Number.isInteger(size) || size < 1) throw new InputError(`resizeShortSide: size must be a positive integer, got ${size}`);
  const { width: w, height: h } = img;
  const short = Math.min(w, h), long = Math.max(w, h);
  const newLong = Math.trunc((size * long) / short);
  const [ow, oh] = w <= h ? [size, newLong] : [newLong, size];
  if (ow === w && oh === h) return img;
  return resizeBilinearPIL(img, ow, oh);
}

/** Python's round() of d / 2 for an integer d (half to even). */
function halfRoundEven(d: number): number {
  if (d % 2 === 0) return d / 2;
  const k = (d - 1) / 2; // d / 2 = k + 0.5
  return k % 2 === 0 ? k : k + 1;
}

/** Crops (or zero-pads) to the rectangle [left, left+cw) x [top, top+ch); pad value is sample 0 in every channel. */
function cropPad(img: RawImage, left: number, top: number, cw: number, chh: number): RawImage {
  const { width: w, height: h, mode } = img;
  const nc = channelsOf(mode);
  const data = mode === 'I' ? new Int32Array(cw * chh) : new Uint8Array(cw * chh * nc);
  for (let y = 0; y < chh; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= h) continue;
    const x0 = Math.max(0, -left), x1 = Math.min(cw, w - left);
    if (x1 <= x0) continue;
    const s = (sy * w + left + x0) * nc;
    (data as Uint8Array).set((img.data as Uint8Array).subarray(s, s + (x1 - x0) * nc), (y * cw + x0) * nc);
  }
  const out: RawImage = { width: cw, height: chh, mode, data };
  if (img.palette) out.palette = img.palette;
  if (img.paletteAlpha) out.paletteAlpha = img.paletteAlpha;
  return out;
}

/**
 * torchvision `CenterCrop(size)` on a PIL image. `size` is a number (square) or [height, width].
 * If the image is smaller than the crop along a side it is first padded with zeros (palette index 0 for 'P'):
 * left/top by (c - W) // 2 and right/bottom by (c - W + 1) // 2. The crop offsets are Python's
 * round((H - c) / 2) and round((W - c) / 2), which round halves to even.
 */
export function centerCropPIL(img: RawImage, size: number | readonly [number, number]): RawImage {
  checkImage(img);
  const [cropH, cropW] = typeof size === 'number' ? [size, size] : size;
  checkSize(cropW, cropH, 'centerCropPIL');
  let { width: w, height: h } = img;
  let padLeft = 0, padTop = 0;
  if (cropW > w || cropH > h) {
    padLeft = cropW > w ? Math.floor((cropW - w) / 2) : 0;
    padTop = cropH > h ? Math.floor((cropH - h) / 2) : 0;
    const padRight = cropW > w ? Math.floor((cropW - w + 1) / 2) : 0;
    const padBottom = cropH > h ? Math.floor((cropH - h + 1) / 2) : 0;
    w += padLeft + padRight;
    h += padTop + padBottom;
  }
  const top = halfRoundEven(h - cropH), left = halfRoundEven(w - cropW);
  // A crop of the padded image is a crop of the original shifted by the padding, with zeros outside it.
  return cropPad(img, left - padLeft, top - padTop, cropW, cropH);
}
