// The objective options without a model: what each names (the weight vector it becomes over a readout, from the
// definitions in units/objectives.ts), the mistakes refused with the option named, and the batches of coupled seeds
// (whole (neuron, pole) groups in one batch).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseObjective } from '../../src/dualneuron/cli/objective-options.js';
import { checkObjective, objectiveFor } from '../../src/dualneuron/units/objectives.js';
import type { Readout } from '../../src/dualneuron/units/readout.js';
import { batchesOf, type Job } from '../../src/dualneuron/synthesis/poles.js';
import { plateaued } from '../../src/dualneuron/synthesis/engine.js';
import { InputError } from '../../src/errors.js';

const test = suite('objective options');
const readout = (units: number, members = 1, perMember = false, layer: string | null = null) =>
  ({ spec: { layer, location: 'center', perMember }, units, members, outputs: perMember ? units * members : units, layerShape: null } as unknown as Readout);
const weightsOf = (o: ReturnType<typeof objectiveFor>) => Array.from((o as { weights: Float32Array }).weights);

test('targets and contrasts as weight vectors', () => {
  const mean = parseObjective({ neurons: '1,3', objective: 'mean' }, 'synthesize');
  assert.equal(weightsOf(objectiveFor(mean.spec, readout(5), 0, 'most')), [0, 0.5, 0, 0.5, 0]);
  const con = parseObjective({ layer: 'x', channel: '2', contrast: '4', contrastScale: '0.5' }, 'synthesize');
  assert.equal(con.readout.layer, 'x');
  assert.equal(weightsOf(objectiveFor(con.spec, readout(5, 1, false, 'x'), 2, 'most')), [0, 0, 1, 0, -0.5]);
  const mem = parseObjective({ neuron: '1', member: '3', contrast: 'member:2' }, 'synthesize');
  assert.equal(mem.members, [3, 2]);
  assert.ok(mem.readout.perMember);
  assert.equal(weightsOf(objectiveFor(mem.spec, readout(3, 2, true), 1, 'most')), [0, 1, 0, 0, -1, 0]);
  assert.equal(objectiveFor(parseObjective({ neuron: '4' }, 'synthesize').spec, readout(5), 4, 'least'), { neuron: 4 });
  assert.ok(parseObjective({ neuron: '4' }, 'synthesize').plain);
});

test('mistakes are refused, naming the option', () => {
  const bad = (o: Parameters<typeof parseObjective>[0], re: RegExp, cmd: 'synthesize' | 'poles' = 'synthesize') =>
    assert.throws(() => parseObjective(o, cmd), (e: Error) => e instanceof InputError && re.test(e.message), re.source);
  bad({}, /give an objective: --neuron N/);
  bad({ neuron: '1', weights: 'w.npy' }, /give one objective: .* got --neuron and --weights/);
  bad({ channel: '1' }, /--channel needs --layer/);
  bad({ neuron: '1', objective: 'mean' }, /--objective mean takes a set: --neurons LIST/);
  bad({ neuron: '1', contrast: 'member:2' }, /give the first with --member J/);
  bad({ neuron: '1', member: '2', contrast: 'member:2' }, /is --member 2 itself/);
  bad({ neuron: '1', contrast: 'x7' }, /neither a neuron index nor member:K/);
  bad({ neuron: '1', contrastScale: '2' }, /--contrast-scale needs --contrast/);
  bad({ neuron: '1', onehotWeight: '2' }, /--onehot-weight needs --objective onehot/);
  bad({ layer: 'x', neurons: '1-3', channels: '2' }, /--layer x optimises channels of that module: give --channels LIST instead of --neurons/, 'poles');
  bad({}, /give --neurons LIST \(or --layer NAME --channels LIST\)/, 'poles');
  const spec = parseObjective({ neuron: '1', objective: 'onehot' }, 'synthesize').spec;
  assert.throws(() => checkObjective(spec, readout(1), [0]), /at least two units/);
  assert.throws(() => checkObjective(parseObjective({ neurons: '1,9', objective: 'mean' }, 'synthesize').spec, readout(5), [0]), /--neurons: 9 is out of range: the readout has outputs 0\.\.4/);
});

test('coupled seeds: every batch holds whole (neuron, pole) groups', () => {
  const jobs: Job[] = [0, 1, 2].flatMap((neuron) => [0n, 1n, 2n].flatMap((seed) => (['least', 'most'] as const).map((pole) => ({ neuron, seed, pole }))));
  const b = batchesOf(jobs, 7, true);
  const key = (j: Job) => `${j.neuron} ${j.pole}`;
  for (const chunk of b) assert.ok(chunk.length <= 7 || new Set(chunk.map(key)).size === 1, 'a batch over --batch holds one group');
  for (const k of new Set(jobs.map(key))) assert.is(b.filter((chunk) => chunk.some((j) => key(j) === k)).length, 1, `group ${k} in one batch`);
  assert.is(b.flat().length, jobs.length);
  assert.equal(batchesOf(jobs, 7, false).map((c) => c.length), [7, 7, 4]);
});

test('plateau: every run, toward its pole, has not beaten its earlier best by more than the relative delta', () => {
  const acts = (rows: number[][]) => rows.map((r) => Float32Array.from(r));
  const most = [{ objective: { neuron: 0 }, pole: 'most' as const, seed: 0n }];
  const least = [{ objective: { neuron: 0 }, pole: 'least' as const, seed: 0n }];
  const p = { patience: 2, minDelta: 0.01 };
  assert.not.ok(plateaued(acts([[1], [2]]), most, p), 'not enough steps');
  assert.not.ok(plateaued(acts([[1], [2], [2.5], [2.6]]), most, p), 'still rising');
  assert.ok(plateaued(acts([[1], [2], [2.01], [1.9]]), most, p), '2.01 <= 2 + 0.01 * 2');
  assert.not.ok(plateaued(acts([[1], [2], [2.03], [1.9]]), most, p), '2.03 > 2.02');
  assert.ok(plateaued(acts([[-1], [-2], [-2.01], [-1.5]]), least, p), 'a LEI toward lower values');
  assert.not.ok(plateaued(acts([[-1, 1], [-2, 2], [-2.01, 3], [-1.5, 3]]), [...least, ...most.map((r) => ({ ...r }))], p), 'one run still improving');
});

test.run();
