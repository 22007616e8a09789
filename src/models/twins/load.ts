// Building a twin from the weights cache (Node). Browsers load from bytes or URLs: load-bytes.ts.
import { loadMemberStateDict, weightsHome } from '../weights/store.js';
import type { TwinId } from './registry.js';
import { assembleTwin, memberNumbers, type LoadedTwin, type TwinBuildOptions } from './assemble.js';

export type { LoadedTwin } from './assemble.js';

export interface LoadTwinOptions extends TwinBuildOptions {
  weightsDir?: string;
}

export function loadTwin(id: TwinId, opts: LoadTwinOptions = {}): LoadedTwin {
  const home = weightsHome(opts.weightsDir);
  const ids = memberNumbers(id, opts.members);
  return assembleTwin(id, ids, (k) => {
    const { tensors, path, sha256 } = loadMemberStateDict(id, k, home);
    return { tensors, source: path, sha256 };
  }, opts);
}
