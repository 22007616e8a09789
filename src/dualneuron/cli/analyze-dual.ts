// `dualneuron analyze dual`: dual-feature labels of the neurons of a poles folder (analysis/dual-labels.ts). The
// MEIs and LEIs are re-evaluated by the twin (with the members and centring they were made with), the baseline is
// the twin's response to the zero-contrast mean-gray image (all zeros in model space: both the fixed twins' and
// trained twins' input maps subtract the pixel mean), optionally also the mean response over a screen. When the
// poles were made on some members of an ensemble, the same labels are computed on the held-out members.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { init, noGrad, tidy, Tensor, type Backend } from '../../tensor/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/host-array.js';
import { Progress } from '../../util/progress.js';
import { openOutputFolder } from '../output-folder.js';
import { startRecord, finishRecord } from '../run-record.js';
import { saveFigure } from '../plot/save.js';
import { memberNumbersOf, openTwin, parseNeuronList, resolveTwin, twinLabel, type OpenedTwin, type TwinRef } from '../twin-source.js';
import { configValue, poleImage, readPolesFolder, type PolesFolder } from '../analysis/poles-folder.js';
import { MIN_SEEDS } from '../analysis/seed-bootstrap.js';
import { classifyDual, summariseDual, type NeuronPoleResponses } from '../analysis/dual-labels.js';
import { dualCsv, dualFigure, type DualRow } from '../analysis/dual-outputs.js';
import { unitFile } from './screen.js';
import { modelOption } from './predict.js';
import { weightsDirOption } from './weights.js';
import { parseFloatStrict, parseIntStrict } from './parse.js';

interface DualOpts { model: string; poles: string; screen?: string; neurons?: string; alpha: string; batch: string; weightsDir?: string; out: string }


/** The members, centring and weights the poles were made with; refuses a folder made with another twin. */
function polesTwin(p: PolesFolder, ref: TwinRef): { members: number[]; centered: boolean | undefined; sha: Record<string, unknown> | null } {
  const all = memberNumbersOf(ref);
  if (!p.config) throw new InputError(`--poles ${p.dir}: its done.json files record no options (made by an older dualneuron); remake the poles to analyse them`);
  const model = configValue(p, '--model');
  const mine = twinLabel(ref);
  if (model !== mine) throw new InputError(`--poles ${p.dir} holds results of the twin ${JSON.stringify(model)}, not ${mine}: pass --model ${String(model)}, or the poles folder made with this twin`);
  const mem = configValue(p, '--members');
  const members = Array.isArray(mem) ? (mem as number[]) : all;
  for (const m of members) if (!all.includes(m)) throw new InputError(`--poles ${p.dir} was made with member ${m}, which the twin ${mine} does not have (members ${all.join(', ')}): not the same twin`);
  const cen = configValue(p, '--centered');
  const sha = configValue(p, 'weights sha256');
  return { members, centered: typeof cen === 'boolean' ? cen : undefined, sha: sha && typeof sha === 'object' && !Array.isArray(sha) ? sha : null };
}

