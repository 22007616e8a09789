// Screening benchmark (issue 6): images/s of the whole V1 pipeline (PNG decoding in worker threads,
// preprocessing, ensemble inference, writing outputs) beside PyTorch (torchvision transforms + model).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { Tensor, noGrad, tidy, type Backend } from '../src/tensor/index.js';
import { writePNG } from '../src/io/image/index.js';
import { loadTwin } from '../src/models/twins/load.js';
import { TWINS } from '../src/models/twins/registry.js';
import { isInstalled, loadMask, weightsHome } from '../src/models/weights/store.js';
import { makePipeline } from '../src/dualneuron/input/pipeline.js';
import { listImages } from '../src/dualneuron/input/sources.js';
import { DecodePool } from '../src/dualneuron/input/decode-pool.js';
import { layerScreen } from '../src/dualneuron/screening/extract.js';
import { runScreen } from '../src/dualneuron/screening/screen.js';
import { renderScene } from '../src/dualneuron/render/scenes.js';
import { runTorch, printRows, repoRoot } from './harness.js';

export async function run(backend: Backend, opts: { quick: boolean }): Promise<void> {
  const home = weightsHome();
  if (!isInstalled('v1', home)) { console.log('  (V1 weights not installed)'); return; }
  const n = opts.quick ? 64 : 256;
  const dir = join(tmpdir(), `dualneuron-bench-scenes-${n}`);
  if (!existsSync(join(dir, `scene_${String(n - 1).padStart(6, '0')}.png`))) {
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < n; i++) writePNG(join(dir, `scene_${String(i).padStart(6, '0')}.png`), { width: 236, height: 236, channels: 3, data: renderScene(i, { size: 236, seed: 1 }) });
  }
  const upstream = process.env.DUALNEURON_UPSTREAM ?? resolve(repoRoot, '../shared/upstream/dualneuron');
  const torch = runTorch('screen_bench', { upstream, images: dir });
  const spec = TWINS.v1;
  const { model } = loadTwin('v1', { backend });
  const probe = Tensor.from(new Float32Array(8649), [1, 1, 93, 93], { backend });
  const screen = noGrad(() => tidy(() => layerScreen(model, null, 'center', probe)));
  probe.dispose();
  const decoder = new DecodePool(makePipeline(spec, loadMask('v1', home), 'rendered'));
  const out = join(tmpdir(), `dualneuron-bench-screen-${process.pid}`);
  const t0 = performance.now();
  await runScreen({ out, images: listImages([dir]), screen, decoder, backend, inputShape: spec.inputShape, batch: 32, prefix: 'v1_None_bench', config: { bench: true } });
  const rate = n / ((performance.now() - t0) / 1000);
  await decoder.close();
  rmSync(out, { recursive: true, force: true });
  model.dispose();
  printRows(`V1 ensemble screen of ${n} rendered 236px PNGs (decode + preprocess + inference + outputs)`, [{ name: 'screening throughput', ours: rate, unit: 'images/s', torch: torch?.images_per_s ?? null }]);
}
