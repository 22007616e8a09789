// One entry point to continue any saved optimiser: the state's `kind` picks the class.
import { CholeskyCMAES } from './cholesky-cmaes.js';
import { SphereCMA } from './sphere-cma.js';
import { Genetic } from './genetic.js';
import { CMAES } from './cmaes.js';
import { Concat, FixedPart, decodeFixed, type WrapperRestoreOptions } from './wrappers.js';
import type { Optimizer } from './optimizer.js';
import { FormatError } from '../../errors.js';

/** options.draws applies to a plain optimiser; for wrappers pass options.first / .second / .inner */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function restoreOptimizer(state: any, options: WrapperRestoreOptions = {}): Optimizer {
  switch (state?.kind) {
    case 'cholcma': case 'hesscma': return CholeskyCMAES.restore(state, options);
    case 'spherecma': return SphereCMA.restore(state, options);
    case 'ga': return Genetic.restore(state, options);
    case 'cma': return CMAES.restore(state, options);
    case 'concat': return new Concat(restoreOptimizer(state.first, options.first), restoreOptimizer(state.second, options.second));
    case 'fixed': return new FixedPart(restoreOptimizer(state.inner, options.inner), decodeFixed(state), state.position);
    default: throw new FormatError(`optimizer state: unknown kind '${state?.kind}' (expected cholcma, hesscma, spherecma, ga, cma, concat or fixed)`);
  }
}
