// `dualneuron analyze rf`: gradient receptive fields of a twin's neurons (Wang & Ponce's grad_RF_estim) with a
// rotated 2-D Gaussian fit, beside the readout position the twin's Gaussian readout reads each neuron at.
import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init } from '../../tensor/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeNpy } from '../../io/npy.js';
import { loadTwin } from '../../models/twins/load.js';
import { TWINS } from '../../models/twins/registry.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { saveFigure } from '../plot/save.js';
import { median } from '../../util/median.js';
import { gradientRf, type RfNoise } from '../analysis/grad-rf.js';
import { fitGaussian2d, gaussMap } from '../analysis/gauss-fit.js';
import { CORE_GEOMETRY, readoutPositions } from '../analysis/readout-position.js';
import { distance, rfCsv, rfFigure, type NeuronRf } from '../analysis/rf-outputs.js';
import { modelOption, parseTwin } from './predict.js';
import { weightsDirOption } from './weights.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';
import { parseMembers, parseNeurons } from './synthesize.js';

interface RfOpts { model: string; neurons: string; members?: string; centered: boolean; images: string; noise: RfNoise; amplitude: string; seed: string; batch: string; within: string; weightsDir?: string; out: string }

async function runRf(o: RfOpts): Promise<void> {
  const id = parseTwin(o.model);
  const spec = TWINS[id];
  const [C, H, W] = spec.inputShape;
  const neurons = parseNeurons(o.neurons, spec.neurons);
  const members = parseMembers(o.members, id);
  const images = parseIntStrict('--images', o.images, { min: 1, max: 100000 });
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: 4096 });
  const amplitude = parseFloatStrict('--amplitude', o.amplitude);
  if (!(amplitude > 0)) throw new InputError(`--amplitude must be > 0, got ${o.amplitude}`);
  const within = parseFloatStrict('--within', o.within);
  if (!(within > 0)) throw new InputError(`--within must be > 0 pixels, got ${o.within}`);
  if (!/^[0-9]+$/.test(o.seed)) throw new InputError(`--seed must be a whole number >= 0, got '${o.seed}'`);
  const seed = BigInt(o.seed);
  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze rf');
  try {
    const backend = await init('webgpu');
    const rec = startRecord('analyze rf', { ...o }, backend.describe());
    const { model, weightsSha256 } = loadTwin(id, { members, centered: o.centered, backend, weightsDir: o.weightsDir });
    try {
      console.error(`gradient RFs of ${neurons.length} neurons of the ${id} twin (${model.memberIds.length} member${model.memberIds.length > 1 ? 's' : ''}, ${o.centered ? 'centred' : 'learned readout positions'}): ${images} ${o.noise} noise images each (amplitude ${amplitude})`);
      const rf = await gradientRf({ forward: (x) => model.forward(x), backend, shape: [C, H, W], outputs: spec.neurons, neurons, images, noise: o.noise, amplitude, seed, batch, progress: true });
      const readout = await readoutPositions(model, neurons);
      const rs: NeuronRf[] = neurons.map((n, k) => {
        const base = { neuron: n, images: rf.counts[k], meanResponse: rf.meanResponse[k], readout: readout[k] };
        if (!rf.counts[k]) return { ...base, fit: null, error: 'every noise image gave a zero response (no gradient)' };
        try { return { ...base, fit: fitGaussian2d(rf.maps[k], H, W) }; } catch (e) { return { ...base, fit: null, error: (e as Error).message }; }
      });
      const stack = (get: (k: number) => ArrayLike<number>) => { const d = new Float32Array(neurons.length * H * W); neurons.forEach((_, k) => d.set(get(k), k * H * W)); return d; };
      writeFileAtomic(join(out, 'rf.csv'), rfCsv(rs));
      writeNpy(join(out, 'rf_maps.npy'), { dtype: 'f32', shape: [neurons.length, H, W], data: stack((k) => rf.maps[k]) });
      writeNpy(join(out, 'rf_fits.npy'), { dtype: 'f32', shape: [neurons.length, H, W], data: stack((k) => {
        const f = rs[k].fit;
        return f ? gaussMap([f.amplitude, f.x0, f.y0, f.sigmaMajor, f.sigmaMinor, (f.angle * Math.PI) / 180, f.offset], H, W) : new Float64Array(H * W).fill(NaN);
      }) });
      writeNpy(join(out, 'neurons.npy'), { dtype: 'i64', shape: [neurons.length], data: BigInt64Array.from(neurons, (n) => BigInt(n)) });
      saveFigure(rfFigure(`Gradient receptive fields, ${id} twin`, rs, rf.maps, H, W), join(out, 'rf'));
      const fitted = rs.filter((r) => r.fit);
      const d = fitted.map(distance);
      const summary = { neurons: neurons.length, fitted: fitted.length, withinPixels: within, within: d.filter((v) => v <= within).length, fractionWithin: fitted.length ? d.filter((v) => v <= within).length / fitted.length : null,
        medianDistance: d.length ? median(d) : null, medianR2: fitted.length ? median(fitted.map((r) => r.fit!.r2)) : null };
      finishRecord(rec, join(out, 'run.json'), {
        model: id, members: model.memberIds, centered: o.centered, weightsSha256, images, noise: o.noise, amplitude, seed: o.seed, batch,
        geometry: { ...CORE_GEOMETRY[spec.core], note: 'readout mu -> pixel = stride * (mu + 1) / 2 * (cells - 1) + offset (x = column, y = row)' },
        conventions: 'x = column, y = row, pixel centres at integers; angle: major axis, degrees counter-clockwise on screen from the horizontal, [0, 180)',
        summary,
      });
      console.error(`wrote ${out}/rf.csv: ${fitted.length} of ${neurons.length} fitted; ${summary.within} within ${within} px of the readout position${summary.medianDistance !== null ? ` (median distance ${summary.medianDistance.toFixed(2)} px, median R² ${summary.medianR2!.toFixed(3)})` : ''}`);
    } finally {
      model.dispose();
    }
  } finally {
    lock.release();
  }
}

