#!/usr/bin/env node
// The `dualneuron` command line. Each file under cli/ registers one group of related subcommands (e.g. screen.ts:
// screen, merge, render, patches, stats, plot); this file wires them up and turns typed errors into messages.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerInfo } from './info.js';
import { registerWeights } from './weights.js';
import { registerPredict } from './predict.js';
import { registerSynthesize } from './synthesize.js';
import { registerDemo } from './demo.js';
import { registerScreen } from './screen.js';
import { registerDream } from './dream.js';
import { registerGanHessian } from './gan-hessian.js';
import { evolveSummaryCommand } from './evolve-summary.js';
import { registerOracle } from './oracle.js';
import { registerTrain } from './train.js';
import { registerEvaluate } from './evaluate.js';
import { registerImportTwin } from './import-twin.js';
import { registerEvolve } from './evolve.js';
import { registerSimulate } from './simulate.js';
import { registerRecover } from './recover.js';
import { registerH5 } from './h5.js';
import { registerAnalyze } from './analyze.js';
import { registerCluster } from './cluster.js';
import { registerLayers } from './layers.js';
import { DualNeuronError } from '../../errors.js';
import { writeError } from '../../io/atomic.js';

process.env.XDG_RUNTIME_DIR ??= '/tmp';
const pkg = JSON.parse(readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../package.json'), 'utf8')) as { version: string };

const program = new Command('dualneuron')
  .description('In-silico visual neuroscience on WebGPU: digital twins of macaque V1/V4, screening, MEI/LEI synthesis.')
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)');

registerInfo(program);
registerWeights(program);
registerPredict(program);
registerSynthesize(program);
registerDemo(program);
registerScreen(program);
registerDream(program);
registerGanHessian(program);
registerEvolve(program).addCommand(evolveSummaryCommand());
registerOracle(program);
registerSimulate(program);
registerTrain(program);
registerEvaluate(program);
registerRecover(program);
registerImportTwin(program);
registerH5(program);
registerAnalyze(program);
registerCluster(program);
registerLayers(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // expected failures (bad input, missing weights, no adapter) print their message; anything else its stack
  // OS conditions (no space, read-only file system...) raised outside the io helpers still get a plain message
  const plain = e instanceof DualNeuronError ? e : writeError(e, (e as NodeJS.ErrnoException)?.path ?? 'a file');
  if (plain instanceof DualNeuronError) console.error(`dualneuron: ${plain.message}`);
  else console.error(`dualneuron: unexpected error (please report it): ${(e as Error).stack ?? e}`);
  process.exitCode = 1;
} finally {
  const { shutdownAll } = await import('../../tensor/index.js');
  await shutdownAll();
}
