// A small, safe pickle virtual machine (opcodes per Python's pickletools documentation, protocols 0-5) for
// reading PyTorch state dicts. It never runs code: every GLOBAL is looked up in a table supplied by the caller,
// and anything not in the table is an error naming it (or, when asked, an inert placeholder).
//
// Python values become: None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number,
// str -> string, bytes/bytearray -> Uint8Array, list -> array, tuple -> frozen array (see isTuple),
// dict -> Map, set/frozenset -> Set. Globals become whatever the table says; calling a table entry (REDUCE,
// NEWOBJ, INST, OBJ) calls it as a JS function with the argument tuple.
import { FormatError } from '../errors.js';

/** A function a global resolves to; called with the positional arguments (and keyword arguments, for NEWOBJ_EX). */
export type PickleCallable = (args: readonly unknown[], kwargs?: Map<unknown, unknown>) => unknown;

/** A global that was not in the table (only with `allowUnknownGlobals`). */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object built by calling an unknown global (only with `allowUnknownGlobals`); nothing is executed. */
export class PickleObject {
  state: unknown = undefined;
  /** Items added with SETITEM(S) / APPEND(S), for dict or list subclasses. */
  dictItems: Map<unknown, unknown> | undefined;
  listItems: unknown[] | undefined;
  constructor(readonly global: PickleGlobal, readonly args: readonly unknown[]) {}
}

export interface UnpickleOptions {
  /** Globals by "module.name" (e.g. "collections.OrderedDict"). Merged over DEFAULT_GLOBALS unless `noDefaultGlobals`. */
  globals?: Record<string, unknown>;
  noDefaultGlobals?: boolean;
  /** Resolves BINPERSID / PERSID ids (PyTorch uses these for tensor storages). */
  persistentLoad?: (pid: unknown) => unknown;
  /** Named in every error, e.g. "model.pth/archive/data.pkl". */
  source?: string;
  /** Appended to the "unsupported pickle global" message, e.g. "; only PyTorch state dicts are supported". */
  unsupportedGlobalHint?: string;
  /** Turn unknown globals into inert PickleGlobal / PickleObject placeholders instead of failing. */
  allowUnknownGlobals?: boolean;
}

/** State passed to BUILD for objects that have no `__setstate__` (e.g. an OrderedDict's `_metadata`). */
export const pickleState = new WeakMap<object, unknown>();

/** True for values that were Python tuples. */
export function isTuple(v: unknown): v is readonly unknown[] {
  return Array.isArray(v) && Object.isFrozen(v);
}

