// PyTorch checkpoints written by torch.save (>= 1.6 zip format: .pth, .pth.tar, .pt, .bin) read into HostArrays.
//
// The archive holds <prefix>/data.pkl (a pickle whose tensors refer to storages through persistent ids
// ('storage', StorageType, key, location, numel)), <prefix>/data/<key> (raw little-endian storage bytes),
// <prefix>/version and, in newer files, <prefix>/byteorder. Tensors are rebuilt with
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...) which may view a storage at any offset
// and stride; we materialise C-contiguous arrays (zero-copy views when the tensor is already contiguous).
// A view may declare more elements than its storage holds (stride 0, e.g. torch.zeros(1).expand(15000, 15000)):
// such views are materialised only up to `maxExpandedElements`; larger ones are refused when their data is asked
// for (a 759-byte file must not cost a gigabyte), with an error naming the key, shape and storage.
import { FormatError } from '../errors.js';
import { readFileBytes } from './atomic.js';
import {
  DTYPE_BYTES, type HostArray, type HostDType, type TypedArray, allocTyped, byteSwapInPlace, contiguousStrides, hostArrayFromBytes,
} from './host-array.js';
import { type PickleCallable, PickleGlobal, PickleObject, isTuple, pickleRepr, unpickle } from './pickle.js';
import { openZip } from './zip.js';

/** Storage classes by their torch name and the element type they hold. */
const STORAGE_DTYPES: Readonly<Record<string, HostDType>> = {
  FloatStorage: 'f32', HalfStorage: 'f16', BFloat16Storage: 'bf16', DoubleStorage: 'f64', LongStorage: 'i64',
  IntStorage: 'i32', ShortStorage: 'i16', CharStorage: 'i8', ByteStorage: 'u8', BoolStorage: 'bool',
};

/** Keys under which training checkpoints commonly wrap the model's state dict. */
const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model'];

const UNSUPPORTED_HINT = '; only PyTorch state dicts are supported';

class StorageType {
  constructor(readonly name: string, readonly dtype: HostDType) {}
}

class Storage {
  /** `bytes` are 8-byte aligned and in host byte order. */
  constructor(readonly key: string, readonly dtype: HostDType, readonly numel: number, readonly bytes: Uint8Array) {}
}

/** Default for `maxExpandedElements`: views declaring more elements than their storage holds are materialised up to this many. */
export const DEFAULT_MAX_EXPANDED_ELEMENTS = 2 ** 24;

export interface TorchReadOptions {
  /**
   * The largest element count materialised for a view that declares more elements than its storage holds (stride 0
   * or overlapping strides); default DEFAULT_MAX_EXPANDED_ELEMENTS (16 Mi). Views within their storage are not limited.
   */
  maxExpandedElements?: number;
}

/** Why a tensor was not materialised; the message is completed with the tensor's key when its data is asked for. */
class RefusedTensor {
  constructor(private readonly where: string, private readonly why: string) {}
  message(key: string | undefined): string {
    return `${this.where}: ${key === undefined ? 'a tensor' : `tensor '${key}'`} ${this.why}`;
  }
}

/** A tensor rebuilt from a checkpoint (wrapped so it can be told apart from other pickled values). */
export class TorchTensor {
  constructor(private readonly value: HostArray | RefusedTensor, readonly isParameter = false) {}

  /** The tensor's data (FormatError for a refused tensor: see arrayOf). */
  get array(): HostArray {
    return this.arrayOf(undefined);
  }

  /** The tensor's data; for a tensor that was refused (an oversized expanded view) a FormatError naming `key`. */
  arrayOf(key: string | undefined): HostArray {
    if (this.value instanceof RefusedTensor) throw new FormatError(this.value.message(key));
    return this.value;
  }

  asParameter(): TorchTensor {
    return new TorchTensor(this.value, true);
  }
}

function isIntList(v: unknown): v is readonly number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/** Copies the elements of a strided view of `src` (element offsets) into a C-contiguous `dst`. */
function gather(src: TypedArray, dst: TypedArray, itemSize: number, offset: number, size: readonly number[], stride: readonly number[]): void {
  // Copy bit patterns through integer views so NaN payloads and -0 survive exactly.
  const words = itemSize === 8 ? 2 : 1;
  const view = (a: TypedArray) => {
    const b = a.buffer, o = a.byteOffset, n = a.byteLength;
    return itemSize === 1 ? new Uint8Array(b, o, n) : itemSize === 2 ? new Uint16Array(b, o, n / 2) : new Uint32Array(b, o, n / 4);
  };
  const s = view(src), d = view(dst);
  const n = dst.length;
  const nd = size.length;
  const idx = new Array<number>(nd).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    if (words === 1) d[i] = s[off]!;
    else { d[2 * i] = s[2 * off]!; d[2 * i + 1] = s[2 * off + 1]!; }
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]!++;
      off += stride[k]!;
      if (idx[k]! < size[k]!) break;
      off -= stride[k]! * size[k]!;
      idx[k] = 0;
    }
  }
}

