// Float64Array <-> base64 of its little-endian bytes, so optimiser states are plain JSON that round-trip bit for
// bit (JSON numbers would too, but at ~20 characters a value instead of 10.7). No Buffer: this runs in browsers.
import { FormatError } from '../../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

function bytesOf(a: Float64Array): Uint8Array {
  const out = new Uint8Array(a.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat64(i * 8, a[i], true);
  return out;
}

const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = 61; // '='

/** base64 of the little-endian float64 bytes; written into one byte buffer (states are MBs: no string building) */
export function encodeF64(a: Float64Array): string {
  const b = bytesOf(a);
  const out = new Uint8Array(Math.ceil(b.length / 3) * 4);
  let o = 0;
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i] << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out[o++] = CODES[(n >> 18) & 63];
    out[o++] = CODES[(n >> 12) & 63];
    out[o++] = i + 1 < b.length ? CODES[(n >> 6) & 63] : PAD;
    out[o++] = i + 2 < b.length ? CODES[n & 63] : PAD;
  }
  return new TextDecoder().decode(out);
}

export function decodeF64(s: string, what: string): Float64Array {
  if (typeof s !== 'string' || s.length % 4 !== 0) throw new FormatError(`optimizer state: ${what} is not a base64 string of float64 values`);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const nBytes = (s.length / 4) * 3 - pad;
  if (nBytes % 8 !== 0) throw new FormatError(`optimizer state: ${what} holds ${nBytes} bytes, not a whole number of float64 values`);
  const bytes = new Uint8Array(nBytes);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      const v = c === 61 ? 0 : c < 128 ? LOOKUP[c] : -1;
      if (v < 0) throw new FormatError(`optimizer state: ${what} has a character that is not base64 at ${i + k}`);
      n = (n << 6) | v;
    }
    if (o < nBytes) bytes[o++] = (n >> 16) & 255;
    if (o < nBytes) bytes[o++] = (n >> 8) & 255;
    if (o < nBytes) bytes[o++] = n & 255;
  }
  const view = new DataView(bytes.buffer);
  const out = new Float64Array(nBytes / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** decodes and checks the length, naming the field when the state does not fit the optimiser */
export function decodeSized(s: string, length: number, what: string): Float64Array {
  const a = decodeF64(s, what);
  if (a.length !== length) throw new FormatError(`optimizer state: ${what} has ${a.length} values, expected ${length}`);
  return a;
}
