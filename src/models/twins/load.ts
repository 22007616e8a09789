// Building a twin from the weights cache.
import { type Backend, getBackend } from '../../tensor/index.js';
import { WeightsError } from '../../errors.js';
import { loadMemberStateDict, weightsHome } from '../weights/store.js';
import { TWINS, type TwinId } from './registry.js';
import { TwinEnsemble, TwinMember } from './twin.js';

export interface LoadTwinOptions {
  /** 1-based member numbers (as upstream file names); default: all (the ensemble) */
  members?: number[];
  /** read every neuron at the feature-map centre (upstream default for screening and synthesis) */
  centered?: boolean;
  backend?: Backend;
  weightsDir?: string;
}

export interface LoadedTwin {
  model: TwinEnsemble;
  /** sha256 of each member's original upstream checkpoint, for run records */
  weightsSha256: Record<string, string>;
}

export function loadTwin(id: TwinId, opts: LoadTwinOptions = {}): LoadedTwin {
  const spec = TWINS[id];
  const home = weightsHome(opts.weightsDir);
  const ids = opts.members ?? spec.members.map((_, i) => i + 1);
  for (const k of ids) if (!Number.isInteger(k) || k < 1 || k > spec.members.length) throw new WeightsError(`the ${id} twin has members 1..${spec.members.length}; got ${k}`);
  const backend = opts.backend ?? getBackend();
  const members: TwinMember[] = [];
  const sha: Record<string, string> = {};
  try {
    for (const k of ids) {
      const { tensors, path, sha256 } = loadMemberStateDict(id, k, home);
      const m = new TwinMember(spec, backend);
      members.push(m);
      m.loadUpstream(tensors, path);
      m.centered = opts.centered ?? true;
      sha[`member_${k}`] = sha256;
    }
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
  return { model: new TwinEnsemble(spec, members, ids, backend), weightsSha256: sha };
}
