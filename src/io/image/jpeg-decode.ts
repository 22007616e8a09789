// A JPEG bitstream decoder (ITU-T T.81): baseline and extended sequential Huffman (SOF0/SOF1) and progressive
// Huffman (SOF2), 8-bit samples, any number of components, restart intervals. It returns each component's sample
// plane at its own (subsampled) resolution; jpeg.ts upsamples and converts colour.
//
// Why not just jpeg-js: its IDCT (an LLM variant with 8/12-bit constants) rounds differently from libjpeg's default
// "islow" IDCT, which PIL uses, by up to 3 levels on ~13% of RGB samples. To reproduce PIL exactly the IDCT here
// follows the integer arithmetic of libjpeg's islow method: the Loeffler-Ligtenberg-Moschytz factorisation with
// 13-bit fixed-point constants, 2 extra bits of precision after the column pass, round-half-up descaling, and
// libjpeg's range-limiting of the result. Everything else (Huffman decoding, progressive refinement) is exact by
// definition: any correct decoder obtains the same coefficients.
import { InputError } from '../../errors.js';
import { checkPixelCount } from './types.js';

export interface JpegComponentPlane {
  id: number;
  /** Sampling factors. */
  h: number;
  v: number;
  /** Size of the component's real samples: ceil(W * h / maxH) x ceil(H * v / maxV). */
  width: number;
  height: number;
  /** width x height samples. */
  data: Uint8Array;
}

export interface JpegDecoded {
  width: number;
  height: number;
  maxH: number;
  maxV: number;
  components: JpegComponentPlane[];
  jfif: boolean;
  /** Adobe APP14 colour transform flag (0 none, 1 YCbCr, 2 YCCK), or null without an Adobe marker. */
  adobeTransform: number | null;
  progressive: boolean;
}

// Zigzag order: ZIGZAG[k] is the natural (row-major) index of the k-th coefficient in the bitstream.
const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63,
]);

const SOF_UNSUPPORTED: Record<number, string> = {
  0xc3: 'lossless', 0xc5: 'differential sequential', 0xc6: 'differential progressive', 0xc7: 'differential lossless',
  0xc9: 'arithmetic-coded sequential', 0xca: 'arithmetic-coded progressive', 0xcb: 'arithmetic-coded lossless',
  0xcd: 'differential arithmetic sequential', 0xce: 'differential arithmetic progressive',
  0xcf: 'differential arithmetic lossless',
};

/** A Huffman table as a 16-bit lookahead: entry = (code length << 8) | symbol, 0 for an invalid code. */
type HuffTable = Uint16Array;

function buildHuffman(counts: Uint8Array, symbols: Uint8Array, fail: (why: string) => never): HuffTable {
  const table = new Uint16Array(1 << 16);
  let code = 0, k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < counts[len - 1]!; i++) {
      if (code >= 1 << len) fail('invalid Huffman table (too many codes)');
      const shift = 16 - len;
      const entry = (len << 8) | symbols[k++]!;
      table.fill(entry, code << shift, (code + 1) << shift);
      code++;
    }
    code <<= 1;
  }
  return table;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Quantisation table latched when the component's first scan starts (as libjpeg does). */
  quant: Int32Array | null;
  width: number;
  height: number;
  /** Blocks actually covering the component (non-interleaved scans visit these). */
  bw: number;
  bh: number;
  /** Blocks allocated: the MCU-padded grid (interleaved scans visit these). */
  bwAlloc: number;
  bhAlloc: number;
  coefs: Int16Array;
  pred: number;
  dc: HuffTable | null;
  ac: HuffTable | null;
}

// ---- islow IDCT --------------------------------------------------------------------------------------------------

const CONST_BITS = 13, PASS1_BITS = 2;
const F_0_298631336 = 2446, F_0_390180644 = 3196, F_0_541196100 = 4433, F_0_765366865 = 6270;
const F_0_899976223 = 7373, F_1_175875602 = 9633, F_1_501321110 = 12299, F_1_847759065 = 15137;
const F_1_961570560 = 16069, F_2_053119869 = 16819, F_2_562915447 = 20995, F_3_072711026 = 25172;

