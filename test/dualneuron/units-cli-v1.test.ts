// `synthesize` with composed objectives on the V1 twin (needs ../shared/upstream), end to end: the value done.json
// records for the final image is the objective as its definition says, computed from `predict` on image.npy:
// member 1 minus member 2 (--contrast member:2), and the one-hot population objective
// y_n - w * mean_{m != n} (y_m - b_m)^2 with b the responses to the blank (all-zero) image.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { cli, cliOk } from '../helpers/cli.js';
import { upstreamWeightsHome } from '../helpers/weights-home.js';
import { withUpstream } from '../helpers/upstream.js';

const test = suite('synthesize: composed objectives on the V1 twin (CLI)');
const fast = ['--param', 'pixel', '--steps', '2', '--crops', '1', '--pole', 'most'];

withUpstream(test)('--contrast member:2 and --objective onehot: done.json\'s final value is the objective of predict\'s responses', () => {
  const home = upstreamWeightsHome();
  const dir = mkdtempSync(join(tmpdir(), 'dn-units-v1-'));
  try {
    const done = (out: string) => JSON.parse(readFileSync(join(out, 'neuron_0003', 'seed_0000', 'most', 'done.json'), 'utf8')) as { final: number; config: { objective: unknown } };
    const x = join(dir, 'x.npy');
    const predict = (out: string, member: number, zero = false): Float32Array => {
      const img = readNpy(join(out, 'neuron_0003', 'seed_0000', 'most', 'image.npy')).data as Float32Array;
      writeNpy(x, { dtype: 'f32', shape: [1, 1, 93, 93], data: zero ? new Float32Array(img.length) : img });
      const y = join(dir, 'y.npy');
      cliOk(['predict', '--model', 'v1', '--member', String(member), '--input', x, '--out', y, '--weights-dir', home]);
      return readNpy(y).data as Float32Array;
    };
    const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-4 * Math.max(1, Math.abs(want)), `${what}: done.json ${got} vs predict ${want}`);

    const c = join(dir, 'contrast');
    cliOk(['synthesize', '--model', 'v1', '--neuron', '3', '--member', '1', '--contrast', 'member:2', ...fast, '--weights-dir', home, '--out', c]);
    assert.ok(done(c).config.objective !== null);
    close(done(c).final, predict(c, 1)[3] - predict(c, 2)[3], 'member 1 - member 2');

    const h = join(dir, 'onehot');
    cliOk(['synthesize', '--model', 'v1', '--neuron', '3', '--member', '1', '--objective', 'onehot', '--onehot-weight', '0.5', ...fast, '--weights-dir', home, '--out', h]);
    const y = predict(h, 1), b = predict(h, 1, true);
    let dev = 0;
    for (let m = 0; m < y.length; m++) if (m !== 3) dev += (y[m] - b[m]) ** 2;
    close(done(h).final, y[3] - (0.5 * dev) / (y.length - 1), 'one-hot');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

withUpstream(test)('--param pixel --init-image x.npy starts from the whole image: after 0 steps the result is x at the target norm', () => {
  const home = upstreamWeightsHome();
  const dir = mkdtempSync(join(tmpdir(), 'dn-init-px-'));
  try {
    const x = Float32Array.from({ length: 93 * 93 }, (_, i) => 0.8 * Math.sin(i / 7) * Math.cos(i / 131));
    writeNpy(join(dir, 'x.npy'), { dtype: 'f32', shape: [1, 93, 93], data: x });
    cliOk(['synthesize', '--model', 'v1', '--neuron', '3', '--param', 'pixel', '--init-image', join(dir, 'x.npy'), '--steps', '0', '--pole', 'most', '--no-aperture', '--weights-dir', home, '--out', join(dir, 'o')]);
    const img = readNpy(join(dir, 'o', 'neuron_0003', 'seed_0000', 'most', 'image.npy')).data as Float32Array;
    const n = Math.sqrt(x.reduce((s, v) => s + v * v, 0));
    let e = 0;
    img.forEach((v, i) => { e = Math.max(e, Math.abs(v - (x[i] * 12) / n)); });
    assert.ok(e < 1e-4, `the start is not x * 12 / |x|: max deviation ${e}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

withUpstream(test)('a bad unit on the twin fails before --out exists (unknown layer with the nearest names, channel out of range)', () => {
  const home = upstreamWeightsHome();
  const dir = mkdtempSync(join(tmpdir(), 'dn-units-v1-bad-'));
  try {
    const cases: [string[], RegExp][] = [
      [['--layer', 'encoder.stages.0.layers.9', '--channel', '0'], /no such module.*Nearest names/],
      [['--layer', 'core.features.backbone.model.encoder.stages.0.layers.1', '--channel', '100000'], /--channel 100000 is out of range/],
    ];
    cases.forEach(([extra, re], k) => {
      const out = join(dir, `bad${k}`);
      const r = cli(['synthesize', '--model', 'v1', ...extra, ...fast, '--weights-dir', home, '--out', out]);
      assert.is(r.status, 1, `${extra.join(' ')} was accepted`);
      assert.match(r.stderr, re);
      assert.not.ok(existsSync(out), `${extra.join(' ')} created --out`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
