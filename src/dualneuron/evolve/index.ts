// Gradient-free optimisers for evolving images (Wang & Ponce; XDream): ask/tell, seeded, resumable, inspectable.
// See docs/EVOLVE.md.
export type { Optimizer, OptimizerStateBase, RestoreOptions } from './optimizer.js';
export { CholeskyCMAES, HessCMA, choleskyConstants, type CholeskyCMAESOptions, type HessCMAOptions, type CholeskyConstants } from './cholesky-cmaes.js';
export { SphereCMA, angleSchedule, type SphereCMAOptions, type AngleSchedule, type AngleScheduleMode } from './sphere-cma.js';
export { Genetic, type GeneticOptions } from './genetic.js';
export { CMAES, cmaesConstants, type CMAESOptions, type CMAESConstants } from './cmaes.js';
export { PhiloxDraws, ReplayDraws, type DrawSource, type DrawState } from './draws.js';
export { expMap, slerp, renormalize, angle } from './geometry.js';
export { symmetricEigen } from './eigen.js';
export { restoreOptimizer } from './restore.js';
export { Concat, FixedPart, type WrapperRestoreOptions } from './wrappers.js';
export { lanczosTop, type LanczosState } from './lanczos.js';
export { ImageDistanceHessian, readGanHessian, type JvMethod } from './hessian.js';
