// `dualneuron evolve summary OUT`: per neuron, seed and space of an evolution run the initial and final activation,
// the best score, the success ratio final / initial and the convergence time constant tau (Wang & Ponce, Figure 4),
// from the told scores and, when the run had recording noise, from the noiseless scores too; per space medians.
// Written as CSV (SUMMARY_COLUMNS) and an SVG figure (summaryFigure).
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { fitExponentialRise } from './convergence.js';
import { readEvolveState, readThreads, rowStats, type Matrix } from './run-folder.js';
import { Svg, THEME, drawAxes, sx, sy, type Axes } from '../plot/svg.js';
import { median as medianOf } from '../../util/median.js';

/** The figures of one trajectory of scores. */
export interface TrajectoryStats {
  /** mean of generation 0's scores */
  initial: number;
  /** mean of the last generation's scores */
  final: number;
  /** the highest score of any generation */
  best: number;
  /** final / initial */
  ratio: number;
  /** tau of y(t) = a - b exp(-t / tau) fitted to the per-generation mean score; NaN with fewer than 3 generations */
  tau: number;
}

export interface SummaryRow {
  neuron: number;
  seed: number;
  space: string;
  generations: number;
  pop: number;
  told: TrajectoryStats;
  /** from clean_scores.npy (runs with --noise > 0), else null */
  clean: TrajectoryStats | null;
}

export interface SpaceMedians { space: string; count: number; told: TrajectoryStats; clean: TrajectoryStats | null }

export interface EvolveSummary {
  out: string;
  generationsDone: number;
  generationsAsked: number;
  rows: SummaryRow[];
  medians: SpaceMedians[];
  /** remarks the user should see (unfinished run, fits skipped) */
  notes: string[];
}

/** The CSV header, in order (documented in `evolve summary --help` and README "Evolution"). */
export const SUMMARY_COLUMNS = [
  'neuron', 'seed', 'space', 'generations', 'pop',
  'initial', 'final', 'best', 'ratio', 'tau',
  'clean_initial', 'clean_final', 'clean_best', 'clean_ratio', 'clean_tau',
] as const;

export const SUMMARY_COLUMNS_HELP = `CSV columns (one row per neuron, seed and space, then one row per space with neuron "median" and seed "all"):
  neuron, seed, space   the thread (n<neuron>/s<seed>/<space>)
  generations, pop      generations summarised (those state.json counts) and scores per generation
  initial               mean of generation 0's scores (the scores the optimiser was told; noisy with --noise)
  final                 mean of the last generation's scores
  best                  highest score of any generation
  ratio                 success ratio final / initial
  tau                   convergence time constant in generations: least-squares fit of a - b exp(-t/tau) to the
                        mean score per generation (empty with fewer than 3 generations)
  clean_*               the same from the noiseless twin responses (clean_scores.npy; empty without --noise)`;

export function trajectoryStats(m: Matrix, file: string): TrajectoryStats {
  const { mean, max } = rowStats(m, file);
  const initial = mean[0], final = mean[m.rows - 1];
  let best = -Infinity;
  for (const v of max) if (v > best) best = v;
  const tau = m.rows >= 3 ? fitExponentialRise(mean).tau : NaN;
  return { initial, final, best, ratio: final / initial, tau };
}

/** the median of the values that are not NaN (NaN when none is) */
export function median(values: number[]): number {
  return medianOf(values.filter((x) => !Number.isNaN(x)));
}

function medianStats(list: TrajectoryStats[]): TrajectoryStats {
  const k = (f: keyof TrajectoryStats) => median(list.map((s) => s[f]));
  return { initial: k('initial'), final: k('final'), best: k('best'), ratio: k('ratio'), tau: k('tau') };
}

