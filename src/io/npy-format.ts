// Byte-only: parsing and encoding never touch the file system (browsers, workers); file I/O is in npy.ts.
// NumPy .npy files (format versions 1.0, 2.0 and 3.0; NEP 1), read into and written from HostArrays.
//
// Layout: "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for 2.0/3.0), then a Python dict
// literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and ending in '\n'
// (latin-1 for 1.0/2.0, UTF-8 for 3.0), then the raw array data. Writers pad the header so that the data
// starts at a multiple of 64 bytes.
import { DTypeError, FormatError } from '../errors.js';
import { DTYPE_BYTES, type HostArray, type HostDType, hostArrayBytes, hostArrayFromBytes, numel } from './host-array.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** NumPy leaves room for the growth axis to reach this many digits when it writes a header. */
const GROWTH_AXIS_MAX_DIGITS = 21;

const DESCR_OF: Readonly<Record<HostDType, string | null>> = {
  f16: '<f2', bf16: null, f32: '<f4', f64: '<f8', i64: '<i8', i32: '<i4', i16: '<i2', i8: '|i1', u8: '|u1', bool: '|b1',
};

const KIND_SIZE_TO_DTYPE: Readonly<Record<string, HostDType>> = {
  f2: 'f16', f4: 'f32', f8: 'f64', i8: 'i64', i4: 'i32', i2: 'i16', i1: 'i8', u1: 'u8', b1: 'bool',
};

function where(source: string | undefined): string {
  return source ?? '<npy bytes>';
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

// ---- header literal parser (the subset of Python literals NumPy writes) ------------------------------------

class PyList {
  constructor(readonly items: Lit[]) {}
}
type Lit = string | number | boolean | null | Lit[] | PyList | { [k: string]: Lit };

const ATOM = /True|False|None|[-+]?\d+L?/y;

class LiteralParser {
  private i = 0;
  constructor(private readonly s: string, private readonly fail: (why: string) => never) {}

  parseTop(): Lit {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail(`unexpected text after the header dict at character ${this.i}`);
    return v;
  }

  private ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }

  private value(): Lit {
    this.ws();
    const c = this.s[this.i];
    if (c === undefined) this.fail('header ends in the middle of a value');
    if (c === '{') return this.dict();
    if (c === '(') return this.seq(')');
    if (c === '[') return new PyList(this.seq(']'));
    if (c === "'" || c === '"') return this.str();
    ATOM.lastIndex = this.i;
    const m = ATOM.exec(this.s);
    if (!m) return this.fail(`unexpected character ${JSON.stringify(c)} at ${this.i}`);
    this.i += m[0].length;
    if (m[0] === 'True') return true;
    if (m[0] === 'False') return false;
    if (m[0] === 'None') return null;
    return Number(m[0].replace(/L$/, ''));
  }

  private str(): string {
    const q = this.s[this.i++]!;
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== q) {
      let c = this.s[this.i++]!;
      if (c === '\\') {
        const e = this.s[this.i++];
        c = e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : (e ?? '');
      }
      out += c;
    }
    if (this.s[this.i] !== q) this.fail('unterminated string in header');
    this.i++;
    return out;
  }

  private seq(close: string): Lit[] {
    this.i++;
    const out: Lit[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) { this.i++; return out; }
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') { this.i++; continue; }
      if (this.s[this.i] === close) { this.i++; return out; }
      this.fail(`expected ',' or '${close}' at character ${this.i}`);
    }
  }

  private dict(): { [k: string]: Lit } {
    this.i++;
    const out: { [k: string]: Lit } = {};
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') { this.i++; return out; }
      const k = this.value();
      if (typeof k !== 'string') this.fail('header dict keys must be strings');
      this.ws();
      if (this.s[this.i] !== ':') this.fail(`expected ':' after key '${k}'`);
      this.i++;
      out[k] = this.value();
      this.ws();
      if (this.s[this.i] === ',') { this.i++; continue; }
      if (this.s[this.i] === '}') { this.i++; return out; }
      this.fail(`expected ',' or '}' at character ${this.i}`);
    }
  }
}

