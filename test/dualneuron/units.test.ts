// Units of the V1 twin ensemble (needs ../shared/upstream): a unit of an internal module read through the
// ensemble is the mean over members of the same unit read through each member alone (1e-5), and a bad unit
// fails on the probe, naming what is wrong.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Tensor, noGrad, tidy } from '../../src/tensor/index.js';
import { openTwin } from '../../src/dualneuron/twin-source.js';
import { openUnit } from '../../src/dualneuron/units/unit.js';
import { InputError } from '../../src/errors.js';
import { gpu } from '../helpers/backends.js';
import { detValue } from '../helpers/det-weights.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';
import { cli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { readNpy } from '../../src/io/npy.js';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const test = suite('units anywhere: the V1 ensemble');
const LAYER = 'core.features.backbone.model.encoder.stages.1';

withUpstream(test)('an ensemble unit is the mean of the members\' units', async () => {
  const backend = await gpu(), home = upstreamWeightsHome();
  const ens = openTwin('v1', { backend, weightsDir: home });
  const shape = [3, ...ens.inputShape];
  const x = Tensor.from(detValue('input', shape, 1000000).data as Float32Array, shape, { backend });
  const read = async (t: ReturnType<typeof openTwin>, location: 'center' | 'mean' | [number, number]) => {
    const u = openUnit(t.model, { layer: LAYER, channel: 7, location }, t.inputShape);
    const y = noGrad(() => tidy(() => u.run(x)));
    const d = await y.dataF32();
    y.dispose();
    return { d, members: u.members, shape: u.layerShape };
  };
  for (const loc of ['center', 'mean', [3, 4]] as const) {
    const all = await read(ens, loc as never);
    assert.is(all.members, ens.memberIds.length);
    const mean = new Float64Array(3);
    for (const k of ens.memberIds) {
      const one = openTwin('v1', { backend, weightsDir: home, members: [k] });
      const r = await read(one, loc as never);
      assert.is(r.members, 1);
      r.d.forEach((v, i) => { mean[i] += v / ens.memberIds.length; });
      one.dispose();
    }
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(all.d[i] - mean[i]) <= 1e-5 * Math.max(1, Math.abs(mean[i])), `${JSON.stringify(loc)} image ${i}: ${all.d[i]} vs ${mean[i]}`);
  }
  const bad = (spec: Parameters<typeof openUnit>[1], re: RegExp) => assert.throws(() => openUnit(ens.model, spec, ens.inputShape), (e: Error) => e instanceof InputError && re.test(e.message));
  bad({ layer: 'core.features.backbone.model.encoder.stage.1', channel: 0, location: 'center' }, /no such module in the ensemble's members. Nearest names: core\.features\.backbone\.model\.encoder\.stages\.1/);
  bad({ layer: LAYER, channel: 100000, location: 'center' }, /--channel 100000 is out of range/);
  bad({ layer: LAYER, channel: 0, location: [999, 0] }, /outside the \d+x\d+ map/);
  x.dispose(); ens.dispose();
});

withUpstream(test)('screen --layer --channel on the ensemble = mean over members of single-member screens (CLI)', () => {
  const home = upstreamWeightsHome();
  const dir = mkdtempSync(join(tmpdir(), 'dn-unit-screen-'));
  try {
    const list = join(dir, 'images.txt');
    writeFileSync(list, readdirSync(fixture('images', 'inputs')).filter((f) => f.endsWith('.png')).slice(0, 4).map((f) => fixture('images', 'inputs', f)).join('\n') + '\n');
    const screen = (out: string, extra: string[]) => {
      const r = cli(['screen', '--model', 'v1', '--images', list, '--layer', LAYER, '--channel', '7', '--location', 'mean', '--workers', '1', '--weights-dir', home, '--out', join(dir, out), ...extra]);
      assert.is(r.status, 0, r.stderr);
      return readNpy(join(dir, out, 'responses.npy')).data as Float32Array;
    };
    const all = screen('all', []);
    const mean = new Float64Array(all.length);
    for (const k of [1, 2, 3, 4, 5]) screen(`m${k}`, ['--member', String(k)]).forEach((v, i) => { mean[i] += v / 5; });
    assert.is(all.length, 4);
    for (let i = 0; i < all.length; i++) assert.ok(Math.abs(all[i] - mean[i]) <= 1e-5 * Math.max(1, Math.abs(mean[i])), `image ${i}: ${all[i]} vs ${mean[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
