// The counter-based generator: Philox4x32-10 known-answer vectors, the same numbers on both backends,
// stream advancement and basic distribution checks.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Generator, rand, randn, randint, randomRows, cpu } from '../../src/tensor/index.js';
import { philox4x32 } from '../../src/tensor/random.js';
import { gpu, assertClose } from '../helpers/backends.js';

const test = suite('random');

test('Philox4x32-10 matches the Random123 known-answer vectors', () => {
  const hex = (w: number[]) => w.map((x) => x.toString(16).padStart(8, '0')).join(' ');
  assert.is(hex(philox4x32([0, 0, 0, 0], [0, 0])), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  assert.is(hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])), '408f276d 41c83b0e a20bc7c6 6d5451fd');
  assert.is(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])), 'd16cfe09 94fdcceb 5001e420 24126ea1');
});

test('same seed, same numbers: WebGPU equals the oracle generator', async () => {
  const g = await gpu();
  for (const n of [1, 7, 1000]) {
    const a = randn([n], { backend: g, generator: new Generator(42n) });
    const b = randn([n], { backend: cpu(), generator: new Generator(42n) });
    assertClose(await a.data(), await b.data(), { rtol: 2e-6, atol: 2e-6, what: `randn ${n}` });
    const u = rand([n], { backend: g, generator: new Generator(9n), low: -2, high: 3 });
    const uc = rand([n], { backend: cpu(), generator: new Generator(9n), low: -2, high: 3 });
    assertClose(await u.data(), await uc.data(), { rtol: 1e-6, atol: 1e-6, what: `rand ${n}` });
    const k = randint(-5, 17, [n], { backend: g, generator: new Generator(11n) });
    const kc = randint(-5, 17, [n], { backend: cpu(), generator: new Generator(11n) });
    assert.equal([...(await k.data())], [...(await kc.data())]);
  }
});

test('pinned first values of randn(seed 0) from the oracle generator', async () => {
  // first block of Philox(ctr 0, key 0) = 6627e8d5 e169c58d bc57ac4c 9b00dbd8, through Box-Muller
  const w = [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8];
  const U = 2 ** -24;
  const expected: number[] = [];
  for (let e = 0; e < 4; e += 2) {
    const r = Math.sqrt(-2 * Math.log(((w[e] >>> 8) + 1) * U)), t = 2 * Math.PI * (w[e + 1] >>> 8) * U;
    expected.push(r * Math.cos(t), r * Math.sin(t));
  }
  const g = await gpu();
  assertClose(await randn([4], { backend: g, generator: new Generator(0n) }).data(), expected, { rtol: 2e-6 });
});

test('the generator advances: consecutive calls differ, a re-seeded generator repeats', async () => {
  const g = await gpu();
  const gen = new Generator(5n);
  const a = await randn([6], { backend: g, generator: gen }).data();
  const b = await randn([6], { backend: g, generator: gen }).data();
  assert.ok([...a].some((v, i) => v !== b[i]));
  gen.manualSeed(5n);
  assert.equal([...(await randn([6], { backend: g, generator: gen }).data())], [...a]);
});

test('distributions: randn mean 0 std 1, rand in [low, high), randint in [low, high)', async () => {
  const g = await gpu();
  const n = 100000;
  const x = await randn([n], { backend: g, generator: new Generator(1n) }).data();
  let m = 0, v = 0;
  for (const t of x) m += t;
  m /= n;
  for (const t of x) v += (t - m) ** 2;
  v /= n;
  assert.ok(Math.abs(m) < 0.02 && Math.abs(Math.sqrt(v) - 1) < 0.02, `mean ${m} std ${Math.sqrt(v)}`);
  const u = await rand([n], { backend: g, generator: new Generator(2n), low: 2, high: 4 }).data();
  assert.ok(u.every((t) => t >= 2 && t < 4));
  const k = await randint(3, 7, [n], { backend: g, generator: new Generator(3n) }).data();
  const counts = [0, 0, 0, 0];
  for (const t of k) counts[t - 3]++;
  assert.ok(counts.every((c) => Math.abs(c / n - 0.25) < 0.01), `counts ${counts}`);
});

test('per-row streams: a batch of rows equals each row drawn alone', async () => {
  const g = await gpu();
  const seeds = [3n, 99n, 3n, 12345678901n];
  for (const b of [g, cpu()]) {
    const all = await randomRows('normal', seeds, [2, 7], { backend: b, offsetBlocks: 5n }).data();
    for (let r = 0; r < seeds.length; r++) {
      const gen = new Generator(seeds[r]);
      gen.offset = 5n;
      const one = await randn([2, 7], { backend: b, generator: gen }).data();
      assertClose(all.slice(r * 14, (r + 1) * 14), one, { rtol: 0, atol: 0, what: `${b.name} row ${r}` });
    }
  }
  const u = await randomRows('uniform', [7n, 8n], [5], { backend: g, low: 1, high: 2 }).data();
  const uc = await randomRows('uniform', [7n, 8n], [5], { backend: cpu(), low: 1, high: 2 }).data();
  assertClose(u, uc, { rtol: 1e-6, atol: 1e-6 });
});

test.run();