/** Parsed .npy header: where the data starts and what it is. */
export interface NpyHeader {
  version: [number, number];
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
  /** structured (record) arrays only, when asked for: each field's name, descr and byte offset in a record */
  fields?: NpyField[];
}

export interface NpyField { name: string; descr: string; offset: number; size: number }

function headerRest(dict: { [k: string]: Lit }, fail: (why: string) => never): { fortranOrder: boolean; shape: number[] } {
  const fo = dict.fortran_order, shape = dict.shape;
  if (typeof fo !== 'boolean') fail("'fortran_order' must be True or False");
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    fail(`'shape' must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return { fortranOrder: fo as boolean, shape: shape as number[] };
}

/** [('name', '<i8'), ...] of a packed record dtype (numeric, 'S' and 'U' fields; no nested or sub-array fields). */
function structuredFields(list: PyList, fail: (why: string) => never): NpyField[] {
  let offset = 0;
  return list.items.map((item) => {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string' || typeof item[1] !== 'string') {
      return fail(`unsupported record field ${JSON.stringify(item)} (nested or sub-array fields are not read; use plain columns)`);
    }
    const m = /^[<>|=]?([a-zA-Z])(\d+)$/.exec(item[1]);
    if (!m) return fail(`unsupported record field dtype '${item[1]}' of field '${item[0]}'`);
    const size = m[1] === 'U' ? 4 * Number(m[2]) : Number(m[2]);
    const f = { name: item[0], descr: item[1], offset, size };
    offset += size;
    return f;
  });
}

/** Reads and validates the header of a .npy file (does not look at the data). */
export function parseNpyHeader(bytes: Uint8Array, source?: string, o: { structured?: boolean } = {}): NpyHeader {
  const name = where(source);
  const fail = (why: string): never => {
    throw new FormatError(`${name}: not a valid .npy file: ${why}`);
  };
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) {
    fail('bad magic (expected the file to start with "\\x93NUMPY")');
  }
  const major = bytes[6]!, minor = bytes[7]!;
  let headerLen: number, start: number;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header');
    headerLen = dv.getUint32(8, true);
    start = 12;
  } else {
    return fail(`unsupported format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  if (start + headerLen > bytes.length) {
    fail(`truncated header (header says ${headerLen} bytes, file has ${bytes.length - start} after the length field)`);
  }
  const raw = bytes.subarray(start, start + headerLen);
  let text: string;
  if (major === 3) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      return fail('header is not valid UTF-8');
    }
  } else {
    text = latin1(raw);
  }
  const lit = new LiteralParser(text.trim(), fail).parseTop();
  if (lit === null || typeof lit !== 'object' || Array.isArray(lit) || lit instanceof PyList) fail('header is not a dict');
  const dict = lit as { [k: string]: Lit };
  for (const key of ['descr', 'fortran_order', 'shape']) if (!(key in dict)) fail(`header has no '${key}' key`);
  const descr = dict.descr;
  if (typeof descr !== 'string') {
    if (o.structured && descr instanceof PyList) return { ...headerRest(dict, fail), descr: '', fields: structuredFields(descr, fail), version: [major, minor], dataOffset: start + headerLen };
    throw new FormatError(`${name}: structured (record) dtypes are not supported here; save a plain numeric array`);
  }
  const fo = dict.fortran_order;
  if (typeof fo !== 'boolean') fail("'fortran_order' must be True or False");
  const shape = dict.shape;
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)) {
    fail(`'shape' must be a tuple of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return { version: [major, minor], descr, fortranOrder: fo as boolean, shape: shape as number[], dataOffset: start + headerLen };
}

/** Maps a NumPy descr ('<f4', '|u1', '>i8', ...) to a HostDType and its byte order; throws FormatError otherwise. */
function dtypeOfDescr(descr: string, name: string): { dtype: HostDType; littleEndian: boolean } {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  if (m && m[2] === 'O') {
    throw new FormatError(
      `${name}: object arrays ('${descr}') are not supported (they hold pickled Python objects); save a numeric array instead`,
    );
  }
  const dtype = m ? KIND_SIZE_TO_DTYPE[`${m[2]}${m[3]}`] : undefined;
  if (!m || !dtype) {
    throw new FormatError(
      `${name}: unsupported dtype '${descr}'; supported: float16/32/64, int8/16/32/64, uint8, bool (convert with arr.astype(np.float32))`,
    );
  }
  return { dtype, littleEndian: m[1] !== '>' };
}

/**
 * Parses a .npy file into a HostArray (C order, host byte order). The data is a zero-copy view of `bytes` when
 * it is aligned and little-endian, otherwise a copy. `source` (usually the path) is named in every error.
 */
export function parseNpy(bytes: Uint8Array, source?: string): HostArray {
  const name = where(source);
  const h = parseNpyHeader(bytes, source);
  const { dtype, littleEndian } = dtypeOfDescr(h.descr, name);
  const n = numel(h.shape);
  if (h.fortranOrder && h.shape.filter((d) => d > 1).length > 1) {
    throw new FormatError(
      `${name}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray (shape (${h.shape.join(', ')}), fortran_order: True)`,
    );
  }
  const need = n * DTYPE_BYTES[dtype];
  const have = bytes.length - h.dataOffset;
  if (have < need) {
    throw new FormatError(
      `${name}: truncated data: shape (${h.shape.join(', ')}) of '${h.descr}' needs ${need} bytes after the header, the file has ${have}`,
    );
  }
  return hostArrayFromBytes(dtype, h.shape, bytes.subarray(h.dataOffset, h.dataOffset + need), { littleEndian });
}

function pyTuple(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Encodes a HostArray as a .npy file the way np.save does (version 1.0 when the header fits, else 2.0; header
 * padded so the data starts at a multiple of 64 bytes). bf16 has no NumPy dtype and is rejected.
 */
export function encodeNpy(a: HostArray): Uint8Array {
  const n = numel(a.shape);
  if (a.data.length !== n) throw new DTypeError(`array data has ${a.data.length} elements but shape [${a.shape.join(', ')}] needs ${n}`);
  const header = npyHeader(a.dtype, a.shape);
  const data = hostArrayBytes(a);
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}

/** The bytes of a .npy file before its data (for writers that stream the data themselves). */
export function npyHeader(dtype: HostArray['dtype'], shape: readonly number[]): Uint8Array {
  const descr = DESCR_OF[dtype];
  if (!descr) throw new DTypeError(`cannot write ${dtype} to .npy: NumPy has no bfloat16 dtype; convert to f32 first`);
  numel(shape);
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pyTuple(shape)}, }`;
  if (shape.length > 0) dict += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  // Header text + '\n', padded with spaces so that magic + version + length field + header is a multiple of 64.
  let lenBytes = 2;
  let total = MAGIC.length + 2 + lenBytes + dict.length + 1;
  if (Math.ceil(total / ALIGN) * ALIGN - (MAGIC.length + 2 + lenBytes) > 0xffff) {
    lenBytes = 4;
    total = MAGIC.length + 2 + lenBytes + dict.length + 1;
  }
  const padded = Math.ceil(total / ALIGN) * ALIGN;
  const headerLen = padded - (MAGIC.length + 2 + lenBytes);
  const header = dict + ' '.repeat(padded - total) + '\n';
  const out = new Uint8Array(padded);
  out.set(MAGIC, 0);
  out[6] = lenBytes === 2 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (lenBytes === 2) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  const off = MAGIC.length + 2 + lenBytes;
  for (let i = 0; i < header.length; i++) out[off + i] = header.charCodeAt(i);
  return out;
}