function rebuildTensor(where: string, maxExpanded: number, storage: unknown, offset: unknown, size: unknown, stride: unknown): TorchTensor {
  const bad = (why: string): never => {
    throw new FormatError(`${where}: corrupt tensor record: ${why}`);
  };
  if (!(storage instanceof Storage)) return bad(`expected a storage, got ${describeValue(storage)}`);
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) bad(`bad storage offset ${pickleRepr(offset)}`);
  if (!isIntList(size)) return bad(`bad size ${pickleRepr(size)}`);
  if (!isIntList(stride) || stride.length !== size.length) return bad(`bad stride ${pickleRepr(stride)} for size (${size.join(', ')})`);
  const off = offset as number;
  const shape = [...size];
  let n = 1;
  for (const d of shape) n *= d;
  const itemSize = DTYPE_BYTES[storage.dtype];
  if (n > 0) {
    let last = off;
    for (let k = 0; k < shape.length; k++) last += (shape[k]! - 1) * stride[k]!;
    if (last >= storage.numel) {
      bad(`size (${shape.join(', ')}) with stride (${stride.join(', ')}) at offset ${off} reaches element ${last} of storage '${storage.key}' which has ${storage.numel}`);
    }
  }
  if (n > storage.numel && n > maxExpanded) {
    return new TorchTensor(new RefusedTensor(where,
      `declares shape (${shape.join(', ')}) = ${n} elements with stride (${stride.join(', ')}) over storage '${storage.key}' ` +
        `of ${storage.numel} elements; expanded views are materialised up to ${maxExpanded} elements ` +
        '(the maxExpandedElements option); save it with .contiguous() if it is meant to be this large'));
  }
  const expected = contiguousStrides(shape);
  const contiguous = shape.every((d, k) => d <= 1 || stride[k] === expected[k]);
  if (n === 0 || contiguous) {
    return new TorchTensor(hostArrayFromBytes(storage.dtype, shape, storage.bytes.subarray(off * itemSize, (off + n) * itemSize)));
  }
  const src = hostArrayFromBytes(storage.dtype, [storage.numel], storage.bytes).data;
  const dst = allocTyped(storage.dtype, n);
  gather(src, dst, itemSize, off, shape, stride);
  return new TorchTensor({ dtype: storage.dtype, shape, data: dst });
}

function describeValue(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof TorchTensor) return 'a tensor';
  if (v instanceof PickleGlobal) return `the global ${v.qualifiedName}`;
  if (v instanceof PickleObject) return `a ${v.global.qualifiedName} object`;
  if (v instanceof Map) return 'a dict';
  if (Array.isArray(v)) return isTuple(v) ? 'a tuple' : 'a list';
  return `a ${typeof v}`;
}

function legacyError(source: string): FormatError {
  return new FormatError(
    `${source}: legacy (pre-1.6) torch.save format; re-save with torch.save(obj, path) in PyTorch >= 1.6 ` +
      '(e.g. torch.save(torch.load(old_path), new_path))',
  );
}

/**
 * Unpickles a PyTorch zip checkpoint and returns its top-level object with tensors as TorchTensor values.
 * Unknown globals become inert PickleGlobal / PickleObject placeholders (nothing is executed).
 */
export function loadTorchArchive(bytes: Uint8Array, source = '<checkpoint bytes>', opts: TorchReadOptions = {}): unknown {
  return loadArchive(bytes, source, opts).root;
}

