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
// the evolution run: spaces, the twin objective, the runner and its outputs
export { ParameterizationSpace, finishForTwin, type ImageSpace } from './spaces.js';
export { Fc6Space, BigGANSpace, bigganInitNoise, type Fc6SpaceOptions, type BigGANSpaceOptions, type BigGANPart } from './generator-spaces.js';
export { TwinTransform, type ScreeningSpec } from './twin-transform.js';
export { makeSpace, checkSpace, spaceDimension, type SpaceContext } from './space-factory.js';
export { makeOptimizer, optimizerSeed, centreOf, readHessianFiles } from './optimizer-factory.js';
export { TwinObjective, type ResponseModel, type ThreadRequest, type ThreadScores } from './objective.js';
export { runEvolution, prepareEvolveOutput, threadDir, threadKey, type RunnerOptions, type RunResult, type ThreadPlan, type EvolveState } from './runner.js';
export { RecordingNoise, noiseSeed, type RecordingNoiseOptions } from './recording-noise.js';
export { writeThreadFigures } from './report.js';
export { summarizeEvolution, writeEvolveSummary, type EvolveSummary } from './summary.js';