/** Round-half-up arithmetic right shift, exact for any |x| < 2^53 (libjpeg uses 64-bit integers here). */
function descale(x: number, n: number): number {
  return Math.floor((x + 2 ** (n - 1)) / 2 ** n);
}

// libjpeg's post-IDCT range limit: index (value & 1023) -> sample, i.e. clamp(value + 128, 0, 255) for
// -512 <= value < 512, wrapping beyond (which only corrupt data reaches).
const RANGE_LIMIT = new Uint8Array(1024);
for (let i = 0; i < 1024; i++) RANGE_LIMIT[i] = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;

const workspace = new Float64Array(64);

/** Dequantises and inverse-transforms one block of coefficients (natural order) into 8x8 samples. */
function idctIslow(coefs: Int16Array, off: number, q: Int32Array, out: Uint8Array, outOff: number, stride: number): void {
  const ws = workspace;
  // Pass 1: columns, from the coefficients into the workspace (scaled up by 2^PASS1_BITS).
  for (let c = 0; c < 8; c++) {
    const i0 = off + c;
    if (coefs[i0 + 8] === 0 && coefs[i0 + 16] === 0 && coefs[i0 + 24] === 0 && coefs[i0 + 32] === 0 &&
        coefs[i0 + 40] === 0 && coefs[i0 + 48] === 0 && coefs[i0 + 56] === 0) {
      const dc = coefs[i0]! * q[c]! * (1 << PASS1_BITS);
      for (let r = 0; r < 8; r++) ws[r * 8 + c] = dc;
      continue;
    }
    let z2 = coefs[i0 + 16]! * q[16 + c]!, z3 = coefs[i0 + 48]! * q[48 + c]!;
    let z1 = (z2 + z3) * F_0_541196100;
    let tmp2 = z1 - z3 * F_1_847759065;
    let tmp3 = z1 + z2 * F_0_765366865;
    z2 = coefs[i0]! * q[c]!;
    z3 = coefs[i0 + 32]! * q[32 + c]!;
    let tmp0 = (z2 + z3) * (1 << CONST_BITS);
    let tmp1 = (z2 - z3) * (1 << CONST_BITS);
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    tmp0 = coefs[i0 + 56]! * q[56 + c]!;
    tmp1 = coefs[i0 + 40]! * q[40 + c]!;
    tmp2 = coefs[i0 + 24]! * q[24 + c]!;
    tmp3 = coefs[i0 + 8]! * q[8 + c]!;
    z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175875602;
    tmp0 *= F_0_298631336; tmp1 *= F_2_053119869; tmp2 *= F_3_072711026; tmp3 *= F_1_501321110;
    z1 *= -F_0_899976223; z2 *= -F_2_562915447; z3 *= -F_1_961570560; z4 *= -F_0_390180644;
    z3 += z5; z4 += z5;
    tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;
    const n = CONST_BITS - PASS1_BITS;
    ws[c] = descale(tmp10 + tmp3, n); ws[56 + c] = descale(tmp10 - tmp3, n);
    ws[8 + c] = descale(tmp11 + tmp2, n); ws[48 + c] = descale(tmp11 - tmp2, n);
    ws[16 + c] = descale(tmp12 + tmp1, n); ws[40 + c] = descale(tmp12 - tmp1, n);
    ws[24 + c] = descale(tmp13 + tmp0, n); ws[32 + c] = descale(tmp13 - tmp0, n);
  }
  // Pass 2: rows, from the workspace to samples; removes the 2^PASS1_BITS and the DCT's factor 8.
  const n = CONST_BITS + PASS1_BITS + 3;
  for (let r = 0; r < 8; r++) {
    const w = r * 8, o = outOff + r * stride;
    let z2 = ws[w + 2]!, z3 = ws[w + 6]!;
    let z1 = (z2 + z3) * F_0_541196100;
    let tmp2 = z1 - z3 * F_1_847759065;
    let tmp3 = z1 + z2 * F_0_765366865;
    let tmp0 = (ws[w]! + ws[w + 4]!) * (1 << CONST_BITS);
    let tmp1 = (ws[w]! - ws[w + 4]!) * (1 << CONST_BITS);
    const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7]!; tmp1 = ws[w + 5]!; tmp2 = ws[w + 3]!; tmp3 = ws[w + 1]!;
    z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175875602;
    tmp0 *= F_0_298631336; tmp1 *= F_2_053119869; tmp2 *= F_3_072711026; tmp3 *= F_1_501321110;
    z1 *= -F_0_899976223; z2 *= -F_2_562915447; z3 *= -F_1_961570560; z4 *= -F_0_390180644;
    z3 += z5; z4 += z5;
    tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4;
    out[o] = RANGE_LIMIT[descale(tmp10 + tmp3, n) & 1023]!;
    out[o + 7] = RANGE_LIMIT[descale(tmp10 - tmp3, n) & 1023]!;
    out[o + 1] = RANGE_LIMIT[descale(tmp11 + tmp2, n) & 1023]!;
    out[o + 6] = RANGE_LIMIT[descale(tmp11 - tmp2, n) & 1023]!;
    out[o + 2] = RANGE_LIMIT[descale(tmp12 + tmp1, n) & 1023]!;
    out[o + 5] = RANGE_LIMIT[descale(tmp12 - tmp1, n) & 1023]!;
    out[o + 3] = RANGE_LIMIT[descale(tmp13 + tmp0, n) & 1023]!;
    out[o + 4] = RANGE_LIMIT[descale(tmp13 - tmp0, n) & 1023]!;
  }
}

