import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tidy } from '../../src/tensor/index.js';
import { gpu, pair, assertTensorsClose, seededValues } from '../helpers/backends.js';

const test = suite('tensor smoke');

test('add and exp agree with the oracle', async () => {
  const g = await gpu();
  const [a, ac] = pair(seededValues(12, 1), [3, 4], g);
  const [b, bc] = pair(seededValues(4, 2), [4], g);
  const y = tidy(() => a.add(b).exp());
  const yc = tidy(() => ac.add(bc).exp());
  await assertTensorsClose(y, yc);
  assert.ok(true);
});

test.run();
