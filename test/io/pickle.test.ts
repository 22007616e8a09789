import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FormatError } from '../../src/errors.js';
import { PickleGlobal, PickleObject, isTuple, pickleRepr, unpickle } from '../../src/io/pickle.js';
import { type Json, assertThrowsWith, decodeNumber, expected } from './io-helpers.js';

const test = suite('io/pickle');

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const persistentLoad = (pid: unknown) => ({ persid: pid });

/** First difference between an unpickled value and the tagged JSON written by io_fixtures.py, or null. */
function diff(a: unknown, e: Json, path = '$'): string | null {
  const bad = (what: string) => `${path}: expected ${what}, got ${String(a)} (${typeof a})`;
  if (e === null) return a === null ? null : bad('None');
  if (typeof e === 'boolean') return a === e ? null : bad(String(e));
  if ('int' in e) {
    const ok = (typeof a === 'number' && Number.isSafeInteger(a) && BigInt(a) === BigInt(e.int)) || (typeof a === 'bigint' && a === BigInt(e.int));
    const needBig = BigInt(e.int) > BigInt(Number.MAX_SAFE_INTEGER) || BigInt(e.int) < BigInt(Number.MIN_SAFE_INTEGER);
    return ok && (typeof a === 'bigint') === needBig ? null : bad(`int ${e.int}`);
  }
  if ('float' in e) return Object.is(a, decodeNumber(e.float)) ? null : bad(`float ${e.float}`);
  if ('str' in e) return a === e.str ? null : bad(JSON.stringify(e.str));
  if ('bytes' in e) return a instanceof Uint8Array && Buffer.from(a).toString('hex') === e.bytes ? null : bad(`bytes ${e.bytes}`);
  if ('persid' in e) return (a as { persid?: unknown })?.persid === e.persid ? null : bad(`persistent ${e.persid}`);
  const seq = (items: unknown[], want: Json[]) => {
    if (items.length !== want.length) return `${path}: length ${items.length} != ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = diff(items[i], want[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  };
  if ('tuple' in e) return isTuple(a) ? seq([...a], e.tuple) : bad('tuple');
  if ('list' in e) return Array.isArray(a) && !isTuple(a) ? seq(a, e.list) : bad('list');
  if ('set' in e) return a instanceof Set ? seq([...a], e.set) : bad('set');
  if ('dict' in e) {
    if (!(a instanceof Map)) return bad('dict');
    const flat: unknown[] = [], want: Json[] = [];
    for (const [k, v] of a) flat.push(k, v);
    for (const [k, v] of e.dict) want.push(k, v);
    return seq(flat, want);
  }
  return `${path}: unknown expectation ${JSON.stringify(e)}`;
}

test('protocols 0-5 written by CPython unpickle to the same values', () => {
  const { common, cases } = expected().pickle;
  assert.ok(cases.length >= 7);
  for (const c of cases) {
    const v = unpickle(b64(c.b64), { persistentLoad, source: c.name });
    const want = c.value === 'common' ? common : c.value;
    const d = diff(v, want);
    assert.ok(d === null, `${c.name}: ${d}`);
  }
});

test('memoised objects stay shared', () => {
  const c = expected().pickle.cases.find((x: Json) => x.name === 'protocol 2');
  const v = unpickle(b64(c.b64), { persistentLoad }) as Map<string, unknown>;
  assert.ok(v.get('shared') === v.get('shared2'));
  assert.ok(Array.isArray(v.get('shared')));
});

test('globals resolve only through the table', () => {
  const { global } = expected().pickle_errors;
  const msg = assertThrowsWith(
    () => unpickle(b64(global.b64), { source: 'ck.pth/data.pkl', unsupportedGlobalHint: '; only PyTorch state dicts are supported' }),
    FormatError, global.message, 'ck.pth/data.pkl', 'only PyTorch state dicts',
  );
  assert.ok(msg.startsWith('unsupported pickle global fractions.Fraction in ck.pth/data.pkl'));
  // Supplied by the caller: called with the argument tuple.
  const v = unpickle(b64(global.b64), { globals: { 'fractions.Fraction': (args: readonly unknown[]) => `Fraction(${args.join(', ')})` } });
  assert.ok(v instanceof Map);
  assert.is((v as Map<string, unknown>).get('x'), 'Fraction(1, 3)');
  // Or kept as an inert placeholder.
  const p = (unpickle(b64(global.b64), { allowUnknownGlobals: true }) as Map<string, unknown>).get('x');
  assert.instance(p, PickleObject);
  assert.is((p as PickleObject).global.qualifiedName, 'fractions.Fraction');
  assert.ok(new PickleGlobal('a.b', 'c').qualifiedName === 'a.b.c');
});

test('truncated, empty and corrupt pickles are FormatErrors naming the source', () => {
  const { truncated } = expected().pickle_errors;
  assertThrowsWith(() => unpickle(b64(truncated.b64), { source: 'cut.pkl' }), FormatError, 'cut.pkl', truncated.message);
  assertThrowsWith(() => unpickle(new Uint8Array(0), { source: 'empty.pkl' }), FormatError, 'empty.pkl', 'truncated');
  assertThrowsWith(() => unpickle(Uint8Array.from([0x80, 0x02, 0xff]), { source: 'op.pkl' }), FormatError, 'op.pkl', 'unknown opcode 0xff');
  assertThrowsWith(() => unpickle(Uint8Array.from([0x80, 0x02, 0x73, 0x2e]), { source: 's.pkl' }), FormatError, 's.pkl', 'stack underflow');
  assertThrowsWith(() => unpickle(Uint8Array.from([0x80, 0x02, 0x68, 0x07, 0x2e]), { source: 'm.pkl' }), FormatError, 'm.pkl', 'memo key 7');
  // BINUNICODE claiming more bytes than exist.
  assertThrowsWith(() => unpickle(Uint8Array.from([0x58, 0xff, 0xff, 0xff, 0x00, 0x41]), { source: 'u.pkl' }), FormatError, 'u.pkl', 'truncated');
  // BINPERSID without a persistent_load.
  assertThrowsWith(() => unpickle(Uint8Array.from([0x4b, 0x01, 0x51, 0x2e]), { source: 'p.pkl' }), FormatError, 'p.pkl', 'persistent');
});

test('200,000-item APPENDS and 200,000-deep nesting unpickle without overflowing the call stack', () => {
  const N = 200_000;
  // PROTO 2, EMPTY_LIST, MARK, N x NONE, APPENDS, STOP: [None] * N
  const wide = new Uint8Array(N + 6);
  wide.set([0x80, 2, 0x5d, 0x28]);
  wide.fill(0x4e, 4, 4 + N);
  wide.set([0x65, 0x2e], 4 + N);
  const list = unpickle(wide, { source: 'wide.pkl' }) as unknown[];
  assert.is(list.length, N);
  assert.is(list[N - 1], null);
  // PROTO 2, N x MARK, N x LIST, STOP: [[[...]]] nested N deep
  const deep = new Uint8Array(2 * N + 3);
  deep.set([0x80, 2]);
  deep.fill(0x28, 2, 2 + N);
  deep.fill(0x6c, 2 + N, 2 + 2 * N);
  deep[2 + 2 * N] = 0x2e;
  let v = unpickle(deep, { source: 'deep.pkl' }) as unknown[];
  let depth = 1;
  while (v.length) { v = v[0] as unknown[]; depth++; }
  assert.is(depth, N);
});

test('pickleRepr renders hostile values briefly: bounded depth and length', () => {
  let v: unknown = [];
  for (let i = 0; i < 200_000; i++) v = [v];
  assert.is(pickleRepr(v), '[[[[...]]]]');
  assert.is(pickleRepr(Object.freeze([1, 'a', null, true, 2n ** 70n])), `(1, "a", None, true, ${2n ** 70n})`);
  assert.is(pickleRepr([1, 2, 3, 4, 5, 6, 7, 8]), '[1, 2, 3, 4, 5, 6, ...]');
  assert.is(pickleRepr('x'.repeat(100)), JSON.stringify(`${'x'.repeat(60)}...`));
});

test.run();