/** A screen's per-neuron mean, max (MAI) and min (LAI) responses; refuses a screen of another twin or an empty one. */
function screenStats(dir: string, ref: TwinRef, neurons: number[], made: { members: number[]; centered: boolean | undefined }): { members: unknown; stats: Map<number, { mean: number; mai: number; lai: number; images: number }> } {
  const meta = join(dir, 'screen.json');
  if (!existsSync(meta)) throw new InputError(`--screen ${dir} has no screen.json: not a finished screening output (dualneuron screen --out ${dir})`);
  const cfg = (JSON.parse(readFileSync(meta, 'utf8')) as { config?: Record<string, unknown> }).config;
  const model = cfg?.['--model'];
  if (model !== undefined && model !== twinLabel(ref)) throw new InputError(`--screen ${dir} screened the twin ${JSON.stringify(model)}, not ${twinLabel(ref)}: screen this twin or pass its --model`);
  if (cfg?.['--layer'] !== undefined && cfg['--layer'] !== null) throw new InputError(`--screen ${dir} screened layer ${JSON.stringify(cfg['--layer'])}, not the twin's neurons`);
  // its mean is a baseline for the poles' responses: ideally of the same members. `screen` takes one member or
  // the whole ensemble, so poles made on K-1 members cannot have a matching screen: warned, recorded, not refused.
  const mem = cfg?.['--members'];
  if (Array.isArray(mem) && mem.join(',') !== made.members.join(',')) {
    console.error(`warning: --screen ${dir} screened members ${mem.join(',')} but the poles' responses come from members ${made.members.join(',')}: the _screen columns compare them with another model's screened mean (screen --member k matches poles made on member k alone)`);
  }
  const cen = cfg?.['--centered'];
  if (typeof cen === 'boolean' && made.centered !== undefined && cen !== made.centered) throw new InputError(`--screen ${dir} was screened with --centered ${cen}, the poles were made with --centered ${made.centered}: use a screen made with the same readout`);
  const out = new Map<number, { mean: number; mai: number; lai: number; images: number }>();
  for (const n of neurons) {
    const r = toFloat32(readNpy(unitFile(dir, 'responses', n)));
    if (r.length === 0) throw new InputError(`--screen ${dir}: neuron ${n} has no screened images (an empty image set); screen some images first`);
    let s = 0;
    for (const v of r) s += v;
    // ordered ascending: the LAI is first, the MAI last
    out.set(n, { mean: s / r.length, mai: r[r.length - 1], lai: r[0], images: r.length });
  }
  return { members: mem ?? null, stats: out };
}

/** Responses of `twin` to the zero image and every MEI and LEI: per neuron the baseline and the seeds' responses. */
async function poleResponses(twin: OpenedTwin, backend: Backend, p: PolesFolder, batch: number, label: string): Promise<NeuronPoleResponses[]> {
  const shape = twin.inputShape, per = shape[0] * shape[1] * shape[2], N = twin.neurons;
  const jobs = p.neurons.flatMap((n) => p.seeds.flatMap((s) => (['most', 'least'] as const).map((pole) => ({ n, s, pole }))));
  const items: ({ n: number; s: string; pole: 'most' | 'least' } | null)[] = [null, ...jobs];
  const resp = new Float64Array(items.length * N);
  const bar = new Progress({ total: items.length, unit: 'images', label });
  for (let k = 0; k < items.length; k += batch) {
    const chunk = items.slice(k, k + batch);
    const x = new Float32Array(chunk.length * per);
    chunk.forEach((c, j) => { if (c) x.set(poleImage(p, c.n, c.s, c.pole, shape), j * per); });
    const y = noGrad(() => tidy(() => twin.model.forward(Tensor.from(x, [chunk.length, ...shape], { backend }))));
    const v = await y.dataF32();
    y.dispose();
    resp.set(v, k * N);
    bar.tick(chunk.length);
  }
  bar.finish();
  const bad = resp.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`the twin ${twin.label} returned a non-finite response (${resp[bad]}) for ${bad < N ? 'the gray image' : 'a pole image'}: its weights or the images are broken`);
  // item 0 is the gray image; then (neuron, seed, pole) in the order of `jobs`
  const S = p.seeds.length;
  const at = (i: number, si: number, pole: number) => resp[(1 + (i * S + si) * 2 + pole) * N + p.neurons[i]];
  return p.neurons.map((n, i) => ({ neuron: n, baseline: resp[n], mei: p.seeds.map((_, si) => at(i, si, 0)), lei: p.seeds.map((_, si) => at(i, si, 1)) }));
}

