// Byte-only: parsing and encoding never touch the file system (browsers, workers); file I/O is in safetensors.ts.
// safetensors files: an 8-byte little-endian u64 header size N, N bytes of UTF-8 JSON (padded with spaces),
// then one flat byte buffer. The JSON maps each tensor name to {dtype, shape, data_offsets: [begin, end]}
// (offsets relative to the byte buffer) plus an optional "__metadata__" string->string map. The byte buffer
// must be covered exactly by the tensors: no holes, no overlaps.
import { DTypeError, FormatError } from '../errors.js';
import { DTYPE_BYTES, type HostArray, type HostDType, hostArrayBytes, hostArrayFromBytes, isHostDType, numel } from './host-array.js';

const ST_TO_HOST: Readonly<Record<string, HostDType>> = {
  F32: 'f32', F16: 'f16', BF16: 'bf16', F64: 'f64', I64: 'i64', I32: 'i32', I16: 'i16', I8: 'i8', U8: 'u8', BOOL: 'bool',
};
const HOST_TO_ST: Readonly<Record<HostDType, string>> = {
  f32: 'F32', f16: 'F16', bf16: 'BF16', f64: 'F64', i64: 'I64', i32: 'I32', i16: 'I16', i8: 'I8', u8: 'U8', bool: 'BOOL',
};
/** Order of dtypes in the byte buffer when writing: widest first (so every tensor stays aligned), then by name. */
const WRITE_RANK: Readonly<Record<HostDType, number>> = {
  i64: 0, f64: 1, f32: 2, i32: 3, bf16: 4, f16: 5, i16: 6, i8: 7, u8: 8, bool: 9,
};
const MAX_HEADER = 100_000_000;
const METADATA_KEY = '__metadata__';

export interface Safetensors {
  /** Tensors in byte-buffer order. Data are zero-copy views of the file bytes where alignment allows. */
  tensors: Map<string, HostArray>;
  metadata: Record<string, string>;
}

function where(source: string | undefined): string {
  return source ?? '<safetensors bytes>';
}

/** Parses a .safetensors file. Every error is a FormatError naming `source` (and the tensor key, if any). */
export function parseSafetensors(bytes: Uint8Array, source?: string): Safetensors {
  const name = where(source);
  const fail = (why: string): never => {
    throw new FormatError(`${name}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header size`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    fail(`header size ${n64} is larger than the rest of the file (${bytes.length - 8} bytes); truncated or not safetensors`);
  }
  const n = Number(n64);
  if (n > MAX_HEADER) fail(`header size ${n} exceeds the 100 MB limit`);
  if (n < 2) fail(`header size ${n} is too small for a JSON object`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (err) {
    return fail(`header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header JSON is not an object');
  const base = 8 + n;
  const bufLen = bytes.length - base;

  const metadata: Record<string, string> = {};
  const entries: { key: string; dtype: HostDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [key, info] of Object.entries(header as Record<string, unknown>)) {
    if (key === METADATA_KEY) {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) fail(`"${METADATA_KEY}" must be an object of strings`);
      for (const [mk, mv] of Object.entries(info as Record<string, unknown>)) {
        if (typeof mv !== 'string') fail(`"${METADATA_KEY}" value for "${mk}" is ${JSON.stringify(mv)}, expected a string`);
        // defineProperty: a key such as "__proto__" must stay an ordinary entry.
        Object.defineProperty(metadata, mk, { value: mv, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const bad = (why: string): never => {
      throw new FormatError(`${name}: tensor '${key}': ${why}`);
    };
    if (info === null || typeof info !== 'object' || Array.isArray(info)) bad('entry is not an object with dtype, shape, data_offsets');
    const { dtype, shape, data_offsets: offs } = info as Record<string, unknown>;
    if (typeof dtype !== 'string') bad('missing "dtype"');
    const hd = ST_TO_HOST[dtype as string];
    if (!hd) bad(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ST_TO_HOST).join(', ')})`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      bad(`"shape" must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offs) || offs.length !== 2 || offs.some((o) => !Number.isSafeInteger(o) || o < 0)) {
      bad(`"data_offsets" must be [begin, end] with non-negative integers, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) bad(`data_offsets [${begin}, ${end}] end before they begin`);
    if (end > bufLen) bad(`data_offsets [${begin}, ${end}] run past the end of the data (${bufLen} bytes); truncated file?`);
    let count = 1;
    for (const d of shape as number[]) count *= d;
    const need = count * DTYPE_BYTES[hd as HostDType];
    if (!Number.isSafeInteger(need)) bad(`${dtype} ${JSON.stringify(shape)} has too many elements (its size is not a safe integer: about ${need.toPrecision(3)} bytes)`);
    if (end - begin !== need) {
      bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${need}`);
    }
    entries.push({ key, dtype: hd as HostDType, shape: shape as number[], begin, end });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of entries) {
    if (e.begin < pos) fail(`tensor '${e.key}' [${e.begin}, ${e.end}] overlaps the previous tensor (which ends at ${pos})`);
    if (e.begin > pos) fail(`bytes [${pos}, ${e.begin}) before tensor '${e.key}' belong to no tensor`);
    pos = e.end;
  }
  if (pos !== bufLen) fail(`the data is ${bufLen} bytes but the tensors cover only ${pos}`);

  const tensors = new Map<string, HostArray>();
  for (const e of entries) tensors.set(e.key, hostArrayFromBytes(e.dtype, e.shape, bytes.subarray(base + e.begin, base + e.end)));
  return { tensors, metadata };
}

/**
 * Encodes tensors as a .safetensors file: tensors laid out widest dtype first then by name, JSON header with
 * "__metadata__" first, padded with spaces to a multiple of 8 bytes.
 */
export function encodeSafetensors(
  tensors: Record<string, HostArray> | Map<string, HostArray>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))];
  for (const [key, a] of list) {
    if (key === METADATA_KEY) throw new DTypeError(`a tensor cannot be named "${METADATA_KEY}"`);
    if (!isHostDType(a.dtype)) throw new DTypeError(`tensor '${key}' has unknown dtype ${String(a.dtype)}`);
    const n = numel(a.shape);
    if (a.data.length !== n) throw new DTypeError(`tensor '${key}' has ${a.data.length} elements but shape [${a.shape.join(', ')}] needs ${n}`);
  }
  list.sort(([ka, a], [kb, b]) => WRITE_RANK[a.dtype] - WRITE_RANK[b.dtype] || (ka < kb ? -1 : ka > kb ? 1 : 0));
  // JS objects keep insertion order except for integer-like keys, so the header text is built piece by piece.
  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    const items: string[] = [];
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new DTypeError(`safetensors metadata must map strings to strings; "${k}" is ${typeof v}`);
      items.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${items.join(',')}}`);
  }
  let off = 0;
  for (const [key, a] of list) {
    const nbytes = a.data.byteLength;
    parts.push(`${JSON.stringify(key)}:${JSON.stringify({ dtype: HOST_TO_ST[a.dtype], shape: a.shape, data_offsets: [off, off + nbytes] })}`);
    off += nbytes;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const hlen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + hlen + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hlen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + hlen);
  let pos = 8 + hlen;
  for (const [, a] of list) {
    out.set(hostArrayBytes(a), pos);
    pos += a.data.byteLength;
  }
  return out;
}
