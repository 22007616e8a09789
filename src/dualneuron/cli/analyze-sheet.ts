// `dualneuron analyze sheet`: one figure per neuron gathering what the other commands wrote about it (the poles
// folder's MEI, LEI and activation traces; a screen's MAIs and LAIs; analyze gabor's best Gabor; analyze rf's map
// and fit). Each sheet's panels (source file and display scale) are listed in sheet_NNNN.json beside it.
import { Command } from 'commander';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { readNpy } from '../../io/npy.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { Progress } from '../../util/progress.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { saveFigure } from '../plot/save.js';
import { neuronSheet } from '../plot/neuron-sheet.js';
import { jobDir } from '../synthesis/poles.js';
import { configValue, readPolesFolder } from '../analysis/poles-folder.js';
import { MAX_PICTURE_SIDE, sheetGabor, sheetPole, sheetRf, sheetScreen } from '../analysis/sheet-inputs.js';
import { parseIntStrict } from './parse.js';
import { parseNeurons } from './synthesize.js';

interface SheetOpts { poles: string; screen?: string; gabor?: string; rf?: string; neurons?: string; top: string; out: string }

// neuron numbers are checked against the poles folder (readPolesFolder), not against a twin
const ANY_NEURON = 2 ** 31;

async function runSheet(o: SheetOpts): Promise<void> {
  const top = parseIntStrict('--top', o.top, { min: 1, max: 50 });
  const p = readPolesFolder(o.poles, { neurons: o.neurons ? parseNeurons(o.neurons, ANY_NEURON) : undefined });
  const first = jobDir(p.dir, { neuron: p.neurons[0], seed: BigInt(p.seeds[0]), pole: 'most' });
  const shape = readNpy(join(first, 'image.npy')).shape;
  if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3)) throw new InputError(`${first}/image.npy: shape (${shape.join(', ')}), expected (C, H, W) with C = 1 or 3`);
  const [C, H, W] = shape as [1 | 3, number, number];
  const model = configValue(p, '--model');
  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze sheet');
  try {
    const rec = startRecord('analyze sheet', { ...o }, 'host');
    const bar = new Progress({ total: p.neurons.length, unit: 'neurons', label: 'sheets' });
    const written: string[] = [];
    for (const n of p.neurons) {
      const scr = o.screen ? sheetScreen(o.screen, n, top) : undefined;
      const data = {
        neuron: n, channels: C, height: H, width: W,
        mei: sheetPole(p, n, 'most', shape), lei: sheetPole(p, n, 'least', shape),
        gabor: o.gabor ? sheetGabor(o.gabor, n, shape) : undefined,
        rf: o.rf ? sheetRf(o.rf, n, H, W) : undefined,
        mais: scr?.mais, lais: scr?.lais,
      };
      const { svg, panels } = neuronSheet(data, `Neuron ${n}${model !== undefined ? ` (${String(model)} twin)` : ''}`);
      const base = join(out, `sheet_${String(n).padStart(4, '0')}`);
      written.push(...saveFigure(svg, base));
      writeFileAtomic(`${base}.json`, JSON.stringify({
        neuron: n, panels,
        conventions: `panels in the order of the SVG's <image> elements; stretch: pixel = round(255 * (0.5 + 0.5 * value / scale)); max: pixel = round(255 * max(value, 0) / scale); as-stored: the image file's pixels; resized: the file shrunk (PIL bilinear) to ${MAX_PICTURE_SIDE} pixels on its longer side; traces: one polyline point per step (activations.npy)`,
      }, null, 1) + '\n');
      bar.tick();
    }
    bar.finish();
    finishRecord(rec, join(out, 'run.json'), { poles: p.dir, screen: o.screen ?? null, gabor: o.gabor ?? null, rf: o.rf ?? null, neurons: p.neurons, top, written });
    console.error(`${p.neurons.length} sheets written to ${out}`);
  } finally {
    lock.release();
  }
}

export function registerAnalyzeSheet(analyze: Command): void {
  analyze.command('sheet')
    .description('one sheet per neuron: its best MEI and lowest LEI (by final activation over seeds) with their activation traces, and with the options the top MAIs and LAIs of a screen, the best Gabor of analyze gabor, the gradient RF map with its Gaussian fit (1 and 2 sigma) and readout position of analyze rf. Writes sheet_NNNN.svg (+ .png), sheet_NNNN.json (each panel\'s source file and display scale), run.json')
    .requiredOption('--poles <dir>', 'a poles folder (dualneuron poles / synthesize)')
    .option('--neurons <list>', 'neurons, e.g. 0-9 or 3,7 (default: all of the poles folder)')
    .option('--screen <dir>', `a screening output of the same twin: each neuron's top MAIs and LAIs, shown as the image files are stored (files over ${MAX_PICTURE_SIDE} pixels shrunk to ${MAX_PICTURE_SIDE} on the longer side)`)
    .option('--gabor <dir>', 'an analyze gabor output holding these neurons: the best Gabor')
    .option('--rf <dir>', 'an analyze rf output holding these neurons: the gradient map and its fit')
    .option('--top <k>', 'MAIs and LAIs per neuron with --screen', '5')
    .requiredOption('--out <dir>', 'output folder')
    .action(runSheet);
}
