// Memory scopes and the buffer pool: nothing leaks through tidy, disposed tensors fail clearly.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, tidy, keep, memory, randn, Generator } from '../../src/tensor/index.js';
import { DisposedError } from '../../src/errors.js';
import { gpu } from '../helpers/backends.js';

const test = suite('memory');

test('1000 forward+backward iterations inside tidy return bytesInUse to its start', async () => {
  const g = await gpu();
  const gen = new Generator(3n);
  const w = keep(randn([16, 8], { backend: g, generator: gen }));
  const start = memory(g).bytesInUse;
  for (let i = 0; i < 1000; i++) {
    tidy(() => {
      const x = randn([4, 16], { backend: g, generator: gen }).requiresGrad_();
      const loss = x.matmul(w).gelu().square().mean().add(x.pad([1, 1], 'reflect').sum().mul(1e-3));
      loss.backward();
      return undefined;
    });
    if (i % 100 === 0) g.flush();
  }
  g.flush();
  assert.is(memory(g).bytesInUse, start, 'bytes in use after the loop');
  const m = memory(g);
  assert.ok(m.peakBytesInUse >= start && m.bytesPooled >= 0);
  w.dispose();
});

test('tidy keeps returned tensors (also inside arrays and objects) and disposes the rest', async () => {
  const g = await gpu();
  const before = memory(g).bytesInUse;
  let inner: Tensor | null = null;
  const out = tidy(() => {
    const a = Tensor.from([1, 2, 3], [3], { backend: g });
    inner = a.mul(2);
    const b = inner.add(1);
    return { list: [b], other: a.sum() };
  });
  assert.ok(inner!.isDisposed, 'intermediate was disposed');
  assert.not.ok(out.list[0].isDisposed);
  assert.equal([...(await out.list[0].data())], [3, 5, 7]);
  assert.is(await out.other.item(), 6);
  out.list[0].dispose(); out.other.dispose();
  g.flush();
  assert.is(memory(g).bytesInUse, before);
});

test('nested tidy moves results to the outer scope; keep() survives both', async () => {
  const g = await gpu();
  let kept: Tensor | null = null, moved: Tensor | null = null;
  tidy(() => {
    moved = tidy(() => Tensor.from([1], [1], { backend: g }));
    kept = keep(Tensor.from([2], [1], { backend: g }));
    assert.not.ok(moved.isDisposed);
  });
  assert.ok(moved!.isDisposed, 'result of the inner tidy is owned by the outer one');
  assert.not.ok(kept!.isDisposed);
  kept!.dispose();
});

test('tidy disposes everything when fn throws', async () => {
  const g = await gpu();
  const before = memory(g).bytesInUse;
  assert.throws(() => tidy(() => { Tensor.from([1, 2], [2], { backend: g }); throw new Error('boom'); }), /boom/);
  assert.is(memory(g).bytesInUse, before);
});

test('views share storage: disposing a view keeps the base alive, and the buffer goes when both are gone', async () => {
  const g = await gpu();
  const before = memory(g).bytesInUse;
  const a = Tensor.from([1, 2, 3, 4], [2, 2], { backend: g });
  const v = a.mT;
  a.dispose();
  assert.equal([...(await v.data())], [1, 3, 2, 4]);
  v.dispose();
  assert.is(memory(g).bytesInUse, before);
});

test('using a disposed tensor names the op', async () => {
  const g = await gpu();
  const a = Tensor.from([1, 2], [2], { backend: g });
  a.dispose();
  assert.throws(() => a.exp(), (e: Error) => e instanceof DisposedError && /^exp: tensor #\d+ \(shape \[2\]\) was already disposed/.test(e.message));
  await a.data().then(() => assert.unreachable('data() of a disposed tensor'), (e: Error) => assert.ok(e instanceof DisposedError && /data:/.test(e.message)));
});

test('tidy rejects async functions', async () => {
  assert.throws(() => tidy((async () => 1) as unknown as () => number), /synchronous/);
});

test.run();
