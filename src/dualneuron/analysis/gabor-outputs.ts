// Outputs of `analyze gabor`: the per-neuron CSV (best and worst Gabor, in the search's and in create_gabor's
// parameters, their responses, the grid's best and worst, most_exc_gabors, the MEI/LEI ratios), the image
// stacks, and the figure (per neuron: MEI, best Gabor, LEI, worst Gabor).
import { formatCsv } from '../../io/csv.js';
import { imageRowsFigure, type LabelledImage } from '../plot/charts.js';
import type { Svg } from '../plot/svg.js';
import { toDisplay } from '../synthesis/outputs.js';
import { notebookParams, type SearchGabor } from './gabor-bank.js';
import type { NeuronGabors } from './gabor-search.js';

/** Per neuron, from a poles folder: the MEI / LEI responses over seeds (the CSV gives the best seed of each pole, its peak, and the mean). */
export interface PoleResponses { mei: number[]; lei: number[]; /** largest |value| of each MEI */ meiPeak: number[] }

const GABOR_FIELDS = ['dy', 'dx', 'orientation', 'wavelength', 'phase', 'sigma', 'aspect'] as const;

export function gaborCsvHeader(withPoles: boolean): string[] {
  const g = (p: string) => [`${p}_response`, ...GABOR_FIELDS.map((f) => `${p}_${f}`), `${p}_notebook_phase`, `${p}_peak`, `${p}_grid_response`, `${p}_grid_index`];
  return ['neuron', ...g('best'), ...g('worst'), 'top3_grid_indices',
    ...(withPoles ? ['mei_response', 'mei_mean', 'mei_peak', 'lei_response', 'lei_mean', 'mei_over_best_gabor', 'lei_over_worst_gabor', 'mei_beats_best_gabor'] : [])];
}

export function gaborCsv(rs: NeuronGabors[], S: number, poles: Map<number, PoleResponses> | null): string {
  const rows = rs.map((r) => {
    const g = (p: NeuronGabors['best']) => [p.response, ...GABOR_FIELDS.map((f) => p.gabor[f]), notebookParams(S, S, p.gabor).phase, p.peak, p.gridResponse, p.gridIndex];
    const row: (string | number | boolean | null)[] = [r.neuron, ...g(r.best), ...g(r.worst), r.top3.join(' ')];
    const pr = poles?.get(r.neuron);
    if (poles && pr) {
      const mei = Math.max(...pr.mei), lei = Math.min(...pr.lei);
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      row.push(mei, mean(pr.mei), pr.meiPeak[pr.mei.indexOf(mei)], lei, mean(pr.lei), mei / r.best.response, lei / r.worst.response, mei > r.best.response);
    }
    return row;
  });
  return formatCsv(gaborCsvHeader(poles !== null), rows);
}

/** Rows of MEI | best Gabor | LEI | worst Gabor (stretched around 0 as the poles figures). */
export function gaborFigure(title: string, rs: NeuronGabors[], images: { best: Float32Array; worst: Float32Array; mei?: Float32Array[]; lei?: Float32Array[] }, C: number, S: number): Svg {
  const per = C * S * S;
  const img = (data: Float32Array) => ({ width: S, height: S, channels: C as 1 | 3, data: toDisplay(data, C, S) });
  const label = (g: SearchGabor, v: number) => `${v.toPrecision(3)}, ${g.orientation.toFixed(0)}°, ${g.wavelength.toFixed(1)}px`;
  const rows = rs.map((r, i) => {
    const cells: LabelledImage[] = [];
    if (images.mei) cells.push({ image: img(images.mei[i]), label: 'MEI' });
    cells.push({ image: img(images.best.subarray(i * per, (i + 1) * per)), label: `best ${label(r.best.gabor, r.best.response)}` });
    if (images.lei) cells.push({ image: img(images.lei[i]), label: 'LEI' });
    cells.push({ image: img(images.worst.subarray(i * per, (i + 1) * per)), label: `worst ${label(r.worst.gabor, r.worst.response)}` });
    return { name: `neuron ${r.neuron}`, images: cells };
  });
  return imageRowsFigure(title, rows, 110);
}
