// `--spaces biggan` is accepted with upstream's defaults (label2optimizer: sigma0 0.2 for the 256-D code, lambda
// 4 + floor(3 log2 256) = 28; one half only 0.06 (class) / 0.3 (noise)), and generatorWeightsMissing names the
// `weights pull` command of a generator space whose weights are not in the cache, as loadDeepsimFc6 / loadBiggan
// locate them (manifest entry and stored file), so the CLI can stop before any work.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BIGGAN_HALF_SIGMA0, generatorWeightsMissing, parseEvolveOptions, spacePop, spaceSigma0 } from '../../src/dualneuron/evolve/run-options.js';
import { readManifest, writeManifest } from '../../src/models/weights/store.js';
import { DEEPSIM_FC6_STORED } from '../../src/models/weights/deepsim-weights.js';
import { BIGGAN_STORED } from '../../src/models/weights/biggan-weights.js';

const test = suite('evolve options: the BigGAN space and missing generator weights');

test('--spaces biggan: accepted; sigma0 0.2 and pop 28 (upstream), --sigma0/--pop override; halves 0.06 / 0.3', () => {
  const o = parseEvolveOptions({ spaces: 'fc6,biggan', optimizer: 'cholcma', generations: '3' });
  assert.equal(o.spaces, ['fc6', 'biggan']);
  assert.is(spaceSigma0(o, 'biggan'), 0.2);
  assert.is(spaceSigma0(o, 'fc6'), 3);
  assert.is(spacePop(o, 256), 28);
  const p = parseEvolveOptions({ spaces: 'biggan', optimizer: 'cholcma', generations: '3', sigma0: '0.5', pop: '10' });
  assert.is(spaceSigma0(p, 'biggan'), 0.5);
  assert.is(spacePop(p, 256), 10);
  assert.equal(BIGGAN_HALF_SIGMA0, { class: 0.06, noise: 0.3 });
  assert.throws(() => parseEvolveOptions({ spaces: 'biggan', optimizer: 'hesscma', generations: '3', hessianEigvecs: 'a', hessianEigvals: 'b' }), /fc6 generator space only/);
});

test('generatorWeightsMissing: names `dualneuron weights pull deepsim-fc6` / `biggan-deep-256` until the weights are stored', () => {
  const home = mkdtempSync(join(tmpdir(), 'dualneuron-genweights-'));
  try {
    const fc6 = generatorWeightsMissing('fc6', home), bg = generatorWeightsMissing('biggan', home);
    assert.ok(fc6 !== null && bg !== null);
    assert.match(fc6!, 'dualneuron weights pull deepsim-fc6');
    assert.match(fc6!, `--weights-dir ${home}`);
    assert.match(bg!, 'dualneuron weights pull biggan-deep-256');
    assert.match(bg!, 'weights import <folder> --only biggan-deep-256');
    assert.is(generatorWeightsMissing('pixel', home), null);
    assert.is(generatorWeightsMissing('fourier', home), null);
    // a manifest entry without the stored file is still missing; with both, the space is ready
    const store = (rel: string, file: boolean) => {
      const man = readManifest(home);
      man.files[rel] = { upstreamPath: rel, source: 'test', sha256Original: '', sizeOriginal: 0, sha256Stored: '', licence: 'test', importedAt: '' };
      writeManifest(home, man);
      if (file) { mkdirSync(dirname(join(home, rel)), { recursive: true }); writeFileSync(join(home, rel), ''); }
    };
    store(DEEPSIM_FC6_STORED, false);
    assert.match(generatorWeightsMissing('fc6', home) ?? '', 'weights pull deepsim-fc6');
    store(DEEPSIM_FC6_STORED, true);
    assert.is(generatorWeightsMissing('fc6', home), null);
    assert.match(generatorWeightsMissing('biggan', home) ?? '', 'weights pull biggan-deep-256');
    store(BIGGAN_STORED, true);
    assert.is(generatorWeightsMissing('biggan', home), null);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
