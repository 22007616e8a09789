// What import-twin infers from shapes alone: for the three Stacked2dCore argument sets of np_keys.json (state-dict
// keys and shapes of neuralpredictors' own Stacked2dCore: per-layer bias / batch_norm / batch_norm_scale lists,
// final_batchnorm_scale, no batch norm, skip 3), a state dict with exactly those entries (plus a FullGaussian2d
// readout) is converted without any core arguments, and the core it builds has the same keys and shapes. Stating
// the same arguments in the configuration gives the same core; stating contradicting ones is an error listing the
// keys that then do not fit; arguments the notebook's Stacked2dCore_pooling does not have are named.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { cpu } from '../../src/tensor/index.js';
import { encodeSafetensors } from '../../src/io/safetensors.js';
import type { HostArray } from '../../src/io/host-array.js';
import { Stacked2dCore } from '../../src/models/stacked2d.js';
import { convertStateDict } from '../../src/dualneuron/import/import-twin.js';
import type { NpCoreArgs } from '../../src/dualneuron/import/np-config.js';
import { InputError, WeightsError } from '../../src/errors.js';
import { fixture } from '../helpers/fixtures.js';

const test = suite('import-twin: inference from shapes');
const sets = JSON.parse(readFileSync(fixture('stacked2d', 'np_keys.json'), 'utf8')) as { args: NpCoreArgs & { hidden_channels: number; layers: number }; keys: Record<string, number[]> }[];

const zeros = (shape: number[], dtype: 'f32' | 'i64' = 'f32'): HostArray => {
  const n = shape.reduce((a, b) => a * b, 1);
  return dtype === 'i64' ? { dtype, shape, data: new BigInt64Array(n) } : { dtype, shape, data: new Float32Array(n).fill(0.5) };
};

function stateDictBytes(keys: Record<string, number[]>, outChannels: number, neurons = 2, corePrefix = 'core.'): Uint8Array {
  const sd = new Map<string, HostArray>();
  for (const [k, s] of Object.entries(keys)) sd.set(`${corePrefix}${k}`, zeros(s, k.endsWith('num_batches_tracked') ? 'i64' : 'f32'));
  sd.set('readout._mu', zeros([1, neurons, 1, 2]));
  sd.set('readout.sigma', zeros([1, neurons, 1, 1]));
  sd.set('readout._features', zeros([1, outChannels, 1, neurons]));
  sd.set('readout.bias', zeros([neurons]));
  return encodeSafetensors(sd);
}

const coreShapes = (c: Stacked2dCore) => Object.fromEntries([...c.stateDict()].map(([k, t]) => [k, [...t.shape]]));

sets.forEach((set, i) => {
  test(`argument set ${i + 1}: the core inferred from the keys has neuralpredictors' keys and shapes`, async () => {
    const bytes = stateDictBytes(set.keys, set.args.layers * set.args.hidden_channels);
    for (const core of [undefined, set.args]) {
      const { plan, weights } = await convertStateDict({ file: `set${i + 1}.safetensors`, bytes, config: { core, input: { size: [12, 14] } } }, cpu());
      const built = new Stacked2dCore(plan.architecture.core, cpu());
      assert.equal(coreShapes(built), set.keys, core ? 'with the arguments stated' : 'from the shapes alone');
      built.dispose();
      assert.equal([...weights.keys()].filter((k) => k.startsWith('core.')).sort(), Object.keys(set.keys).map((k) => `core.${k}`).sort());
    }
  });
});

test('arguments that contradict the keys: an error listing the keys that do not fit', async () => {
  const set = sets[0]!;
  const bytes = stateDictBytes(set.keys, set.args.layers * set.args.hidden_channels);
  try {
    await convertStateDict({ file: 'set1.safetensors', bytes, config: { core: { bias: false }, input: { size: [12, 14] } } }, cpu());
    assert.unreachable('bias=False must not fit affine batch norms');
  } catch (e) {
    assert.instance(e, WeightsError);
    const m = (e as Error).message;
    assert.match(m, /missing keys \(\d+\): .*core\.features\.layer0\.scale\.scale/);
    assert.match(m, /unknown keys \(\d+\): .*core\.features\.layer0\.norm\.weight/);
  }
});

test('Stacked2dCore_pooling (conv_core.*): arguments it does not have are named', async () => {
  const set = sets[2]!;
  const bytes = stateDictBytes(set.keys, set.args.layers * set.args.hidden_channels, 2, 'conv_core.');
  try {
    await convertStateDict({ file: 'nb.safetensors', bytes, config: { core: { pooling: 2, hidden_pooling: 1, stack: -1 }, input: { size: [12, 14] } } }, cpu());
    assert.unreachable('stack is not an argument of Stacked2dCore_pooling');
  } catch (e) {
    assert.instance(e, InputError);
    assert.match((e as Error).message, /"core": stack is not an argument of the notebook's Stacked2dCore_pooling/);
  }
});

test.run();