/** Reads OUT and summarises every thread. */
export function summarizeEvolution(out: string): EvolveSummary {
  const state = readEvolveState(out);
  const notes: string[] = [];
  if (state.generationsDone === 0) throw new InputError(`${out}: no generation has finished yet (state.json generationsDone is 0); nothing to summarise`);
  const threads = readThreads(out, state);
  if (threads.length === 0) throw new InputError(`${out}: state.json is there but no thread folder n<neuron>/s<seed>/<space>/scores.npy was found`);
  if (Number.isFinite(state.generationsAsked) && state.generationsDone < state.generationsAsked) {
    notes.push(`the run is not finished: ${state.generationsDone} of ${state.generationsAsked} generations done; this summarises those (final = generation ${state.generationsDone - 1})`);
  }
  if (state.generationsDone < 3) notes.push(`tau needs at least 3 generations; ${state.generationsDone} done, so tau is left empty`);
  const rows: SummaryRow[] = threads.map((t) => ({
    neuron: t.neuron, seed: t.seed, space: t.space, generations: t.scores.rows, pop: t.scores.cols,
    told: trajectoryStats(t.scores, join(t.dir, 'scores.npy')),
    clean: t.clean ? trajectoryStats(t.clean, join(t.dir, 'clean_scores.npy')) : null,
  }));
  const spaces = [...new Set(rows.map((r) => r.space))];
  const medians = spaces.map((space) => {
    const rs = rows.filter((r) => r.space === space);
    const cl = rs.filter((r) => r.clean).map((r) => r.clean!);
    return { space, count: rs.length, told: medianStats(rs.map((r) => r.told)), clean: cl.length ? medianStats(cl) : null };
  });
  return { out, generationsDone: state.generationsDone, generationsAsked: state.generationsAsked, rows, medians, notes };
}

const num = (v: number) => (Number.isNaN(v) ? '' : String(v));
const statCells = (s: TrajectoryStats | null) => (s ? [s.initial, s.final, s.best, s.ratio, s.tau].map(num) : ['', '', '', '', '']);

/** The CSV text: SUMMARY_COLUMNS, a row per thread, then a median row per space. Numbers in full precision. */
export function summaryCsv(s: EvolveSummary): string {
  const lines = [SUMMARY_COLUMNS.join(',')];
  for (const r of s.rows) lines.push([r.neuron, r.seed, r.space, r.generations, r.pop, ...statCells(r.told), ...statCells(r.clean)].join(','));
  for (const m of s.medians) lines.push(['median', 'all', m.space, s.generationsDone, '', ...statCells(m.told), ...statCells(m.clean)].join(','));
  return lines.join('\n') + '\n';
}

const SPACE_COLORS = [THEME.pos, THEME.neg, '#ffd400', '#7cff6b', '#b98cff', '#ff9f40'];
export const spaceColor = (i: number) => SPACE_COLORS[i % SPACE_COLORS.length];

function finiteRange(v: number[], includeZero = false): [number, number] {
  const f = v.filter(Number.isFinite);
  let lo = Math.min(...f, ...(includeZero ? [0] : [])), hi = Math.max(...f, ...(includeZero ? [0] : []));
  if (!Number.isFinite(lo)) { lo = 0; hi = 1; }
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const pad = 0.05 * (hi - lo);
  return [lo - (includeZero && lo === 0 ? 0 : pad), hi + pad];
}

/**
 * Figure 4 of Wang & Ponce per space (one row of three panels each): initial (hollow) and final (filled) activation
 * per neuron, the success ratio per neuron with the line ratio = 1, and the distribution of tau; medians dashed.
 * Seeds of a neuron are drawn side by side. Noiseless values, when present, are not drawn (they are in the CSV).
 */