async function runDual(o: DualOpts): Promise<void> {
  const ref = resolveTwin(o.model);
  const alpha = parseFloatStrict('--alpha', o.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new InputError(`--alpha must lie in (0, 1), got ${o.alpha}`);
  const batch = parseIntStrict('--batch', o.batch, { min: 1, max: 4096 });
  const poles = readPolesFolder(o.poles, { neurons: o.neurons ? parseNeuronList('--neurons', o.neurons, ref) : undefined });
  if (poles.seeds.length < MIN_SEEDS) throw new InputError(`--poles ${o.poles} has ${poles.seeds.length} seed${poles.seeds.length > 1 ? 's' : ''} per neuron; the seed bootstrap needs at least ${MIN_SEEDS} (5 recommended: with 3 it rejects a true null ~9% of the time at alpha 0.05); make more with dualneuron poles --seeds 5 and the same --out`);
  if (poles.seeds.length < 5) console.error(`warning: ${poles.seeds.length} seeds per neuron; with fewer than 5 the seed bootstrap rejects a true null more often than alpha (~9% at alpha 0.05 with 3 seeds)`);
  const made = polesTwin(poles, ref);
  const heldOut = memberNumbersOf(ref).filter((m) => !made.members.includes(m));
  const screened = o.screen ? screenStats(o.screen, ref, poles.neurons, made) : null;
  const screen = screened?.stats ?? null;
  const out = resolve(o.out);
  const lock = openOutputFolder(out, 'analyze dual');
  try {
    const backend = await init('webgpu');
    const rec = startRecord('analyze dual', { ...o }, backend.describe());
    const open = (members: number[]) => openTwin(ref, { members, centered: made.centered, backend, weightsDir: o.weightsDir });
    const twin = open(made.members);
    let inSample: NeuronPoleResponses[], held: NeuronPoleResponses[] | null = null, heldSha: Record<string, string> | null = null;
    try {
      if (made.sha) {
        for (const [k, v] of Object.entries(twin.weightsSha256)) {
          if (made.sha[k] !== undefined && made.sha[k] !== v) throw new InputError(`--poles ${poles.dir} was made with other weights for ${k} (sha256 ${String(made.sha[k]).slice(0, 12)}..., this twin's ${v.slice(0, 12)}...): a mismatched model; analyse with the twin that made the poles`);
        }
      }
      inSample = await poleResponses(twin, backend, poles, batch, 'in-sample responses');
    } finally {
      twin.dispose();
    }
    if (heldOut.length) {
      const h = open(heldOut);
      try {
        heldSha = h.weightsSha256;
        held = await poleResponses(h, backend, poles, batch, `held-out member${heldOut.length > 1 ? 's' : ''} ${heldOut.join(',')}`);
      } finally {
        h.dispose();
      }
    }
    const a = classifyDual(inSample, { alpha });
    const sc = screen ? classifyDual(inSample.map((r) => ({ ...r, baseline: screen.get(r.neuron)!.mean })), { alpha }) : null;
    const ho = held ? classifyDual(held, { alpha }) : null;
    const rows: DualRow[] = inSample.map((r, i) => ({
      inSample: a[i], mei: r.mei, lei: r.lei,
      screen: sc ? { result: sc[i], ...(({ mai, lai, images }) => ({ mai, lai, images }))(screen!.get(r.neuron)!) } : undefined,
      heldOut: ho?.[i],
    }));
    const summary = {
      alpha, correction: 'Benjamini-Hochberg across the neurons of this run, separately for the MEI and LEI tests',
      test: 'one-sided seed bootstrap-t (studentized), exact enumeration of all resamples for <= 10 seeds',
      seeds: poles.seeds.map(Number), members: made.members, heldOutMembers: heldOut, screenMembers: screened?.members ?? null,
      inSample: summariseDual(a),
      screen: sc ? summariseDual(sc) : null,
      heldOut: ho ? { ...summariseDual(ho), agreement: ho.filter((r, i) => r.label === a[i].label).length / a.length } : null,
      heldOutNote: heldOut.length ? undefined : 'the poles were made on every member of the twin: no held-out labels (make poles with --members on K-1 members to get them)',
    };
    writeFileAtomic(join(out, 'dual.csv'), dualCsv(rows, poles.seeds.map((s) => String(Number(s))), { screen: sc !== null, heldOut: ho !== null }));
    writeFileAtomic(join(out, 'summary.json'), JSON.stringify(summary, null, 1) + '\n');
    const S = poles.seeds.length, M = poles.neurons.length;
    const stack = (rs: NeuronPoleResponses[], f: (r: NeuronPoleResponses) => number[]) => Float32Array.from(rs.flatMap(f));
    writeNpy(join(out, 'mei_responses.npy'), { dtype: 'f32', shape: [M, S], data: stack(inSample, (r) => r.mei) });
    writeNpy(join(out, 'lei_responses.npy'), { dtype: 'f32', shape: [M, S], data: stack(inSample, (r) => r.lei) });
    writeNpy(join(out, 'baseline_responses.npy'), { dtype: 'f32', shape: [M], data: stack(inSample, (r) => [r.baseline]) });
    if (held) {
      writeNpy(join(out, 'mei_responses_heldout.npy'), { dtype: 'f32', shape: [M, S], data: stack(held, (r) => r.mei) });
      writeNpy(join(out, 'lei_responses_heldout.npy'), { dtype: 'f32', shape: [M, S], data: stack(held, (r) => r.lei) });
      writeNpy(join(out, 'baseline_responses_heldout.npy'), { dtype: 'f32', shape: [M], data: stack(held, (r) => [r.baseline]) });
    }
    saveFigure(dualFigure(`Dual-feature neurons, ${ref.kind === 'fixed' ? `${ref.id} twin` : 'trained twin'} (members ${made.members.join(',')})`, rows, summary.inSample), join(out, 'dual'));
    finishRecord(rec, join(out, 'run.json'), {
      model: twinLabel(ref), members: made.members, centered: made.centered ?? null, weightsSha256: twin.weightsSha256, heldOutWeightsSha256: heldSha,
      poles: resolve(poles.dir), screen: o.screen ? resolve(o.screen) : null, neurons: poles.neurons, summary,
    });
    const s = summary.inSample;
    console.error(`${s.counts.dual} of ${s.neurons} neurons dual (${s.counts['excitatory only']} excitatory only, ${s.counts.unreliable} unreliable)` +
      (s.index ? `, median suppression index ${s.index.median.toFixed(3)}` : '') + (summary.heldOut ? `; held-out agreement ${(100 * summary.heldOut.agreement).toFixed(0)}%` : '') + `; wrote ${out}/dual.csv`);
  } finally {
    lock.release();
  }
}

export function registerAnalyzeDual(analyze: Command): void {
  analyze.command('dual')
    .description('dual-feature labels: per neuron the twin\'s responses to its MEIs and LEIs over seeds against its baseline (the zero-contrast mean-gray image; with --screen also the screened images\' mean), one-sided seed bootstrap-t tests (MEI above, LEI below baseline) with a Benjamini-Hochberg correction across neurons; labels "dual" (LEI significantly below baseline), "excitatory only", "unreliable" (MEI not significantly above baseline); suppression index (baseline - LEI) / (MEI - baseline); the same on held-out members when the poles were made on some members. Writes dual.csv, summary.json, mei/lei/baseline_responses.npy (+ _heldout), dual.svg (+ .png), run.json')
    .addOption(modelOption())
    .requiredOption('--poles <dir>', 'poles folder (dualneuron poles) made with this twin; its recorded members and centring are used, and every neuron needs the same finished seeds (>= 3, 5 recommended)')
    .option('--screen <dir>', 'a screening output of this twin (dualneuron screen): adds its mean response as a second baseline (labels against it in the _screen columns) and each neuron\'s MAI and LAI responses')
    .option('--neurons <list>', 'a subset of the poles folder\'s neurons, e.g. 0-49 (default: all of them)')
    .option('--alpha <q>', 'false discovery rate of the Benjamini-Hochberg correction (each test, across neurons)', '0.05')
    .option('--batch <n>', 'images per forward pass', '32')
    .addOption(weightsDirOption())
    .requiredOption('--out <dir>', 'output folder')
    .action(runDual);
}