export function registerAnalyzeRf(analyze: Command): void {
  analyze.command('rf')
    .description('gradient receptive fields (Wang & Ponce\'s grad_RF_estim): per neuron the mean over noise images of |d response / d pixel| (averaged over channels; images with a zero response skipped), a least-squares rotated 2-D Gaussian fit (centre, sigmas, angle, R²), and the twin\'s readout position in pixels beside it with the distance. Writes rf.csv, rf_maps.npy, rf_fits.npy, neurons.npy, rf.svg (+ .png), run.json')
    .addOption(modelOption())
    .requiredOption('--neurons <list>', 'neurons, e.g. 0-49 or 3,7,10-19')
    .option('--members <list>', 'ensemble members, e.g. 1,2 (default: all; the map is the ensemble\'s, the readout position the members\' mean)')
    .option('--centered', 'read every neuron at the feature-map centre as synthesis does (default: the learned readout positions, the twin\'s own RFs)', false)
    .option('--images <n>', 'noise images per neuron (grad_RF_estim: 200)', '200')
    .addOption(new Option('--noise <kind>', 'noise images: uniform in [-a, a] (grad_RF_estim: torch.rand * 2 - 1) or normal with sd a').choices(['uniform', 'normal']).default('uniform'))
    .option('--amplitude <a>', 'noise amplitude a in model-input units', '1')
    .option('--seed <n>', 'seed of the noise images (the same images for every neuron)', '0')
    .option('--batch <n>', '(neuron, image) pairs per forward/backward pass', '32')
    .option('--within <px>', 'summary: count neurons whose fitted centre lies within this many pixels of the readout position', '3')
    .addOption(weightsDirOption())
    .requiredOption('--out <dir>', 'output folder')
    .action(runRf);
}
