// `dualneuron analyze trajectory`: the synthesis trajectory of results in a poles folder made with
// --save-all-steps, as an animated PNG with the activation trace drawn beside the image (upstream
// sequence_animation), plus the trace as .npy and the frames' layout as JSON.
import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { toFloat32 } from '../../io/host-array.js';
import { writeAPNG } from '../../io/image/index.js';
import { Progress } from '../../util/progress.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { jobDir, type Pole } from '../synthesis/poles.js';
import { readPolesFolder } from '../analysis/poles-folder.js';
import { evenSteps, traceAnimation } from '../plot/trace-animation.js';
import { parseIntStrict } from './parse.js';
import { parseNeurons } from './synthesize.js';

interface TrajOpts { poles: string; neurons?: string; seeds?: string; pole: Pole | 'both'; frames: string; delay: string; zoom?: string; out: string }

// neuron numbers are checked against the poles folder (readPolesFolder), not against a twin
const ANY_NEURON = 2 ** 31;

async function runTrajectory(o: TrajOpts): Promise<void> {
  const maxFrames = parseIntStrict('--frames', o.frames, { min: 1, max: 5000 });
  const delay = parseIntStrict('--delay', o.delay, { min: 1, max: 65535 });
  const zoom = o.zoom === undefined ? undefined : parseIntStrict('--zoom', o.zoom, { min: 1, max: 16 });
  const p = readPolesFolder(o.poles, { neurons: o.neurons ? parseNeurons(o.neurons, ANY_NEURON) : undefined });
  let seeds = p.seeds;
  if (o.seeds !== undefined) {
    const want = o.seeds.split(',').map((s) => s.trim());
    for (const s of want) if (!/^[0-9]+$/.test(s)) throw new InputError(`--seeds: '${s}' is not a seed number`);
    const missing = want.filter((s) => !p.seeds.some((q) => BigInt(q) === BigInt(s)));
    if (missing.length) throw new InputError(`--seeds: the poles folder has no seed ${missing.join(', ')} (it has ${p.seeds.map(Number).join(', ')})`);
    seeds = p.seeds.filter((q) => want.some((s) => BigInt(s) === BigInt(q)));
  }
  const poles: Pole[] = o.pole === 'both' ? ['most', 'least'] : [o.pole];
  const jobs = p.neurons.flatMap((neuron) => seeds.flatMap((seed) => poles.map((pole) => ({ neuron, seed, pole }))));
  // every result needs its frames: check all before writing anything
  for (const j of jobs) {
    const f = join(jobDir(p.dir, { neuron: j.neuron, seed: BigInt(j.seed), pole: j.pole }), 'images_all_steps.npy');
    if (!existsSync(f)) throw new InputError(`${f} is missing: the trajectory needs every step's image; make the poles with --save-all-steps`);
  }
  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze trajectory');
  try {
    const rec = startRecord('analyze trajectory', { ...o }, 'host');
    const bar = new Progress({ total: jobs.length, unit: 'animations', label: 'trajectories' });
    const written: { neuron: number; seed: string; pole: Pole; animation: string; trace: string; frames: number }[] = [];
    for (const j of jobs) {
      const d = jobDir(p.dir, { neuron: j.neuron, seed: BigInt(j.seed), pole: j.pole });
      const all = readNpy(join(d, 'images_all_steps.npy'));
      if (all.shape.length !== 4 || (all.shape[1] !== 1 && all.shape[1] !== 3)) throw new InputError(`${d}/images_all_steps.npy: shape (${all.shape.join(', ')}), expected (steps + 1, C, H, W)`);
      const [T, C, H, W] = all.shape;
      const trace = toFloat32(readNpy(join(d, 'activations.npy')));
      if (trace.length !== T) throw new InputError(`${d}: activations.npy has ${trace.length} values but images_all_steps.npy ${T} images (both should be steps + 1)`);
      const data = toFloat32(all), per = C * H * W;
      const images = Array.from({ length: T }, (_, t) => data.subarray(t * per, (t + 1) * per));
      const show = evenSteps(T - 1, maxFrames);
      const { frames, layout } = traceAnimation(images, trace, C, H, W, show, { zoom });
      const base = join(out, `trajectory_${String(j.neuron).padStart(4, '0')}_seed_${j.seed}_${j.pole}`);
      writeAPNG(`${base}.png`, { width: layout.width, height: layout.height, channels: 3, frames, delayMs: delay });
      writeNpy(`${base}_trace.npy`, { dtype: 'f32', shape: [T], data: trace });
      writeFileAtomic(`${base}.json`, JSON.stringify({ neuron: j.neuron, seed: j.seed, pole: j.pole, source: d, steps: show, layout,
        conventions: 'frame k shows step steps[k]; image pixel = round(255 * (0.5 + 0.5 * value / layout.image.scale)), magnified by layout.image.zoom; trace point of step i: plotX, plotY of layout.plot' }, null, 1) + '\n');
      written.push({ neuron: j.neuron, seed: j.seed, pole: j.pole, animation: `${base}.png`, trace: `${base}_trace.npy`, frames: frames.length });
      bar.tick();
    }
    bar.finish();
    finishRecord(rec, join(out, 'run.json'), { poles: p.dir, neurons: p.neurons, seeds, pole: poles, maxFrames, delayMs: delay, written });
    console.error(`${jobs.length} trajectory animations written to ${out}`);
  } finally {
    lock.release();
  }
}

export function registerAnalyzeTrajectory(analyze: Command): void {
  analyze.command('trajectory')
    .description('synthesis trajectories with the activation trace beside them (upstream sequence_animation), from a poles folder made with --save-all-steps: per result an animated PNG (image at each step; the trace up to it in cyan/magenta over the whole trace dimmed; a marker at the step), its trace as .npy and the frames\' layout as .json. Writes trajectory_NNNN_seed_SSSS_POLE.png, _trace.npy, .json (SSSS: the seed folder\'s digits), run.json')
    .requiredOption('--poles <dir>', 'a poles folder made with --save-all-steps (images_all_steps.npy and activations.npy in every result)')
    .option('--neurons <list>', 'neurons, e.g. 0-9 or 3,7 (default: all of the folder)')
    .option('--seeds <list>', 'seeds, e.g. 0,1 (default: all of the folder)')
    .addOption(new Option('--pole <which>', 'MEIs (most), LEIs (least) or both').choices(['most', 'least', 'both']).default('most'))
    .option('--frames <n>', 'at most n frames, at steps evenly spread from the first to the last', '100')
    .option('--delay <ms>', 'milliseconds per frame (upstream interval: 80)', '80')
    .option('--zoom <k>', 'magnify the image k times (default: about 240 pixels wide)')
    .requiredOption('--out <dir>', 'output folder')
    .action(runTrajectory);
}
