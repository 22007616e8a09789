// Reading a poles folder (what `dualneuron poles` and `synthesize` write, see poles.ts): the results it holds,
// DIR/neuron_NNNN/seed_SSSS/{least,most}/ with a done.json when finished, and what its run.json says.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import type { Done, Pole } from './poles.js';

export interface PoleResult { neuron: number; seed: bigint; pole: Pole; dir: string; done: Done }

export interface PolesFolder {
  dir: string;
  /** finished results, by neuron, then seed (numerically), then least before most */
  results: PoleResult[];
  /** result folders without a done.json (an interrupted or running job) */
  unfinished: string[];
  /** run.json, when present */
  run: Record<string, unknown> | null;
}

const NEURON_DIR = /^neuron_([0-9]+)$/;
const SEED_DIR = /^seed_([0-9]+)$/;

const subdirs = (d: string, re: RegExp) => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory() && re.test(e.name)).map((e) => e.name);

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message} (a damaged result: remove its folder and rerun \`dualneuron poles\`, which recomputes it)`);
  }
}

export function scanPolesFolder(dir: string): PolesFolder {
  if (!existsSync(dir)) throw new InputError(`poles folder not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir} is a file; give the poles folder (what \`dualneuron poles --out DIR\` wrote)`);
  const results: PoleResult[] = [];
  const unfinished: string[] = [];
  const byNumber = (re: RegExp) => (a: string, b: string) => { const x = BigInt(re.exec(a)![1]), y = BigInt(re.exec(b)![1]); return x < y ? -1 : x > y ? 1 : 0; };
  for (const n of subdirs(dir, NEURON_DIR).sort(byNumber(NEURON_DIR))) {
    const neuron = Number(NEURON_DIR.exec(n)![1]);
    for (const s of subdirs(join(dir, n), SEED_DIR).sort(byNumber(SEED_DIR))) {
      const seed = BigInt(SEED_DIR.exec(s)![1]);
      for (const pole of ['least', 'most'] as const) {
        const d = join(dir, n, s, pole);
        if (!existsSync(d)) continue;
        if (!existsSync(join(d, 'done.json'))) { unfinished.push(d); continue; }
        results.push({ neuron, seed, pole, dir: d, done: readJson(join(d, 'done.json')) as unknown as Done });
      }
    }
  }
  const runPath = join(dir, 'run.json');
  return { dir, results, unfinished, run: existsSync(runPath) ? readJson(runPath) : null };
}
