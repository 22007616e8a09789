// Hand-written PyTorch checkpoints for hostile-input tests: a protocol-2 pickle laid out as torch.save writes it
// (opcodes per Python's pickletools; persistent ids ('storage', torch.<Type>Storage, key, 'cpu', numel) and
// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks)), in the zip layout
// <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/version.
import { zipBytes } from './zip-bytes.js';

const enc = new TextEncoder();

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** BINUNICODE 'X' */
export function pStr(s: string): number[] {
  const b = enc.encode(s);
  return [0x58, ...u32(b.length), ...b];
}

/** BININT 'J' (any int32) */
export function pInt(n: number): number[] {
  return [0x4a, ...u32(n >>> 0)];
}

/** GLOBAL 'c' module\nname\n */
export function pGlobal(module: string, name: string): number[] {
  return [0x63, ...enc.encode(`${module}\n${name}\n`)];
}

/** A tuple of ints: MARK, BININTs, TUPLE. */
export function pIntTuple(xs: readonly number[]): number[] {
  return [0x28, ...xs.flatMap(pInt), 0x74];
}

export interface TensorRecord {
  key: string;
  storage: string;
  storageType?: string;
  storageNumel: number;
  offset?: number;
  size: readonly number[];
  stride: readonly number[];
}

/** The pickle ops that rebuild one tensor (leaves it on the stack). */
export function pTensor(t: TensorRecord): number[] {
  return [
    ...pGlobal('torch._utils', '_rebuild_tensor_v2'),
    0x28, // MARK (the argument tuple)
    0x28, ...pStr('storage'), ...pGlobal('torch', t.storageType ?? 'FloatStorage'), ...pStr(t.storage), ...pStr('cpu'), ...pInt(t.storageNumel), 0x74,
    0x51, // BINPERSID
    ...pInt(t.offset ?? 0), ...pIntTuple(t.size), ...pIntTuple(t.stride),
    0x89, // NEWFALSE: requires_grad
    ...pGlobal('collections', 'OrderedDict'), 0x29, 0x52, // OrderedDict(): backward hooks
    0x74, // TUPLE
    0x52, // REDUCE
  ];
}

/** A protocol-2 pickle of {key: tensor, ...}. */
export function stateDictPickle(tensors: readonly TensorRecord[]): Uint8Array {
  const ops = [0x80, 0x02, 0x7d]; // PROTO 2, EMPTY_DICT
  for (const t of tensors) ops.push(...pStr(t.key), ...pTensor(t), 0x73); // SETITEM
  ops.push(0x2e); // STOP
  return Uint8Array.from(ops);
}

/** A torch.save-style zip archive around `pickle`, with the given storages (raw little-endian bytes). */
export function torchArchive(pickle: Uint8Array, storages: Record<string, Uint8Array> = {}, prefix = 'archive'): Uint8Array {
  return zipBytes([
    { name: `${prefix}/data.pkl`, data: pickle },
    ...Object.entries(storages).map(([k, data]) => ({ name: `${prefix}/data/${k}`, data })),
    { name: `${prefix}/version`, data: enc.encode('3\n') },
  ]);
}

/** {[[[...]]]: 1}: a pickle whose only dict key is a list nested n deep (PROTO 2, EMPTY_DICT, n x MARK, n x LIST,
 * BININT1 1, SETITEM, STOP), for tests of hostile nesting. */
export function deepKeyPickle(n: number): Uint8Array {
  const pkl = new Uint8Array(2 * n + 7);
  pkl.set([0x80, 2, 0x7d]);
  pkl.fill(0x28, 3, 3 + n);
  pkl.fill(0x6c, 3 + n, 3 + 2 * n);
  pkl.set([0x4b, 1, 0x73, 0x2e], 3 + 2 * n);
  return pkl;
}
