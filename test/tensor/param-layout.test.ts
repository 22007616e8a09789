// Named parameter layouts (shaders/common.ts ParamLayout): packing by declared type, WGSL accessors, and the
// convention that no kernel writes or reads a parameter word by its number (issue 12, item 21).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { paramLayout } from '../../shaders/common.js';
import { repoRoot } from '../helpers/upstream.js';

const test = suite('parameter layouts');

test('fields are laid out in declaration order and packed by type', () => {
  const L = paramLayout({ n: 'u32', off: 'i32', shape: ['u32', 3], eps: 'f32', strides: ['i32', 2] });
  assert.is(L.words, 8);
  assert.equal([L.at('n'), L.at('off'), L.at('shape'), L.at('shape', 2), L.at('eps'), L.at('strides', 1)], [0, 1, 2, 4, 5, 7]);
  const P = L.pack({ n: 7, off: -2, shape: [4, 5], eps: 1, strides: [-1, 3] });
  // IEEE 754 single 1.0 is 0x3f800000; two's complement -2 and -1 are 0xfffffffe and 0xffffffff; unset words are 0
  assert.equal([...P], [7, 0xfffffffe, 4, 5, 0, 0x3f800000, 0xffffffff, 3]);
});

test('WGSL accessors read each field as its declared type, at fixed or run-time indices', () => {
  const L = paramLayout({ n: 'u32', off: 'i32', taps: ['f32', 0] });
  assert.is(L.get('n'), 'P[0u]');
  assert.is(L.get('off'), 'bitcast<i32>(P[1u])');
  assert.is(L.get('taps', 'u32(k)'), 'bitcast<f32>(P[2u + u32(k)])');
});

test('an array longer than its field and an unknown field are refused', () => {
  const L = paramLayout({ shape: ['u32', 2] });
  assert.throws(() => L.pack({ shape: [1, 2, 3] }), /holds 2 words, got 3/);
  assert.throws(() => (L as unknown as { at(f: string): number }).at('nope'), /no field 'nope'/);
});

test('no WGSL generator or kernel packer addresses a parameter word by its number', () => {
  const root = repoRoot;
  const files = [
    ...readdirSync(join(root, 'shaders')).filter((f) => f.endsWith('.ts') && f !== 'common.ts').map((f) => join('shaders', f)),
    ...readdirSync(join(root, 'src/tensor/backend/webgpu/kernels')).map((f) => join('src/tensor/backend/webgpu/kernels', f)),
    'src/tensor/backend/webgpu/webgpu-backend.ts',
  ];
  const offending: string[] = [];
  for (const f of files) {
    readFileSync(join(root, f), 'utf8').split('\n').forEach((line, i) => {
      // P[3], P[${k}u], P.set([...]), new Uint32Array([...]) as a params array
      if (/\bP\[(\d|\$\{)|\bP\.set\(|params: new Uint32Array\(\[/.test(line)) offending.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.equal(offending, [], `parameter words addressed by number:\n${offending.join('\n')}`);
});

test.run();
