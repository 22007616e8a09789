// `dualneuron weights import|pull|list`: managing the weights cache.
import { Command, Option } from 'commander';
import { InputError } from '../../errors.js';
import { weightsHome, listInstalled, readManifest } from '../../models/weights/store.js';
import { importDir } from '../../models/weights/import.js';
import { pull } from '../../models/weights/pull.js';
import { PULL_TARGETS, type PullTarget } from '../../models/weights/upstream.js';

export const weightsDirOption = () =>
  new Option('--weights-dir <dir>', 'weights cache folder (default: $DUALNEURON_HOME or ~/.cache/dualneuron)');

function parseTargets(list: string[]): PullTarget[] {
  const out = list.length ? list : ['all'];
  for (const t of out) if (!(PULL_TARGETS as string[]).includes(t)) throw new InputError(`unknown weights target '${t}'; choose from ${PULL_TARGETS.join(', ')}`);
  return out as PullTarget[];
}

export function registerWeights(program: Command): void {
  const w = program.command('weights').description('install and list model weights (the upstream DualNeuron files, MIT)');

  w.command('import')
    .description('verify and import upstream files from a local folder (laid out like the upstream repository, its dualneuron/ package folder, or ../shared/upstream/dualneuron)')
    .argument('<dir>', 'folder with the upstream files')
    .addOption(weightsDirOption())
    .option('--only <targets>', `comma-separated subset: ${PULL_TARGETS.join(', ')}`, 'all')
    .option('--force', 'import files whose checksum does not match the upstream manifest (with a warning)')
    .action((dir: string, opts: { weightsDir?: string; only: string; force?: boolean }) => {
      const home = weightsHome(opts.weightsDir);
      console.error(`importing from ${dir} into ${home}`);
      const r = importDir(dir, home, { targets: parseTargets(opts.only.split(',').filter(Boolean)), force: opts.force, log: (s) => console.error(s) });
      console.error(`imported ${r.imported.length} files${r.notFound.length ? `; not in that folder: ${r.notFound.length} (e.g. ${r.notFound[0]})` : ''}`);
    });

  w.command('pull')
    .description('download upstream files from github.com/enigma-brain/dualneuron, verify (sha256 or git blob sha1) and import them')
    .argument('[targets...]', `what to fetch: ${PULL_TARGETS.join(', ')} (default all)`)
    .addOption(weightsDirOption())
    .option('--force', 'download again even if installed')
    .action(async (targets: string[], opts: { weightsDir?: string; force?: boolean }) => {
      await pull(parseTargets(targets), weightsHome(opts.weightsDir), { force: opts.force });
    });

  w.command('list')
    .description('show which twins and priors are installed')
    .addOption(weightsDirOption())
    .option('--json', 'print JSON (with the manifest)')
    .action((opts: { weightsDir?: string; json?: boolean }) => {
      const home = weightsHome(opts.weightsDir);
      const rows = listInstalled(home);
      if (opts.json) { console.log(JSON.stringify({ home, targets: rows, manifest: readManifest(home) }, null, 1)); return; }
      console.log(`weights cache: ${home}`);
      for (const r of rows) console.log(`  ${r.target.padEnd(7)} ${r.installed ? 'installed' : 'missing  '}  ${r.files} files, ${(r.bytes / 2 ** 20).toFixed(2)} MiB${r.installed ? '' : `  (dualneuron weights pull ${r.target})`}`);
    });
}