// ---- entropy-coded segment reader ----------------------------------------------------------------------------

class BitReader {
  buf = 0; // holds `cnt` valid low bits
  cnt = 0;
  /** Set once the data ran into a marker (or the end): further bits read as zeros, as libjpeg does. */
  hitMarker = false;
  constructor(private readonly d: Uint8Array, public pos: number) {}

  private fill(): void {
    while (this.cnt <= 24) {
      let byte = 0;
      if (!this.hitMarker && this.pos < this.d.length) {
        byte = this.d[this.pos]!;
        if (byte === 0xff) {
          const next = this.pos + 1 < this.d.length ? this.d[this.pos + 1]! : -1;
          if (next === 0x00) this.pos += 2;
          else { this.hitMarker = true; byte = 0; }
        } else {
          this.pos++;
        }
      } else {
        this.hitMarker = true;
      }
      this.buf = ((this.buf << 8) | byte) >>> 0;
      this.cnt += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.buf >>> this.cnt) & ((1 << n) - 1);
  }

  bit(): number {
    return this.bits(1);
  }

  /** Decodes one Huffman symbol. */
  decode(t: HuffTable): number {
    if (this.cnt < 16) this.fill();
    const peek = (this.buf >>> (this.cnt - 16)) & 0xffff;
    const e = t[peek]!;
    if (e === 0) throw new Error('invalid Huffman code');
    this.cnt -= e >> 8;
    return e & 0xff;
  }

  /** A magnitude category s followed by s bits, as a signed value (T.81 F.2.2.1 EXTEND). */
  receiveExtend(s: number): number {
    if (s === 0) return 0;
    const v = this.bits(s);
    return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
  }

  /** Drops buffered bits and moves to the next marker (used at restart intervals and scan ends). */
  resetToMarker(): void {
    this.buf = 0;
    this.cnt = 0;
    this.hitMarker = false;
    const d = this.d;
    while (this.pos < d.length) {
      if (d[this.pos] === 0xff && this.pos + 1 < d.length && d[this.pos + 1] !== 0x00 && d[this.pos + 1] !== 0xff) return;
      this.pos++;
    }
  }
}

// ---- the decoder -------------------------------------------------------------------------------------------------

