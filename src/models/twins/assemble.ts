// Building a twin ensemble from member state dicts, wherever they come from: the Node weights cache (load.ts)
// or bytes a browser fetched or the user picked (load-bytes.ts). Runs anywhere: no file system here.
import { type Backend, getBackend } from '../../tensor/index.js';
import { WeightsError } from '../../errors.js';
import type { HostArray } from '../../io/host-array.js';
import { TWINS, type TwinId } from './registry.js';
import { TwinEnsemble, TwinMember } from './twin.js';

export interface TwinBuildOptions {
  /** 1-based member numbers (as upstream file names); default: all (the ensemble) */
  members?: number[];
  /** read every neuron at the feature-map centre (upstream default for screening and synthesis) */
  centered?: boolean;
  backend?: Backend;
}

export interface LoadedTwin {
  model: TwinEnsemble;
  /** sha256 of each member's original upstream checkpoint, for run records ('' where unknown) */
  weightsSha256: Record<string, string>;
}

/** One member's weights: its state dict, where it came from (for error messages) and its checkpoint's sha256. */
export interface MemberWeights { tensors: Map<string, HostArray>; source: string; sha256: string }

/** The member numbers `opts.members` asks for (all by default), checked against the twin. */
export function memberNumbers(id: TwinId, members?: number[]): number[] {
  const n = TWINS[id].members.length;
  const ids = members ?? Array.from({ length: n }, (_, i) => i + 1);
  if (ids.length === 0) throw new WeightsError(`the ${id} twin needs at least one member; got an empty list`);
  for (const k of ids) if (!Number.isInteger(k) || k < 1 || k > n) throw new WeightsError(`the ${id} twin has members 1..${n}; got ${k}`);
  return ids;
}

/**
 * Builds the ensemble of members `ids`, asking `weightsOf(k)` for each member's weights in turn (one state dict
 * held at a time). Members already built are released if a later one fails.
 */
export function assembleTwin(id: TwinId, ids: number[], weightsOf: (k: number) => MemberWeights, opts: TwinBuildOptions = {}): LoadedTwin {
  const spec = TWINS[id];
  const backend = opts.backend ?? getBackend();
  const members: TwinMember[] = [];
  const sha: Record<string, string> = {};
  try {
    for (const k of ids) {
      const { tensors, source, sha256 } = weightsOf(k);
      const m = new TwinMember(spec, backend);
      members.push(m);
      m.loadUpstream(tensors, source);
      m.centered = opts.centered ?? true;
      sha[`member_${k}`] = sha256;
    }
  } catch (e) {
    for (const m of members) m.dispose();
    throw e;
  }
  return { model: new TwinEnsemble(spec, members, ids, backend), weightsSha256: sha };
}
