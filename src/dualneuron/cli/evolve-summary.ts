// `dualneuron evolve summary OUT`: Wang & Ponce Figure 4 figures of an evolution run (evolve/summary.ts) as CSV and
// SVG. Built as a stand-alone Command so that it can be attached as the `summary` subcommand of `evolve`.
import { Command } from 'commander';
import { SUMMARY_COLUMNS_HELP, writeEvolveSummary } from '../evolve/summary.js';
import { writeThreadFigures } from '../evolve/report.js';
import { listSeedDirs } from '../evolve/run-folder.js';

const fmt = (v: number) => (Number.isNaN(v) ? '-' : v.toPrecision(4));

export function evolveSummaryCommand(): Command {
  return new Command('summary')
    .description('per neuron, seed and space of an evolve run: initial and final activation, best score, success ratio final/initial and convergence time constant tau (Wang & Ponce Fig. 4), as CSV and SVG; per-space medians')
    .argument('<out>', 'the --out folder of a `dualneuron evolve` run')
    .option('--csv <file>', 'CSV to write (default OUT/summary.csv)')
    .option('--svg <file>', 'SVG figure to write (default OUT/summary.svg)')
    .option('--figures', 'also (re)write every OUT/n<neuron>/s<seed>/trajectory.svg and montage.png from the thread files')
    .addHelpText('after', `\n${SUMMARY_COLUMNS_HELP}\n\nAn unfinished run (state.json generationsDone < options.generations) is summarised as far as it went, with a note.`)
    .action((out: string, o: { csv?: string; svg?: string; figures?: boolean }) => {
      const { summary, csv, svg } = writeEvolveSummary(out, { csv: o.csv, svg: o.svg });
      if (o.figures) {
        for (const s of listSeedDirs(out)) {
          const f = writeThreadFigures(s.dir, { generations: summary.generationsDone });
          console.log(`wrote ${f.trajectory}\nwrote ${f.montage}`);
        }
      }
      for (const n of summary.notes) console.error(`note: ${n}`);
      console.log(`${summary.rows.length} threads, ${summary.generationsDone} generations`);
      console.log('space      threads  initial    final      best       ratio      tau');
      for (const m of summary.medians) {
        const t = m.told;
        console.log(`${m.space.padEnd(10)} ${String(m.count).padStart(7)}  ${[t.initial, t.final, t.best, t.ratio, t.tau].map((v) => fmt(v).padEnd(10)).join(' ')}  (medians)`);
      }
      console.log(`wrote ${csv}\nwrote ${svg}`);
    });
}