export function decodeJpegPlanes(b: Uint8Array, source: string): JpegDecoded {
  const fail = (why: string): never => { throw new InputError(`JPEG ${source} is truncated or corrupt: ${why}`); };
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) fail('no start-of-image marker');
  const qt: (Int32Array | null)[] = [null, null, null, null];
  const dcTables: (HuffTable | null)[] = [null, null, null, null];
  const acTables: (HuffTable | null)[] = [null, null, null, null];
  let comps: Component[] | null = null;
  let width = 0, height = 0, maxH = 1, maxV = 1, mcusX = 0, mcusY = 0;
  let progressive = false, jfif = false, restartInterval = 0, scans = 0;
  let adobeTransform: number | null = null;
  let p = 2;
  for (;;) {
    if (p >= b.length) fail('the file ends before the end-of-image marker');
    if (b[p] !== 0xff) fail(`expected a marker at byte ${p}`);
    while (p < b.length && b[p] === 0xff) p++;
    if (p >= b.length) fail('the file ends inside a marker');
    const marker = b[p++]!;
    if (marker === 0xd9) break; // EOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd8) fail(`unexpected start-of-image marker at byte ${p - 2}`);
    if (p + 2 > b.length) fail('the file ends inside a segment header');
    const len = (b[p]! << 8) | b[p + 1]!;
    if (len < 2 || p + len > b.length) fail(`segment 0x${marker.toString(16)} runs past the end of the file`);
    const seg = b.subarray(p + 2, p + len);
    p += len;
    switch (marker) {
      case 0xdb: { // DQT
        let i = 0;
        while (i < seg.length) {
          const pq = seg[i]! >> 4, tq = seg[i]! & 15;
          i++;
          if (tq > 3 || pq > 1 || i + 64 * (pq + 1) > seg.length) fail('bad quantisation table');
          const t = new Int32Array(64);
          for (let k = 0; k < 64; k++) t[ZIGZAG[k]!] = pq ? (seg[i + 2 * k]! << 8) | seg[i + 2 * k + 1]! : seg[i + k]!;
          i += 64 * (pq + 1);
          qt[tq] = t;
        }
        break;
      }
      case 0xc4: { // DHT
        let i = 0;
        while (i < seg.length) {
          if (i + 17 > seg.length) fail('bad Huffman table');
          const tc = seg[i]! >> 4, th = seg[i]! & 15;
          const counts = seg.subarray(i + 1, i + 17);
          let total = 0;
          for (let k = 0; k < 16; k++) total += counts[k]!;
          if (tc > 1 || th > 3 || i + 17 + total > seg.length) fail('bad Huffman table');
          const table = buildHuffman(counts, seg.subarray(i + 17, i + 17 + total), fail);
          (tc === 0 ? dcTables : acTables)[th] = table;
          i += 17 + total;
        }
        break;
      }
      case 0xc0: case 0xc1: case 0xc2: { // SOF: baseline, extended sequential, progressive (Huffman)
        if (comps) fail('more than one frame');
        if (seg.length < 6) fail('short frame header');
        const precision = seg[0]!;
        height = (seg[1]! << 8) | seg[2]!;
        width = (seg[3]! << 8) | seg[4]!;
        const n = seg[5]!;
        if (precision !== 8) throw new InputError(`JPEG ${source}: ${precision}-bit samples are not supported (PIL reads 8-bit JPEGs only)`);
        if (width === 0 || height === 0) throw new InputError(`JPEG ${source}: zero width or height (DNL-defined height is not supported)`);
        if (n === 0 || seg.length < 6 + 3 * n) fail('short frame header');
        progressive = marker === 0xc2;
        const list: Component[] = [];
        for (let i = 0; i < n; i++) {
          const hv = seg[7 + 3 * i]!;
          const c = { id: seg[6 + 3 * i]!, h: hv >> 4, v: hv & 15, tq: seg[8 + 3 * i]! };
          if (c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3) fail('bad component sampling factors or table');
          list.push({ ...c, quant: null, width: 0, height: 0, bw: 0, bh: 0, bwAlloc: 0, bhAlloc: 0, coefs: new Int16Array(0), pred: 0, dc: null, ac: null });
        }
        maxH = Math.max(...list.map((c) => c.h));
        maxV = Math.max(...list.map((c) => c.v));
        mcusX = Math.ceil(width / (8 * maxH));
        mcusY = Math.ceil(height / (8 * maxV));
        checkPixelCount(width, height, source);
        for (const c of list) {
          c.width = Math.ceil((width * c.h) / maxH);
          c.height = Math.ceil((height * c.v) / maxV);
          c.bw = Math.ceil(c.width / 8);
          c.bh = Math.ceil(c.height / 8);
          c.bwAlloc = mcusX * c.h;
          c.bhAlloc = mcusY * c.v;
          c.coefs = new Int16Array(c.bwAlloc * c.bhAlloc * 64);
        }
        comps = list;
        break;
      }
      case 0xdd: // DRI
        if (seg.length < 2) fail('short restart interval');
        restartInterval = (seg[0]! << 8) | seg[1]!;
        break;
      case 0xdc:
        throw new InputError(`JPEG ${source}: DNL markers are not supported`);
      case 0xe0:
        if (seg.length >= 5 && seg[0] === 0x4a && seg[1] === 0x46 && seg[2] === 0x49 && seg[3] === 0x46 && seg[4] === 0) jfif = true;
        break;
      case 0xee:
        if (seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') adobeTransform = seg[11]!;
        break;
      case 0xda: { // SOS
        if (!comps) fail('scan before the frame header');
        const n = seg[0]!;
        if (n < 1 || n > 4 || seg.length < 1 + 2 * n + 3) fail('bad scan header');
        const scomps: Component[] = [];
        for (let i = 0; i < n; i++) {
          const c = comps!.find((k) => k.id === seg[1 + 2 * i]);
          if (!c) fail('scan names an unknown component');
          c!.dc = dcTables[seg[2 + 2 * i]! >> 4]!;
          c!.ac = acTables[seg[2 + 2 * i]! & 15]!;
          if (!c!.quant) {
            const t = qt[c!.tq];
            if (!t) fail(`quantisation table ${c!.tq} is not defined`);
            c!.quant = t!.slice();
          }
          scomps.push(c!);
        }
        const ss = seg[1 + 2 * n]!, se = seg[2 + 2 * n]!, ah = seg[3 + 2 * n]! >> 4, al = seg[3 + 2 * n]! & 15;
        if (!progressive && (ss !== 0 || se !== 63 || ah !== 0 || al !== 0)) fail('bad sequential scan parameters');
        if (progressive && (se > 63 || ss > se || (ss === 0 && se !== 0) || (ss > 0 && n !== 1) || al > 13)) {
          fail('bad progressive scan parameters');
        }
        p = decodeScan(b, p, scomps, { mcusX, mcusY, restartInterval, progressive, ss, se, ah, al }, fail);
        scans++;
        break;
      }
      default:
        if (marker in SOF_UNSUPPORTED) {
          throw new InputError(`JPEG ${source}: ${SOF_UNSUPPORTED[marker]} JPEG is not supported (baseline and progressive Huffman only)`);
        }
        break; // APPn, COM and others: skipped
    }
  }
  if (!comps) fail('no frame header');
  if (scans === 0) fail('no image data');
  const planes: JpegComponentPlane[] = comps!.map((c) => {
    const stride = c.bw * 8;
    const full = new Uint8Array(stride * c.bh * 8);
    const q = c.quant ?? new Int32Array(64); // a component no scan covered decodes as mid-grey, like libjpeg
    for (let by = 0; by < c.bh; by++) {
      for (let bx = 0; bx < c.bw; bx++) {
        idctIslow(c.coefs, (by * c.bwAlloc + bx) * 64, q, full, by * 8 * stride + bx * 8, stride);
      }
    }
    const data = new Uint8Array(c.width * c.height);
    for (let y = 0; y < c.height; y++) data.set(full.subarray(y * stride, y * stride + c.width), y * c.width);
    return { id: c.id, h: c.h, v: c.v, width: c.width, height: c.height, data };
  });
  return { width, height, maxH, maxV, components: planes, jfif, adobeTransform, progressive };
}