export function summaryFigure(s: EvolveSummary): Svg {
  const W = 1080, rowH = 260, top = 60;
  const svg = new Svg(W, top + s.medians.length * rowH + 20, THEME.bg);
  svg.text(W / 2, 26, `Evolution summary: ${s.rows.length} threads, ${s.generationsDone} generations${s.notes.some((n) => n.startsWith('the run is not finished')) ? ` (unfinished: ${s.generationsDone} of ${s.generationsAsked})` : ''}`, { size: 15, anchor: 'middle', weight: 'bold' });
  s.medians.forEach((m, i) => {
    const color = spaceColor(i);
    const rs = s.rows.filter((r) => r.space === m.space);
    const neurons = [...new Set(rs.map((r) => r.neuron))];
    const xOf = (r: SummaryRow) => neurons.indexOf(r.neuron) + (r.seed - (rs.filter((q) => q.neuron === r.neuron).length - 1) / 2) * 0.15;
    const y0 = top + i * rowH + 20, h = rowH - 80;
    const xr: [number, number] = [-0.7, Math.max(neurons.length - 0.3, 0.7)];
    // final activation per neuron
    const [alo, ahi] = finiteRange(rs.flatMap((r) => [r.told.initial, r.told.final]), true);
    const a1: Axes = { x: 80, y: y0, w: 280, h, xlo: xr[0], xhi: xr[1], ylo: alo, yhi: ahi };
    drawAxes(svg, a1, { title: `${m.space}: activation`, xlabel: neurons.length <= 12 ? `neuron ${neurons.join(', ')}` : `neurons (${neurons.length})`, ylabel: 'score' });
    for (const r of rs) {
      const x = sx(a1, xOf(r));
      svg.line(x, sy(a1, r.told.initial), x, sy(a1, r.told.final), { color: THEME.muted });
      svg.rect(x - 3, sy(a1, r.told.initial) - 3, 6, 6, 'none', { color, width: 1 });
      svg.circle(x, sy(a1, r.told.final), 3.5, color);
    }
    svg.line(a1.x, sy(a1, m.told.final), a1.x + a1.w, sy(a1, m.told.final), { color, dash: '5,4' });
    svg.text(a1.x + a1.w - 4, a1.y + 14, `median final ${m.told.final.toPrecision(3)}`, { size: 10, anchor: 'end', color });
    // success ratio per neuron
    const ratios = rs.map((r) => r.told.ratio);
    const [rlo, rhi] = finiteRange([...ratios, 1]);
    const a2: Axes = { x: 440, y: y0, w: 280, h, xlo: xr[0], xhi: xr[1], ylo: rlo, yhi: rhi };
    drawAxes(svg, a2, { title: `${m.space}: success ratio final / initial`, xlabel: 'neuron', ylabel: 'ratio' });
    svg.line(a2.x, sy(a2, 1), a2.x + a2.w, sy(a2, 1), { color: THEME.muted, dash: '2,3' });
    for (const r of rs) if (Number.isFinite(r.told.ratio)) svg.circle(sx(a2, xOf(r)), sy(a2, r.told.ratio), 3.5, color);
    if (Number.isFinite(m.told.ratio)) {
      svg.line(a2.x, sy(a2, m.told.ratio), a2.x + a2.w, sy(a2, m.told.ratio), { color, dash: '5,4' });
      svg.text(a2.x + a2.w - 4, a2.y + 14, `median ${m.told.ratio.toPrecision(3)}, ${ratios.filter((q) => q > 1).length}/${rs.length} > 1`, { size: 10, anchor: 'end', color });
    }
    // tau distribution
    const taus = rs.map((r) => r.told.tau).filter(Number.isFinite);
    const bins = 12;
    const [tlo, thi] = finiteRange(taus, true);
    const counts = new Array<number>(bins).fill(0);
    for (const t of taus) counts[Math.min(bins - 1, Math.max(0, Math.floor(((t - tlo) / (thi - tlo)) * bins)))]++;
    const a3: Axes = { x: 800, y: y0, w: 250, h, xlo: tlo, xhi: thi, ylo: 0, yhi: Math.max(1, ...counts) * 1.1 };
    drawAxes(svg, a3, { title: `${m.space}: convergence tau`, xlabel: 'tau (generations)', ylabel: 'threads' });
    const bw = a3.w / bins;
    counts.forEach((c, k) => { if (c) svg.rect(a3.x + k * bw, sy(a3, c), Math.max(bw - 1, 0.5), a3.y + a3.h - sy(a3, c), color); });
    if (Number.isFinite(m.told.tau)) {
      svg.line(sx(a3, m.told.tau), a3.y, sx(a3, m.told.tau), a3.y + a3.h, { color: THEME.fg, dash: '5,4' });
      svg.text(a3.x + a3.w - 4, a3.y + 14, `median ${m.told.tau.toPrecision(3)}`, { size: 10, anchor: 'end', color: THEME.fg });
    } else svg.text(a3.x + a3.w / 2, a3.y + a3.h / 2, 'no fit (< 3 generations)', { size: 11, anchor: 'middle', color: THEME.muted });
  });
  return svg;
}

/** Summarises OUT and writes the CSV and SVG (atomic writes); default paths OUT/summary.csv and OUT/summary.svg. */
export function writeEvolveSummary(out: string, o: { csv?: string; svg?: string } = {}): { summary: EvolveSummary; csv: string; svg: string } {
  const summary = summarizeEvolution(out);
  const csv = o.csv ?? join(out, 'summary.csv'), svg = o.svg ?? join(out, 'summary.svg');
  writeFileAtomic(csv, summaryCsv(summary));
  writeFileAtomic(svg, summaryFigure(summary).toString());
  return { summary, csv, svg };
}
