// Downloading upstream files from the public repository, verifying them and importing them into the cache.
import { WeightsError } from '../../errors.js';
import { Progress } from '../../util/progress.js';
import { download, memorySink } from './download.js';
import { storeFile } from './import.js';
import { readManifest } from './store.js';
import { filesFor, storedPath, upstreamManifest, verify, type PullTarget } from './upstream.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const IF_OFFLINE = 'Copy the upstream files (github.com/enigma-brain/dualneuron, folder dualneuron/) to this machine and run ' +
  '`dualneuron weights import <folder>` instead.';

export async function pull(targets: PullTarget[], home: string, opts: { force?: boolean; log?: (s: string) => void } = {}): Promise<string[]> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const manifest = readManifest(home);
  const wanted = [...new Map(targets.flatMap((t) => filesFor(t)).map((f) => [f.path, f])).values()]
    .filter((f) => opts.force || !manifest.files[storedPath(f)] || !existsSync(join(home, storedPath(f))));
  if (wanted.length === 0) { log(`already installed in ${home}`); return []; }
  const known = wanted.every((f) => f.size !== undefined);
  const total = wanted.reduce((s, f) => s + (f.size ?? 0), 0);
  log(`downloading ${wanted.length} files${known ? ` (${(total / 2 ** 20).toFixed(1)} MiB)` : ''} from ${upstreamManifest().repository}@${upstreamManifest().commit.slice(0, 7)}`);
  const progress = new Progress({ total: known ? total : undefined, unit: 'B', label: 'weights' });
  const stored: string[] = [];
  for (const f of wanted) {
    const bytes = await download(f.url, memorySink(), { progress, ifOffline: IF_OFFLINE });
    const v = verify(f, bytes);
    if (!v.ok) throw new WeightsError(`downloaded ${f.url} but it does not verify: ${v.detail}. Nothing was stored for it; try again.`);
    stored.push(storeFile(home, f, bytes, f.url));
  }
  progress.finish();
  log(`stored ${stored.length} files in ${home}`);
  return stored;
}
