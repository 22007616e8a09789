// `dualneuron weights import|pull|list`: managing the weights cache.
import { Command, Option } from 'commander';
import { InputError } from '../../errors.js';
import { weightsHome, listInstalled, readManifest } from '../../models/weights/store.js';
import { importDir } from '../../models/weights/import.js';
import { pull } from '../../models/weights/pull.js';
import { PULL_TARGETS, type PullTarget } from '../../models/weights/upstream.js';
import { DREAMSIM_TARGETS, dreamsimTarget, importDreamsim, listDreamsim, pullDreamsim } from '../../models/weights/dreamsim-weights.js';
import type { DreamsimType } from '../../models/dreamsim.js';
import { DEEPSIM_FC6_TARGET, deepsimFc6Installed, findDeepsimFc6, importDeepsimFc6, pullDeepsimFc6 } from '../../models/weights/deepsim-weights.js';
import { BIGGAN_TARGET, bigganInstalled, findBiggan, importBiggan, pullBiggan } from '../../models/weights/biggan-weights.js';
import { TORCHVISION_IDS, isTorchvisionId, type TorchvisionId } from '../../models/torchvision/zoo.js';
import { importTorchvision, pullTorchvision, storedTorchvision, torchvisionInstalled } from '../../models/weights/torchvision-weights.js';
import { existsSync, statSync } from 'node:fs';
import { init } from '../../tensor/index.js';

export const weightsDirOption = () =>
  new Option('--weights-dir <dir>', 'weights cache folder (default: $DUALNEURON_HOME or ~/.cache/dualneuron)');

function parseTargets(list: string[]): PullTarget[] {
  const out = list.length ? list : ['all'];
  for (const t of out) if (!(PULL_TARGETS as string[]).includes(t)) throw new InputError(`unknown weights target '${t}'; choose from ${[...PULL_TARGETS, ...DREAMSIM_TARGETS, DEEPSIM_FC6_TARGET, BIGGAN_TARGET, ...TORCHVISION_IDS].join(', ')}`);
  return out as PullTarget[];
}

/** Twin/prior targets and DreamSim types, from a list that may mix both. */
function splitTargets(list: string[]): { twins: string[]; dreamsim: DreamsimType[]; deepsim: boolean; biggan: boolean; torchvision: TorchvisionId[] } {
  const dreamsim: DreamsimType[] = [], twins: string[] = [], torchvision: TorchvisionId[] = [];
  for (const t of list) {
    if (isTorchvisionId(t)) { torchvision.push(t); continue; }
    if (t === DEEPSIM_FC6_TARGET || t === BIGGAN_TARGET) continue;
    const d = dreamsimTarget(t);
    if (d) dreamsim.push(d); else twins.push(t);
  }
  return { twins, dreamsim: [...new Set(dreamsim)], deepsim: list.includes(DEEPSIM_FC6_TARGET), biggan: list.includes(BIGGAN_TARGET), torchvision: [...new Set(torchvision)] };
}

