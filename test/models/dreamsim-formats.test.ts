// readCheckpoint (the DreamSim import path) on hostile checkpoints: refused globals are named, deep nesting is a
// FormatError, and a TorchScript-style module tree nested 200,000 deep is walked without overflowing the stack.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError } from '../../src/errors.js';
import { readCheckpoint } from '../../src/models/dreamsim-formats.js';
import { assertThrowsWith } from '../io/io-helpers.js';
import { deepKeyPickle, pGlobal, pStr, pTensor, torchArchive } from '../io/torch-bytes.js';

const test = suite('models/dreamsim-formats');

const bytes = (...parts: (number[] | Uint8Array)[]) => {
  const out: number[] = [];
  for (const p of parts) for (const b of p) out.push(b);
  return Uint8Array.from(out);
};
const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

test('a pickle calling os.system is refused naming the global, at the top level or inside a dict', () => {
  // what pickle writes for an object whose __reduce__ returns (os.system, ('echo hi',)): GLOBAL, args tuple, REDUCE
  const evil = [...pGlobal('posix', 'system'), 0x28, ...pStr('echo hi'), 0x74, 0x52];
  assertThrowsWith(() => readCheckpoint(torchArchive(bytes([0x80, 2], evil, [0x2e])), 'evil.pt'), FormatError,
    'evil.pt', 'unsupported pickle global posix.system', 'nothing in the file was run');
  assertThrowsWith(() => readCheckpoint(torchArchive(bytes([0x80, 2, 0x7d], pStr('x'), evil, [0x73, 0x2e])), 'evil2.pt'), FormatError,
    'evil2.pt', 'unsupported pickle global posix.system');
  // inside a TorchScript-looking module (NEWOBJ __torch__.M, BUILD {'x': os.system(...)}) with no tensors
  const script = bytes([0x80, 2], pGlobal('__torch__', 'M'), [0x29, 0x81, 0x7d], pStr('x'), evil, [0x73, 0x62, 0x2e]);
  assertThrowsWith(() => readCheckpoint(torchArchive(script), 'evil3.pt'), FormatError, 'evil3.pt', 'unsupported pickle global posix.system');
});

test('a module tree nested 200,000 deep is walked with an explicit stack; a 200,000-deep key is a FormatError', () => {
  const N = 200_000;
  // M(a=M(a=...M(a=tensor)...)): N x [GLOBAL __torch__.M, EMPTY_TUPLE, NEWOBJ, EMPTY_DICT, 'a'], tensor, N x [SETITEM, BUILD]
  const head = bytes(pGlobal('__torch__', 'M'), [0x29, 0x81, 0x7d], pStr('a'));
  const pkl = new Uint8Array(2 + N * head.length + 200 + 2 * N + 1);
  let o = 0;
  pkl.set([0x80, 2], o); o += 2;
  for (let i = 0; i < N; i++) { pkl.set(head, o); o += head.length; }
  const t = Uint8Array.from(pTensor({ key: '', storage: '0', storageNumel: 2, size: [2], stride: [1] }));
  pkl.set(t, o); o += t.length;
  for (let i = 0; i < N; i++) { pkl[o++] = 0x73; pkl[o++] = 0x62; }
  pkl[o++] = 0x2e;
  const r = readCheckpoint(torchArchive(pkl.subarray(0, o), { 0: f32([3, 4]) }), 'deep.pt');
  assert.is(r.format, 'torchscript');
  const [key, arr] = [...r.tensors][0]!;
  assert.is(key.split('.').length, N);
  assert.equal(Array.from(arr.data as Float32Array), [3, 4]);
  const deep = deepKeyPickle(N);
  assertThrowsWith(() => readCheckpoint(torchArchive(deep), 'deepkey.pt'), FormatError, 'deepkey.pt', 'no state dict found', '[[[[');
});

test.run();