function tuple(items: unknown[]): readonly unknown[] {
  return Object.freeze(items);
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

function dictFromPairs(arg: unknown): Map<unknown, unknown> {
  const m = new Map<unknown, unknown>();
  if (arg instanceof Map) for (const [k, v] of arg) m.set(k, v);
  else if (Array.isArray(arg)) for (const p of arg) if (Array.isArray(p) && p.length === 2) m.set(p[0], p[1]);
  return m;
}

/** Globals that are safe to resolve in any pickle: containers only, no code. */
export const DEFAULT_GLOBALS: Readonly<Record<string, unknown>> = (() => {
  const g: Record<string, PickleCallable> = {
    'collections.OrderedDict': (args) => dictFromPairs(args[0]),
    'builtins.dict': (args) => dictFromPairs(args[0]),
    'builtins.list': (args) => (Array.isArray(args[0]) ? [...args[0]] : []),
    'builtins.set': (args) => new Set(Array.isArray(args[0]) ? args[0] : []),
    'builtins.frozenset': (args) => new Set(Array.isArray(args[0]) ? args[0] : []),
    'builtins.bytearray': (args) => bytesArg(args),
    'builtins.bytes': (args) => bytesArg(args),
    // Protocol 2 writes bytes objects as _codecs.encode(<latin-1 str>, 'latin1').
    '_codecs.encode': (args) => bytesArg(args),
  };
  // Protocols 0-2 name builtins the Python 2 way.
  for (const k of ['dict', 'list', 'set', 'frozenset', 'bytearray']) g[`__builtin__.${k}`] = g[`builtins.${k}`]!;
  return Object.freeze(g);
})();

function bytesArg(args: readonly unknown[]): Uint8Array {
  const a = args[0];
  if (a === undefined) return new Uint8Array(0);
  if (a instanceof Uint8Array) return a.slice();
  if (typeof a === 'string') {
    const enc = typeof args[1] === 'string' ? args[1].toLowerCase().replace(/[-_]/g, '') : 'latin1';
    if (enc === 'latin1' || enc === 'iso88591') {
      const out = new Uint8Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = a.charCodeAt(i) & 0xff;
      return out;
    }
    return new TextEncoder().encode(a);
  }
  if (Array.isArray(a)) return Uint8Array.from(a as number[]);
  if (typeof a === 'number') return new Uint8Array(a);
  return new Uint8Array(0);
}

function toInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Runs the pickle in `bytes` and returns the unpickled value. Every error is a FormatError naming `source`. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions = {}): unknown {
  const source = options.source ?? '<pickle>';
  const globals: Record<string, unknown> = options.noDefaultGlobals ? { ...options.globals } : { ...DEFAULT_GLOBALS, ...options.globals };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let opPos = 0;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const fail = (why: string): never => {
    throw new FormatError(`${source}: corrupt or unsupported pickle: ${why} (at byte ${opPos})`);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > bytes.length) {
      throw new FormatError(`${source}: truncated pickle: needs ${n} more bytes at byte ${pos}, the data has ${bytes.length - pos}`);
    }
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new FormatError(`${source}: truncated pickle: unterminated text argument at byte ${pos}`);
    const s = latin1(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const u8 = (): number => { need(1); return bytes[pos++]!; };
  const u16 = (): number => { need(2); const v = dv.getUint16(pos, true); pos += 2; return v; };
  const i32 = (): number => { need(4); const v = dv.getInt32(pos, true); pos += 4; return v; };
  const u32 = (): number => { need(4); const v = dv.getUint32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) throw new FormatError(`${source}: truncated pickle: length ${v} at byte ${pos - 8} exceeds the data`);
    return Number(v);
  };

  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK on the stack');
    return stack.splice(m as number);
  };

  const resolveGlobal = (module: string, name: string): unknown => {
    const key = `${module}.${name}`;
    if (Object.prototype.hasOwnProperty.call(globals, key)) return globals[key];
    if (options.allowUnknownGlobals) return new PickleGlobal(module, name);
    throw new FormatError(`unsupported pickle global ${key} in ${source}${options.unsupportedGlobalHint ?? ''}`);
  };
  const call = (fn: unknown, args: readonly unknown[], kwargs?: Map<unknown, unknown>): unknown => {
    if (fn instanceof PickleGlobal) return new PickleObject(fn, args);
    if (typeof fn === 'function') {
      try {
        return (fn as PickleCallable)(args, kwargs);
      } catch (err) {
        if (err instanceof FormatError) throw err;
        return fail(`building an object failed: ${(err as Error).message}`);
      }
    }
    return fail(`cannot call a ${describe(fn)}`);
  };
  const setItems = (target: unknown, kv: unknown[]): void => {
    if (kv.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    let map: Map<unknown, unknown>;
    if (target instanceof Map) map = target;
    else if (target instanceof PickleObject) map = target.dictItems ??= new Map();
    else return fail(`cannot set items on a ${describe(target)}`);
    for (let i = 0; i < kv.length; i += 2) map.set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]): void => {
    // One push per item: push(...items) passes them as arguments, which overflows the call stack for ~100k items.
    let list: unknown[];
    if (Array.isArray(target) && !Object.isFrozen(target)) list = target;
    else if (target instanceof PickleObject) list = target.listItems ??= [];
    else return fail(`cannot append to a ${describe(target)}`);
    for (const it of items) list.push(it);
  };
  const persistent = (pid: unknown): unknown => {
    if (!options.persistentLoad) return fail('persistent id found but no persistent_load was supplied');
    return options.persistentLoad(pid);
  };
  const decodeUtf8 = (b: Uint8Array): string => UTF8.decode(b);

  for (;;) {
    opPos = pos;
    if (pos >= bytes.length) throw new FormatError(`${source}: truncated pickle: ended without a STOP opcode`);
    const op = bytes[pos++]!;
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`unsupported pickle protocol ${v}`);
        break;
      }
      case 0x95: // FRAME: the frame length is only a read-ahead hint
        take(8);
        break;
      case 0x2e: { // STOP '.'
        if (stack.length === 0) fail('STOP with an empty stack');
        return stack[stack.length - 1];
      }
      case 0x28: marks.push(stack.length); break; // MARK '('
      case 0x30: // POP '0'
        if (marks.length > 0 && stack.length === marks[marks.length - 1]) popMark();
        else pop();
        break;
      case 0x31: popMark(); break; // POP_MARK '1'
      case 0x32: stack.push(top()); break; // DUP '2'

      // --- constants and numbers
      case 0x4e: stack.push(null); break; // NONE 'N'
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT 'J'
      case 0x4b: stack.push(u8()); break; // BININT1 'K'
      case 0x4d: stack.push(u16()); break; // BININT2 'M'
      case 0x8a: case 0x8b: { // LONG1 / LONG4
        const n = op === 0x8a ? u8() : i32();
        if (n < 0) fail('LONG4 with a negative length');
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n > 0 && b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(toInt(v));
        break;
      }
      case 0x49: { // INT 'I' (text; I01 / I00 are True / False)
        const s = line().trim();
        if (s === '01') stack.push(true);
        else if (s === '00') stack.push(false);
        else if (/^[-+]?\d+$/.test(s)) stack.push(toInt(BigInt(s)));
        else fail(`bad INT argument ${JSON.stringify(s)}`);
        break;
      }
      case 0x4c: { // LONG 'L' (text, trailing L)
        const s = line().trim().replace(/L$/, '');
        if (!/^[-+]?\d+$/.test(s)) fail(`bad LONG argument ${JSON.stringify(s)}`);
        stack.push(toInt(BigInt(s)));
        break;
      }
      case 0x47: { need(8); stack.push(dv.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT 'G' (big-endian)
      case 0x46: { // FLOAT 'F' (text repr)
        const s = line().trim().toLowerCase();
        const v = s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
        if (Number.isNaN(v) && s !== 'nan') fail(`bad FLOAT argument ${JSON.stringify(s)}`);
        stack.push(v);
        break;
      }

      // --- strings and bytes
      case 0x58: stack.push(decodeUtf8(take(u32()))); break; // BINUNICODE 'X'
      case 0x8c: stack.push(decodeUtf8(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(decodeUtf8(take(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(rawUnicodeEscape(line())); break; // UNICODE 'V'
      case 0x54: { // BINSTRING 'T' (Python 2 str; decoded as latin-1)
        const n = i32();
        if (n < 0) fail('BINSTRING with a negative length');
        stack.push(latin1(take(n)));
        break;
      }
      case 0x55: stack.push(latin1(take(u8()))); break; // SHORT_BINSTRING 'U'
      case 0x53: stack.push(pyStringLiteral(line(), fail)); break; // STRING 'S'
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES 'B'
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES 'C'
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x96: stack.push(take(u64()).slice()); break; // BYTEARRAY8
      case 0x97: fail('out-of-band buffers (NEXT_BUFFER) are not supported'); break;
      case 0x98: break; // READONLY_BUFFER: no-op for us

      // --- containers
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE ')'
      case 0x74: stack.push(tuple(popMark())); break; // TUPLE 't'
      case 0x85: stack.push(tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push(tuple([a, b, c])); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST ']'
      case 0x6c: stack.push(popMark()); break; // LIST 'l'
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND 'a'
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS 'e'
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT '}'
      case 0x64: { const kv = popMark(); const m = new Map(); setItems(m, kv); stack.push(m); break; } // DICT 'd'
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM 's'
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS 'u'
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) fail(`cannot add items to a ${describe(s)}`);
        for (const it of items) (s as Set<unknown>).add(it);
        break;
      }
      case 0x91: stack.push(new Set(popMark())); break; // FROZENSET

      // --- memo
      case 0x70: memo.set(parseIndex(line(), fail), top()); break; // PUT 'p'
      case 0x71: memo.set(u8(), top()); break; // BINPUT 'q'
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT 'r'
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: case 0x68: case 0x6a: { // GET 'g' / BINGET 'h' / LONG_BINGET 'j'
        const i = op === 0x67 ? parseIndex(line(), fail) : op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`memo key ${i} is not defined`);
        stack.push(memo.get(i));
        break;
      }

      // --- objects
      case 0x63: { // GLOBAL 'c' module\nname\n
        const module = line(), name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolveGlobal(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE 'R'
        const args = pop(), fn = pop();
        if (!Array.isArray(args)) fail(`REDUCE arguments must be a tuple, got a ${describe(args)}`);
        stack.push(call(fn, args as unknown[]));
        break;
      }
      case 0x81: { // NEWOBJ
        const args = pop(), cls = pop();
        if (!Array.isArray(args)) fail(`NEWOBJ arguments must be a tuple, got a ${describe(args)}`);
        stack.push(call(cls, args as unknown[]));
        break;
      }
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop(), args = pop(), cls = pop();
        if (!Array.isArray(args) || !(kwargs instanceof Map)) fail('NEWOBJ_EX needs an args tuple and a kwargs dict');
        stack.push(call(cls, args as unknown[], kwargs as Map<unknown, unknown>));
        break;
      }
      case 0x69: { // INST 'i' module\nname\n, args from the mark
        const module = line(), name = line();
        const args = popMark();
        stack.push(call(resolveGlobal(module, name), args));
        break;
      }
      case 0x6f: { // OBJ 'o': class and args from the mark
        const items = popMark();
        if (items.length === 0) fail('OBJ with nothing after the MARK');
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x62: { // BUILD 'b'
        const state = pop();
        const obj = top();
        if (obj instanceof PickleObject) obj.state = state;
        else if (obj !== null && typeof obj === 'object') {
          const setstate = (obj as { __setstate__?: unknown }).__setstate__;
          if (typeof setstate === 'function') setstate.call(obj, state);
          else pickleState.set(obj, state);
        } else fail(`cannot BUILD a ${describe(obj)}`);
        break;
      }
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID 'Q'
      case 0x50: stack.push(persistent(line())); break; // PERSID 'P'
      case 0x82: case 0x83: case 0x84: // EXT1 / EXT2 / EXT4
        fail('the copyreg extension registry (EXT1/EXT2/EXT4) is not supported');
        break;
      default:
        fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'None';
  if (v instanceof PickleGlobal) return `global ${v.qualifiedName}`;
  if (v instanceof PickleObject) return `${v.global.qualifiedName} object`;
  if (v instanceof Map) return 'dict';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}

/**
 * A short rendering of a pickled value for messages. Containers are shown to a bounded depth and length, so a
 * hostile value nested 200,000 deep cannot overflow the call stack (String() of nested arrays recurses).
 */
export function pickleRepr(v: unknown, depth = 3): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}...` : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const [open, close] = Object.isFrozen(v) ? ['(', ')'] : ['[', ']'];
    if (depth <= 0) return v.length ? `${open}...${close}` : `${open}${close}`;
    const items = v.slice(0, 6).map((x) => pickleRepr(x, depth - 1));
    if (v.length > 6) items.push('...');
    return `${open}${items.join(', ')}${close}`;
  }
  return describe(v);
}

function parseIndex(s: string, fail: (why: string) => never): number {
  const t = s.trim();
  if (!/^\d+$/.test(t)) fail(`bad memo index ${JSON.stringify(t)}`);
  return Number(t);
}

/** Decodes Python's raw-unicode-escape (protocol 0 UNICODE): only \uXXXX and \UXXXXXXXX are escapes. */
function rawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) =>
    String.fromCodePoint(parseInt((u4 ?? u8)!, 16)),
  );
}

/** Decodes a Python 2 str repr as written by protocol 0 STRING ('abc' or "it's", with backslash escapes). */
function pyStringLiteral(s: string, fail: (why: string) => never): string {
  const t = s.trimEnd();
  const q = t[0];
  if (t.length < 2 || (q !== "'" && q !== '"') || t[t.length - 1] !== q) return fail(`STRING argument is not quoted: ${JSON.stringify(t)}`);
  const body = t.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') { out += c; continue; }
    const e = body[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'x': out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16)); i += 2; break;
      case '\n': break;
      default:
        if (e !== undefined && /[0-7]/.test(e)) {
          const m = /^[0-7]{1,3}/.exec(body.slice(i))![0];
          out += String.fromCharCode(parseInt(m, 8) & 0xff);
          i += m.length - 1;
        } else out += e ?? '\\';
    }
  }
  return out;
}