function loadArchive(bytes: Uint8Array, source: string, opts: TorchReadOptions): { root: unknown; pklSource: string } {
  const maxExpanded = opts.maxExpandedElements ?? DEFAULT_MAX_EXPANDED_ELEMENTS;
  if (bytes.length < 4) throw new FormatError(`${source}: not a PyTorch checkpoint: the file is only ${bytes.length} bytes`);
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) && (bytes[3] === 0x04 || bytes[3] === 0x06);
  if (!isZip) {
    if (bytes[0] === 0x80) throw legacyError(source); // a raw pickle stream: pre-1.6 torch.save starts with PROTO 2 + magic number
    const ustar = bytes.length > 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar';
    if (ustar) throw legacyError(source);
    if (bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') {
      throw new FormatError(`${source}: this is a NumPy .npy file, not a PyTorch checkpoint; read it with readNpy`);
    }
    throw new FormatError(`${source}: not a PyTorch checkpoint (expected a zip archive written by torch.save, starting with "PK")`);
  }
  const zip = openZip(bytes, source);
  const pkls = zip.names().filter((n) => n === 'data.pkl' || n.endsWith('/data.pkl')).sort((a, b) => a.length - b.length);
  if (pkls.length === 0) {
    const names = zip.names();
    const hint = names.some((n) => n.endsWith('.npy')) ? ' (it looks like a NumPy .npz archive)' : '';
    throw new FormatError(`${source}: zip archive has no data.pkl, so it is not a PyTorch checkpoint${hint}; entries: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`);
  }
  const pklName = pkls[0]!;
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  const pklSource = `${source}/${pklName}`;
  let littleEndian = true;
  if (zip.has(`${prefix}byteorder`)) {
    const raw = zip.read(`${prefix}byteorder`);
    const order = new TextDecoder('latin1').decode(raw.subarray(0, 16)).trim();
    if (raw.length > 16 || (order !== 'little' && order !== 'big')) {
      throw new FormatError(`${source}: unknown byteorder ${JSON.stringify(order)}${raw.length > 16 ? '...' : ''} in ${prefix}byteorder`);
    }
    littleEndian = order === 'little';
  }

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): unknown => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
      throw new FormatError(`${pklSource}: unsupported persistent id ${describeValue(pid)}; only tensor storages are supported`);
    }
    const [, type, key, , count] = pid as unknown[];
    if (!(type instanceof StorageType)) {
      const what = type instanceof PickleGlobal ? type.qualifiedName : describeValue(type);
      throw new FormatError(`${pklSource}: unsupported storage type ${what} (supported: ${Object.keys(STORAGE_DTYPES).join(', ')})`);
    }
    if (typeof key !== 'string' || !Number.isSafeInteger(count) || (count as number) < 0) {
      throw new FormatError(`${pklSource}: corrupt storage record (key ${pickleRepr(key)}, numel ${pickleRepr(count)})`);
    }
    const cached = storages.get(key);
    if (cached) return cached;
    const entry = `${prefix}data/${key}`;
    if (!zip.has(entry)) throw new FormatError(`${source}: corrupt checkpoint: storage '${key}' is missing (no entry ${entry})`);
    let raw = zip.read(entry);
    const itemSize = DTYPE_BYTES[type.dtype];
    const numel = count as number;
    if (raw.length < numel * itemSize) {
      throw new FormatError(`${source}: corrupt checkpoint: storage '${key}' (${type.name}) should hold ${numel * itemSize} bytes, entry ${entry} has ${raw.length}`);
    }
    raw = raw.subarray(0, numel * itemSize);
    if (raw.byteOffset % 8 !== 0 || !littleEndian) {
      raw = raw.slice();
      if (!littleEndian) byteSwapInPlace(raw, itemSize);
    }
    const s = new Storage(key, type.dtype, numel, raw);
    storages.set(key, s);
    return s;
  };

  const globals: Record<string, unknown> = {
    'torch._utils._rebuild_tensor_v2': ((a) => rebuildTensor(pklSource, maxExpanded, a[0], a[1], a[2], a[3])) as PickleCallable,
    'torch._utils._rebuild_tensor': ((a) => rebuildTensor(pklSource, maxExpanded, a[0], a[1], a[2], a[3])) as PickleCallable,
    'torch._utils._rebuild_parameter': ((a) => asParameter(a[0])) as PickleCallable,
    'torch._utils._rebuild_parameter_with_state': ((a) => asParameter(a[0])) as PickleCallable,
    'torch._tensor._rebuild_from_type_v2': ((a) => {
      const [fn, , args] = a;
      if (typeof fn === 'function' && Array.isArray(args)) return (fn as PickleCallable)(args);
      if (fn instanceof PickleGlobal) return new PickleObject(fn, Array.isArray(args) ? args : []);
      throw new FormatError(`${pklSource}: corrupt _rebuild_from_type_v2 record`);
    }) as PickleCallable,
  };
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) globals[`torch.${name}`] = new StorageType(name, dtype);

  const root = unpickle(zip.read(pklName), {
    globals,
    persistentLoad,
    source: pklSource,
    allowUnknownGlobals: true,
    unsupportedGlobalHint: UNSUPPORTED_HINT,
  });
  return { root, pklSource };
}