export function registerWeights(program: Command): void {
  const w = program.command('weights').description('install and list model weights (the upstream DualNeuron files, MIT)');

  w.command('import')
    .description('verify and import upstream files from a local folder (laid out like the upstream repository, its dualneuron/ package folder, or ../shared/upstream/dualneuron), or a torchvision FILE.pth (vgg16, vgg16_bn, resnet50, vit_b_16: told by its keys; the sha256 prefix in a name like vgg16-397923af.pth is checked)')
    .argument('<dir>', 'folder with the upstream files, or a torchvision .pth file')
    .addOption(weightsDirOption())
    .option('--only <targets>', `comma-separated subset: ${[...PULL_TARGETS, ...DREAMSIM_TARGETS, DEEPSIM_FC6_TARGET, BIGGAN_TARGET].join(', ')}; or one of ${TORCHVISION_IDS.join(', ')} for a .pth whose keys should be read as that network`, 'all')
    .option('--force', 'import files whose checksum does not match the upstream manifest (with a warning)')
    .action(async (dir: string, opts: { weightsDir?: string; only: string; force?: boolean }) => {
      const home = weightsHome(opts.weightsDir);
      console.error(`importing from ${dir} into ${home}`);
      const { twins, dreamsim, deepsim, biggan, torchvision } = splitTargets(opts.only.split(',').filter(Boolean));
      if (torchvision.length > 1) throw new InputError(`weights import: one .pth holds one network; --only named ${torchvision.join(', ')}`);
      if (torchvision.length || (existsSync(dir) && statSync(dir).isFile() && /\.pth$/i.test(dir))) {
        await init('webgpu'); // the network is built (zero weights) to check every key and shape against
        const r = importTorchvision(dir, home, { id: torchvision[0], force: opts.force, log: (s) => console.error(s) });
        console.error(`imported torchvision's ${r.id} as ${r.stored}`);
        return;
      }
      const all = twins.includes('all');
      let found = 0;
      if (twins.length) {
        try {
          const r = importDir(dir, home, { targets: parseTargets(twins), force: opts.force, log: (s) => console.error(s) });
          found += r.imported.length;
          console.error(`imported ${r.imported.length} files${r.notFound.length ? `; not in that folder: ${r.notFound.length} (e.g. ${r.notFound[0]})` : ''}`);
        } catch (e) {
          // with 'all', a folder holding only DreamSim files is fine
          if (!(all && e instanceof InputError)) throw e;
        }
      }
      if (dreamsim.length || all) {
        const r = importDreamsim([dir], home, { types: dreamsim.length ? dreamsim : undefined, force: opts.force, log: (s) => console.error(s) });
        found += r.stored.length;
        if (r.types.length) console.error(`DreamSim ${r.types.join(', ')}: stored ${r.stored.length} merged backbones`);
      }
      if (deepsim || (all && findDeepsimFc6(dir))) {
        importDeepsimFc6(dir, home, { force: opts.force, log: (s) => console.error(s) });
        found++;
      }
      if (biggan || (all && findBiggan(dir))) {
        importBiggan(dir, home, { force: opts.force, log: (s) => console.error(s) });
        found++;
      }
      if (!found) throw new InputError(`weights import: nothing to import in ${dir}: neither upstream DualNeuron files nor DreamSim files (see weights/dreamsim.json)`);
    });

  w.command('pull')
    .description('download upstream files (the twins and priors from github.com/enigma-brain/dualneuron; DreamSim, DeePSim fc6 and BigGAN from their publishers), verify them (sha256, git blob sha1, or by reading them where nothing is published) and import them')
    .argument('[targets...]', `what to fetch: ${[...PULL_TARGETS, ...DREAMSIM_TARGETS, DEEPSIM_FC6_TARGET, BIGGAN_TARGET, ...TORCHVISION_IDS].join(', ')} (default all: the twins and priors; DreamSim, deepsim-fc6, biggan-deep-256 and torchvision's networks (IMAGENET1K_V1, download.pytorch.org, the sha256 prefix of the file name checked) only when named)`)
    .addOption(weightsDirOption())
    .option('--force', 'download again even if installed')
    .option('--mirror <url>', 'DreamSim, deepsim-fc6 and biggan-deep-256 targets: download <url>/<file name> instead of the upstream URLs (also $DUALNEURON_DREAMSIM_MIRROR, $DUALNEURON_DEEPSIM_MIRROR)')
    .option('--keep-downloads', 'DreamSim, deepsim-fc6 and biggan-deep-256 targets: keep the downloaded originals in <weights dir>/downloads')
    .action(async (targets: string[], opts: { weightsDir?: string; force?: boolean; mirror?: string; keepDownloads?: boolean }) => {
      const { twins, dreamsim, deepsim, biggan, torchvision } = splitTargets(targets);
      const home = weightsHome(opts.weightsDir);
      for (const id of torchvision) await pullTorchvision(id, home, { force: opts.force, keepDownloads: opts.keepDownloads });
      if (torchvision.length && !twins.length && !dreamsim.length && !deepsim && !biggan) return;
      if (deepsim) await pullDeepsimFc6(home, { force: opts.force, mirror: opts.mirror, keepDownloads: opts.keepDownloads });
      if (biggan) await pullBiggan(home, { force: opts.force, mirror: opts.mirror, keepDownloads: opts.keepDownloads });
      if (twins.length || (!dreamsim.length && !deepsim && !biggan)) await pull(parseTargets(twins), home, { force: opts.force });
      if (dreamsim.length) await pullDreamsim(dreamsim, home, { force: opts.force, mirror: opts.mirror, keepDownloads: opts.keepDownloads });
    });

  w.command('list')
    .description('show which twins and priors are installed')
    .addOption(weightsDirOption())
    .option('--json', 'print JSON (with the manifest)')
    .action((opts: { weightsDir?: string; json?: boolean }) => {
      const home = weightsHome(opts.weightsDir);
      const rows = listInstalled(home);
      const ds = listDreamsim(home);
      if (opts.json) { console.log(JSON.stringify({ home, targets: rows, dreamsim: ds, manifest: readManifest(home) }, null, 1)); return; }
      console.log(`weights cache: ${home}`);
      for (const r of rows) console.log(`  ${r.target.padEnd(7)} ${r.installed ? 'installed' : 'missing  '}  ${r.files} files, ${(r.bytes / 2 ** 20).toFixed(2)} MiB${r.installed ? '' : `  (dualneuron weights pull ${r.target})`}`);
      console.log(`  ${DEEPSIM_FC6_TARGET.padEnd(26)} ${deepsimFc6Installed(home) ? 'installed' : `missing    (dualneuron weights pull ${DEEPSIM_FC6_TARGET})`}`);
      console.log(`  ${BIGGAN_TARGET.padEnd(26)} ${bigganInstalled(home) ? 'installed' : `missing    (dualneuron weights pull ${BIGGAN_TARGET})`}`);
      for (const id of TORCHVISION_IDS) console.log(`  ${id.padEnd(26)} ${torchvisionInstalled(id, home) ? `installed  ${storedTorchvision(id)}` : `missing    (dualneuron weights pull ${id})`}`);
      for (const r of ds) console.log(`  ${r.target.padEnd(26)} ${r.installed ? 'installed' : 'missing  '}  ${r.files} files, ${(r.bytes / 2 ** 20).toFixed(2)} MiB${r.installed ? '' : `  (dualneuron weights pull ${r.target})`}`);
    });
}