interface ScanParams {
  mcusX: number; mcusY: number; restartInterval: number; progressive: boolean;
  ss: number; se: number; ah: number; al: number;
}

/** Decodes one scan's entropy-coded data starting at `pos`; returns the position of the marker that ends it. */
function decodeScan(d: Uint8Array, pos: number, comps: Component[], sp: ScanParams, fail: (why: string) => never): number {
  const { progressive, ss, se, ah, al } = sp;
  const r = new BitReader(d, pos);
  let eobrun = 0;
  for (const c of comps) {
    c.pred = 0;
    if ((!progressive || ss === 0) && ah === 0 && !c.dc) fail('scan uses an undefined DC Huffman table');
    if ((!progressive || ss > 0) && !c.ac) fail('scan uses an undefined AC Huffman table');
  }

  const decodeBlock = (c: Component, off: number): void => {
    const z = c.coefs;
    if (!progressive) {
      const t = r.decode(c.dc!);
      c.pred += r.receiveExtend(t);
      z[off] = c.pred;
      for (let k = 1; k < 64;) {
        const rs = r.decode(c.ac!);
        const s = rs & 15, run = rs >> 4;
        if (s) {
          k += run;
          if (k > 63) break;
          z[off + ZIGZAG[k]!] = r.receiveExtend(s);
          k++;
        } else {
          if (run !== 15) break;
          k += 16;
        }
      }
      return;
    }
    if (ss === 0) { // DC scans
      if (ah === 0) {
        const t = r.decode(c.dc!);
        c.pred += r.receiveExtend(t);
        z[off] = c.pred * (1 << al);
      } else if (r.bit()) {
        z[off] |= 1 << al;
      }
      return;
    }
    if (ah === 0) { // AC first pass
      if (eobrun > 0) { eobrun--; return; }
      for (let k = ss; k <= se;) {
        const rs = r.decode(c.ac!);
        const s = rs & 15, run = rs >> 4;
        if (s) {
          k += run;
          if (k > 63) break;
          z[off + ZIGZAG[k]!] = r.receiveExtend(s) * (1 << al);
          k++;
        } else if (run < 15) {
          eobrun = (1 << run) - 1;
          if (run) eobrun += r.bits(run);
          break;
        } else {
          k += 16;
        }
      }
      return;
    }
    // AC refinement pass (T.81 G.1.2.3): new coefficients are +-1 << al; already non-zero ones get a correction bit.
    const p1 = 1 << al, m1 = -1 << al;
    let k = ss;
    const refine = (idx: number) => {
      const v = z[idx]!;
      if (r.bit() && (v & p1) === 0) z[idx] = v >= 0 ? v + p1 : v + m1;
    };
    if (eobrun === 0) {
      for (; k <= se; k++) {
        const rs = r.decode(c.ac!);
        let s = rs & 15, run = rs >> 4;
        if (s) {
          s = r.bit() ? p1 : m1;
        } else if (run !== 15) {
          eobrun = 1 << run;
          if (run) eobrun += r.bits(run);
          break;
        }
        // Skip `run` zero coefficients, refining the non-zero ones on the way; stop at the target zero.
        while (k <= se) {
          const idx = off + ZIGZAG[k]!;
          if (z[idx] !== 0) refine(idx);
          else if (--run < 0) break;
          k++;
        }
        if (s && k <= se) z[off + ZIGZAG[k]!] = s;
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const idx = off + ZIGZAG[k]!;
        if (z[idx] !== 0) refine(idx);
      }
      eobrun--;
    }
  };

  const single = comps.length === 1;
  const c0 = comps[0]!;
  const total = single ? c0.bw * c0.bh : sp.mcusX * sp.mcusY;
  try {
    for (let m = 0; m < total; m++) {
      if (sp.restartInterval && m > 0 && m % sp.restartInterval === 0) {
        // Restart: byte-align, expect RSTn, reset predictions and the end-of-band run.
        r.resetToMarker();
        if (r.pos + 1 < d.length && d[r.pos + 1]! >= 0xd0 && d[r.pos + 1]! <= 0xd7) r.pos += 2;
        for (const c of comps) c.pred = 0;
        eobrun = 0;
      }
      if (single) {
        const bx = m % c0.bw, by = Math.floor(m / c0.bw);
        decodeBlock(c0, (by * c0.bwAlloc + bx) * 64);
      } else {
        const mx = m % sp.mcusX, my = Math.floor(m / sp.mcusX);
        for (const c of comps) {
          for (let v = 0; v < c.v; v++) {
            for (let h = 0; h < c.h; h++) {
              decodeBlock(c, ((my * c.v + v) * c.bwAlloc + mx * c.h + h) * 64);
            }
          }
        }
      }
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    fail((err as Error).message);
  }
  r.resetToMarker();
  if (r.pos >= d.length) fail('the file ends inside the image data');
  return r.pos;
}