function asParameter(v: unknown): unknown {
  return v instanceof TorchTensor ? v.asParameter() : v;
}

function unsupported(v: PickleGlobal | PickleObject, where: string): FormatError {
  const g = v instanceof PickleGlobal ? v : v.global;
  const hint = g.module.startsWith('__torch__')
    ? '; this looks like a TorchScript archive (torch.jit.save): save model.state_dict() with torch.save instead'
    : UNSUPPORTED_HINT;
  return new FormatError(`unsupported pickle global ${g.qualifiedName} in ${where}${hint}`);
}

/**
 * Picks the state dict out of a checkpoint's top-level object: the object itself when it maps names to tensors,
 * else the dict under 'state_dict', 'model_state_dict' or 'model'. Non-tensor values (ints, strings, nested
 * dicts, ...) are skipped; objects of unsupported classes inside the state dict are errors.
 */
function extractStateDict(root: unknown, source: string, pklSource: string): TorchStateDict {
  const hasTensors = (m: Map<unknown, unknown>) => [...m.values()].some((v) => v instanceof TorchTensor);
  let dict: Map<unknown, unknown> | null = null;
  let key: string | null = null;
  if (root instanceof Map) {
    if (hasTensors(root)) dict = root;
    else {
      for (const k of WRAPPER_KEYS) {
        const v = root.get(k);
        if (v instanceof Map) { dict = v; key = k; break; }
      }
    }
    if (!dict) {
      const opaque = [...root.values()].find((v) => v instanceof PickleObject || v instanceof PickleGlobal) as PickleObject | PickleGlobal | undefined;
      if (opaque) throw unsupported(opaque, pklSource);
      const keys = [...root.keys()].map((k) => (typeof k === 'string' ? k : pickleRepr(k)));
      throw new FormatError(
        `${source}: no tensors found: the checkpoint is a dict with keys [${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', ...' : ''}] ` +
          `and none of ${WRAPPER_KEYS.map((k) => `'${k}'`).join(', ')} holds a state dict`,
      );
    }
  } else if (root instanceof PickleObject || root instanceof PickleGlobal) {
    throw unsupported(root, pklSource);
  } else {
    throw new FormatError(`${source}: expected a state dict (a dict of tensors) at the top level, found ${describeValue(root)}`);
  }
  const out = new Map<string, HostArray>();
  for (const [k, v] of dict) {
    if (v instanceof TorchTensor) {
      if (typeof k !== 'string') throw new FormatError(`${source}: state dict key ${pickleRepr(k)} is not a string`);
      out.set(k, v.arrayOf(k));
    } else if (v instanceof PickleObject || v instanceof PickleGlobal) {
      throw unsupported(v, pklSource);
    }
  }
  return { tensors: out, key };
}

/** A state dict read from a checkpoint, and the key of the checkpoint dict that held it (null: the top level). */
export interface TorchStateDict { tensors: Map<string, HostArray>; key: string | null }

/**
 * Reads a PyTorch zip checkpoint (bytes, or a path) into a map from state-dict key to C-contiguous HostArray.
 * Contiguous tensors are zero-copy views of the file bytes (copy them before mutating). Errors are FormatErrors
 * naming the file: legacy pre-1.6 files, corrupt or truncated archives, unsupported pickled classes.
 */
export function readTorchCheckpoint(input: Uint8Array | string, source?: string, opts: TorchReadOptions = {}): Map<string, HostArray> {
  return readTorchStateDict(input, source, opts).tensors;
}

/** readTorchCheckpoint that also says which wrapper key ('state_dict', 'model_state_dict', 'model') held the state dict. */
export function readTorchStateDict(input: Uint8Array | string, source?: string, opts: TorchReadOptions = {}): TorchStateDict {
  const name = source ?? (typeof input === 'string' ? input : '<checkpoint bytes>');
  const bytes = typeof input === 'string' ? readFileBytes(input, 'checkpoint') : input;
  const { root, pklSource } = loadArchive(bytes, name, opts);
  return extractStateDict(root, name, pklSource);
}
