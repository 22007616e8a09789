// One entry point to continue any saved optimiser: the state's `kind` picks the class.
import { CholeskyCMAES } from './cholesky-cmaes.js';
import { SphereCMA } from './sphere-cma.js';
import { Genetic } from './genetic.js';
import { CMAES } from './cmaes.js';
import type { Optimizer, RestoreOptions } from './optimizer.js';
import { FormatError } from '../../errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function restoreOptimizer(state: any, options: RestoreOptions = {}): Optimizer {
  switch (state?.kind) {
    case 'cholcma': case 'hesscma': return CholeskyCMAES.restore(state, options);
    case 'spherecma': return SphereCMA.restore(state, options);
    case 'ga': return Genetic.restore(state, options);
    case 'cma': return CMAES.restore(state, options);
    default: throw new FormatError(`optimizer state: unknown kind '${state?.kind}' (expected cholcma, hesscma, spherecma, ga or cma)`);
  }
}
