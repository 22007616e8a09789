// Animated PNG writer (APNG: acTL/fcTL/fdAT chunks), for synthesis trajectories. Viewers without APNG support
// show the first frame. Frames are 8-bit gray or RGB of one size; rows use filter 0, deflated with node:zlib.
import { deflateSync } from 'node:zlib';
import { crc32 } from '../zip.js';
import { writeFileAtomic } from '../atomic.js';
import { InputError } from '../../errors.js';

export interface Frames { width: number; height: number; channels: 1 | 3; frames: Uint8Array[]; delayMs: number; loops?: number }

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)) >>> 0);
  return out;
}

function u32s(...v: number[]): Uint8Array {
  const b = new Uint8Array(4 * v.length);
  const dv = new DataView(b.buffer);
  v.forEach((x, i) => dv.setUint32(4 * i, x >>> 0));
  return b;
}

export function encodeAPNG(f: Frames): Uint8Array {
  const { width: w, height: h, channels: c } = f;
  if (f.frames.length === 0) throw new InputError('encodeAPNG: no frames');
  for (const fr of f.frames) if (fr.length !== w * h * c) throw new InputError(`encodeAPNG: a frame has ${fr.length} bytes, expected ${w}x${h}x${c}`);
  const parts: Uint8Array[] = [Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10])];
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, w);
  new DataView(ihdr.buffer).setUint32(4, h);
  ihdr.set([8, c === 1 ? 0 : 2, 0, 0, 0], 8);
  parts.push(chunk('IHDR', ihdr));
  parts.push(chunk('acTL', u32s(f.frames.length, f.loops ?? 0)));
  let seq = 0;
  const delay = Math.max(1, Math.round(f.delayMs));
  f.frames.forEach((fr, k) => {
    const fctl = new Uint8Array(26);
    const dv = new DataView(fctl.buffer);
    dv.setUint32(0, seq++); dv.setUint32(4, w); dv.setUint32(8, h); dv.setUint32(12, 0); dv.setUint32(16, 0);
    dv.setUint16(20, delay); dv.setUint16(22, 1000); fctl[24] = 0; fctl[25] = 0;
    parts.push(chunk('fcTL', fctl));
    const raw = new Uint8Array(h * (1 + w * c));
    for (let y = 0; y < h; y++) raw.set(fr.subarray(y * w * c, (y + 1) * w * c), y * (1 + w * c) + 1);
    const z = deflateSync(raw);
    if (k === 0) parts.push(chunk('IDAT', z));
    else {
      const d = new Uint8Array(4 + z.length);
      new DataView(d.buffer).setUint32(0, seq++);
      d.set(z, 4);
      parts.push(chunk('fdAT', d));
    }
  });
  parts.push(chunk('IEND', new Uint8Array(0)));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export function writeAPNG(path: string, f: Frames): void {
  writeFileAtomic(path, encodeAPNG(f));
}
