// JPEG decoding the way PIL (libjpeg-turbo with its default settings) does it, bit for bit:
//  - jpeg-decode.ts decodes the bitstream and runs libjpeg's "islow" integer IDCT, giving each component's plane;
//  - subsampled chroma is upsampled with libjpeg's default "fancy" triangle filters (h2v1, h1v2, h2v2: 3/4 of the
//    nearer sample + 1/4 of the further one, with libjpeg's alternating rounding biases, edges replicated;
//    other integral factors replicate samples);
//  - YCbCr -> RGB uses libjpeg's 16-bit fixed-point JFIF tables;
//  - whether 3 components are YCbCr or RGB follows libjpeg's rule (JFIF marker, Adobe transform flag, component
//    ids 'R','G','B').
// CMYK/YCCK (4 components) is refused with a clear error; PIL would return a CMYK image.
import { InputError } from '../../errors.js';
import { decodeJpegPlanes, type JpegDecoded } from './jpeg-decode.js';
import type { RawImage } from './types.js';

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** libjpeg's rule for whether 3 components are YCbCr (true) or RGB (false). */
function isYCbCr(info: JpegDecoded): boolean {
  if (info.jfif) return true;
  if (info.adobeTransform !== null) return info.adobeTransform !== 0;
  const [a, b, c] = info.components.map((k) => k.id);
  if (a === 82 && b === 71 && c === 66) return false; // 'R', 'G', 'B'
  return true;
}

// ---- libjpeg-style upsampling --------------------------------------------------------------------------------

/** Triangle ("fancy") 2x horizontal upsampling of one row of `n` samples (n > 2) into `2n` samples. */
function h2v1Row(inp: Uint8Array, i0: number, n: number, out: Uint8Array, o0: number): void {
  let a = inp[i0]!;
  out[o0] = a;
  out[o0 + 1] = (a * 3 + inp[i0 + 1]! + 2) >> 2;
  for (let i = 1; i < n - 1; i++) {
    const c = inp[i0 + i]! * 3;
    out[o0 + 2 * i] = (c + inp[i0 + i - 1]! + 1) >> 2;
    out[o0 + 2 * i + 1] = (c + inp[i0 + i + 1]! + 2) >> 2;
  }
  a = inp[i0 + n - 1]!;
  out[o0 + 2 * n - 2] = (a * 3 + inp[i0 + n - 2]! + 1) >> 2;
  out[o0 + 2 * n - 1] = a;
}

/**
 * Upsamples a component plane of cw x ch samples by (rh, rv) to (cw*rh) x (ch*rv), as libjpeg does by default:
 * fancy filters for 2x1, 1x2 and 2x2 (when wider than 2 samples), replication otherwise.
 */
function upsample(plane: Uint8Array, cw: number, ch: number, rh: number, rv: number): Uint8Array {
  const ow = cw * rh, oh = ch * rv;
  const out = new Uint8Array(ow * oh);
  if (rh === 2 && rv === 1 && cw > 2) {
    for (let y = 0; y < ch; y++) h2v1Row(plane, y * cw, cw, out, y * ow);
    return out;
  }
  if (rh === 1 && rv === 2) {
    for (let y = 0; y < ch; y++) {
      for (let half = 0; half < 2; half++) {
        const far = half === 0 ? Math.max(y - 1, 0) : Math.min(y + 1, ch - 1);
        const bias = half === 0 ? 1 : 2;
        const orow = (2 * y + half) * ow;
        for (let x = 0; x < cw; x++) out[orow + x] = (plane[y * cw + x]! * 3 + plane[far * cw + x]! + bias) >> 2;
      }
    }
    return out;
  }
  if (rh === 2 && rv === 2 && cw > 2) {
    const sum = new Int32Array(cw);
    for (let y = 0; y < ch; y++) {
      for (let half = 0; half < 2; half++) {
        const far = half === 0 ? Math.max(y - 1, 0) : Math.min(y + 1, ch - 1);
        for (let x = 0; x < cw; x++) sum[x] = plane[y * cw + x]! * 3 + plane[far * cw + x]!;
        const o = (2 * y + half) * ow;
        out[o] = (sum[0]! * 4 + 8) >> 4;
        out[o + 1] = (sum[0]! * 3 + sum[1]! + 7) >> 4;
        for (let x = 1; x < cw - 1; x++) {
          const c = sum[x]! * 3;
          out[o + 2 * x] = (c + sum[x - 1]! + 8) >> 4;
          out[o + 2 * x + 1] = (c + sum[x + 1]! + 7) >> 4;
        }
        out[o + 2 * cw - 2] = (sum[cw - 1]! * 3 + sum[cw - 2]! + 8) >> 4;
        out[o + 2 * cw - 1] = (sum[cw - 1]! * 4 + 7) >> 4;
      }
    }
    return out;
  }
  for (let y = 0; y < oh; y++) {
    const srow = Math.floor(y / rv) * cw;
    for (let x = 0; x < ow; x++) out[y * ow + x] = plane[srow + Math.floor(x / rh)]!;
  }
  return out;
}

// ---- libjpeg's YCbCr -> RGB tables (16-bit fixed point, JFIF equations) -------------------------------------

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX = (x: number) => Math.floor(x * (1 << SCALEBITS) + 0.5);
const CR_R = new Int32Array(256), CB_B = new Int32Array(256), CR_G = new Int32Array(256), CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (FIX(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (FIX(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + ONE_HALF;
}
const clip8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

export function decodeJPEG(bytes: Uint8Array, source: string): RawImage {
  const info = decodeJpegPlanes(bytes, source);
  const nc = info.components.length;
  if (nc === 4) throw new InputError(`JPEG ${source}: CMYK/YCCK JPEGs are not supported; convert it to RGB first`);
  if (nc !== 1 && nc !== 3) throw new InputError(`JPEG ${source}: ${nc}-component JPEGs are not supported`);
  const { width: W, height: H, maxH, maxV } = info;
  if (nc === 1) {
    const c = info.components[0]!;
    return { width: W, height: H, mode: 'L', data: c.data };
  }
  const planes: Uint8Array[] = [];
  for (const c of info.components) {
    if (maxH % c.h !== 0 || maxV % c.v !== 0) {
      throw new InputError(`JPEG ${source}: fractional sampling (${c.h}x${c.v} of ${maxH}x${maxV}) is not supported`);
    }
    const rh = maxH / c.h, rv = maxV / c.v;
    if (rh === 1 && rv === 1) { planes.push(c.data); continue; }
    const up = upsample(c.data, c.width, c.height, rh, rv);
    const uw = c.width * rh;
    const full = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) full.set(up.subarray(y * uw, y * uw + W), y * W);
    planes.push(full);
  }
  const data = new Uint8Array(W * H * 3);
  const [p0, p1, p2] = planes as [Uint8Array, Uint8Array, Uint8Array];
  if (isYCbCr(info)) {
    for (let i = 0; i < W * H; i++) {
      const y = p0[i]!, cb = p1[i]!, cr = p2[i]!;
      data[3 * i] = clip8(y + CR_R[cr]!);
      data[3 * i + 1] = clip8(y + ((CB_G[cb]! + CR_G[cr]!) >> SCALEBITS));
      data[3 * i + 2] = clip8(y + CB_B[cb]!);
    }
  } else {
    for (let i = 0; i < W * H; i++) { data[3 * i] = p0[i]!; data[3 * i + 1] = p1[i]!; data[3 * i + 2] = p2[i]!; }
  }
  return { width: W, height: H, mode: 'RGB', data };
}
