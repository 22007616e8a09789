// Shared helpers for the test/io suites: the golden expectations written by tools/golden/io_fixtures.py and an
// exact comparison of a HostArray against one expected record.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { fixture } from '../helpers/fixtures.js';
import { type HostArray, toFloat64 } from '../../src/io/host-array.js';

/** One expected array: dtype, shape, C-order values (i64 as decimal strings; nan/inf as strings) and f16/bf16 bits. */
export interface ExpectedArray {
  dtype: string;
  shape: number[];
  values: (number | string)[];
  bits?: number[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

let cached: Json | null = null;
export function expected(): Json {
  cached ??= JSON.parse(readFileSync(fixture('io', 'expected.json'), 'utf8'));
  return cached;
}

export function ioFixture(name: string): string {
  return fixture('io', name);
}

export function readFixture(name: string): Uint8Array {
  const b = readFileSync(fixture('io', name));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function decodeNumber(v: number | string): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return typeof v === 'number' ? v : Number(v);
}

/** Asserts `a` equals the expected record exactly (bit patterns for f16/bf16, BigInt values for i64, -0 kept). */
export function assertArray(a: HostArray | undefined, e: ExpectedArray, label: string): void {
  assert.ok(a, `${label}: missing`);
  if (!a) return;
  assert.is(a.dtype, e.dtype, `${label}: dtype`);
  assert.equal(a.shape, e.shape, `${label}: shape`);
  assert.is(a.data.length, e.values.length, `${label}: element count`);
  if (a.dtype === 'i64') {
    const d = a.data as BigInt64Array;
    for (let i = 0; i < e.values.length; i++) assert.is(d[i], BigInt(e.values[i]!), `${label}[${i}]`);
    return;
  }
  if (e.bits) assert.equal(Array.from(a.data as Uint16Array), e.bits, `${label}: raw bits`);
  const got = toFloat64(a);
  for (let i = 0; i < e.values.length; i++) {
    const want = decodeNumber(e.values[i]!);
    assert.ok(Object.is(got[i], want), `${label}[${i}]: got ${got[i]}, expected ${want}`);
  }
}

/** Runs `fn` and returns the error it throws (fails the test if it does not throw). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  assert.unreachable('expected an error');
  throw new Error('unreachable');
}

/** A fresh temporary directory and a function that removes it. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dualneuron-io-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Asserts `fn` throws an instance of `type` whose message contains every one of `parts`; returns the message. */
export function assertThrowsWith(fn: () => unknown, type: new (...a: never[]) => Error, ...parts: string[]): string {
  const err = thrown(fn);
  assert.instance(err, type, `expected ${type.name}, got ${err.name}: ${err.message}`);
  for (const p of parts) assert.ok(err.message.includes(p), `message ${JSON.stringify(err.message)} should contain ${JSON.stringify(p)}`);
  return err.message;
}
